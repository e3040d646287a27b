"""The benchmark parts, in the order they print (each appends its ``figures`` function here)."""

PARTS: list = []

from waitlist.benchmarks import signup  # noqa: E402

PARTS.append(signup.figures)

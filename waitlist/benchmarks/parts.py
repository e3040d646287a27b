"""The benchmark parts, in the order they print (each appends its ``figures`` function here)."""

PARTS: list = []

# The draw at a million sign-ups against its raw SQL (``draw_*``).
from waitlist.benchmarks import draw  # noqa: E402

PARTS.append(draw.figures)

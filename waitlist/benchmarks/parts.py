"""The benchmark parts, in the order they print (each appends its ``figures`` function here)."""

PARTS: list = []

# The SQL queries per page at 10 and 1,000 entries (``queries_*``).
from waitlist.benchmarks import pages as _pages  # noqa: E402

PARTS.append(_pages.figures)

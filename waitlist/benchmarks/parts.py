"""The benchmark parts, in the order they print."""

from waitlist.benchmarks import coordination, draw, pages, signup

PARTS: list = [
    draw.figures,  # a GP's draw at a million sign-ups against its raw SQL (draw_*)
    pages.figures,  # the SQL queries of the public report and the statistics at 10 and 1,000 entries (queries_*)
    coordination.figures,  # the same for the coordinator's queue and entry (queries_coordination_*)
    signup.figures,  # a burst of concurrent sign-ups over HTTP (signup_*)
]

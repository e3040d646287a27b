"""The benchmark parts, in the order they print."""

from waitlist.benchmarks import pages, signup

PARTS: list = [
    pages.figures,  # the SQL queries per page at 10 and 1,000 entries (queries_*)
    signup.figures,  # a burst of concurrent sign-ups over HTTP (signup_*)
]

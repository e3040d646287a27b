"""``python manage.py benchmark waitlist``: the draw at scale against its raw SQL (``draw_*``), the SQL queries
per page at 10 and 1,000 entries (``queries_*``), a burst of concurrent sign-ups (``signup_*``). Each part is a
module with a ``figures(scale)`` generator."""

from collections.abc import Iterator


def run(scale: int | None = None) -> Iterator[dict]:
    from waitlist.benchmarks import parts

    for part in parts.PARTS:
        yield from part(scale)

"""The newsletter's measures (``manage.py benchmark newsletter``): one dict per figure (``metric``, ``value``,
``unit``, ``target``). The rendering's figures (``render_*``, ``queries_*``) are in
``newsletter.rendering_benchmarks``, the sending's (``send_*``) in ``newsletter.send_benchmarks``."""

from collections.abc import Iterator

from newsletter import rendering_benchmarks, send_benchmarks


def run() -> Iterator[dict]:
    yield from rendering_benchmarks.run()
    yield from send_benchmarks.run()

"""The directory's measures (``manage.py benchmark directory [--scale N]``): one dict per figure (``metric``,
``value``, ``unit``, ``target``).

The search and query-count figures (``search.py``) come first, then, when that module exists, those of the RPPS
import (``import_rpps.py``). Neither touches the data of the configured database: each works in a throwaway
database of its own.
"""

from collections.abc import Iterator
from importlib import import_module


def run(scale: int | None = None) -> Iterator[dict]:
    from directory.benchmarks import search

    yield from search.run(scale=scale)
    try:
        imports = import_module("directory.benchmarks.import_rpps")
    except ModuleNotFoundError as error:
        if error.name != "directory.benchmarks.import_rpps":
            raise
        return
    yield from imports.run() if scale is None else imports.run(scale=scale)

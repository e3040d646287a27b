"""What every app's ``benchmarks`` module measures with: one figure as ``manage.py benchmark`` prints it, a
timing, and the SQL an action executes, captured and replayed with a bare cursor (to compare the ORM's cost
with the SQL's own)."""

import time
from collections.abc import Callable

from django.db import DEFAULT_DB_ALIAS, connections
from django.test.utils import CaptureQueriesContext


def at_most(limit: float) -> str:
    """A target the figure must stay under: ``"<= 1.5"``."""
    return f"<= {limit}"


def at_least(limit: float) -> str:
    """A target the figure must reach: ``">= 200"``."""
    return f">= {limit}"


def meets(value: float, target: str) -> bool:
    """Whether ``value`` meets a target written by ``at_most``/``at_least``."""
    direction, limit = target.split()
    return value <= float(limit) if direction == "<=" else value >= float(limit)


def figure(metric: str, value: float | None, unit: str, target: str | None) -> dict:
    """One line of ``manage.py benchmark``: the target says its direction (``at_most(1.5)``, ``at_least(200)``)
    so that a reader, and a script, knows whether the figure must stay under or over it."""
    if target is not None and not target.startswith(("<= ", ">= ")):
        raise ValueError(f"target without a direction: {target!r}")
    return {"metric": metric, "value": None if value is None else round(value, 2), "unit": unit, "target": target}


def seconds(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def captured_statements(action: Callable[[], object]) -> list[str]:
    """The SQL ``action`` executes; savepoints belong to the transaction handling, not to what is measured."""
    with CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as captured:
        action()
    return [query["sql"] for query in captured.captured_queries if "SAVEPOINT" not in query["sql"].upper()[:30]]


def replay(statements: list[str]) -> None:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
            if cursor.description is not None:
                cursor.fetchall()


def benchmark_client_settings():
    """The settings a benchmark's ``django.test.Client`` needs under the production settings: it calls itself
    "testserver" (a host ``ALLOWED_HOSTS`` does not list), speaks plain HTTP on loopback (which
    ``SECURE_SSL_REDIRECT`` would send to HTTPS), and the pages name their static files without the manifest of
    ``collectstatic`` (a checkout that has not run it can still count queries). Use as a context manager."""
    from django.conf import settings
    from django.test.utils import override_settings

    return override_settings(
        ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"],
        SECURE_SSL_REDIRECT=False,
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    )

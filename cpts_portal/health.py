"""/healthz: can this process reach PostgreSQL, the Redis cache and the Celery broker?"""

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from kombu import Connection

from core.access import public

logger = logging.getLogger(__name__)


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_cache() -> None:
    cache.set("healthz", "ok", timeout=10)
    if cache.get("healthz") != "ok":
        raise RuntimeError("cache read-back differs")


def _check_broker() -> None:
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as broker:
        broker.ensure_connection(max_retries=1, timeout=2)


CHECKS = {"database": _check_database, "cache": _check_cache, "broker": _check_broker}


@public
@never_cache
def healthz(request):
    results, healthy = {}, True
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as error:  # any failure of a dependency is reported, never raised
            logger.warning("Health check %s failed: %s", name, error)
            results[name] = f"error: {type(error).__name__}"
            healthy = False
        else:
            results[name] = "ok"
    return JsonResponse({"status": "ok" if healthy else "error", "checks": results}, status=200 if healthy else 503)

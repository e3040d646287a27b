"""/healthz: can this process reach PostgreSQL, the Redis cache and the Celery broker?

``/healthz?checks=database`` runs only the checks named (comma-separated): a load balancer deciding whether an
instance serves pages asks for the database only, since the pages work without Redis (docs/deployment.md).
"""

import logging
import re

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from kombu import Connection

from core.access import public

logger = logging.getLogger(__name__)


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_cache() -> None:
    # The server itself, not the cache API: the portal's backend answers as an empty cache when Redis is down.
    location = settings.CACHES["default"]["LOCATION"]
    server = location[0] if isinstance(location, list | tuple) else re.split("[;,]", location)[0]
    key = cache.make_key("healthz")
    with redis.Redis.from_url(server, socket_connect_timeout=2, socket_timeout=2) as client:
        client.set(key, "ok", ex=10)
        if client.get(key) != b"ok":
            raise RuntimeError("cache read-back differs")


def _check_broker() -> None:
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as broker:
        # One immediate retry, not kombu's default 2 s pause: a refused connection answers at once.
        broker.ensure_connection(max_retries=1, interval_start=0, timeout=2)


CHECKS = {"database": _check_database, "cache": _check_cache, "broker": _check_broker}


@public
@never_cache
def healthz(request):
    asked = [name.strip() for name in request.GET.get("checks", "").split(",") if name.strip()]
    names = list(dict.fromkeys(asked)) or list(CHECKS)
    unknown = [name for name in names if name not in CHECKS]
    if unknown:
        detail = _("Vérification inconnue : « %(name)s ». Possibles : %(known)s.") % {
            "name": unknown[0],
            "known": ", ".join(CHECKS),
        }
        return JsonResponse({"status": "error", "detail": detail}, status=400)
    results, healthy = {}, True
    for name in names:
        check = CHECKS[name]
        try:
            check()
        except Exception as error:  # any failure of a dependency is reported, never raised
            logger.warning("Health check %s failed: %s", name, error)
            results[name] = f"error: {type(error).__name__}"
            healthy = False
        else:
            results[name] = "ok"
    if healthy:
        return JsonResponse({"status": "ok", "checks": results})
    failing = [name for name, result in results.items() if result != "ok"]
    return JsonResponse({"status": "error", "checks": results, "failing": failing}, status=503)

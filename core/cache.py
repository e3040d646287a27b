"""The portal's cache backend: Django's Redis cache, which answers as an empty cache while Redis is unreachable.

Redis holds nothing the portal cannot lose (the data is in PostgreSQL), so a Redis outage must not take pages
down with it. While it is unreachable, reads miss (``get`` gives the default), writes are dropped and report
success (``add`` returns True), and ``incr`` counts from zero again on every call. Every cache user therefore
fails open at once: allauth's rate limits and its lock, its TOTP replay check, DRF's throttles, the directory's
counters and its cached choices. One warning is logged per minute of outage, not one per call, and one line
when Redis answers again.

After a failure the backend does not try Redis again for ``RETRY_AFTER_SECONDS``: a Redis host that drops
packets costs one connect timeout per process and interval, not one per cache call of every request. The short
socket timeouts themselves are set in ``CACHES["default"]["OPTIONS"]``.

/healthz must not use this backend to judge Redis (it would always look fine): it asks the server itself.
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError)
WARNING_INTERVAL_SECONDS = 60.0
RETRY_AFTER_SECONDS = 1.0

_clock = time.monotonic  # a module attribute, so a test can move time on

# Per process, not per backend instance: Django builds one cache instance per thread.
_state_lock = threading.Lock()
_outage = {"down": False, "retry_at": 0.0, "warned_at": None, "missed": 0}


def _skipping() -> bool:
    """True while Redis failed less than RETRY_AFTER_SECONDS ago: the call is answered without trying."""
    if _outage["down"] and _clock() < _outage["retry_at"]:
        with _state_lock:
            _outage["missed"] += 1
        return True
    return False


def _record_failure(error: Exception) -> None:
    now = _clock()
    with _state_lock:
        _outage["down"] = True
        _outage["retry_at"] = now + RETRY_AFTER_SECONDS
        _outage["missed"] += 1
        warned_at = _outage["warned_at"]
        if warned_at is not None and now - warned_at < WARNING_INTERVAL_SECONDS:
            return
        _outage["warned_at"] = now
        missed, _outage["missed"] = _outage["missed"], 0
    logger.warning(
        "Redis cache unreachable (%s: %s): %s cache call(s) answered as an empty cache; rate limits and "
        "throttles are not enforced until it answers again",
        type(error).__name__,
        error,
        missed,
    )


def _record_success() -> None:
    if not _outage["down"]:  # the common case: no lock, no write
        return
    with _state_lock:
        if not _outage["down"]:
            return
        # The time of the last warning stays: a Redis that flaps still gets one warning a minute.
        _outage.update(down=False, retry_at=0.0)
    logger.info("Redis cache answers again: rate limits and throttles are enforced again")


def reset_outage_state() -> None:
    """Forgets a past outage (tests, or a process that knows Redis is back)."""
    with _state_lock:
        _outage.update(down=False, retry_at=0.0, warned_at=None, missed=0)


class FailOpenRedisCache(RedisCache):
    """``django.core.cache.backends.redis.RedisCache`` that answers as an empty cache when Redis is unreachable.

    Only unreachability (connection refused or lost, timeouts) is absorbed; any other Redis error (a wrong
    password, a full memory) still raises, because it is a configuration fault to see, not an outage.
    """

    def _call(self, fallback, operation, *args):
        if _skipping():
            return fallback
        try:
            result = operation(*args)
        except UNREACHABLE as error:
            _record_failure(error)
            return fallback
        _record_success()
        return result

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        # True: "stored". allauth waits for its lock while add() answers False, then refuses the request.
        return self._call(True, super().add, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._call(default, super().get, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(None, super().set, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._call(False, super().delete, key, version)

    def get_many(self, keys, version=None):
        return self._call({}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._call(False, super().has_key, key, version)

    def incr(self, key, delta=1, version=None):
        # A counter that starts again at every call: each attempt counts as the first of its window.
        return self._call(delta, super().incr, key, delta, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        # The keys not stored, as Django's contract says: all of them.
        return self._call(list(data), super().set_many, data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._call(None, super().delete_many, keys, version)

    def clear(self):
        return self._call(False, super().clear)

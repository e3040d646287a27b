"""What keeps robots off a public form without any third-party service, shared by the waiting list's sign-up
and the newsletter's subscription: a honeypot field people do not see and robots fill in, a minimum fill time
(the form carries the time it was shown, signed), and a rate limit per client address shared by a page and its
API (DRF's throttle over the project's cache: like every throttle here, it fails open while Redis is down). Each
app words its own refusals."""

import time

from django.conf import settings
from django.core import signing
from rest_framework.throttling import SimpleRateThrottle

HONEYPOT_FIELD = "site_web"
STARTED_FIELD = "form_started"


class FormTimer:
    """The signed time a form was shown (``salt`` per form), and what a posted form says of its sender."""

    def __init__(self, *, salt: str):
        self.salt = salt

    def token(self) -> str:
        return signing.dumps(time.time(), salt=self.salt)

    def refusal(self, data, *, min_seconds: float) -> str | None:
        """``"honeypot"``, ``"stale"`` (no genuine token) or ``"too_fast"`` (sent back within ``min_seconds``)
        when a robot seems to have sent ``data``; None for a person."""
        if data.get(HONEYPOT_FIELD):
            return "honeypot"
        try:
            started = float(signing.loads(data.get(STARTED_FIELD, ""), salt=self.salt))
        except (signing.BadSignature, TypeError, ValueError):
            return "stale"
        return "too_fast" if time.time() - started < min_seconds else None

    def kept(self, data) -> str:
        """The token a re-shown form carries: the one it came with when genuine (a person who fixes a typo is
        not made to wait again), a new one otherwise."""
        token = data.get(STARTED_FIELD, "")
        try:
            signing.loads(token, salt=self.salt)
        except signing.BadSignature:
            return self.token()
        return token


class ClientAddressThrottle(SimpleRateThrottle):
    """Requests per client address, signed in or not; ``rate_setting`` names the setting holding the rate
    (``None`` turns it off, as the benchmarks do)."""

    rate_setting = ""

    def get_rate(self):
        return getattr(settings, self.rate_setting)

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

"""What keeps robots off the public sign-up, without any third-party service:

- a rate limit per client address, shared by the page and the API (``SignupThrottle``: DRF's throttle over the
  project's cache, ``WAITLIST_SIGNUP_RATE``; ``None`` turns it off, as the sign-up benchmark does). Like every
  throttle of the portal it fails open while Redis is down (docs/architecture.md, "When Redis is down"): the
  honeypot, the fill time and the codes' own limits (three an hour to one address) still apply;
- on the page, a honeypot field that people do not see and robots fill in, and a minimum fill time: the form
  carries the time it was shown, signed, and a form sent back sooner than a person could is refused.
"""

import time

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext as _
from rest_framework.throttling import SimpleRateThrottle

HONEYPOT_FIELD = "site_web"
STARTED_FIELD = "form_started"
# No person reads the consent and types a name, a birth date and a phone number in less.
MIN_FILL_SECONDS = 4
_STARTED_SALT = "waitlist.signup.started"


class SignupThrottle(SimpleRateThrottle):
    """Sign-ups and codes typed per client address (the same budget for the page and the API)."""

    scope = "waitlist_signup"

    def get_rate(self):
        return settings.WAITLIST_SIGNUP_RATE

    def get_cache_key(self, request, view):
        # By address for everyone: a signed-in professional signing patients up shares their practice's budget.
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def address_allowed(request) -> tuple[bool, int | None]:
    """Counts one more sign-up request of this address: (allowed, seconds to wait when it is not)."""
    throttle = SignupThrottle()
    if throttle.allow_request(request, None):
        return True, None
    wait = throttle.wait()
    return False, int(wait) + 1 if wait is not None else None


def too_many_message(wait: int | None) -> str:
    minutes = max(1, -(-(wait or 60) // 60))
    return _(
        "Trop d'inscriptions envoyées depuis cette connexion : réessayez dans %(minutes)s min, ou appelez la CPTS."
    ) % {"minutes": minutes}


def form_started_token() -> str:
    return signing.dumps(time.time(), salt=_STARTED_SALT)


def robot_refusal(data) -> str | None:
    """Why a posted sign-up form looks sent by a robot (in French, saying what to do), or None."""
    if data.get(HONEYPOT_FIELD):
        return _("L'inscription n'a pas pu être enregistrée. Rechargez la page puis envoyez le formulaire à nouveau.")
    try:
        started = float(signing.loads(data.get(STARTED_FIELD, ""), salt=_STARTED_SALT))
    except (signing.BadSignature, TypeError, ValueError):
        return _("Ce formulaire n'est plus valable : vérifiez vos réponses puis envoyez-le à nouveau.")
    if time.time() - started < MIN_FILL_SECONDS:
        return _("Le formulaire a été envoyé trop vite : vérifiez vos réponses puis envoyez-le à nouveau.")
    return None


def started_token_kept(data) -> str:
    """The token a re-shown form carries: the one it came with when it is genuine (a person who fixes a typo is
    not made to wait again), a new one otherwise."""
    token = data.get(STARTED_FIELD, "")
    try:
        signing.loads(token, salt=_STARTED_SALT)
    except signing.BadSignature:
        return form_started_token()
    return token

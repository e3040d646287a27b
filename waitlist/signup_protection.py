"""What keeps robots off the public sign-up, without any third-party service:

- a rate limit per client address, shared by the page and the API (``SignupThrottle``: DRF's throttle over the
  project's cache, ``WAITLIST_SIGNUP_RATE``; ``None`` turns it off, as the sign-up benchmark does). Like every
  throttle of the portal it fails open while Redis is down (docs/architecture.md, "When Redis is down"): the
  honeypot, the fill time and the codes' own limits (three an hour to one address) still apply;
- on the page, a honeypot field that people do not see and robots fill in, and a minimum fill time: the form
  carries the time it was shown, signed, and a form sent back sooner than a person could is refused.
"""

from django.utils.translation import gettext as _

from core.robots import HONEYPOT_FIELD, STARTED_FIELD, ClientAddressThrottle, FormTimer

__all__ = ["HONEYPOT_FIELD", "STARTED_FIELD"]

# No person reads the consent and types a name, a birth date and a phone number in less.
MIN_FILL_SECONDS = 4
_TIMER = FormTimer(salt="waitlist.signup.started")


class SignupThrottle(ClientAddressThrottle):
    """Sign-ups and codes typed per client address (the same budget for the page and the API; a signed-in
    professional signing patients up shares their practice's budget)."""

    scope = "waitlist_signup"
    rate_setting = "WAITLIST_SIGNUP_RATE"


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
    return _TIMER.token()


def robot_refusal(data) -> str | None:
    """Why a posted sign-up form looks sent by a robot (in French, saying what to do), or None."""
    reason = _TIMER.refusal(data, min_seconds=MIN_FILL_SECONDS)
    if reason == "honeypot":
        return _("L'inscription n'a pas pu être enregistrée. Rechargez la page puis envoyez le formulaire à nouveau.")
    if reason == "stale":
        return _("Ce formulaire n'est plus valable : vérifiez vos réponses puis envoyez-le à nouveau.")
    if reason == "too_fast":
        return _("Le formulaire a été envoyé trop vite : vérifiez vos réponses puis envoyez-le à nouveau.")
    return None


def started_token_kept(data) -> str:
    return _TIMER.kept(data)

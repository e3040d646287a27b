"""What keeps robots off the public subscription form, without any third-party service (``core.robots``,
shared with the waiting list's sign-up):

- a rate limit per client address shared by the page and the API (``SubscribeThrottle``, DRF's throttle over the
  project's cache, ``NEWSLETTER_SUBSCRIBE_RATE``; it fails open while Redis is down like every throttle);
- a rate limit per e-mail address (a few confirmation e-mails an hour to one address, whoever asks);
- on the page, a honeypot field people do not see and a minimum fill time (the time the form was shown, signed).
"""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from core.robots import HONEYPOT_FIELD, STARTED_FIELD, ClientAddressThrottle, FormTimer

__all__ = ["HONEYPOT_FIELD", "STARTED_FIELD"]

MIN_FILL_SECONDS = 3
CONFIRMATIONS_PER_HOUR_PER_ADDRESS = 3
_TIMER = FormTimer(salt="newsletter.subscribe.started")


class SubscribeThrottle(ClientAddressThrottle):
    """Subscriptions per client address (the same budget for the page and the API)."""

    scope = "newsletter_subscribe"
    rate_setting = "NEWSLETTER_SUBSCRIBE_RATE"


def client_allowed(request) -> bool:
    return SubscribeThrottle().allow_request(request, None)


def address_allowed(email: str) -> bool:
    """One more confirmation e-mail to this address within the hour? (The key holds a digest, not the address.)"""
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{email.strip().lower()}".encode()).hexdigest()[:32]
    key = f"newsletter:subscribe:address:{digest}"
    if cache.add(key, 1, timeout=3600):
        return True
    try:
        return cache.incr(key) <= CONFIRMATIONS_PER_HOUR_PER_ADDRESS
    except ValueError:
        cache.set(key, 1, timeout=3600)
        return True


def too_many_message() -> str:
    return _("Trop de demandes d'abonnement depuis cette connexion : réessayez dans une heure.")


def form_started_token() -> str:
    return _TIMER.token()


def robot_refusal(data) -> str | None:
    """Why a posted form looks sent by a robot (in French, saying what to do), or None."""
    reason = _TIMER.refusal(data, min_seconds=MIN_FILL_SECONDS)
    if reason == "honeypot":
        return _("L'abonnement n'a pas pu être enregistré. Rechargez la page puis envoyez le formulaire à nouveau.")
    if reason == "stale":
        return _("Ce formulaire n'est plus valable : vérifiez votre adresse puis envoyez-le à nouveau.")
    if reason == "too_fast":
        return _("Le formulaire a été envoyé trop vite : vérifiez votre adresse puis envoyez-le à nouveau.")
    return None

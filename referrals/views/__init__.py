"""The referral pages, one module per area: ``requests`` (the new request, the lists, one request and its
actions, its letter), ``handling`` (documents, forward, convert, sent outside the portal), ``billing``
(tele-expertise acts, tariffs, closing survey, dashboard), ``coordination`` (the coordinators' overdue list)."""

from django.http import HttpRequest

from core.pages import fetch_or_404
from referrals.models import Referral
from referrals.scope import request_actor
from referrals.selectors import referral_for_user


def referral_or_404(request: HttpRequest, public_id) -> Referral:
    """The request the signed-in user may see (the read logged), with the actor resolved once for the request;
    404 for anyone else."""
    return fetch_or_404(referral_for_user, request_actor(request), public_id, request=request)

"""How a request's timeline names its events: the title of each event and who made it (the name kept when it
was written, or the portal for the reminders and billing steps it takes by itself)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from referrals.models import Referral, ReferralEvent

# Steps the portal takes by itself, with no account behind them.
_BILLING_ACTOR = gettext_lazy("Portail (facturation)")
_REMINDER_ACTOR = gettext_lazy("Portail (rappel automatique)")
PORTAL_ACTORS = {
    "billed_requester": _BILLING_ACTOR,
    "billed_expert": _BILLING_ACTOR,
    "not_billable_requester": _BILLING_ACTOR,
    "not_billable_expert": _BILLING_ACTOR,
    "reminded": _REMINDER_ACTOR,
    "escalated": _REMINDER_ACTOR,
    "escalated_practice": _REMINDER_ACTOR,
    "escalated_coordination": _REMINDER_ACTOR,
    "close_reminded": _REMINDER_ACTOR,
}


def event_label(event: ReferralEvent) -> str:
    """The event's title: its action's, else the status it led to, else "Mise à jour"."""
    from referrals.views.requests import EVENT_LABELS  # the request page's labels, one list for both pages

    label = EVENT_LABELS.get(event.action)
    if label is not None:
        return str(label)
    if event.to_status and event.to_status != event.from_status:
        return str(dict(Referral.Status.choices).get(event.to_status, event.to_status))
    return _("Mise à jour")


def event_actor(event: ReferralEvent) -> str:
    """Who made the event: the name kept when it was written (even once the account is gone), or the portal."""
    if event.actor_label:
        return event.actor_label
    if event.actor_id is None:
        return str(PORTAL_ACTORS.get(event.action, ""))
    return ""

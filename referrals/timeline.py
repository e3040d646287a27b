"""How a request's timeline reads, in the reader's language: the title of each event, who made it (the name kept
when it was written, or the portal for the reminders and billing steps it takes by itself) and its note.

An event stores what happened, never a sentence: a ``note_code`` (``billing_act``, ``forwarded``…) with its
values in ``note_params`` (amounts in cents, role and status codes, names as data), and in ``note`` only what a
user typed (a reason, a message), kept as it was. The builders below (``billing_act_note``…) are the one place
that shapes each code's values; the services pass what they return to the event. Every reader (the request page,
the coordinator's status page, the API, the billing partial) renders through ``event_label``, ``event_actor``,
``event_summary`` and ``event_note``, so a French event reads in English for an English reader."""

import datetime
import logging
from decimal import Decimal

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from referrals.models import Referral, ReferralEvent

logger = logging.getLogger(__name__)

# Timeline lines, by the action their event records; an action not listed shows its new status.
EVENT_LABELS = {
    "sent": gettext_lazy("Demande envoyée"),
    "acknowledged": gettext_lazy("Prise en compte"),
    "info_requested": gettext_lazy("Informations demandées"),
    "info_provided": gettext_lazy("Informations apportées"),
    "accepted": gettext_lazy("Acceptée, rendez-vous donné"),
    "declined": gettext_lazy("Refusée"),
    "answered": gettext_lazy("Réponse écrite"),
    "closed": gettext_lazy("Clôturée"),
    "cancelled": gettext_lazy("Annulée par l'expéditeur"),
    "message_posted": gettext_lazy("Message"),
    "attachment_added": gettext_lazy("Pièce jointe ajoutée"),
    "forwarded": gettext_lazy("Transférée à un confrère"),
    "converted": gettext_lazy("Type de demande changé"),
    "sent_outside": gettext_lazy("Envoyée hors du portail"),
    "outside_updated": gettext_lazy("Suite donnée hors du portail"),
    "reminded": gettext_lazy("Rappel : l'échéance approche"),
    "escalated": gettext_lazy("Échéance dépassée : relance du destinataire"),
    "escalated_practice": gettext_lazy("Relance des autres membres du cabinet"),
    "escalated_coordination": gettext_lazy("Remontée à la coordination"),
    "close_reminded": gettext_lazy("Rappel : demande à clôturer"),
    "billed_requester": gettext_lazy("Acte de télé-expertise facturable (requérant)"),
    "billed_expert": gettext_lazy("Acte de télé-expertise facturable (requis)"),
    "not_billable_requester": gettext_lazy("Acte non facturable (requérant)"),
    "not_billable_expert": gettext_lazy("Acte non facturable (requis)"),
    "survey_answered": gettext_lazy("Questionnaire de clôture rempli"),
}

# Steps the portal takes by itself, with no account behind them: their actor is named when read, not stored.
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

# The billing sides (``BillingRecord.Side``) as the timeline names them.
_SIDE_LABELS = {"requester": gettext_lazy("médecin requérant"), "expert": gettext_lazy("médecin requis")}


# --- What the services store -------------------------------------------------------------------------------------


def _note(note_code: str, params: dict) -> dict:
    """The keyword arguments of an event for ``note_code``: pass them to ``record_event`` or ``ReferralEvent``."""
    return {"note_code": note_code, "note_params": params}


def billing_act_note(*, side: str, code: str, amount: Decimal, act_date: datetime.date) -> dict:
    """A side bills an act: its side, the act's code, its amount (stored in cents) and its day."""
    cents = int((Decimal(amount) * 100).to_integral_value())
    return _note("billing_act", {"side": side, "code": code, "amount_cents": cents, "date": act_date.isoformat()})


def not_billable_note(
    *, side: str, reason: str, site: str = "", cap: int | None = None, act_date: datetime.date | None = None
) -> dict:
    """A side bills nothing, and why: the rule's code (``referrals.services.billing.Refusal``), with the health
    centre both doctors share (``same_msp``), the annual cap (``cap_reached``) or the day without a tariff
    (``no_tariff``)."""
    params = {"side": side, "reason": reason}
    if reason == "same_msp":
        params["site"] = site
    elif reason == "cap_reached":
        params["cap"] = cap
    elif reason == "no_tariff" and act_date is not None:
        params["date"] = act_date.isoformat()
    return _note("not_billable", params)


def forwarded_note(*, from_name: str, to_name: str) -> dict:
    """The request passed from one recipient (a practitioner, a practice or a pathway, named as they were) to a
    colleague."""
    return _note("forwarded", {"from": from_name, "to": to_name})


def converted_note(*, from_kind: str, to_kind: str) -> dict:
    """The request changed kind (``Referral.Kind`` codes)."""
    return _note("converted", {"from": from_kind, "to": to_kind})


def sent_outside_note(*, via: str, detail: str) -> dict:
    """The sender sent it outside the portal: the way (``SentOutsideVia`` code) and the address or number used."""
    return _note("sent_outside", {"via": via, "detail": detail})


def attachment_added_note(*, name: str, content_type: str) -> dict:
    """A document was joined: the name it was given and its type (``application/pdf``…)."""
    return _note("attachment_added", {"name": name, "content_type": content_type})


# --- How readers see it ------------------------------------------------------------------------------------------


def amount_label(cents: int) -> str:
    """An amount in the reader's format: 1000 → "10,00 €" in French, "€10.00" in English."""
    amount = formats.number_format(Decimal(cents) / 100, 2, use_l10n=True)
    return _("%(amount)s €") % {"amount": amount}


def _date_label(iso_day: str) -> str:
    # Day first in every language, as each date of the request page: an English "03/12" next to a "12/03"
    # would say two different days.
    return formats.date_format(datetime.date.fromisoformat(iso_day), "d/m/Y")


def _side(params: dict) -> str:
    return str(_SIDE_LABELS[params["side"]])


def _billing_act(params: dict) -> str:
    return _("Acte facturable (%(side)s) : %(code)s, %(amount)s, le %(date)s.") % {
        "side": _side(params),
        "code": params["code"],
        "amount": amount_label(int(params["amount_cents"])),
        "date": _date_label(params["date"]),
    }


def _refusal(params: dict) -> str:
    reason = params["reason"]
    if reason == "no_consent":
        return _("consentement préalable du patient à la télé-expertise non recueilli")
    if reason == "no_expert":
        return _("le médecin requis n'est pas identifié (réponse donnée au nom du cabinet)")
    if reason == "same_msp":
        return _("les deux médecins exercent dans la même maison de santé (%(site)s)") % {"site": params["site"]}
    if reason == "no_identity":
        return _("identité du patient incomplète, le plafond annuel ne peut pas être vérifié")
    if reason == "cap_reached":
        return _("plafond de %(cap)s actes par an atteint pour ce patient") % {"cap": params["cap"]}
    if reason == "no_tariff":
        return _("aucun tarif en vigueur le %(date)s") % {"date": _date_label(params["date"])}
    raise KeyError(reason)


def _not_billable(params: dict) -> str:
    return _("Acte non facturable (%(side)s) : %(reason)s.") % {"side": _side(params), "reason": _refusal(params)}


def _forwarded(params: dict) -> str:
    return _("Transférée de %(from)s à %(to)s.") % {"from": params["from"], "to": params["to"]}


def _kind_label(code: str) -> str:
    return str(dict(Referral.Kind.choices)[code])


def _converted(params: dict) -> str:
    return _("%(from)s convertie en %(to)s") % {"from": _kind_label(params["from"]), "to": _kind_label(params["to"])}


def _sent_outside(params: dict) -> str:
    from referrals.services.handling import SentOutsideVia  # the services write events: imported when read

    return _("%(via)s : %(detail)s") % {"via": SentOutsideVia(params["via"]).label, "detail": params["detail"]}


def _attachment_added(params: dict) -> str:
    from referrals.services.attachments import TYPE_LABELS

    content_type = params["content_type"]
    return f"{params['name']} ({TYPE_LABELS.get(content_type, content_type)})"


RENDERERS = {
    "billing_act": _billing_act,
    "not_billable": _not_billable,
    "forwarded": _forwarded,
    "converted": _converted,
    "sent_outside": _sent_outside,
    "attachment_added": _attachment_added,
}
NOTE_CODES = tuple(RENDERERS)


def event_label(event: ReferralEvent) -> str:
    """The event's title: its action's, else the status it led to, else "Mise à jour"."""
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


def event_summary(event: ReferralEvent) -> str:
    """What the portal says happened (its ``note_code``), in the active language; "" for an event without one.
    Values that do not fit their code (a row written by hand, a code this version no longer knows) leave it
    empty rather than break the page."""
    code = event.note_code
    if not code:
        return ""
    try:
        return RENDERERS[code](event.note_params or {})
    except (KeyError, TypeError, ValueError, AttributeError):
        logger.warning("Timeline event %s: note %r with %r cannot be rendered", event.pk, code, event.note_params)
        return ""


def event_note(event: ReferralEvent) -> str:
    """The whole note as one text: the portal's summary, then what the user typed on its own line."""
    return "\n".join(part for part in (event_summary(event), event.note) if part)


def timeline_entries(events) -> list[ReferralEvent]:
    """The events, each given what a page shows of it: ``label``, ``who``, ``summary`` (the portal's words) and
    ``typed`` (the user's, as they were)."""
    events = list(events)
    for event in events:
        event.label, event.who = event_label(event), event_actor(event)
        event.summary, event.typed = event_summary(event), event.note
    return events

"""Keeping the queue true: every ``RECONFIRM_AFTER_DAYS`` (6 months) since the household last confirmed, a message
asks "toujours sans médecin traitant ?" with the patient's link; two reminders follow ``REMINDER_INTERVAL_DAYS``
apart; ``REMINDER_INTERVAL_DAYS`` after the second one, the entry becomes inactive with its reason recorded. The
patient confirms by a button on the page the link opens (never by opening it: mail scanners open links), which
starts the six months again; an inactive household that confirms is back in the queue with its first date.

``reconfirmations_send`` is safe to run twice: each step is claimed by a conditional update of
``reminders_sent`` (1: asked, 2 and 3: reminded) and each message's idempotency key names the entry, the
confirmation it follows and the step.
"""

import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import ApplicationError
from notifications.models import OutboundMessage
from notifications.services import message_enqueue
from waitlist.models import RECONFIRM_AFTER_DAYS, Entry, EntryEvent
from waitlist.services.common import entry_event_record, entry_follow_link
from waitlist.services.selfservice import territory_of_entry

REMINDER_INTERVAL_DAYS = 14
# The ask, then two reminders.
MESSAGES_BEFORE_INACTIVE = 3
ASK_TEMPLATE = "waitlist_reconfirm"
REMINDER_TEMPLATE = "waitlist_reconfirm_reminder"
INACTIVE_TEMPLATE = "waitlist_inactivated"
INACTIVE_REASON = gettext_lazy("Sans réponse aux trois demandes de confirmation (six mois après la dernière)")
BATCH = 500


def _tell(entry: Entry, *, template: str, step: int) -> None:
    """An SMS and an e-mail to the household's contacts (a bulk handover's may not have been verified by a code,
    they still are the practice's): the link and the question, nothing else."""
    follow_url = entry_follow_link(entry)
    context = {"follow_url": follow_url, "confirm_url": f"{follow_url}confirmer/", "step": step}
    confirmed = entry.confirmed_at.isoformat() if entry.confirmed_at else "none"
    for channel, address in ((OutboundMessage.Channel.SMS, entry.phone), (OutboundMessage.Channel.EMAIL, entry.email)):
        if address:
            message_enqueue(
                channel=channel,
                recipient=address,
                template=template,
                context=context,
                idempotency_key=f"{template}:{entry.public_id}:{confirmed}:{step}:{channel}",
                recipient_kind=OutboundMessage.RecipientKind.PATIENT,
                territory_id=territory_of_entry(entry),
            )


def _claim_step(entry: Entry, *, step: int, now: datetime.datetime) -> bool:
    """Moves the entry from ``step - 1`` to ``step`` messages sent, if nobody did meanwhile."""
    return (
        Entry.objects.filter(
            pk=entry.pk, status=Entry.Status.WAITING, reminders_sent=step - 1, confirmed_at=entry.confirmed_at
        ).update(reminders_sent=step, last_reminder_at=now, updated_at=now)
        == 1
    )


def reconfirmations_send(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """One run of the re-confirmation timeline over every waiting entry; returns what it did."""
    now = now or timezone.now()
    due = now - datetime.timedelta(days=RECONFIRM_AFTER_DAYS)
    interval = datetime.timedelta(days=REMINDER_INTERVAL_DAYS)
    done = {"asked": 0, "reminded": 0, "inactivated": 0}
    # An entry never confirmed counts from the day it started waiting.
    waiting = Entry.objects.filter(
        Q(confirmed_at__lte=due) | Q(confirmed_at__isnull=True, waiting_since__lte=due), status=Entry.Status.WAITING
    ).select_related("waiting_list")
    # The ask: six months after the last confirmation.
    for entry in waiting.filter(reminders_sent=0).order_by("confirmed_at", "pk")[:BATCH]:
        with transaction.atomic():
            if _claim_step(entry, step=1, now=now):
                _tell(entry, template=ASK_TEMPLATE, step=1)
                entry_event_record(entry=entry, kind=EntryEvent.Kind.REMINDED, details={"step": 1})
                done["asked"] += 1
    # The reminders, each two weeks after the message before.
    for entry in waiting.filter(
        reminders_sent__gte=1, reminders_sent__lt=MESSAGES_BEFORE_INACTIVE, last_reminder_at__lte=now - interval
    ).order_by("last_reminder_at", "pk")[:BATCH]:
        step = entry.reminders_sent + 1
        with transaction.atomic():
            if _claim_step(entry, step=step, now=now):
                _tell(entry, template=REMINDER_TEMPLATE, step=step)
                entry_event_record(entry=entry, kind=EntryEvent.Kind.REMINDED, details={"step": step})
                done["reminded"] += 1
    # Two weeks after the second reminder: inactive, with the reason, and told how to come back.
    for entry in waiting.filter(
        reminders_sent__gte=MESSAGES_BEFORE_INACTIVE, last_reminder_at__lte=now - interval
    ).order_by("last_reminder_at", "pk")[:BATCH]:
        with transaction.atomic():
            changed = Entry.objects.filter(
                pk=entry.pk, status=Entry.Status.WAITING, reminders_sent=entry.reminders_sent
            ).update(status=Entry.Status.INACTIVE, closed_at=now, closed_reason=str(INACTIVE_REASON), updated_at=now)
            if changed == 1:
                _tell(entry, template=INACTIVE_TEMPLATE, step=entry.reminders_sent + 1)
                entry_event_record(
                    entry=entry, kind=EntryEvent.Kind.INACTIVATED, details={"reason": "no_reconfirmation"}
                )
                done["inactivated"] += 1
    return done


@transaction.atomic
def entry_reconfirm(*, entry: Entry) -> Entry:
    """ "Toujours sans médecin traitant" (the button on the page of the link): the six months start again; an
    inactive household is back in the queue with its first date (it never stopped waiting)."""
    entry = Entry.objects.select_for_update().get(pk=entry.pk)
    if entry.status not in (Entry.Status.WAITING, Entry.Status.PROPOSED, Entry.Status.INACTIVE):
        raise ApplicationError(_("Cette inscription est close : il n'y a rien à confirmer."))
    now = timezone.now()
    was_inactive = entry.status == Entry.Status.INACTIVE
    fields = ["confirmed_at", "reminders_sent", "last_reminder_at", "updated_at"]
    entry.confirmed_at = now
    entry.reminders_sent = 0
    entry.last_reminder_at = None
    if was_inactive:
        entry.status = Entry.Status.WAITING
        entry.waiting_since = entry.waiting_since or now
        entry.closed_at = None
        entry.closed_reason = ""
        fields += ["status", "waiting_since", "closed_at", "closed_reason"]
    entry.save(update_fields=fields)
    entry_event_record(
        entry=entry, kind=EntryEvent.Kind.CONFIRMED, by_patient=True, details={"reactivated": was_inactive}
    )
    return entry

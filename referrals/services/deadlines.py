"""Deadlines that someone owns: reminders before a request's target date, an escalation chain after it, a
reminder to close what was done, and the digests that sum it all up (daily for the recipient's side, weekly for
the territory's coordinators).

The escalation chain of an open request (sent, acknowledged, or waiting for the sender's information):

1. ``reminded``: a quarter of the target delay is left: the recipient's side (the recipient practitioner, the
   secretaries of the practices concerned) gets an e-mail.
2. ``escalated``: the target date has passed: the same people are told it is late.
3. ``escalated_practice``: still open ``ESCALATION_STEP`` later (a quarter of the target delay, at least 24 h):
   the other members of the practices concerned (every professional working there, their secretaries) who were
   not told yet. Skipped while the request waits for the sender's information: the ball is in the GP's court,
   and the colleagues could do nothing about it.
4. ``escalated_coordination``: still open another step later: the request shows as escalated on the
   coordinators' overdue page and in their weekly digest. Coordinators get no e-mail per request (a territory
   has dozens of late requests a week; one e-mail each would be read by nobody), except for an **urgent**
   request: its target is 48 h, and waiting for Monday's digest would leave an urgent patient a week more.

And once the request was answered: ``close_reminded``, when a letter's appointment is more than 30 days past
(or a tele-expertise was answered more than 30 days ago) and nobody closed it, the recipient's side is asked
once to close it with the compte-rendu. The portal never closes or expires a request by itself: the sender
would read "closed" for a patient nobody saw.

Each step is recorded as a timeline event (the idempotency record: the row of the request is locked while a
step is decided, so two runs cannot both take it) and each e-mail has an outbox key per request, step and
recipient. E-mails to staff never name the patient: kind, urgency, sender, dates and a link to the request.
"""

import datetime
import logging
from collections import Counter

from django.db import transaction
from django.db.models import (
    Count,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Role
from core.errors import ApplicationError
from directory.models import Absence, Activity, Practitioner, RoleGrant
from notifications.models import OutboundMessage
from notifications.services import message_enqueue
from referrals.models import Referral, ReferralEvent, Urgency
from referrals.scope import recipient_side
from referrals.selectors import referrals_handled_by

logger = logging.getLogger(__name__)

Status = Referral.Status

OPEN_STATUSES = (Status.SENT, Status.ACKNOWLEDGED, Status.NEEDS_INFO)
# The practice-wide escalation waits while the recipient's side waits for the sender (``needs_info``).
AWAITING_RECIPIENT = (Status.SENT, Status.ACKNOWLEDGED)

# The reminder goes when a quarter of the target delay is left (12 h for an urgent request, a week for a
# routine one); the escalation when the target date has passed.
REMINDER_SHARE_LEFT = 4
# Each further escalation step waits a quarter of the target delay after the previous one, and at least a day:
# 24 h for an urgent request (48 h target), 42 h for a rapid one (7 days), 7.5 days for a routine one (30 days).
ESCALATION_STEP_SHARE = 4
ESCALATION_STEP_MIN = datetime.timedelta(hours=24)
# A request accepted with an appointment this long past, or answered this long ago, and not closed.
CLOSE_REMINDER_AFTER = datetime.timedelta(days=30)

# Timeline actions of the chain, in order.
REMINDED = "reminded"
ESCALATED = "escalated"
ESCALATED_PRACTICE = "escalated_practice"
ESCALATED_COORDINATION = "escalated_coordination"
CLOSE_REMINDED = "close_reminded"
ESCALATION_ACTIONS = (ESCALATED, ESCALATED_PRACTICE, ESCALATED_COORDINATION)

# The request's page, where every e-mail leads (the pages of the referrals app are mounted under /demandes/).
REQUEST_PATH = "/demandes/{public_id}/"
OVERDUE_PAGE_PATH = "/demandes/coordination/en-retard/"
# A digest lists this many requests per section at most, then says how many more the inbox holds.
DIGEST_MAX_ITEMS = 30
WEEKLY_DIGEST_DAYS = 7


def escalation_step(referral: Referral) -> datetime.timedelta:
    """How long each escalation step waits after the previous one (see the module's docstring)."""
    return max((referral.due_at - referral.sent_at) / ESCALATION_STEP_SHARE, ESCALATION_STEP_MIN)


def request_path(referral: Referral) -> str:
    return REQUEST_PATH.format(public_id=referral.public_id)


def _local(moment: datetime.datetime | None, pattern: str = "%d/%m/%Y %H:%M") -> str:
    return timezone.localtime(moment).strftime(pattern) if moment else ""


def _staff_context(referral: Referral) -> dict:
    """What an e-mail to the recipient's side or a coordinator may say of a request: never the patient, never
    the clinical text."""
    return {
        "kind": referral.get_kind_display(),
        "urgency": referral.get_urgency_display(),
        "status": referral.get_status_display(),
        "sender": str(referral.sender),
        "due": _local(referral.due_at),
        "path": request_path(referral),
    }


# --- Who is told --------------------------------------------------------------------------------------------------


def _emails_of(grants: QuerySet[RoleGrant]) -> list[str]:
    return sorted(set(grants.filter(user__is_active=True).values_list("user__email", flat=True)))


def _recipient_side_emails(referral: Referral) -> list[str]:
    """The accounts that work the request, as its inbox shows it (``referrals.scope.recipient_side``)."""
    return recipient_side(referral).emails()


def _practice_members_emails(referral: Referral) -> list[str]:
    """Everyone of the practices on the request's recipient's side: each professional with an activity there,
    their secretaries; less the sender (a GP may address a colleague of their own practice) and whoever was
    told it is late already. The e-mail names no patient: a colleague who cannot open the request can still
    tell the recipient."""
    practice_ids = recipient_side(referral).practice_ids
    members = RoleGrant.objects.filter(
        Q(role=Role.PROFESSIONAL, practitioner__activities__practice__in=practice_ids)
        | Q(role=Role.SECRETARY, practices__in=practice_ids)
    ).exclude(user_id=referral.sender_user_id)
    already_told = set(
        OutboundMessage.objects.filter(idempotency_key__startswith=f"{ESCALATED}:{referral.public_id}:").values_list(
            "recipient", flat=True
        )
    )
    return [email for email in _emails_of(members) if email not in already_told]


def _coordinator_emails(territory_id: int | None) -> list[str]:
    if territory_id is None:
        return []
    return _emails_of(RoleGrant.objects.filter(role=Role.COORDINATOR, territory_id=territory_id))


def _enqueue_email(
    *, recipient: str, template: str, context: dict, idempotency_key: str, territory_id: int | None = None
) -> bool:
    """One e-mail through the outbox; an address the outbox refuses is logged and skipped, so that one bad
    account does not keep the others from hearing of the request."""
    try:
        message_enqueue(
            channel=OutboundMessage.Channel.EMAIL,
            recipient=recipient,
            template=template,
            context=context,
            idempotency_key=idempotency_key,
            territory_id=territory_id,
        )
    except ApplicationError:
        logger.warning("Deadline e-mail %s not queued: address refused", idempotency_key)
        return False
    return True


# --- The chain ----------------------------------------------------------------------------------------------------


def _record_step(referral: Referral, action: str, note: str = "") -> None:
    ReferralEvent.objects.create(
        referral=referral,
        actor=None,
        actor_label="",  # the portal, named in the reader's language by ``referrals.timeline``
        action=action,
        from_status=referral.status,
        to_status=referral.status,
        note=note,
    )


def _tell(referral: Referral, action: str, template: str, emails: list[str], context: dict | None = None) -> int:
    context = {**_staff_context(referral), **(context or {})}
    return sum(
        _enqueue_email(
            recipient=email,
            template=template,
            context=context,
            idempotency_key=f"{action}:{referral.public_id}:{email}",
            territory_id=referral.territory_id,
        )
        for email in emails
    )


def _next_step(referral: Referral, done: dict[str, datetime.datetime], now: datetime.datetime) -> str | None:
    """The step the request is due for now, if any (see the module's docstring)."""
    if referral.status in OPEN_STATUSES:
        if referral.due_at > now:
            left = referral.due_at - now
            if REMINDED not in done and left <= (referral.due_at - referral.sent_at) / REMINDER_SHARE_LEFT:
                return REMINDED
            return None
        if ESCALATED not in done:
            return ESCALATED
        if ESCALATED_COORDINATION in done:
            return None
        step = escalation_step(referral)
        if ESCALATED_PRACTICE not in done and referral.status in AWAITING_RECIPIENT:
            return ESCALATED_PRACTICE if now >= done[ESCALATED] + step else None
        last = max(at for action, at in done.items() if action in ESCALATION_ACTIONS)
        return ESCALATED_COORDINATION if now >= last + step else None
    if CLOSE_REMINDED not in done and _waits_for_closing(referral, done, now):
        return CLOSE_REMINDED
    return None


def _waits_for_closing(referral: Referral, done: dict[str, datetime.datetime], now: datetime.datetime) -> bool:
    if referral.status == Status.ACCEPTED:
        return referral.appointment_at is not None and referral.appointment_at <= now - CLOSE_REMINDER_AFTER
    if referral.status == Status.ANSWERED:
        return "answered" in done and done["answered"] <= now - CLOSE_REMINDER_AFTER
    return False


def _take_step(referral: Referral, action: str) -> int:
    """Writes the step's event and e-mails; returns how many e-mails were queued."""
    if action == REMINDED:
        sent = _tell(referral, action, "referral_reminder", _recipient_side_emails(referral))
    elif action == ESCALATED:
        sent = _tell(referral, action, "referral_overdue", _recipient_side_emails(referral))
    elif action == ESCALATED_PRACTICE:
        sent = _tell(referral, action, "referral_escalated_practice", _practice_members_emails(referral))
    elif action == ESCALATED_COORDINATION:
        emails = _coordinator_emails(referral.territory_id) if referral.urgency == Urgency.URGENT else []
        context = {"overdue_path": OVERDUE_PAGE_PATH}
        sent = _tell(referral, action, "referral_escalated_coordination", emails, context)
    else:  # CLOSE_REMINDED
        context = {"appointment": _local(referral.appointment_at, "%d/%m/%Y")}
        sent = _tell(referral, action, "referral_close_reminder", _recipient_side_emails(referral), context)
    _record_step(referral, action)
    return sent


def deadline_candidates(now: datetime.datetime) -> QuerySet[Referral]:
    """Requests due for a step, in SQL, so that an hourly run reads only those: the reminder window has come;
    the target has passed and the next escalation step is due (never escalated, or the last step a step ago);
    or the request waits to be closed. ``_next_step`` decides for each one, on the locked row."""

    def without(action: str) -> Exists:
        return ~Exists(ReferralEvent.objects.filter(referral=OuterRef("pk"), action=action))

    delay = ExpressionWrapper(F("due_at") - F("sent_at"), output_field=DurationField())
    reminder_from = ExpressionWrapper(
        F("due_at") - ExpressionWrapper(delay / REMINDER_SHARE_LEFT, output_field=DurationField()),
        output_field=DateTimeField(),
    )
    step = Greatest(
        ExpressionWrapper(delay / ESCALATION_STEP_SHARE, output_field=DurationField()),
        Value(ESCALATION_STEP_MIN, output_field=DurationField()),
    )
    last_escalation = Subquery(
        ReferralEvent.objects.filter(referral=OuterRef("pk"), action__in=ESCALATION_ACTIONS)
        .order_by("-at")
        .values("at")[:1]
    )
    stale = now - CLOSE_REMINDER_AFTER
    answered_long_ago = Exists(ReferralEvent.objects.filter(referral=OuterRef("pk"), action="answered", at__lte=stale))
    return (
        Referral.objects.filter(sent_at__isnull=False, due_at__isnull=False)
        .annotate(
            reminder_from=reminder_from,
            last_escalation_at=last_escalation,
            next_escalation_at=ExpressionWrapper(F("last_escalation_at") + step, output_field=DateTimeField()),
        )
        .filter(
            Q(status__in=OPEN_STATUSES, due_at__gt=now, reminder_from__lte=now) & without(REMINDED)
            | Q(status__in=OPEN_STATUSES, due_at__lte=now)
            & (Q(last_escalation_at__isnull=True) | Q(next_escalation_at__lte=now))
            & without(ESCALATED_COORDINATION)
            | (Q(status=Status.ACCEPTED, appointment_at__lte=stale) | Q(answered_long_ago, status=Status.ANSWERED))
            & without(CLOSE_REMINDED)
        )
        .order_by("due_at")
    )


def deadline_reminders_send(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Takes every request one step further along the chain when it is due for one, and returns how many requests
    took each step. Safe to run as often as wanted: a step is taken once per request (its event), and at most
    one step per request and run, so that a request late for weeks is not told everything at once."""
    now = now or timezone.now()
    counts = dict.fromkeys((REMINDED, *ESCALATION_ACTIONS, CLOSE_REMINDED), 0)
    for referral_id in list(deadline_candidates(now).values_list("pk", flat=True)):
        with transaction.atomic():
            # The row lock is the claim: a second run waits here, then sees the event the first one wrote.
            referral = (
                Referral.objects.select_for_update(of=("self",)).select_related("sender", "pathway").get(pk=referral_id)
            )
            done: dict[str, datetime.datetime] = {}
            for action, at in referral.events.filter(
                action__in=(REMINDED, *ESCALATION_ACTIONS, CLOSE_REMINDED, "answered")
            ).values_list("action", "at"):
                done.setdefault(action, at)
            action = _next_step(referral, done, now)
            if action is not None:
                _take_step(referral, action)
                counts[action] += 1
    return counts


def with_last_escalation(referrals: QuerySet[Referral]) -> QuerySet[Referral]:
    """Annotates ``last_escalation``: the last step of the chain the request reached (an action name, or None)."""
    last = (
        ReferralEvent.objects.filter(referral=OuterRef("pk"), action__in=ESCALATION_ACTIONS)
        .order_by("-at", "-id")
        .values("action")[:1]
    )
    return referrals.annotate(last_escalation=Subquery(last))


def escalation_step_label(action: str | None) -> str:
    """What the coordinators read of a request's last escalation step."""
    labels = {
        ESCALATED: _("Cabinet relancé"),
        ESCALATED_PRACTICE: _("Tout le cabinet relancé"),
        ESCALATED_COORDINATION: _("Remontée à la coordination"),
    }
    return labels.get(action or "", _("Pas encore relancée"))


# --- Digests ------------------------------------------------------------------------------------------------------


def _recipient_label(referral: Referral) -> str:
    return str(referral.recipient_practitioner or referral.recipient_practice or referral.pathway)


def _digest_item(referral: Referral, now: datetime.datetime) -> dict:
    """One line of a digest: what the request is, from whom, for whom, by when; never the patient."""
    return {
        "kind": referral.get_kind_display(),
        "urgency": referral.get_urgency_display(),
        "status": referral.get_status_display(),
        "sender": str(referral.sender),
        "recipient": _recipient_label(referral),
        "due": _local(referral.due_at),
        "days_late": (now - referral.due_at).days if referral.due_at < now else 0,
        "path": request_path(referral),
    }


def _daily_digest_readers() -> QuerySet[User]:
    """Every secretary, and every professional for whom an open request waits: addressed to them, to a pathway
    they answer, to a practice where they work or to a pathway one of their practices answers."""
    waiting = Referral.objects.filter(status__in=OPEN_STATUSES)
    concerned = Q(practitioner__in=waiting.values("recipient_practitioner")) | Q(
        practitioner__activities__practice__in=waiting.values("recipient_practice")
    )
    concerned |= Q(practitioner__pathways__referrals__status__in=OPEN_STATUSES)
    concerned |= Q(practitioner__activities__practice__pathways__referrals__status__in=OPEN_STATUSES)
    # Replacing an absent colleague today: their requests are in the replacement's inbox.
    today = timezone.localdate()
    concerned |= Q(
        practitioner__replacements__in=Absence.objects.filter(
            starts_on__lte=today, ends_on__gte=today, practitioner__in=waiting.values("recipient_practitioner")
        )
    )
    professionals = RoleGrant.objects.filter(concerned, role=Role.PROFESSIONAL).values("user")
    secretaries = RoleGrant.objects.filter(role=Role.SECRETARY).values("user")
    return User.objects.filter(Q(pk__in=secretaries) | Q(pk__in=professionals), is_active=True).order_by("pk")


def _digest_requests_of(user: User) -> QuerySet[Referral]:
    """The open requests a reader's digest covers: those of their inbox (``referrals.scope``)."""
    handled = referrals_handled_by(user)
    return Referral.objects.filter(pk__in=handled.values("pk"), status__in=OPEN_STATUSES).select_related(
        "sender", "recipient_practitioner", "recipient_practice", "pathway"
    )


def _already_sent(idempotency_key: str) -> bool:
    return OutboundMessage.objects.filter(idempotency_key=idempotency_key).exists()


def daily_digests_send(*, now: datetime.datetime | None = None) -> int:
    """The morning e-mail of the recipient's side: how many requests are open, to acknowledge, waiting for the
    sender, late; and the lists of those to take in hand and of the late ones (at most ``DIGEST_MAX_ITEMS``
    each). Nothing is sent to a reader with nothing new and nothing late. One per reader and day (the outbox key
    holds the date): a second run the same day sends nothing. Returns how many digests were queued."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    sent = 0
    for reader in _daily_digest_readers().iterator():
        key = f"referral-daily-digest:{day.isoformat()}:{reader.pk}"
        if _already_sent(key):
            continue
        waiting = _digest_requests_of(reader)
        counts = waiting.aggregate(
            open=Count("pk"),
            new=Count("pk", filter=Q(status=Status.SENT, due_at__gte=now)),
            needs_info=Count("pk", filter=Q(status=Status.NEEDS_INFO)),
            late=Count("pk", filter=Q(due_at__lt=now)),
        )
        if not (counts["new"] or counts["late"]):
            continue
        to_acknowledge = waiting.filter(status=Status.SENT, due_at__gte=now).order_by("due_at", "pk")
        late = waiting.filter(due_at__lt=now).order_by("due_at", "pk")
        new_items = (
            [_digest_item(referral, now) for referral in to_acknowledge[:DIGEST_MAX_ITEMS]] if counts["new"] else []
        )
        late_items = [_digest_item(referral, now) for referral in late[:DIGEST_MAX_ITEMS]] if counts["late"] else []
        context = {
            "day": day.strftime("%d/%m/%Y"),
            "counts": counts,
            "new": new_items,
            "late": late_items,
            "more_new": counts["new"] - len(new_items),
            "more_late": counts["late"] - len(late_items),
        }
        with transaction.atomic():
            sent += _enqueue_email(
                recipient=reader.email, template="referral_daily_digest", context=context, idempotency_key=key
            )
    return sent


def _recipient_groups(rows: list[dict]) -> tuple[dict[int, str], dict[int, str], dict[int, str]]:
    """For late requests (``values()`` rows): the practice and the specialty each recipient practitioner is
    counted under (their first, by name), and the specialty of each practice addressed (the one its
    practitioners share, if they share one). Three queries whatever the number of requests."""
    practitioner_ids = {row["recipient_practitioner_id"] for row in rows if row["recipient_practitioner_id"]}
    practice_ids = {row["recipient_practice_id"] for row in rows if row["recipient_practice_id"]}
    practice_of: dict[int, str] = {}
    for practitioner_id, name in (
        Activity.objects.filter(practitioner_id__in=practitioner_ids)
        .order_by("practitioner_id", "practice__name")
        .values_list("practitioner_id", "practice__name")
    ):
        practice_of.setdefault(practitioner_id, name)
    specialty_of: dict[int, str] = {}
    for practitioner_id, label in (
        Practitioner.specialties.through.objects.filter(practitioner_id__in=practitioner_ids)
        .order_by("practitioner_id", "specialty__label")
        .values_list("practitioner_id", "specialty__label")
    ):
        specialty_of.setdefault(practitioner_id, label)
    labels_at: dict[int, set[str]] = {}
    for practice_id, label in (
        Activity.objects.filter(practice_id__in=practice_ids, practitioner__specialties__isnull=False)
        .values_list("practice_id", "practitioner__specialties__label")
        .distinct()
    ):
        labels_at.setdefault(practice_id, set()).add(label)
    practice_specialty = {
        practice_id: labels.pop() if len(labels) == 1 else _("Plusieurs spécialités")
        for practice_id, labels in labels_at.items()
    }
    return practice_of, specialty_of, practice_specialty


def _counted(counter: Counter) -> list[dict]:
    return [{"label": label, "count": count} for label, count in sorted(counter.items(), key=lambda i: (-i[1], i[0]))]


def territory_overdue_summary(territory_id: int, *, now: datetime.datetime) -> dict:
    """The late requests of a territory counted by practice and by specialty, and the escalations of the last
    seven days: figures only, no request is named."""
    rows = list(
        Referral.objects.filter(territory_id=territory_id, status__in=OPEN_STATUSES, due_at__lt=now).values(
            "recipient_practitioner_id",
            "recipient_practitioner__first_name",
            "recipient_practitioner__last_name",
            "recipient_practice_id",
            "recipient_practice__name",
            "pathway__name",
        )
    )
    practice_of, specialty_of, practice_specialty = _recipient_groups(rows)
    by_practice, by_specialty = Counter(), Counter()
    for row in rows:
        if row["pathway__name"]:
            label = _("Parcours « %(name)s »") % {"name": row["pathway__name"]}
            by_practice[label] += 1
            by_specialty[label] += 1
        elif row["recipient_practice_id"]:
            by_practice[row["recipient_practice__name"]] += 1
            by_specialty[practice_specialty.get(row["recipient_practice_id"], _("Spécialité non précisée"))] += 1
        else:
            practitioner_id = row["recipient_practitioner_id"]
            name = f"{row['recipient_practitioner__first_name']} {row['recipient_practitioner__last_name']}"
            by_practice[practice_of.get(practitioner_id, name)] += 1
            by_specialty[specialty_of.get(practitioner_id, _("Spécialité non précisée"))] += 1
    week_events = ReferralEvent.objects.filter(
        referral__territory_id=territory_id, at__gte=now - datetime.timedelta(days=WEEKLY_DIGEST_DAYS)
    )
    return {
        "overdue": len(rows),
        "by_practice": _counted(by_practice),
        "by_specialty": _counted(by_specialty),
        "escalated_coordination": week_events.filter(action=ESCALATED_COORDINATION).count(),
        "escalated_practice": week_events.filter(action=ESCALATED_PRACTICE).count(),
    }


def weekly_coordinator_digests_send(*, now: datetime.datetime | None = None) -> int:
    """Monday's e-mail to each coordinator of a territory: its late requests by practice and by specialty, the
    escalations of the week, the link to the overdue page. Not sent for a territory with nothing late and no
    escalation. One per coordinator, territory and ISO week (the outbox key holds the week). Returns how many
    digests were queued."""
    now = now or timezone.now()
    year, week, _weekday = timezone.localdate(now).isocalendar()
    grants = (
        RoleGrant.objects.filter(role=Role.COORDINATOR, user__is_active=True, territory__isnull=False)
        .select_related("user", "territory")
        .order_by("territory_id", "user_id")
    )
    readers_by_territory: dict = {}
    for grant in grants:
        readers_by_territory.setdefault(grant.territory, []).append(grant.user)
    sent = 0
    for territory, readers in readers_by_territory.items():
        keys = {reader: f"referral-weekly-digest:{year}-W{week:02d}:{territory.pk}:{reader.pk}" for reader in readers}
        waiting = {reader: key for reader, key in keys.items() if not _already_sent(key)}
        if not waiting:
            continue
        summary = territory_overdue_summary(territory.pk, now=now)
        if not (summary["overdue"] or summary["escalated_coordination"] or summary["escalated_practice"]):
            continue
        context = {**summary, "territory": territory.name, "week": week, "year": year, "path": OVERDUE_PAGE_PATH}
        with transaction.atomic():
            for reader, key in waiting.items():
                sent += _enqueue_email(
                    recipient=reader.email,
                    template="referral_weekly_digest",
                    context=context,
                    idempotency_key=key,
                    territory_id=territory.pk,
                )
    return sent

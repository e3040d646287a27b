"""Deadlines that someone owns: reminders before a request's target date, escalation after it."""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Role
from directory.models import Activity, RoleGrant
from notifications.models import OutboundMessage
from notifications.services import message_enqueue
from referrals.models import Referral, ReferralEvent

Status = Referral.Status

OPEN_STATUSES = (Status.SENT, Status.ACKNOWLEDGED, Status.NEEDS_INFO)
# The reminder goes when a quarter of the target delay is left (12 h for an urgent request, a week for a
# routine one); the escalation when the target date has passed.
REMINDER_SHARE_LEFT = 4


def _recipient_side_emails(referral: Referral) -> list[str]:
    """The accounts that work the request: the recipient practitioner's own, the secretaries of the practices
    concerned (the one addressed, those where the recipient practitioner works, a pathway's responding ones)."""
    practitioner_ids = [pk for pk in (referral.recipient_practitioner_id,) if pk]
    if referral.pathway_id:
        practitioner_ids += list(referral.pathway.responder_practitioners.values_list("pk", flat=True))
    practice_ids = [referral.recipient_practice_id] if referral.recipient_practice_id else []
    practice_ids += list(
        Activity.objects.filter(practitioner_id__in=practitioner_ids).values_list("practice", flat=True)
    )
    if referral.pathway_id:
        practice_ids += list(referral.pathway.responder_practices.values_list("pk", flat=True))
    grants = RoleGrant.objects.filter(
        Q(role=Role.PROFESSIONAL, practitioner_id__in=practitioner_ids)
        | Q(role=Role.SECRETARY, practices__in=practice_ids)
    )
    return sorted(set(grants.values_list("user__email", flat=True)))


def _deadline_message(referral: Referral, template: str, action: str) -> int:
    """One e-mail per account of the recipient's side and one timeline event, once per request and kind.
    The e-mail names no patient: it only says that a request waits, and where."""
    if referral.events.filter(action=action).exists():
        return 0
    context = {
        "kind": referral.get_kind_display(),
        "urgency": referral.get_urgency_display(),
        "sender": str(referral.sender),
        "due": timezone.localtime(referral.due_at).strftime("%d/%m/%Y %H:%M"),
    }
    sent = 0
    for email in _recipient_side_emails(referral):
        message_enqueue(
            channel=OutboundMessage.Channel.EMAIL,
            recipient=email,
            template=template,
            context=context,
            idempotency_key=f"{action}:{referral.public_id}:{email}",
        )
        sent += 1
    ReferralEvent.objects.create(
        referral=referral,
        actor=None,
        actor_label=_("Portail (rappel automatique)"),
        action=action,
        from_status=referral.status,
        to_status=referral.status,
    )
    return sent


def deadline_reminders_send(*, now=None) -> dict[str, int]:
    """Reminds the recipient's side of open requests near their target date, and escalates those past it.
    Safe to run as often as wanted: each request gets one reminder and one escalation at most."""
    now = now or timezone.now()
    counts = {"reminded": 0, "escalated": 0}
    open_requests = (
        Referral.objects.filter(status__in=OPEN_STATUSES, due_at__isnull=False, sent_at__isnull=False)
        .exclude(events__action="escalated")
        .select_related("sender", "pathway")
        .distinct()
    )
    for referral in open_requests.iterator():
        with transaction.atomic():
            if referral.due_at <= now:
                counts["escalated"] += bool(_deadline_message(referral, "referral_overdue", "escalated"))
            elif referral.due_at - now <= (referral.due_at - referral.sent_at) / REMINDER_SHARE_LEFT:
                counts["reminded"] += bool(_deadline_message(referral, "referral_reminder", "reminded"))
    return counts

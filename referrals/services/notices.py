"""The recipient's side hears of a new request when it arrives (sent, or forwarded to a new recipient): an urgent
request is e-mailed at once to everyone who works it (``referrals.scope.recipient_side``: the practitioner
addressed, the secretaries of their practices…); another one as each practice chooses (``NewRequestNotices``): an
e-mail at each new request, or only the morning digest (``deadlines.daily_digests_send``), which is the default.

The e-mail names no patient and carries no clinical text: the kind, the urgency, the sender's name, the target
date and the link to the request, as the reminders do. Outbox keys hold the request, its recipient and the
reader, so a retried service writes one row and a request forwarded to someone new is news to them."""

import logging

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Role
from core.errors import ApplicationError
from directory.models import Practice
from notifications.models import OutboundMessage
from notifications.services import message_enqueue
from referrals.models import NewRequestNotices, Referral, Urgency
from referrals.permissions import can_set_new_request_notices
from referrals.scope import recipient_side
from referrals.services.deadlines import request_path

logger = logging.getLogger(__name__)

When = NewRequestNotices.When

NOTICES_PAGE_PATH = "/demandes/reception/notifications/"


def _recipient_key(referral: Referral) -> str:
    if referral.recipient_practitioner_id:
        return f"practitioner-{referral.recipient_practitioner_id}"
    if referral.recipient_practice_id:
        return f"practice-{referral.recipient_practice_id}"
    return f"pathway-{referral.pathway_id}"


def _readers(referral: Referral) -> QuerySet[User]:
    """The active accounts of the recipient's side to tell now: all of them for an urgent request; otherwise
    those of a practice that chose an e-mail at each request (its secretaries; the practitioners on the side
    who work there)."""
    side = recipient_side(referral)
    readers = side.users().filter(is_active=True).exclude(email="")
    if referral.urgency == Urgency.URGENT:
        return readers
    each = list(
        NewRequestNotices.objects.filter(practice__in=side.practice_ids, when=When.EACH_REQUEST).values_list(
            "practice_id", flat=True
        )
    )
    if not each:
        return readers.none()
    chose_each = Q(role_grants__role=Role.SECRETARY, role_grants__practices__in=each) | Q(
        role_grants__role=Role.PROFESSIONAL,
        role_grants__practitioner__in=side.practitioner_ids,
        role_grants__practitioner__activities__practice__in=each,
    )
    return readers.filter(pk__in=User.objects.filter(chose_each).values("pk"))


def _notice_context(referral: Referral, *, forwarded: bool) -> dict:
    """What the e-mail says of the request: what the reminders say (never the patient, never clinical text)."""
    return {
        "kind": referral.get_kind_display(),
        "urgency": referral.get_urgency_display(),
        "urgent": referral.urgency == Urgency.URGENT,
        "sender": str(referral.sender),
        "due": timezone.localtime(referral.due_at).strftime("%d/%m/%Y %H:%M") if referral.due_at else "",
        "path": request_path(referral),
        "forwarded": forwarded,
        "settings_path": NOTICES_PAGE_PATH,
    }


def new_request_notices_send(*, referral: Referral, acting_user: User | None = None, forwarded: bool = False) -> int:
    """E-mails the recipient's side of a request that just reached it, in the caller's transaction (the outbox
    rows commit with the request). Nobody is told of their own act: not the sender, not who forwarded it.
    Returns how many e-mails were queued."""
    excluded = {pk for pk in (referral.sender_user_id, getattr(acting_user, "pk", None)) if pk}
    context = _notice_context(referral, forwarded=forwarded)
    recipient = _recipient_key(referral)
    sent = 0
    for reader in _readers(referral).exclude(pk__in=excluded).order_by("pk"):
        key = f"referral-new:{referral.public_id}:{recipient}:{reader.pk}"
        try:
            message_enqueue(
                channel=OutboundMessage.Channel.EMAIL,
                recipient=reader.email,
                template="referral_new_request",
                context=context,
                idempotency_key=key,
                territory_id=referral.territory_id,
            )
        except ApplicationError:  # one account's bad address must not keep the request from being sent
            logger.warning("New-request e-mail %s not queued: address refused", key)
            continue
        sent += 1
    return sent


# --- Each practice's choice (read by referrals.selectors.notices_choice_of) -----------------------------------


@transaction.atomic
def new_request_notices_set(*, acting_user: User, practice: Practice, when: str) -> NewRequestNotices:
    """A secretary, a practitioner of the practice or a coordinator of its territory sets how its members hear
    of new requests that are not urgent. Whoever may not change it gets "not found"."""
    if not can_set_new_request_notices(acting_user, practice):
        raise ApplicationError(_("Ce cabinet n'existe pas ou ne vous est pas accessible."), code="not_found")
    if when not in When.values:
        raise ApplicationError(_("Choisissez quand être prévenu des nouvelles demandes."), field="when")
    notices, _created = NewRequestNotices.objects.update_or_create(
        practice=practice, defaults={"when": when, "updated_by": acting_user}
    )
    return notices

"""Reads of the outbox for the coordinators' page, scoped to the territories they coordinate.

A row belongs to the territory its caller named (``territory_id``). A row without one (mail written by Django
itself, such as allauth's password reset, and account invitations) belongs to the territories where its
recipient's account holds a role; one to an account without any role yet (just invited) is shown to every
coordinator, as the accounts page lists such accounts to all of them; one to an address that is no account's
is shown to nobody here (the technical admin lists every row).
"""

import phonenumbers
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Lower
from django.http import HttpRequest

from accounts.models import AccessLog, User
from accounts.permissions import can_see_outbox_failures
from accounts.selectors import accounts_of_territories, territory_ids_coordinated_by
from accounts.services import access_log_record_many
from notifications.models import OutboundMessage

MASK = "••"


def outbox_scope_of(user) -> Q:
    """The outbox rows ``user`` may see and send again, as a filter (nothing for a non-coordinator)."""
    territory_ids = territory_ids_coordinated_by(user)
    if not territory_ids:
        return Q(pk__in=[])
    recipient_account = User.objects.filter(email=Lower(OuterRef("recipient"))).filter(
        Q(pk__in=accounts_of_territories(territory_ids).values("pk")) | Q(role_grants__isnull=True, is_superuser=False)
    )
    return Q(territory_id__in=territory_ids) | Q(
        Exists(recipient_account),
        territory_id__isnull=True,
        recipient_kind=OutboundMessage.RecipientKind.PROFESSIONAL,
    )


def failed_messages_for(user) -> QuerySet[OutboundMessage]:
    if not can_see_outbox_failures(user):
        raise PermissionDenied
    return OutboundMessage.objects.filter(outbox_scope_of(user), status=OutboundMessage.Status.FAILED).order_by(
        "-updated_at"
    )


def masked_recipient(message: OutboundMessage) -> str:
    """The recipient as the outbox page shows it: a patient's address or number keeps only enough to recognise
    it when the patient calls (``j•••@…``, ``06 •• •• •• 12``)."""
    if message.recipient_kind != OutboundMessage.RecipientKind.PATIENT:
        return message.recipient
    if message.channel == OutboundMessage.Channel.EMAIL:
        return f"{message.recipient[:1]}•••@…"
    try:
        groups = phonenumbers.format_number(
            phonenumbers.parse(message.recipient, "FR"), phonenumbers.PhoneNumberFormat.NATIONAL
        ).split()
    except phonenumbers.NumberParseException:
        groups = []
    if len(groups) < 3:
        return f"{MASK} {message.recipient[-2:]}"
    return " ".join([groups[0], *[MASK] * (len(groups) - 2), groups[-1]])


def failed_messages_page(*, user, page_number, request: HttpRequest) -> Page:
    """One page of the failed messages ``user`` may see, recipients masked as above (``recipient_shown``); the
    messages to patients shown are recorded in the access log."""
    page = Paginator(failed_messages_for(user), 50).get_page(page_number)
    for message in page:
        message.recipient_shown = masked_recipient(message)
    to_patients = [m for m in page if m.recipient_kind == OutboundMessage.RecipientKind.PATIENT]
    if to_patients:
        access_log_record_many(
            user=user,
            action=AccessLog.Action.READ,
            subject_type="outbound_message",
            subjects=[(str(message.public_id), "") for message in to_patients],
            request=request,
        )
    return page


def outbox_counts_for(user) -> dict[str, int]:
    if not can_see_outbox_failures(user):
        raise PermissionDenied
    counts = dict(
        OutboundMessage.objects.filter(outbox_scope_of(user))
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return {status: counts.get(status, 0) for status in OutboundMessage.Status.values}

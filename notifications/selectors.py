from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet

from accounts.permissions import can_see_outbox_failures
from notifications.models import OutboundMessage


def failed_messages_for(user) -> QuerySet[OutboundMessage]:
    if not can_see_outbox_failures(user):
        raise PermissionDenied
    return OutboundMessage.objects.filter(status=OutboundMessage.Status.FAILED).order_by("-updated_at")


def outbox_counts_for(user) -> dict[str, int]:
    if not can_see_outbox_failures(user):
        raise PermissionDenied
    counts = dict(OutboundMessage.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    return {status: counts.get(status, 0) for status in OutboundMessage.Status.values}

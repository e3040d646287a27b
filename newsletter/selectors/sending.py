"""Reads of a send: its progress (live from the outbox rows), its deliveries, bounces and unsubscribes, for the
coordinator of the issue's territory (the selectors take an issue the caller got from ``issue_for_coordinator``)."""

from dataclasses import dataclass

from django.db import connection
from django.db.models import QuerySet

from newsletter.models import Bounce, Delivery, Issue, SubscriptionConsent
from notifications.models import OutboundMessage


@dataclass(frozen=True)
class Progress:
    total: int
    sent: int
    failed: int
    pending: int
    skipped: int

    @property
    def percent(self) -> int:
        return round(100 * (self.sent + self.failed) / self.total) if self.total else 0

    def as_dict(self) -> dict[str, int]:
        return {"total": self.total, "sent": self.sent, "failed": self.failed, "pending": self.pending}


def issue_progress(issue: Issue) -> Progress:
    """One query: each delivery counted by its outbox row's status when it has one (a retry, a failure the outbox
    has recorded and the delivery not yet), else by its own. ``total`` leaves out the subscribers who left before
    their turn (``skipped``)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COALESCE(CASE WHEN o.status = 'sending' THEN 'pending' ELSE o.status END, d.status) AS state, "  # noqa: S608 (our tables)
            f"count(*) FROM {Delivery._meta.db_table} d LEFT JOIN {OutboundMessage._meta.db_table} o "
            "ON o.id = d.message_id WHERE d.issue_id = %s GROUP BY 1",
            [issue.pk],
        )
        counts = dict(cursor.fetchall())
    sent, failed = counts.get("sent", 0), counts.get("failed", 0)
    pending, skipped = counts.get("pending", 0), counts.get("skipped", 0)
    return Progress(total=sent + failed + pending, sent=sent, failed=failed, pending=pending, skipped=skipped)


def issue_deliveries(issue: Issue, *, state: str = "") -> QuerySet[Delivery]:
    """The issue's deliveries, failures first, with the subscriber's address (the coordinator manages them)."""
    deliveries = (
        Delivery.objects.filter(issue=issue)
        .select_related("subscriber")
        .only("status", "sent_at", "error", "message_id", "subscriber__email", "subscriber__hard_bounced_at")
    )
    if state in Delivery.Status.values:
        deliveries = deliveries.filter(status=state)
    return deliveries.order_by("status", "pk")


def issue_bounces(issue: Issue) -> QuerySet[Bounce]:
    return Bounce.objects.filter(delivery__issue=issue).select_related("subscriber").order_by("-at")


def issue_unsubscribes(issue: Issue) -> QuerySet[SubscriptionConsent]:
    """Consents withdrawn by the issue's subscribers since it started to leave."""
    if issue.sending_started_at is None:
        return SubscriptionConsent.objects.none()
    return (
        SubscriptionConsent.objects.filter(
            action=SubscriptionConsent.Action.WITHDRAWN,
            at__gte=issue.sending_started_at,
            subscriber__deliveries__issue=issue,
        )
        .select_related("subscriber")
        .order_by("-at")
    )

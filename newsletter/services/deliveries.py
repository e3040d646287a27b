"""Deliveries kept in step with their outbox rows: used by the sending and by an erasure (which deletes the rows
and keeps the counts)."""

from django.db import connection
from django.utils import timezone

from newsletter.models import Bounce, Delivery, Issue, Subscriber
from notifications.models import OutboundMessage


def deliveries_sync(
    issue: Issue | None = None, *, subscriber: Subscriber | None = None, message_ids: list[int] | None = None
) -> int:
    """Brings deliveries in step with their outbox rows (sent, failed, sent after a retry) and records a hard
    bounce for each address the server refused for good. Returns the number of deliveries changed."""
    delivery_table = Delivery._meta.db_table
    outbox_table = OutboundMessage._meta.db_table
    where, params = [], []
    if issue is not None:
        where.append("d.issue_id = %s")
        params.append(issue.pk)
    if subscriber is not None:
        where.append("d.subscriber_id = %s")
        params.append(subscriber.pk)
    if message_ids is not None:
        if not message_ids:
            return 0
        where.append("d.message_id = ANY(%s)")
        params.append(list(message_ids))
    scope = " AND ".join(where) or "TRUE"
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {delivery_table} d SET status = o.status, sent_at = o.sent_at, "  # noqa: S608 (our tables)
            f"error = left(o.last_error, 500) FROM {outbox_table} o "
            f"WHERE d.message_id = o.id AND o.status IN ('sent', 'failed') AND d.status <> o.status AND {scope} "
            "RETURNING d.id, d.subscriber_id, o.recipient_refused, o.last_error",
            params,
        )
        changed = cursor.fetchall()
    refused = [(delivery_id, subscriber_id, error) for delivery_id, subscriber_id, flag, error in changed if flag]
    if refused:
        now = timezone.now()
        Bounce.objects.bulk_create(
            Bounce(subscriber_id=subscriber_id, delivery_id=delivery_id, kind=Bounce.Kind.HARD, detail=error[:500])
            for delivery_id, subscriber_id, error in refused
        )
        Subscriber.objects.filter(
            pk__in=[subscriber_id for _d, subscriber_id, _e in refused], hard_bounced_at__isnull=True
        ).update(hard_bounced_at=now)
    return len(changed)

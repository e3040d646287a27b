"""How fast the outbox writes and delivers, on this machine's PostgreSQL (``manage.py benchmark notifications``).

Everything runs in one transaction that is rolled back: the measured database keeps nothing. Delivery goes
to Django's in-memory backend, so the figure is the portal's own cost per message, without the SMTP server's.
"""

import time
import uuid

from django.db import transaction
from django.test.utils import override_settings

from core.benchmarks import at_least, figure
from notifications.models import OutboundMessage
from notifications.services import message_deliver, message_enqueue

MESSAGES = 500


class _Rollback(Exception):
    pass


def run():
    figures = []
    try:
        with (
            transaction.atomic(),
            override_settings(OUTBOX_EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"),
        ):
            run_id = uuid.uuid4()
            started = time.perf_counter()
            for number in range(MESSAGES):
                message_enqueue(
                    channel=OutboundMessage.Channel.EMAIL,
                    recipient=f"bench{number}@cpts.test",
                    template="delivery_check",
                    context={"requested_by": "benchmark@cpts.test", "requested_at": "2026-01-01T00:00:00Z"},
                    idempotency_key=f"benchmark:{run_id}:{number}",
                )
            enqueue_seconds = time.perf_counter() - started
            ids = list(
                OutboundMessage.objects.filter(idempotency_key__startswith=f"benchmark:{run_id}:").values_list(
                    "pk", flat=True
                )
            )
            started = time.perf_counter()
            for message_id in ids:
                message_deliver(message_id=message_id)
            deliver_seconds = time.perf_counter() - started
            figures.append(figure("outbox_enqueue_rate", MESSAGES / enqueue_seconds, "messages/s", at_least(200)))
            figures.append(figure("outbox_delivery_rate", len(ids) / deliver_seconds, "messages/s", at_least(100)))
            raise _Rollback
    except _Rollback:
        pass
    return figures

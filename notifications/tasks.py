"""Thin Celery tasks over the outbox services; safe to run twice (the row is claimed before sending)."""

from celery import shared_task

from notifications.services import DeliveryDeferred, message_deliver, outbox_sweep


@shared_task(bind=True, acks_late=True, max_retries=None)
def deliver_message(self, message_id: int) -> str:
    # The number of attempts is counted on the row (OUTBOX_MAX_ATTEMPTS), not by Celery.
    try:
        return message_deliver(message_id=message_id)
    except DeliveryDeferred as deferred:
        raise self.retry(countdown=deferred.countdown) from None


@shared_task(acks_late=True)
def sweep_outbox() -> dict:
    return outbox_sweep()

"""Celery tasks of the directory: thin wrappers over its services, safe to run twice."""

from celery import shared_task

from directory.services.upkeep import confirmation_requests_send


@shared_task(acks_late=True)
def send_confirmation_requests() -> int:
    """Asks the owners of entries unconfirmed for six months whether they are still right (see the service)."""
    return confirmation_requests_send()

"""Celery tasks of the waiting list: thin wrappers over the services, safe to run twice (each service claims its
work with a conditional update and keys its outbox rows). Their schedules are in ``CELERY_BEAT_SCHEDULE``."""

from celery import shared_task

from waitlist.services.retention import reconfirmations_send


@shared_task(acks_late=True)
def send_reconfirmations() -> dict[str, int]:
    """The six-monthly "toujours sans médecin traitant ?", its two reminders, then inactive (see
    ``waitlist.services.retention``)."""
    return reconfirmations_send()

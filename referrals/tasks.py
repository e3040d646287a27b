"""Celery tasks of the referrals: thin wrappers over the services, safe to run twice."""

from celery import shared_task

from referrals.services.deadlines import deadline_reminders_send


@shared_task(acks_late=True)
def send_deadline_reminders() -> dict[str, int]:
    """Reminders before the target date and escalations after it (see ``deadline_reminders_send``)."""
    return deadline_reminders_send()

"""Celery tasks of the referrals: thin wrappers over the services, safe to run twice (each service keeps its own
idempotency record: timeline events for the deadlines, outbox keys per day or week for the digests, a full
replacement for the statistics). Their schedules are in ``CELERY_BEAT_SCHEDULE`` (settings)."""

from celery import shared_task

from referrals.services.deadlines import daily_digests_send, deadline_reminders_send, weekly_coordinator_digests_send
from referrals.services.statistics import response_statistics_compute


@shared_task(acks_late=True)
def send_deadline_reminders() -> dict[str, int]:
    """Reminders before the target date, the escalation chain after it, the reminders to close (see
    ``deadline_reminders_send``)."""
    return deadline_reminders_send()


@shared_task(acks_late=True)
def send_daily_digests() -> int:
    """The morning digest of each secretary and each professional with requests waiting."""
    return daily_digests_send()


@shared_task(acks_late=True)
def send_weekly_coordinator_digests() -> int:
    """The weekly digest of the late requests of each territory, to its coordinators."""
    return weekly_coordinator_digests_send()


@shared_task(acks_late=True)
def compute_response_statistics() -> dict[str, int]:
    """The measured response delays of the last 6 months, written to the directory."""
    return response_statistics_compute()

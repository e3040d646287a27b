"""Celery wrappers over the SNP services; each is safe to run twice (see the services)."""

from celery import shared_task

from snp.services import patterns_expand_all, recall_digests_send, reminders_send


@shared_task(acks_late=True)
def expand_patterns() -> int:
    return patterns_expand_all()


@shared_task(acks_late=True)
def send_reminders() -> int:
    return reminders_send()


@shared_task(acks_late=True)
def send_recall_digests() -> int:
    """The coordinators' morning e-mail of the patients to call back (see ``recall_digests_send``)."""
    return recall_digests_send()

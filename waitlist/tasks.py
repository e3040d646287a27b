"""Celery tasks of the waiting list: thin wrappers over the services, safe to run twice (each service claims its
work with a conditional update and keys its outbox rows). Their schedules are in ``CELERY_BEAT_SCHEDULE``."""

from celery import shared_task

from waitlist.services.pledges import proposals_expire
from waitlist.services.retention import reconfirmations_send


@shared_task(acks_late=True)
def send_reconfirmations() -> dict[str, int]:
    """The six-monthly "toujours sans médecin traitant ?", its two reminders, then inactive (see
    ``waitlist.services.retention``)."""
    return reconfirmations_send()


@shared_task(acks_late=True)
def recompute_levels(waiting_list_id: int, version: int) -> int:
    """The levels of a large list's waiting entries after its rules changed (``rules_version_recompute``)."""
    from waitlist.services.coordination import rules_version_recompute

    return rules_version_recompute(waiting_list_id=waiting_list_id, version=version)


@shared_task(acks_late=True)
def expire_proposals() -> int:
    """Proposals a GP left unanswered for ``PROPOSAL_TIMEOUT_DAYS`` go back to the queue (``proposals_expire``)."""
    return proposals_expire()

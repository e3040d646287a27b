"""Celery wrappers over the waiting-list services; each is safe to run twice (see the services)."""

from celery import shared_task

from waitlist.services.pledges import proposals_expire


@shared_task(acks_late=True)
def expire_proposals() -> int:
    """Proposals a GP left unanswered for ``PROPOSAL_TIMEOUT_DAYS`` go back to the queue (``proposals_expire``)."""
    return proposals_expire()

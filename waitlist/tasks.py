"""Celery wrappers over the waiting-list services; each is safe to run twice (see the services)."""

from celery import shared_task


@shared_task(acks_late=True)
def recompute_levels(waiting_list_id: int, version: int) -> int:
    """The levels of a large list's waiting entries after its rules changed (``rules_version_recompute``)."""
    from waitlist.services.coordination import rules_version_recompute

    return rules_version_recompute(waiting_list_id=waiting_list_id, version=version)

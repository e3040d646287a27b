"""Celery tasks of the newsletter: thin wrappers over the services, safe to run twice."""

from celery import shared_task


@shared_task(acks_late=True)
def subscribe_professional_accounts() -> int:
    """Every professional account receives the professional edition by default (an address that left it once
    stays out): see ``newsletter.services.subscriptions.account_subscription_ensure``."""
    from newsletter.services.subscriptions import professional_accounts_subscribe

    return professional_accounts_subscribe()


@shared_task(acks_late=True)
def send_issue_batch(issue_id: int, chain: str) -> dict:
    """One batch of an issue's send; the step queues the next one itself (see ``newsletter.services.sending``)."""
    from dataclasses import asdict

    from newsletter.services.sending import send_batch

    return asdict(send_batch(issue_id=issue_id, chain=chain))


@shared_task(acks_late=True)
def resume_sends(after_restart: bool = False) -> dict:
    """Every minute (and when a worker starts): scheduled issues that are due leave, dead sends go on."""
    from newsletter.services.sending import sends_resume

    return sends_resume(after_restart=after_restart)


@shared_task(acks_late=True)
def send_weekly_digests() -> dict:
    """Monday morning: last week's directory changes to the professionals who asked for them (once per week)."""
    from newsletter.services.digest import weekly_digests_send

    return weekly_digests_send()

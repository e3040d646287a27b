"""Celery tasks of the newsletter: thin wrappers over the services, safe to run twice."""

from celery import shared_task


@shared_task(acks_late=True)
def subscribe_professional_accounts() -> int:
    """Every professional account receives the professional edition by default (an address that left it once
    stays out): see ``newsletter.services.subscriptions.account_subscription_ensure``."""
    from newsletter.services.subscriptions import professional_accounts_subscribe

    return professional_accounts_subscribe()

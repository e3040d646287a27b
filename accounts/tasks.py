from celery import shared_task
from django.conf import settings

from accounts.services import access_log_purge


@shared_task(acks_late=True)
def purge_old_access_log() -> int:
    """Idempotent: deleting what is past the retention period twice deletes nothing more."""
    return access_log_purge(older_than_days=settings.ACCESS_LOG_RETENTION_DAYS)

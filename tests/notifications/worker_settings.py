"""Test only: the test settings with the slow e-mail backend, for the worker subprocesses of the kill test.

EMAIL_URL only knows real transports, so the slow backend is named here; the file backend under it still
writes to the directory of EMAIL_URL (``file://…``).
"""

from cpts_portal.settings_test import *  # noqa: F403
from cpts_portal.settings_test import CELERY_BROKER_TRANSPORT_OPTIONS

OUTBOX_EMAIL_BACKEND = "tests.notifications.slow_email_backend.SlowFileEmailBackend"

# kombu looks for unacknowledged tasks older than the visibility timeout when a worker starts, then every
# unacked_restore_interval x unacked_restore_throttle seconds (10 x 10 by default): a test cannot wait 100 s.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}

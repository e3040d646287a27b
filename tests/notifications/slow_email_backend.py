"""Test only: an SMTP server slow to acknowledge, as a file backend that writes the message, then waits.

The message has left (its file exists) but the send has not returned yet: a worker killed in that window
cannot know whether it was delivered. ``SLOW_EMAIL_BACKEND_SECONDS`` sets the wait (default 60).
"""

import logging
import os
import time

from django.core.mail.backends.filebased import EmailBackend as FileEmailBackend

logger = logging.getLogger(__name__)


class SlowFileEmailBackend(FileEmailBackend):
    def send_messages(self, email_messages):
        count = super().send_messages(email_messages)
        seconds = float(os.environ.get("SLOW_EMAIL_BACKEND_SECONDS", "60"))
        logger.warning("slow-email-backend: %s message(s) written, acknowledging in %s s", count, seconds)
        time.sleep(seconds)
        return count

from django.core.mail.backends.base import BaseEmailBackend


class RefusingEmailBackend(BaseEmailBackend):
    """An SMTP server that refuses every message."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("SMTP server refused the connection")


class SweptWhileSendingBackend(BaseEmailBackend):
    """An SMTP server so slow that the sweep gives up on the claim before the message leaves."""

    def send_messages(self, email_messages):
        from datetime import timedelta

        from notifications.services import outbox_sweep

        outbox_sweep(stale_claim=timedelta(seconds=-1))
        return len(email_messages)

"""Django's EMAIL_BACKEND for the whole portal: it writes outbox rows instead of sending.

Every e-mail sent through Django's mail API (allauth's verification and password-reset mails included)
therefore becomes an outbox row in the caller's transaction and is delivered by the Celery task through
the real backend configured by EMAIL_URL (``settings.OUTBOX_EMAIL_BACKEND``).
"""

import uuid

from django.core.mail.backends.base import BaseEmailBackend


class OutboxEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        from notifications.services import message_enqueue_rendered_email

        count = 0
        for message in email_messages:
            if message.attachments:
                raise ValueError("The outbox does not carry attachments: link to the document instead.")
            html = next(
                (body for body, mimetype in getattr(message, "alternatives", []) if mimetype == "text/html"),
                "",
            )
            text = message.body if message.content_subtype == "plain" else ""
            if message.content_subtype == "html":
                html = message.body
            for recipient in message.recipients():
                message_enqueue_rendered_email(
                    recipient=recipient,
                    subject=message.subject,
                    text=text,
                    html=html,
                    from_email=message.from_email,
                    reply_to=list(message.reply_to),
                    idempotency_key=f"django-mail:{uuid.uuid4()}",
                )
                count += 1
        return count

"""A real SMTP server on 127.0.0.1 (aiosmtpd, in a thread of this process) that counts what it receives per
recipient and can refuse addresses for good (``550 5.1.1``): the newsletter's sending tests and benchmark deliver
to it through Django's SMTP backend, as they would to a relay.

Needs the development dependencies (aiosmtpd); production never imports this module.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections import Counter
from email import message_from_bytes, policy
from email.message import EmailMessage

logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Handler:
    def __init__(self, sink: SmtpSink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.sink.refused:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.sink.lock:
            for recipient in envelope.rcpt_tos:
                self.sink.received[recipient.lower()] += 1
            if self.sink.keep_messages:
                self.sink.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


class SmtpSink:
    """``with SmtpSink() as sink:`` serves on ``sink.port``; ``sink.received`` counts messages per address.

    ``keep_messages=False`` (a benchmark of thousands) keeps the counts only.
    """

    def __init__(self, *, refused: set[str] | None = None, keep_messages: bool = True):
        self.refused = {address.lower() for address in refused or ()}
        self.keep_messages = keep_messages
        self.received: Counter[str] = Counter()
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()
        self.port = free_port()
        self._controller = None

    def __enter__(self) -> SmtpSink:
        from aiosmtpd.controller import Controller

        # No size limit: an issue with its images' links can be large.
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, data_size_limit=0)
        self._controller.start()
        return self

    def __exit__(self, *exc_info) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def email_url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def backend_settings(self) -> dict:
        """Settings that point Django's SMTP backend (the outbox's real backend) at this sink."""
        return {
            "OUTBOX_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": self.port,
            "EMAIL_USE_TLS": False,
            "EMAIL_USE_SSL": False,
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
            "EMAIL_TIMEOUT": 10,
        }

    def total(self) -> int:
        with self.lock:
            return sum(self.received.values())

    def duplicates(self) -> int:
        with self.lock:
            return sum(count - 1 for count in self.received.values() if count > 1)

"""Helpers of the subscribers' tests: the links the e-mails carry, read back from the outbox."""

import re
from html import unescape

from newsletter.models import Subscriber
from notifications.models import OutboundMessage
from notifications.services import message_render


def page_text(response) -> str:
    return unescape(response.content.decode())


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def confirmation_path(email: str) -> str:
    message = OutboundMessage.objects.filter(template="newsletter_confirm", recipient=email).latest("pk")
    text = message_render(message)["text"]
    return path_of(re.search(r"https?://\S+/lettre/abonnement/confirmer/\S+/", text).group(0))


def subscriber(email: str) -> Subscriber:
    return Subscriber.objects.get(email__iexact=email)

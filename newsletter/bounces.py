"""Reading a delivery status notification (RFC 3464, the "undeliverable" report a mail server sends back to the
envelope sender): which address failed, for good (5.x.x) or for now (4.x.x), and which of our messages it was (the
``X-CPTS-Message`` header every outbox e-mail carries, quoted in the report's returned headers).

A relay usually accepts every recipient and reports failures later by such a report: this is how most hard
bounces reach the portal (``manage.py record_bounces``, fed by the mail server's pipe or a mailbox export).
"""

from __future__ import annotations

import email
import email.policy
import re
import uuid
from dataclasses import dataclass
from email.message import Message

_STATUS = re.compile(r"^\s*([245])\.\d{1,3}\.\d{1,3}")


@dataclass(frozen=True)
class BounceReport:
    recipient: str
    hard: bool
    status: str
    diagnostic: str
    message_public_id: uuid.UUID | None


def _fields(block: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in block.replace("\r\n", "\n").split("\n"):
        if ":" in line and not line.startswith((" ", "\t")):
            name, _sep, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
        elif fields and line.strip():  # a folded line continues the last field
            last = next(reversed(fields))
            fields[last] = f"{fields[last]} {line.strip()}"
    return fields


def _recipient_blocks(part: Message) -> list[dict[str, str]]:
    """The per-recipient field groups of a message/delivery-status part (after the per-message group)."""
    payload = part.get_payload()
    if isinstance(payload, list):  # the email package parses the groups as header blocks
        blocks = [{name.lower(): str(value) for name, value in block.items()} for block in payload]
    else:
        text = payload if isinstance(payload, str) else (part.get_payload(decode=True) or b"").decode(errors="replace")
        blocks = [_fields(block) for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if block.strip()]
    return [block for block in blocks if "final-recipient" in block or "original-recipient" in block]


def _returned_message_id(report: Message) -> uuid.UUID | None:
    for part in report.walk():
        if part.get_content_type() not in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers"):
            continue
        if part.get_content_type() == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) else inner
            value = inner.get("X-CPTS-Message") if isinstance(inner, Message) else None
        else:
            raw = part.get_payload(decode=True) or str(part.get_payload()).encode()
            value = _fields(raw.decode(errors="replace")).get("x-cpts-message")
        if value:
            try:
                return uuid.UUID(str(value).strip())
            except ValueError:
                return None
    return None


def _address(value: str) -> str:
    # "rfc822; someone@example.org"
    return value.split(";", 1)[-1].strip().strip("<>").lower()


def read_bounce_report(raw: bytes) -> list[BounceReport]:
    """The failed recipients a report names (none if it is not a delivery status notification)."""
    report = email.message_from_bytes(raw, policy=email.policy.compat32)
    message_id = _returned_message_id(report)
    found = []
    for part in report.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        for block in _recipient_blocks(part):
            action = block.get("action", "").lower()
            status = block.get("status", "")
            match = _STATUS.match(status)
            if action not in ("failed", "delayed") or match is None or match.group(1) == "2":
                continue
            recipient = _address(block.get("final-recipient") or block.get("original-recipient", ""))
            if not recipient:
                continue
            found.append(
                BounceReport(
                    recipient=recipient,
                    hard=action == "failed" and match.group(1) == "5",
                    status=status.split()[0],
                    diagnostic=block.get("diagnostic-code", "")[:400],
                    message_public_id=message_id,
                )
            )
    return found

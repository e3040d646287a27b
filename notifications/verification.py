"""Codes that prove a phone number or an e-mail address belongs to the person typing it (no account): sent
through the outbox, kept as a keyed hash, valid for ``CODE_LIFETIME``, ``MAX_ATTEMPTS`` tries, used once; at most
``MAX_CODES_PER_HOUR`` codes an hour to one address, so the form cannot be used to flood someone's phone."""

import datetime
import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from notifications.models import OutboundMessage, VerificationCode
from notifications.services import message_enqueue

CODE_LIFETIME = datetime.timedelta(minutes=10)
MAX_ATTEMPTS = 5
MAX_CODES_PER_HOUR = 3
CODE_TEMPLATE = "verification_code"


def _hash(purpose: str, address: str, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{purpose}:{address}:{code}".encode(), hashlib.sha256).hexdigest()


@transaction.atomic
def verification_code_send(*, purpose: str, channel: str, address: str, territory_id: int | None = None) -> None:
    """Sends a new code to ``address`` (already normalised by the caller: E.164 or lower-cased e-mail)."""
    now = timezone.now()
    recent = VerificationCode.objects.filter(
        purpose=purpose, address=address, created_at__gte=now - datetime.timedelta(hours=1)
    ).count()
    if recent >= MAX_CODES_PER_HOUR:
        raise ApplicationError(
            _("Trop de codes envoyés à ce numéro ou à cette adresse : réessayez dans une heure."), code="throttled"
        )
    code = f"{secrets.randbelow(1_000_000):06d}"
    row = VerificationCode.objects.create(
        purpose=purpose, address=address, code_hash=_hash(purpose, address, code), expires_at=now + CODE_LIFETIME
    )
    message_enqueue(
        channel=channel,
        recipient=address,
        template=CODE_TEMPLATE,
        context={"code": code, "minutes": int(CODE_LIFETIME.total_seconds() // 60)},
        idempotency_key=f"{CODE_TEMPLATE}:{row.pk}",
        recipient_kind=OutboundMessage.RecipientKind.PATIENT,
        territory_id=territory_id,
    )


def verification_code_check(*, purpose: str, address: str, code: str) -> int:
    """The latest live code sent to ``address``, if ``code`` is it: returns its id for ``verification_code_consume``.
    A wrong code counts as a try; call this outside a transaction, so that the try stays counted when the caller's
    work is refused. Raises a French ApplicationError (field ``code``)."""
    row = (
        VerificationCode.objects.filter(purpose=purpose, address=address, used_at=None, expires_at__gt=timezone.now())
        .order_by("-created_at")
        .first()
    )
    if row is None:
        raise ApplicationError(_("Ce code a expiré ou a déjà servi : demandez-en un nouveau."), field="code")
    if row.attempts >= MAX_ATTEMPTS:
        raise ApplicationError(_("Trop d'essais avec ce code : demandez-en un nouveau."), field="code")
    typed = "".join(character for character in (code or "") if character.isdigit())
    if not hmac.compare_digest(row.code_hash, _hash(purpose, address, typed)):
        VerificationCode.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
        raise ApplicationError(_("Ce code n'est pas le bon : vérifiez le SMS reçu."), field="code")
    return row.pk


def verification_code_consume(code_id: int) -> None:
    """Marks the code used, in the caller's transaction (so a refused booking leaves it usable); a code used
    meanwhile by another request is refused."""
    used = VerificationCode.objects.filter(pk=code_id, used_at=None).update(used_at=timezone.now())
    if not used:
        raise ApplicationError(_("Ce code a expiré ou a déjà servi : demandez-en un nouveau."), field="code")

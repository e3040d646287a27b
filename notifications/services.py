"""Writing outbox rows, delivering them once, sweeping what was left behind."""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import smtplib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import validate_email
from django.db import transaction
from django.template import TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.permissions import can_see_outbox_failures
from accounts.selectors import territory_ids_coordinated_by
from core.errors import ApplicationError
from notifications.models import OutboundMessage
from notifications.selectors import outbox_scope_of
from notifications.sms import get_sms_backend

logger = logging.getLogger(__name__)

Channel = OutboundMessage.Channel
Status = OutboundMessage.Status

# Rows written by Django's mail API (allauth and others) arrive already rendered.
PRERENDERED_TEMPLATE = "_prerendered"
MAX_BACKOFF_SECONDS = 30 * 60


class DeliveryDeferred(Exception):
    """Delivery failed but will be tried again after ``countdown`` seconds."""

    def __init__(self, countdown: int):
        super().__init__(countdown)
        self.countdown = countdown


@dataclass(frozen=True)
class EmailAttachment:
    """A file joined to an e-mail. Kept on the outbox row in base64: the row is the message's only copy."""

    filename: str
    content: bytes
    mimetype: str

    def as_row(self) -> dict[str, str]:
        return {
            "filename": self.filename,
            "mimetype": self.mimetype,
            "content": base64.b64encode(self.content).decode("ascii"),
        }


def message_attachments(message: OutboundMessage) -> list[EmailAttachment]:
    """The files the e-mail carries, as delivered (what the tests read back)."""
    return [
        EmailAttachment(filename=row["filename"], content=base64.b64decode(row["content"]), mimetype=row["mimetype"])
        for row in message.attachments or []
    ]


# An app above the outbox (the newsletter) registers a renderer for its own template name: the row keeps ids and
# the renderer builds the e-mail at each delivery attempt, as a template would, with headers of its own
# (``List-Unsubscribe``). It returns ``{"subject", "text", "html", "headers"}``.
EmailRenderer = Callable[[OutboundMessage], dict]
_email_renderers: dict[str, EmailRenderer] = {}


def email_renderer_register(template: str, renderer: EmailRenderer) -> None:
    """Called from the app's ``AppConfig.ready``: rows of ``template`` are rendered by ``renderer``."""
    _email_renderers[template] = renderer


def _template_names(channel: str, template: str) -> dict[str, str]:
    if channel == Channel.EMAIL:
        base = f"notifications/email/{template}"
        return {
            "subject": f"{base}_subject.txt",
            "text": f"{base}_message.txt",
            "html": f"{base}_message.html",
        }
    return {"text": f"notifications/sms/{template}.txt"}


def _normalise_recipient(channel: str, recipient: str) -> str:
    recipient = (recipient or "").strip()
    if channel == Channel.EMAIL:
        try:
            validate_email(recipient)
        except ValidationError:
            raise ApplicationError(_("Adresse e-mail invalide : « %(value)s ».") % {"value": recipient}) from None
        return recipient
    try:
        number = phonenumbers.parse(recipient, "FR")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ApplicationError(_("Numéro de téléphone invalide : « %(value)s ».") % {"value": recipient})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# A broker that refuses connections costs a publish a fraction of a second; one that hangs (frozen, or behind a
# dead link) costs the broker's socket timeout. After such a slow failure this process stops publishing for a
# while: the rows stay pending and the sweep queues them, instead of each request waiting seconds per row.
SLOW_PUBLISH_FAILURE_SECONDS = 1.0
PUBLISH_PAUSE_SECONDS = 30.0
_publish_paused_until = 0.0


def _queue_delivery(message_id: int) -> None:
    """Hands the row to Celery. If Redis is down the row stays pending and the sweep queues it later."""
    global _publish_paused_until
    from notifications.tasks import deliver_message

    if time.monotonic() < _publish_paused_until:
        logger.info("Outbox message %s not queued: the broker hung a moment ago; the sweep will queue it", message_id)
        return
    started = time.monotonic()
    try:
        deliver_message.delay(message_id)
    except Exception:  # the broker is unreachable: nothing is lost, the row is in PostgreSQL
        logger.warning("Could not queue outbox message %s; the sweep will queue it", message_id, exc_info=True)
        if time.monotonic() - started > SLOW_PUBLISH_FAILURE_SECONDS:
            _publish_paused_until = time.monotonic() + PUBLISH_PAUSE_SECONDS


def _create(
    *,
    channel,
    recipient,
    template,
    context,
    idempotency_key,
    language,
    recipient_kind=None,
    territory_id=None,
    attachments=(),
) -> OutboundMessage:
    if not idempotency_key:
        raise ValueError("An idempotency key is required")
    message, created = OutboundMessage.objects.get_or_create(
        idempotency_key=idempotency_key,
        defaults={
            "channel": channel,
            "recipient": recipient,
            "template": template,
            "context": context,
            "language": language,
            "recipient_kind": recipient_kind or OutboundMessage.RecipientKind.PROFESSIONAL,
            "territory_id": territory_id,
            "attachments": list(attachments),
        },
    )
    if created:
        transaction.on_commit(lambda: _queue_delivery(message.pk))
    return message


def message_enqueue(
    *,
    channel: str,
    recipient: str,
    template: str,
    context: dict,
    idempotency_key: str,
    language: str = "fr",
    recipient_kind: str = OutboundMessage.RecipientKind.PROFESSIONAL,
    territory_id: int | None = None,
    attachments: Sequence[EmailAttachment] = (),
) -> OutboundMessage:
    """Writes one message in the caller's transaction; it is queued for delivery once that commits.

    The same ``idempotency_key`` twice gives back the first row: nothing is sent twice. ``territory_id`` (the
    directory territory the message is about) decides which coordinators see it on the outbox page;
    ``recipient_kind="patient"`` masks the address there. ``attachments`` (e-mail only) are kept on the row and
    joined to the e-mail at each delivery attempt.
    """
    if channel not in Channel.values:
        raise ValueError(f"Unknown channel {channel!r}")
    if attachments and channel != Channel.EMAIL:
        raise ValueError("Only an e-mail carries attachments")
    if recipient_kind not in OutboundMessage.RecipientKind.values:
        raise ValueError(f"Unknown recipient kind {recipient_kind!r}")
    recipient = _normalise_recipient(channel, recipient)
    registered = channel == Channel.EMAIL and template in _email_renderers
    for part, name in ({} if registered else _template_names(channel, template)).items():
        try:
            get_template(name)  # a missing template fails here, in the caller's test, not later in a worker
        except TemplateDoesNotExist:
            if part != "html":  # an e-mail may be plain text only
                raise
    json.dumps(context, cls=DjangoJSONEncoder)  # ids and values only, never model instances
    return _create(
        channel=channel,
        recipient=recipient,
        template=template,
        context=context,
        idempotency_key=idempotency_key,
        language=language,
        recipient_kind=recipient_kind,
        territory_id=territory_id,
        attachments=[attachment.as_row() for attachment in attachments],
    )


def message_enqueue_rendered_email(
    *,
    recipient: str,
    subject: str,
    text: str,
    html: str,
    from_email: str,
    reply_to: list[str],
    idempotency_key: str,
) -> OutboundMessage:
    """An e-mail already rendered by its sender (allauth, Django); it is delivered as it is."""
    return _create(
        channel=Channel.EMAIL,
        recipient=_normalise_recipient(Channel.EMAIL, recipient),
        template=PRERENDERED_TEMPLATE,
        context={
            "subject": subject,
            "text": text,
            "html": html,
            "from_email": from_email,
            "reply_to": reply_to,
        },
        idempotency_key=idempotency_key,
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )


def message_render(message: OutboundMessage) -> dict[str, str]:
    """The subject and bodies of a message as they are sent (what the tests and the admin read back)."""
    if message.template == PRERENDERED_TEMPLATE:
        return message.context
    if message.channel == Channel.EMAIL and message.template in _email_renderers:
        with translation.override(message.language):
            return _email_renderers[message.template](message)
    context = {**message.context, "site_url": settings.SITE_URL}
    rendered = {}
    with translation.override(message.language):
        for part, name in _template_names(message.channel, message.template).items():
            try:
                rendered[part] = render_to_string(name, context).strip()
            except TemplateDoesNotExist:
                if part != "html":
                    raise
    if "subject" in rendered:
        rendered["subject"] = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + " ".join(rendered["subject"].splitlines())
    return rendered


def _send(message: OutboundMessage, *, connection=None) -> None:
    rendered = message_render(message)
    if message.channel == Channel.SMS:
        get_sms_backend().send(to=message.recipient, text=rendered["text"])
        return
    email = EmailMultiAlternatives(
        subject=rendered["subject"],
        body=rendered.get("text") or "",
        from_email=rendered.get("from_email") or settings.DEFAULT_FROM_EMAIL,
        to=[message.recipient],
        reply_to=rendered.get("reply_to") or None,
        headers={"X-CPTS-Message": str(message.public_id), **(rendered.get("headers") or {})},
        connection=connection or get_connection(settings.OUTBOX_EMAIL_BACKEND),
    )
    if rendered.get("html"):
        email.attach_alternative(rendered["html"], "text/html")
    for attachment in message_attachments(message):
        email.attach(attachment.filename, attachment.content, attachment.mimetype)
    email.send(fail_silently=False)


def _backoff_seconds(attempts: int) -> int:
    return min(settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS)


def refused_for_good(error: Exception) -> bool:
    """The receiving server refused the address itself with a permanent (5xx) answer: trying again is useless."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return bool(error.recipients) and all(code >= 500 for code, _answer in error.recipients.values())
    return False


def _claim(message_id: int, *, sent_before: int | None = None) -> OutboundMessage | None:
    """pending -> sending in one statement that also reads the row: a second claim of the same row gets None.

    ``sent_before``: the message a batch just sent, marked sent in the same statement (one commit per message).
    """
    table = OutboundMessage._meta.db_table
    now = timezone.now()
    claim = (
        f"UPDATE {table} SET status = %s, claimed_at = %s, attempts = attempts + 1, updated_at = %s "  # noqa: S608 (the table name is ours)
        "WHERE id = %s AND status = %s RETURNING *"
    )
    params = [Status.SENDING, now, now, message_id, Status.PENDING]
    if sent_before is not None:
        # FAILED too, as in _mark_sent: having left, the message is sent.
        claim = (
            f"WITH sent AS (UPDATE {table} SET status = %s, sent_at = %s, last_error = '', updated_at = %s "  # noqa: S608 (the table name is ours)
            "WHERE id = %s AND status IN (%s, %s)) " + claim
        )
        params = [Status.SENT, now, now, sent_before, Status.SENDING, Status.FAILED, *params]
    claimed = list(OutboundMessage.objects.raw(claim, params))
    return claimed[0] if claimed else None


def _record_failure(message: OutboundMessage, error: Exception) -> str:
    """Back to pending with a backoff, or failed for good; returns ``refused``, ``failed`` or ``deferred``."""
    refused = refused_for_good(error)
    logger.warning("Outbox message %s failed (attempt %s): %s", message.pk, message.attempts, error)
    final = refused or message.attempts >= settings.OUTBOX_MAX_ATTEMPTS
    countdown = _backoff_seconds(message.attempts)
    OutboundMessage.objects.filter(pk=message.pk, status=Status.SENDING).update(
        status=Status.FAILED if final else Status.PENDING,
        recipient_refused=refused,
        last_error=f"{type(error).__name__}: {error}"[:2000],
        next_attempt_at=timezone.now() + timedelta(seconds=countdown),
        updated_at=timezone.now(),
    )
    if refused:
        return "refused"
    return "failed" if final else "deferred"


def _mark_sent(message_id: int) -> None:
    # FAILED too: a slow send may outlive the sweep's stale-claim limit; having left, the message is sent.
    OutboundMessage.objects.filter(pk=message_id, status__in=[Status.SENDING, Status.FAILED]).update(
        status=Status.SENT, sent_at=timezone.now(), last_error="", updated_at=timezone.now()
    )


def _deliver_claimed(message: OutboundMessage, *, connection=None) -> str:
    try:
        _send(message, connection=connection)
    except Exception as error:
        outcome = _record_failure(message, error)
        if outcome == "deferred":
            raise DeliveryDeferred(_backoff_seconds(message.attempts)) from error
        return outcome
    _mark_sent(message.pk)
    return "sent"


def message_deliver(*, message_id: int) -> str:
    """Sends one pending message at most once; returns ``sent``, ``failed``, ``refused`` or ``skipped``.

    The row is claimed with a conditional update (pending -> sending): a second worker, or the same task
    delivered again after its worker died, changes no row and sends nothing. Raises DeliveryDeferred when
    the send failed and attempts remain. An address the server refuses for good (5xx) is not tried again.
    """
    message = _claim(message_id)
    if message is None:
        return "skipped"
    return _deliver_claimed(message)


def messages_deliver_batch(message_ids: Sequence[int]) -> dict[int, str]:
    """Delivers many pending e-mails (a newsletter batch) over one SMTP connection, in the given order.

    Each row is claimed on its own just before it leaves, never the batch at once: a worker killed mid-batch
    leaves at most the one message it was sending in ``sending`` (the sweep reports it failed: it may have
    left), and the rest pending for whoever resumes. Returns each id's outcome: ``sent``, ``deferred`` (back
    to pending with a backoff; the sweep queues it again), ``failed``, ``refused`` or ``skipped`` (claimed by
    someone else, or no longer pending).
    """
    outcomes: dict[int, str] = {}
    connection = get_connection(settings.OUTBOX_EMAIL_BACKEND)
    # Opened here, the session stays open across the batch (a backend closes only what send() itself opened).
    with contextlib.suppress(Exception):
        connection.open()
    left = None  # the message that left and is not marked sent yet
    try:
        for message_id in message_ids:
            # One statement and one commit per message, not two: "sent" for the one that left and the claim of
            # the next go together. A worker killed between the two leaves the one that left in "sending"
            # (reported failed: it did leave), the next one still pending.
            message = _claim(message_id, sent_before=left)
            left = None
            if message is None:
                outcomes[message_id] = "skipped"
                continue
            try:
                _send(message, connection=connection)
            except Exception as error:
                outcomes[message_id] = _record_failure(message, error)
                if outcomes[message_id] in ("deferred", "failed"):
                    # The session may be broken (a dropped connection, a timeout): the next one opens a new one.
                    with contextlib.suppress(Exception):
                        connection.close()
                    with contextlib.suppress(Exception):
                        connection.open()
                continue
            outcomes[message_id] = "sent"
            left = message_id
        if left is not None:
            _mark_sent(left)
            left = None
    finally:
        with contextlib.suppress(Exception):
            connection.close()
    return outcomes


@dataclass(frozen=True)
class PlannedEmail:
    """One e-mail of a bulk write (``messages_enqueue_many``), rendered at delivery by a registered renderer."""

    recipient: str
    template: str
    context: dict
    idempotency_key: str
    recipient_kind: str = OutboundMessage.RecipientKind.PROFESSIONAL
    territory_id: int | None = None
    language: str = "fr"


def messages_enqueue_many(messages: Sequence[PlannedEmail]) -> dict[str, int]:
    """Writes many e-mails in one statement, in the caller's transaction, and queues no task: the caller delivers
    them with ``messages_deliver_batch`` (if it dies first, the sweep queues them). A key already written keeps
    its row. Returns the row id of every key written; an address that cannot be sent to is left out (logged),
    so that one bad address never stops a batch."""
    rows = []
    for planned in messages:
        if planned.template not in _email_renderers:
            raise ValueError(f"No renderer registered for {planned.template!r}")
        try:
            recipient = _normalise_recipient(Channel.EMAIL, planned.recipient)
        except ApplicationError:
            logger.warning("Not written to the outbox, invalid address: %s", planned.idempotency_key)
            continue
        rows.append(
            OutboundMessage(
                channel=Channel.EMAIL,
                recipient=recipient,
                recipient_kind=planned.recipient_kind,
                territory_id=planned.territory_id,
                template=planned.template,
                context=planned.context,
                language=planned.language,
                idempotency_key=planned.idempotency_key,
            )
        )
    OutboundMessage.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    keys = [row.idempotency_key for row in rows]
    return dict(OutboundMessage.objects.filter(idempotency_key__in=keys).values_list("idempotency_key", "pk"))


def outbox_sweep(*, grace: timedelta | None = None, stale_claim: timedelta | None = None) -> dict[str, int]:
    """Queues again the pending rows that no task is carrying; gives up on claims left by a dead worker.

    A row stays pending with no task when Redis was down as it was written, or when a queued task was
    lost. A row left ``sending`` means its worker died during delivery: the message may have left, so it
    is never re-sent automatically; it becomes ``failed`` and a coordinator decides.
    """
    now = timezone.now()
    grace = grace if grace is not None else timedelta(seconds=settings.OUTBOX_SWEEP_GRACE_SECONDS)
    stale_claim = stale_claim if stale_claim is not None else timedelta(seconds=settings.OUTBOX_STALE_CLAIM_SECONDS)
    abandoned = OutboundMessage.objects.filter(status=Status.SENDING, claimed_at__lt=now - stale_claim).update(
        status=Status.FAILED,
        last_error=_(
            "Envoi interrompu (processus arrêté pendant l'envoi) : le message a pu partir. "
            "Vérifiez auprès du destinataire avant de le relancer."
        ),
        updated_at=now,
    )
    due = list(
        OutboundMessage.objects.filter(status=Status.PENDING, next_attempt_at__lte=now - grace)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:1000]
    )
    # The next sweep waits a full grace period before queuing these rows again, even if the queue is slow.
    OutboundMessage.objects.filter(pk__in=due, status=Status.PENDING).update(next_attempt_at=now)
    for message_id in due:
        _queue_delivery(message_id)
    return {"requeued": len(due), "abandoned": abandoned}


def message_retry(*, acting_user, message_public_id) -> OutboundMessage:
    """A coordinator sends a failed message again (after checking it did not leave)."""
    if not can_see_outbox_failures(acting_user):
        raise ApplicationError(_("Réservé à la coordination de la CPTS."), code="forbidden")
    # Another territory's message answers as if it did not exist.
    visible = OutboundMessage.objects.filter(outbox_scope_of(acting_user), public_id=message_public_id)
    with transaction.atomic():
        changed = visible.filter(status=Status.FAILED).update(
            status=Status.PENDING,
            next_attempt_at=timezone.now(),
            attempts=0,
            recipient_refused=False,
            updated_at=timezone.now(),
        )
        message = visible.first()
        if message is None:
            raise ApplicationError(_("Ce message n'existe pas."), code="not_found")
        if changed != 1:
            raise ApplicationError(_("Seul un message en échec peut être relancé."))
        transaction.on_commit(lambda: _queue_delivery(message.pk))
    return message


def messages_requeue_failed(message_ids: Sequence[int]) -> int:
    """Sends again the failed rows among ``message_ids`` (a coordinator's "retry the failures" of a newsletter,
    whose permission the caller checked). Returns how many were queued."""
    with transaction.atomic():
        requeued = list(
            OutboundMessage.objects.filter(pk__in=list(message_ids), status=Status.FAILED)
            .select_for_update()
            .values_list("pk", flat=True)
        )
        OutboundMessage.objects.filter(pk__in=requeued).update(
            status=Status.PENDING,
            next_attempt_at=timezone.now(),
            attempts=0,
            recipient_refused=False,
            updated_at=timezone.now(),
        )
        transaction.on_commit(lambda: [_queue_delivery(message_id) for message_id in requeued])
    return len(requeued)


def delivery_check_send(*, acting_user, channel: str, recipient: str) -> OutboundMessage:
    """A coordinator checks that e-mail or SMS delivery works, with a message to an address of their choice."""
    if not can_see_outbox_failures(acting_user):
        raise ApplicationError(_("Réservé à la coordination de la CPTS."), code="forbidden")
    now = timezone.now()
    # Filed under one of the coordinator's territories, so that its coordinators see it if it fails.
    territory_ids = sorted(territory_ids_coordinated_by(acting_user))
    return message_enqueue(
        channel=channel,
        recipient=recipient,
        template="delivery_check",
        context={"requested_by": acting_user.email, "requested_at": now.isoformat()},
        idempotency_key=f"delivery-check:{acting_user.public_id}:{now.isoformat()}",
        territory_id=territory_ids[0] if territory_ids else None,
    )


def messages_erase_for(recipients: Sequence[str], *, about: Sequence[str] = ()) -> int:
    """Erasure of a person (the waiting list's right to erasure): deletes every outbox row sent to a patient at
    one of ``recipients`` (an E.164 number or an e-mail address, as stored) and every row whose idempotency key
    names one of ``about`` (the public id of what was erased, which callers put in their keys), whoever received
    it. The row holds the address, the context the message is rendered from (``message_render`` renders at send
    time, so no rendered body is stored elsewhere), the attachments and the last delivery error (which may quote
    the address): nothing of it is kept. The verification codes sent to those addresses go too. Returns the
    number of outbox rows deleted."""
    from django.db.models import Q

    from notifications.models import VerificationCode

    addresses = sorted({address.strip() for address in recipients if address and address.strip()})
    keys = [fragment for fragment in about if fragment]
    if not addresses and not keys:
        return 0
    matching = Q(pk__in=[])
    if addresses:
        to_them = Q(recipient__in=addresses)
        for address in addresses:
            if "@" in address:  # e-mail addresses compare without case
                to_them |= Q(recipient__iexact=address)
        # Rows to a professional's account at the same address (allauth's mail) are not the patient's.
        matching |= to_them & (
            Q(recipient_kind=OutboundMessage.RecipientKind.PATIENT) | Q(idempotency_key__startswith=CODE_KEY_PREFIX)
        )
    for fragment in keys:
        matching |= Q(idempotency_key__contains=fragment)
    deleted, _per_model = OutboundMessage.objects.filter(matching).delete()
    if addresses:
        VerificationCode.objects.filter(address__in=addresses).delete()
    return deleted


# ``notifications.verification`` keys its messages ``verification_code:<id>`` (it imports this module, so the
# prefix is repeated here rather than imported).
CODE_KEY_PREFIX = "verification_code:"

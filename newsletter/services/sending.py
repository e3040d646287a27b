"""Sending an issue through the outbox: once to every subscriber of its edition, at the configured rate, resumed
by itself after a crash.

- ``issue_send`` writes one ``Delivery`` per confirmed subscriber of the edition at once (unique in the
  database: a resumed or repeated send adds none) and starts a chain of batch tasks. A second send of the same
  issue is a French 409; an edition without a confirmed subscriber a French 400.
- Each step (``send_batch``) hands the next ``NEWSLETTER_SEND_BATCH_SIZE`` deliveries to the outbox (one row per
  message, keyed by the issue and the subscriber) and delivers them over one SMTP connection, each row claimed
  just before it leaves: a worker killed mid-batch leaves at most the one message it was sending, which the
  outbox's sweep reports as failed (it may have left; a coordinator retries it by hand). The next step waits
  long enough to hold ``NEWSLETTER_SEND_RATE_PER_MINUTE``.
- ``sends_resume`` (Celery beat every minute, and each worker as it starts) starts the scheduled issues that are
  due, gives a new chain to a send whose chain died (no heartbeat), brings the deliveries in step with their
  outbox rows (retries, failures) and marks an issue sent when nothing is left pending.
- An address the receiving server refuses for good (SMTP 5xx) is a hard bounce: it receives nothing more.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from core.pages import CONFLICT
from newsletter.models import DIGEST, Bounce, Delivery, Issue, Subscriber
from newsletter.rendering import render_email
from newsletter.selectors.issues import issue_for_rendering
from newsletter.services.deliveries import deliveries_sync
from newsletter.services.issues import check_coordinates
from newsletter.services.subscriptions import recipient_kind_of, unsubscribe_headers_for, unsubscribe_url_for
from notifications.models import OutboundMessage
from notifications.services import (
    PlannedEmail,
    message_enqueue,
    messages_deliver_batch,
    messages_enqueue_many,
    messages_requeue_failed,
)

logger = logging.getLogger(__name__)

ISSUE_TEMPLATE = "newsletter_issue"  # the outbox renders these rows with ``render_delivery``
_UNSUBSCRIBE_PLACEHOLDER = "https://cpts.invalid/newsletter-unsubscribe-placeholder"
Status = Issue.Status


def issue_message_key(issue: Issue, subscriber_public_id) -> str:
    """The outbox row of one issue to one subscriber. It names the subscriber's public id, which an erasure
    deletes by (``messages_erase_for(about=…)``)."""
    return f"newsletter:{issue.public_id}:{subscriber_public_id}"


def recipients_of(issue: Issue):
    """The subscribers an issue goes to: confirmed, still subscribed, no hard bounce, who chose its edition."""
    return Subscriber.objects.filter(
        territory_id=issue.territory_id,
        editions__contains=[issue.edition],
        confirmed_at__isnull=False,
        unsubscribed_at__isnull=True,
        hard_bounced_at__isnull=True,
    )


# --- Rendering one message ----------------------------------------------------------------------------------------

# An issue being sent no longer changes (only a draft is edited), so a worker renders it once and puts each
# subscriber's own link in; a test send renders the draft as it is now.
_rendered_issues: dict[int, tuple[str, str, str]] = {}
_RENDER_CACHE_SIZE = 8


def _issue_rendered(issue_id: int, *, fresh: bool) -> tuple[str, str, str]:
    if not fresh and issue_id in _rendered_issues:
        return _rendered_issues[issue_id]
    rendered = render_email(issue_for_rendering(issue_id), unsubscribe_url=_UNSUBSCRIBE_PLACEHOLDER)
    if not fresh:
        if len(_rendered_issues) >= _RENDER_CACHE_SIZE:
            _rendered_issues.pop(next(iter(_rendered_issues)))
        _rendered_issues[issue_id] = rendered
    return rendered


def render_delivery(message: OutboundMessage) -> dict:
    """The outbox's renderer of ``newsletter_issue`` rows (registered in ``NewsletterConfig.ready``)."""
    context = message.context
    test = bool(context.get("test"))
    subject, html, text = _issue_rendered(context["issue"], fresh=test)
    if test:  # the coordinator is no subscriber: the footer's link leads to the archive
        url = f"{settings.SITE_URL}{reverse('newsletter:archive')}"
        return {
            "subject": _("[Test] %(subject)s") % {"subject": subject},
            "html": html.replace(_UNSUBSCRIBE_PLACEHOLDER, url),
            "text": text.replace(_UNSUBSCRIBE_PLACEHOLDER, url),
        }
    url = unsubscribe_url_for(
        public_id=context["subscriber"], link_version=context.get("link_version", 0), only=context.get("only", "")
    )
    return {
        "subject": subject,
        "html": html.replace(_UNSUBSCRIBE_PLACEHOLDER, url),
        "text": text.replace(_UNSUBSCRIBE_PLACEHOLDER, url),
        "headers": unsubscribe_headers_for(url),
    }


# --- Starting, scheduling, testing --------------------------------------------------------------------------------


def _check_sendable(issue: Issue) -> None:
    if issue.status == Status.SENDING:
        raise ApplicationError(_("Ce numéro est déjà en cours d'envoi : il ne part pas deux fois."), code=CONFLICT)
    if issue.status == Status.SENT:
        raise ApplicationError(_("Ce numéro a déjà été envoyé : il ne part pas deux fois."), code=CONFLICT)
    if not recipients_of(issue).exists():
        raise ApplicationError(_("Aucun abonné confirmé ne reçoit cette édition : il n'y a personne à qui l'envoyer."))


def _locked(issue: Issue) -> Issue:
    return Issue.objects.select_for_update().select_related("territory").get(pk=issue.pk)


@transaction.atomic
def issue_send(*, acting_user, issue: Issue) -> Issue:
    """Sends the issue now (a draft or a scheduled one). A second send is a French 409."""
    check_coordinates(acting_user, issue)
    issue = _locked(issue)
    _check_sendable(issue)
    return start_sending(issue)


def start_sending(issue: Issue) -> Issue:
    """Writes every delivery in one statement and starts the chain (the issue row is locked by the caller, who
    checked it may leave)."""
    recipients_sql, params = recipients_of(issue).values("id").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Delivery._meta.db_table} (issue_id, subscriber_id, status, created_at, error) "  # noqa: S608 (our tables)
            f"SELECT %s, recipient.id, %s, now(), '' FROM ({recipients_sql}) AS recipient "
            "ON CONFLICT (issue_id, subscriber_id) DO NOTHING",
            [issue.pk, Delivery.Status.PENDING, *params],
        )
    now = timezone.now()
    issue.status = Status.SENDING
    issue.sending_started_at = issue.sending_started_at or now
    issue.send_chain = uuid.uuid4()
    issue.send_heartbeat_at = now
    issue.save(update_fields=["status", "sending_started_at", "send_chain", "send_heartbeat_at", "updated_at"])
    _queue_chains(issue)
    return issue


@transaction.atomic
def issue_schedule(*, acting_user, issue: Issue, at) -> Issue:
    """The issue leaves by itself at ``at`` (the next resume after that time); it can no longer be edited."""
    check_coordinates(acting_user, issue)
    issue = _locked(issue)
    if at is None or at <= timezone.now():
        raise ApplicationError(_("Choisissez une date et une heure à venir."), field="scheduled_for")
    if at > timezone.now() + timedelta(days=92):
        raise ApplicationError(_("Programmez l'envoi dans les trois mois qui viennent."), field="scheduled_for")
    _check_sendable(issue)
    issue.status = Status.SCHEDULED
    issue.scheduled_for = at
    issue.save(update_fields=["status", "scheduled_for", "updated_at"])
    return issue


@transaction.atomic
def issue_unschedule(*, acting_user, issue: Issue) -> Issue:
    """Back to a draft, to edit it again."""
    check_coordinates(acting_user, issue)
    issue = _locked(issue)
    if issue.status != Status.SCHEDULED:
        raise ApplicationError(_("Ce numéro n'est pas programmé."), code=CONFLICT)
    issue.status = Status.DRAFT
    issue.scheduled_for = None
    issue.save(update_fields=["status", "scheduled_for", "updated_at"])
    return issue


def issue_send_test(*, acting_user, issue: Issue) -> OutboundMessage:
    """The issue as it is now, to the coordinator's own address (subject « [Test] … »), whatever its status."""
    check_coordinates(acting_user, issue)
    return message_enqueue(
        channel=OutboundMessage.Channel.EMAIL,
        recipient=acting_user.email,
        template=ISSUE_TEMPLATE,
        context={"issue": issue.pk, "test": True},
        idempotency_key=f"newsletter-test:{issue.public_id}:{uuid.uuid4().hex}",
        territory_id=issue.territory_id,
    )


# --- The chain of batches -----------------------------------------------------------------------------------------


@dataclass
class Step:
    """What one batch did, and whether (and when) the chain goes on."""

    handed: int = 0
    sent: int = 0
    failed: int = 0
    deferred: int = 0
    more: bool = False
    countdown: float = 0.0
    stopped: bool = False


def _queue_step(issue_id: int, chain: uuid.UUID, countdown: float = 0.0) -> None:
    def queue():
        from newsletter.tasks import send_issue_batch

        try:
            send_issue_batch.apply_async((issue_id, str(chain)), countdown=countdown)
        except Exception:  # the broker is down: the resume (beat, or a worker starting) gives a new chain
            logger.warning("Could not queue the next batch of issue %s; the resume will", issue_id, exc_info=True)

    transaction.on_commit(queue)


def _untried(issue: Issue):
    """Deliveries a dead step handed to the outbox and nobody tried yet (their row pending, never attempted)."""
    # Looked up by the outbox row's primary key from each handed delivery: as a semi-join on the issue's key
    # prefix, a planner misled by the statistics of tables the send has just filled (one row estimated) probed the
    # outbox's pending rows once per pending delivery, seconds per batch of a 20,000-subscriber send.
    untried = OutboundMessage.objects.filter(
        pk=OuterRef("message_id"),
        idempotency_key__startswith=f"newsletter:{issue.public_id}:",
        status=OutboundMessage.Status.PENDING,
        attempts=0,
    )
    return Delivery.objects.filter(issue=issue, status=Delivery.Status.PENDING, message_id__isnull=False).filter(
        Exists(untried)
    )


def _work_left(issue: Issue) -> bool:
    """Something a step can still send: a delivery not handed to the outbox yet, or one handed and never tried."""
    fresh = Delivery.objects.filter(issue=issue, status=Delivery.Status.PENDING, message_id__isnull=True)
    return fresh.exists() or _untried(issue).exists()


def _queue_chains(issue: Issue) -> None:
    """``NEWSLETTER_SEND_CHAINS`` chains carry the same token: batches leave in parallel, one per worker process,
    while the issue's row lock lets one step at a time hand deliveries out."""
    for _chain in range(settings.NEWSLETTER_SEND_CHAINS):
        _queue_step(issue.pk, issue.send_chain)


def _take_batch(issue: Issue, size: int) -> list[Delivery]:
    """The next deliveries to send: first those a dead step handed to the outbox and nobody tried, then new ones
    (handed to the outbox here). A subscriber who left since the start is skipped."""
    # Looked up by the outbox row's primary key from each handed delivery: as a semi-join on the issue's key
    # prefix, a planner misled by the statistics of tables the send has just filled (one row estimated) probed the
    # outbox's pending rows once per pending delivery, seconds per batch of a 20,000-subscriber send.
    resumable = list(_untried(issue).order_by("pk")[:size])
    fresh = list(
        Delivery.objects.filter(issue=issue, status=Delivery.Status.PENDING, message_id__isnull=True)
        .select_related("subscriber")
        .order_by("pk")[: max(size - len(resumable), 0)]
    )
    leaving = [delivery for delivery in fresh if not delivery.subscriber.receives]
    if leaving:
        Delivery.objects.filter(pk__in=[delivery.pk for delivery in leaving]).update(status=Delivery.Status.SKIPPED)
    handed = [delivery for delivery in fresh if delivery.subscriber.receives]
    if handed:
        ids = messages_enqueue_many(
            [
                PlannedEmail(
                    recipient=delivery.subscriber.email,
                    template=ISSUE_TEMPLATE,
                    context={
                        "issue": issue.pk,
                        "subscriber": str(delivery.subscriber.public_id),
                        "link_version": delivery.subscriber.link_version,
                        **({"only": DIGEST} if issue.edition == DIGEST else {}),
                    },
                    idempotency_key=issue_message_key(issue, delivery.subscriber.public_id),
                    recipient_kind=recipient_kind_of(delivery.subscriber),
                    territory_id=issue.territory_id,
                )
                for delivery in handed
            ]
        )
        for delivery in handed:
            delivery.message_id = ids.get(issue_message_key(issue, delivery.subscriber.public_id))
        unsendable = [delivery for delivery in handed if delivery.message_id is None]
        if unsendable:
            Delivery.objects.filter(pk__in=[delivery.pk for delivery in unsendable]).update(
                status=Delivery.Status.FAILED, error=_("Adresse e-mail invalide : le message ne peut pas partir.")
            )
        handed = [delivery for delivery in handed if delivery.message_id is not None]
        Delivery.objects.bulk_update(handed, ["message_id"])
    return resumable + handed


def send_batch(*, issue_id: int, chain: str) -> Step:
    """One step of the chain: hands out and delivers one batch, then says whether another follows."""
    size = settings.NEWSLETTER_SEND_BATCH_SIZE
    started = time.monotonic()
    with transaction.atomic():
        issue = Issue.objects.select_for_update().filter(pk=issue_id).first()
        if issue is None or issue.status != Status.SENDING or str(issue.send_chain) != str(chain):
            return Step(stopped=True)  # a resumed send has its own chain now, or the send is over
        issue.send_heartbeat_at = timezone.now()
        issue.save(update_fields=["send_heartbeat_at"])
        batch = _take_batch(issue, size)
    step = Step(handed=len(batch))
    outcomes = messages_deliver_batch([delivery.message_id for delivery in batch])
    step.sent = sum(1 for outcome in outcomes.values() if outcome == "sent")
    step.failed = sum(1 for outcome in outcomes.values() if outcome in ("failed", "refused"))
    step.deferred = sum(1 for outcome in outcomes.values() if outcome == "deferred")
    deliveries_sync(issue, message_ids=[delivery.message_id for delivery in batch])
    with transaction.atomic():
        issue = Issue.objects.select_for_update().get(pk=issue_id)
        if str(issue.send_chain) != str(chain) or issue.status != Status.SENDING:
            return Step(stopped=True)
        if _work_left(issue):
            step.more = True
            rate = settings.NEWSLETTER_SEND_RATE_PER_MINUTE
            # The chains share the rate: each waits as if it sent the others' batches too.
            interval = settings.NEWSLETTER_SEND_CHAINS * len(batch) * 60.0 / rate if rate else 0.0
            step.countdown = max(0.0, interval - (time.monotonic() - started))
            issue.send_heartbeat_at = timezone.now()
            issue.save(update_fields=["send_heartbeat_at"])
            _queue_step(issue.pk, issue.send_chain, step.countdown)
        else:
            _finish_if_done(issue)
    return step


def _finish_if_done(issue: Issue) -> bool:
    """Sent once no delivery is pending (a retried or stale message keeps it "sending" until it is settled)."""
    if Delivery.objects.filter(issue=issue, status=Delivery.Status.PENDING).exists():
        return False
    issue.status = Status.SENT
    issue.sent_at = timezone.now()
    issue.send_chain = None
    issue.save(update_fields=["status", "sent_at", "send_chain", "updated_at"])
    return True


def sends_resume(*, after_restart: bool = False) -> dict[str, int]:
    """Starts the scheduled issues that are due; settles and finishes the sends in progress; gives a new chain to
    a send whose chain died (no heartbeat for a while, or right away when a worker starts: ``after_restart``)."""
    started = resumed = finished = 0
    now = timezone.now()
    for issue_id in Issue.objects.filter(status=Status.SCHEDULED, scheduled_for__lte=now).values_list("pk", flat=True):
        with transaction.atomic():
            issue = Issue.objects.select_for_update().select_related("territory").get(pk=issue_id)
            if issue.status != Status.SCHEDULED:
                continue
            if recipients_of(issue).exists():
                start_sending(issue)
                started += 1
            else:
                logger.warning("Scheduled issue %s has no subscriber any more; back to draft", issue.pk)
                issue.status = Status.DRAFT
                issue.save(update_fields=["status", "updated_at"])
    silent_for = timedelta(seconds=settings.NEWSLETTER_SEND_STALE_SECONDS)
    for issue_id in Issue.objects.filter(status=Status.SENDING).values_list("pk", flat=True):
        issue = Issue.objects.get(pk=issue_id)
        deliveries_sync(issue)
        with transaction.atomic():
            issue = Issue.objects.select_for_update().get(pk=issue_id)
            if issue.status != Status.SENDING:
                continue
            if _finish_if_done(issue):
                finished += 1
                continue
            quiet = issue.send_heartbeat_at is None or issue.send_heartbeat_at < now - silent_for
            work_left = _work_left(issue)
            if work_left and (quiet or after_restart):
                issue.send_chain = uuid.uuid4()
                issue.send_heartbeat_at = now
                issue.save(update_fields=["send_chain", "send_heartbeat_at"])
                _queue_chains(issue)
                resumed += 1
    return {"started": started, "resumed": resumed, "finished": finished}


# --- After the send -----------------------------------------------------------------------------------------------


@transaction.atomic
def deliveries_retry_failed(*, acting_user, issue: Issue) -> int:
    """Sends the failed messages of an issue again, by hand (after the coordinator checked they did not arrive).
    Refused addresses stay out: they bounced for good. Returns how many were queued."""
    check_coordinates(acting_user, issue)
    issue = _locked(issue)
    if issue.status not in (Status.SENDING, Status.SENT):
        raise ApplicationError(_("Ce numéro n'a pas encore été envoyé."), code=CONFLICT)
    deliveries_sync(issue)
    failed = list(
        Delivery.objects.filter(
            issue=issue, status=Delivery.Status.FAILED, subscriber__hard_bounced_at__isnull=True
        ).values_list("pk", "message_id")
    )
    requeued = messages_requeue_failed([message_id for _pk, message_id in failed if message_id])
    if requeued:
        Delivery.objects.filter(pk__in=[pk for pk, _m in failed]).update(status=Delivery.Status.PENDING, error="")
        if issue.status == Status.SENT:
            issue.status = Status.SENDING
            issue.save(update_fields=["status", "updated_at"])
    return requeued


def bounce_record(*, message_public_id=None, email: str = "", kind: str, detail: str = "") -> Bounce | None:
    """A bounce reported after the fact (a delivery status notification): a hard one stops every further send
    to the address. The message is found by the ``X-CPTS-Message`` header it carried, else by the address."""
    if kind not in Bounce.Kind.values:
        raise ApplicationError(_("Type de retour inconnu : « hard » ou « soft »."), field="kind")
    delivery = None
    if message_public_id:
        message = OutboundMessage.objects.filter(public_id=message_public_id).first()
        if message is not None:
            delivery = Delivery.objects.select_related("subscriber").filter(message_id=message.pk).first()
    if delivery is not None:
        subscribers = [delivery.subscriber]
    else:
        subscribers = list(Subscriber.objects.filter(email__iexact=(email or "").strip())) if email else []
    if not subscribers:
        return None
    bounce = None
    with transaction.atomic():
        for subscriber in subscribers:
            bounce = Bounce.objects.create(subscriber=subscriber, delivery=delivery, kind=kind, detail=detail[:500])
            if kind == Bounce.Kind.HARD and subscriber.hard_bounced_at is None:
                Subscriber.objects.filter(pk=subscriber.pk).update(hard_bounced_at=timezone.now())
    return bounce

"""The outbox with a real Celery worker and a real Redis: each message leaves once, or is reported, never twice.

Every test starts its own redis-server (see worker_support) and `celery -A cpts_portal worker` subprocesses
against the test database; rows are committed (transactional tests) so that the worker sees them. The e-mail
backend of the workers writes one file per message in ``tmp_path/mail``: counting files counts deliveries.
"""

import email
import email.policy
import logging
import time

import pytest
from django.db import transaction

from notifications.models import OutboundMessage
from notifications.services import message_enqueue
from notifications.tasks import sweep_outbox
from tests.notifications.worker_support import (
    RedisServer,
    Worker,
    free_port,
    this_process_uses_broker,
    wait_until,
    worker_environment,
)

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

Status = OutboundMessage.Status
SLOW_BACKEND_SETTINGS = "tests.notifications.worker_settings"
INTERRUPTED = "Envoi interrompu"
DELIVER = "notifications.tasks.deliver_message"
SWEEP = "notifications.tasks.sweep_outbox"


@pytest.fixture
def redis_server(tmp_path):
    """A private redis-server; this process's Celery app publishes to it for the duration of the test."""
    server = RedisServer(tmp_path / "redis")
    server.start()
    try:
        with this_process_uses_broker(server.url):
            yield server
    finally:
        server.stop()


@pytest.fixture
def mail_dir(tmp_path):
    directory = tmp_path / "mail"
    directory.mkdir()
    return directory


@pytest.fixture
def start_worker(transactional_db, redis_server, mail_dir, tmp_path):
    """``start_worker(**env)`` starts a worker and waits until it answers; every worker is stopped afterwards.

    Keyword arguments are environment variables of the worker (``DJANGO_SETTINGS_MODULE`` included). Workers
    stop before the test database is flushed and before the redis-server goes.
    """
    workers: list[Worker] = []

    def start(**env: str) -> Worker:
        log_path = tmp_path / f"worker-{len(workers) + 1}.log"
        worker = Worker(log_path=log_path, env=worker_environment(redis_url=redis_server.url, mail_dir=mail_dir, **env))
        workers.append(worker)
        return worker.start().wait_ready()

    yield start
    for worker in workers:
        worker.stop()


def enqueue_delivery_check(key: str) -> OutboundMessage:
    """A coordinator's test e-mail, as the portal writes it (in the caller's transaction)."""
    return message_enqueue(
        channel="email",
        recipient="destinataire@cpts.test",
        template="delivery_check",
        context={"requested_by": "x@cpts.test", "requested_at": "2025-03-14T09:30:00+01:00"},
        idempotency_key=f"delivery-check:{key}",
    )


def write_delivery_check(key: str) -> OutboundMessage:
    """The same, in a transaction that commits: its delivery is queued on commit."""
    with transaction.atomic():
        return enqueue_delivery_check(key)


def mail_files(mail_dir):
    return sorted(mail_dir.iterdir())


def row(message: OutboundMessage) -> OutboundMessage:
    return OutboundMessage.objects.get(pk=message.pk)


def wait_for_status(message: OutboundMessage, status: str, worker: Worker) -> OutboundMessage:
    def reached():
        current = row(message)
        return current if current.status == status else None

    return wait_until(
        reached, what=lambda: f"row is {row(message).status!r}, expected {str(status)!r}; {worker.describe()}"
    )


def parse_mail_file(path) -> email.message.EmailMessage:
    # Django's file backend follows each message with a line of 79 dashes.
    raw = path.read_bytes().rsplit(b"\n" + b"-" * 79, 1)[0]
    return email.message_from_bytes(raw, policy=email.policy.default)


def test_worker_delivers_a_committed_message_once(redis_server, start_worker, mail_dir):
    broker = redis_server.client()
    with transaction.atomic():
        message = enqueue_delivery_check("once")
        assert broker.llen("outbox") == 0  # nothing leaves before the commit
    assert broker.llen("outbox") == 1  # queued by the commit, on the outbox queue

    worker = start_worker()

    sent = wait_for_status(message, Status.SENT, worker)
    assert sent.sent_at is not None
    assert sent.attempts == 1
    assert sent.last_error == ""
    files = mail_files(mail_dir)
    assert len(files) == 1, worker.describe()
    delivered = parse_mail_file(files[0])
    assert delivered["Subject"] == "[CPTS] Message de test du portail"
    assert delivered["To"] == "destinataire@cpts.test"
    assert delivered["X-CPTS-Message"] == str(message.public_id)
    assert delivered.get_content_type() == "multipart/alternative"
    text = delivered.get_body(preferencelist=("plain",))
    html = delivered.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    assert "demandé par x@cpts.test" in text.get_content()
    assert "<strong>x@cpts.test</strong>" in html.get_content()
    assert worker.wait_for_outcomes(DELIVER) == ["'sent'"]


def test_message_written_while_redis_is_down_arrives_once_after_restart(redis_server, start_worker, mail_dir, caplog):
    worker = start_worker(OUTBOX_SWEEP_GRACE_SECONDS="0")
    redis_server.stop()

    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="notifications.services"):
        message = write_delivery_check("redis-down")  # the commit and its failed publish do not raise
    publishing_took = time.monotonic() - started

    assert publishing_took < 5, f"a request would wait {publishing_took:.1f} s for a Redis that is down"
    assert f"Could not queue outbox message {message.pk}" in caplog.text
    waiting = row(message)
    assert waiting.status == Status.PENDING
    assert waiting.attempts == 0

    redis_server.start()  # same port, empty: the task was never queued
    worker.wait_ready()  # the worker reconnected by itself
    assert row(message).status == Status.PENDING
    sweep_outbox.delay()  # what beat does every minute

    sent = wait_for_status(message, Status.SENT, worker)
    assert sent.attempts == 1
    assert len(mail_files(mail_dir)) == 1, worker.describe()
    assert worker.wait_for_outcomes(SWEEP) == ["{'requeued': 1, 'abandoned': 0}"]
    assert worker.wait_for_outcomes(DELIVER) == ["'sent'"]


def test_worker_killed_during_delivery_never_sends_twice(redis_server, start_worker, mail_dir):
    # The first worker's backend has written the message and waits for the (slow) server's acknowledgement.
    first = start_worker(DJANGO_SETTINGS_MODULE=SLOW_BACKEND_SETTINGS, SLOW_EMAIL_BACKEND_SECONDS="60")
    message = write_delivery_check("killed")
    first.wait_for_log("slow-email-backend: 1 message(s) written")
    assert len(mail_files(mail_dir)) == 1
    assert row(message).status == Status.SENDING

    first.kill()

    # The task was never acknowledged: Redis holds it and gives it back after the visibility timeout.
    assert redis_server.client().hlen("unacked") == 1
    second = start_worker(
        DJANGO_SETTINGS_MODULE=SLOW_BACKEND_SETTINGS,
        SLOW_EMAIL_BACKEND_SECONDS="0",
        CELERY_VISIBILITY_TIMEOUT="5",
        OUTBOX_STALE_CLAIM_SECONDS="1",
    )
    # The redelivered task finds the row claimed by the dead worker and sends nothing.
    assert second.wait_for_outcomes(DELIVER) == ["'skipped'"]

    assert len(mail_files(mail_dir)) == 1, second.describe()
    wait_until(lambda: redis_server.client().hlen("unacked") == 0, what=second.describe)  # acked after its log line
    interrupted = row(message)
    assert interrupted.status == Status.SENDING
    assert interrupted.attempts == 1

    sweep_outbox.delay()

    assert second.wait_for_outcomes(SWEEP) == ["{'requeued': 0, 'abandoned': 1}"]
    failed = row(message)
    assert failed.status == Status.FAILED
    assert INTERRUPTED in failed.last_error
    assert failed.sent_at is None
    assert failed.attempts == 1
    assert len(mail_files(mail_dir)) == 1, second.describe()


def test_failed_delivery_is_retried_with_backoff_then_marked_failed(start_worker, mail_dir):
    worker = start_worker(
        EMAIL_URL=f"smtp://127.0.0.1:{free_port()}",  # nothing listens there
        OUTBOX_MAX_ATTEMPTS="2",
        OUTBOX_RETRY_BASE_SECONDS="1",
    )

    message = write_delivery_check("smtp-down")

    failed = wait_for_status(message, Status.FAILED, worker)
    assert failed.attempts == 2
    assert "ConnectionRefusedError" in failed.last_error
    assert failed.sent_at is None
    # First attempt: back to pending, retried after 1 s; the second is the last one.
    assert worker.wait_for_outcomes(DELIVER, count=2) == ["retry: Retry in 1s", "'failed'"]
    assert mail_files(mail_dir) == []

"""The sending's measures, yielded by ``newsletter.benchmarks.run`` (``manage.py benchmark newsletter``): an issue
sent to ``SUBSCRIBERS`` (20,000) confirmed subscribers through a real Celery worker (a subprocess, the production
command) to a real SMTP server this benchmark starts (``notifications.smtp_sink.SmtpSink``, counts only).

The configured database and Redis are never written: a throwaway database (``<name>_bench_newsletter_send``) is
created and migrated, and dropped afterwards; the broker is a private ``redis-server`` (no persistence) on a free
port, which the worker and this process publish to. The worker sends at no rate limit
(``NEWSLETTER_SEND_RATE_PER_MINUTE=0``) in batches of ``BATCH_SIZE``.

Figures:

- ``send_throughput_bare_smtplib``: the same sink's ceiling in the same run: one ``smtplib.SMTP`` connection (in
  a process of its own, as the worker's) sending the rendered issue as one prebuilt MIME message (Django's
  ``EmailMultiAlternatives``, the bytes the portal sends) to each subscriber address, messages per second;
- ``send_throughput_portal``: messages per second from ``issue_send`` (committed) until the issue's progress
  shows nothing pending (informative);
- ``send_throughput_ratio``: portal over bare: at least 0.5;
- ``send_portal_not_exactly_once``: subscribers of the measured send who did not receive exactly one message;
- the kill test: a second issue (another month) to ``KILLED_SUBSCRIBERS`` (5,000 of the same subscribers, to
  keep the run short): the worker's process group is killed (SIGKILL) once ``KILL_AFTER`` of the messages were
  received, a new worker starts (its start resumes the send), and once the rest left the sweep reports the
  message a dead process was sending as failed (``outbox_sweep(stale_claim=0)``, then ``sends_resume``):
  ``send_killed_worker_duplicates`` (messages received beyond one per subscriber: none),
  ``send_killed_worker_lost`` (subscribers with no message received and no delivery reported failed: none) and
  ``send_killed_worker_reported_failed`` (deliveries reported failed: at most one per killed worker process,
  ``CONCURRENCY`` of them, informative).
"""

from __future__ import annotations

import contextlib
import datetime
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import redis
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

from accounts.roles import Role
from core.benchmarks import at_least, at_most, figure
from directory.benchmarks.databases import database_url, throwaway_database
from directory.models import Territory
from directory.services import role_grant_create
from newsletter.models import Delivery, Edition, Issue, Item, Section, Subscriber
from newsletter.rendering import render_email
from newsletter.selectors.issues import issue_for_rendering
from newsletter.selectors.sending import issue_progress
from newsletter.services.sending import issue_send, sends_resume
from newsletter.services.subscriptions import unsubscribe_headers_for, unsubscribe_url_for
from notifications.models import OutboundMessage
from notifications.services import outbox_sweep
from notifications.smtp_sink import SmtpSink, free_port

BENCH_DATABASE_SUFFIX = "_bench_newsletter_send"
SUBSCRIBERS = 20_000
KILLED_SUBSCRIBERS = 5_000
KILL_AFTER = 0.4  # the share of the kill test's messages received when the worker is killed
BATCH_SIZE = 200
CONCURRENCY = 2
RATIO_TARGET = 0.5
START_TIMEOUT_S = 60.0
BODY = (
    "Le **Dr Martin** rejoint la [maison de santé](https://example.org/msp) le 3 du mois : consultations le mardi "
    "et le jeudi, téléconsultation le vendredi.\n\n- vaccination antigrippale en pharmacie\n- dépistage du "
    "diabète le 12\n\n| jour | heures |\n| --- | --- |\n| mardi | 9h-12h |\n| jeudi | 14h-18h |"
)
SECTIONS = [Section.NEWS, Section.EVENTS, Section.ARRIVALS, Section.DEPARTURES]

# The bare baseline, in a process of its own as the worker is (the sink's thread would share this one's GIL):
# argv = host, port, file of the message, file of the recipients; prints the seconds from connect to QUIT.
_BARE_LOOP = """
import smtplib, sys, time
host, port, message_path, recipients_path = sys.argv[1:5]
message = open(message_path, "rb").read()
recipients = open(recipients_path, encoding="utf-8").read().split()
started = time.perf_counter()
with smtplib.SMTP(host, int(port), timeout=30) as smtp:
    for recipient in recipients:
        smtp.sendmail("lettre@cpts.invalid", [recipient], message)
print(time.perf_counter() - started)
"""


def _say(text: str) -> None:
    print(f"[send benchmark] {text}", file=sys.stderr, flush=True)


def _wait_until(condition: Callable[[], object], *, timeout: float, what: Callable[[], str], interval=0.02):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise RuntimeError(f"Still not true after {timeout:.0f} s: {what()}")
        time.sleep(interval)


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return f"({path} does not exist)"


# --- The private broker, and this process publishing to it ---------------------------------------------------


class _RedisServer:
    """A redis-server of our own (no persistence): no task is read from, or left in, the configured Redis."""

    def __init__(self, directory: Path):
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("The send benchmark starts its own broker: install redis-server.")
        self.port = free_port()
        self.log_path = directory / "redis.log"
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                cwd=directory,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def wait_ready(self) -> None:
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1, socket_timeout=2)

        def answers():
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited:\n{_tail(self.log_path)}")
            try:
                return client.info("server")["process_id"] == self.process.pid
            except redis.exceptions.ConnectionError:
                return False

        _wait_until(answers, timeout=10, what=lambda: _tail(self.log_path), interval=0.05)

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        self.process.wait(timeout=10)


def _celery_app():
    from cpts_portal.celery import app

    return app


def _switch_broker(url: str) -> None:
    # The app's connection and producer pools belong to the broker they were made for: dropped, then rebuilt.
    app = _celery_app()
    if app._pool is not None:
        app._pool.force_close_all()
    if app.amqp._producer_pool is not None:
        app.amqp._producer_pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None
    app.conf.broker_url = url


@contextlib.contextmanager
def _publishing_to(url: str) -> Iterator[None]:
    previous = _celery_app().conf.broker_url
    _switch_broker(url)
    try:
        yield
    finally:
        _switch_broker(previous)


# --- The worker subprocess ---------------------------------------------------------------------------------------


class _Worker:
    """``celery -A cpts_portal worker`` (prefork, ``CONCURRENCY`` children) in a process group of its own."""

    def __init__(self, *, env: dict[str, str], log_path: Path, concurrency: int):
        self.hostname = f"bench-send-{uuid.uuid4().hex[:8]}@{socket.gethostname()}"
        self.log_path = log_path
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "cpts_portal",
            "worker",
            f"--concurrency={concurrency}",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
            "--loglevel=INFO",
            f"--hostname={self.hostname}",
        ]
        with log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def describe(self) -> str:
        return f"worker {self.hostname}, log {self.log_path}:\n{_tail(self.log_path)}"

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"The worker exited ({self.process.returncode}): {self.describe()}")
        try:
            replies = _celery_app().control.ping(destination=[self.hostname], timeout=0.5, limit=1)
        except Exception:  # the broker is not reachable yet
            return False
        return any(self.hostname in reply for reply in replies or [])

    def wait_ready(self) -> _Worker:
        _wait_until(self._answers, timeout=START_TIMEOUT_S, what=self.describe, interval=0.2)
        return self

    def kill(self) -> None:
        """kill -9 of the whole group (the worker and its pool's children), with no chance to clean up."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()


def _worker_environment(*, database: str, broker_url: str, sink: SmtpSink, batch_size: int) -> dict[str, str]:
    values = {
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE") or "cpts_portal.settings",
        "DATABASE_URL": database_url(connections[DEFAULT_DB_ALIAS].settings_dict, database),
        "REDIS_URL": broker_url,
        "EMAIL_URL": sink.email_url,
        "NEWSLETTER_SEND_RATE_PER_MINUTE": "0",
        "NEWSLETTER_SEND_BATCH_SIZE": str(batch_size),
        "PYTHONUNBUFFERED": "1",
    }
    env = {**os.environ, "PYTHONPATH": str(settings.BASE_DIR)}
    for name, value in values.items():
        env[name] = value
        env.pop(f"{name}_FILE", None)  # a NAME_FILE variable would win over NAME (cpts_portal.env)
    return env


# --- The data ------------------------------------------------------------------------------------------------------


def _coordinator(territory: Territory):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("coordination@mesure-envoi.test", password=None)
    role_grant_create(user=user, role=Role.COORDINATOR, territory=territory)
    return user


def _issue(territory: Territory, month: datetime.date, coordinator) -> Issue:
    issue = Issue.objects.create(
        territory=territory,
        month=month,
        edition=Edition.PUBLIC,
        title=f"La lettre de {month:%m/%Y}",
        editorial="Bonjour à **toutes et tous** : voici les nouvelles du mois.",
        created_by=coordinator,
    )
    Item.objects.bulk_create(
        Item(issue=issue, section=SECTIONS[i % 4], position=i, title=f"Élément {i}", body=BODY) for i in range(6)
    )
    return issue


def _subscribers(territory: Territory, count: int) -> list[Subscriber]:
    now = timezone.now()
    Subscriber.objects.bulk_create(
        (
            Subscriber(
                territory=territory,
                email=f"abonne{n:05d}@mesure-envoi.test",
                editions=[Edition.PUBLIC],
                source=Subscriber.Source.FORM,
                confirmed_at=now,
            )
            for n in range(count)
        ),
        batch_size=2000,
    )
    return list(Subscriber.objects.filter(territory=territory).order_by("pk"))


# --- The measures ----------------------------------------------------------------------------------------------------


def _bare_message(issue: Issue, subscriber: Subscriber) -> bytes:
    """The issue as the portal sends it to one subscriber (same renderer, same Django MIME building), built once."""
    url = unsubscribe_url_for(public_id=str(subscriber.public_id), link_version=subscriber.link_version)
    subject, html, text = render_email(issue_for_rendering(issue.pk), unsubscribe_url=url)
    email = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[subscriber.email],
        headers={"X-CPTS-Message": str(uuid.uuid4()), **unsubscribe_headers_for(url)},
    )
    email.attach_alternative(html, "text/html")
    return email.message().as_bytes(linesep="\r\n")


def _bare_throughput(sink: SmtpSink, message: bytes, recipients: list[str], directory: Path) -> float:
    message_path, recipients_path = directory / "message.eml", directory / "recipients.txt"
    message_path.write_bytes(message)
    recipients_path.write_text("\n".join(recipients), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", _BARE_LOOP, "127.0.0.1", str(sink.port), str(message_path), str(recipients_path)],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return len(recipients) / float(done.stdout.strip())


def _pending(issue: Issue) -> int:
    return issue_progress(issue).pending


def _portal_throughput(issue, coordinator, sink: SmtpSink, worker: _Worker, count: int) -> float:
    timeout = 60 + count / 20  # 20 messages a second at the very least
    started = time.perf_counter()
    issue_send(acting_user=coordinator, issue=issue)
    _wait_until(lambda: sink.total() >= count, timeout=timeout, what=worker.describe)
    _wait_until(lambda: _pending(issue) == 0, timeout=60, what=worker.describe)
    return count / (time.perf_counter() - started)


def _not_exactly_once(sink: SmtpSink, subscribers: list[Subscriber]) -> int:
    with sink.lock:
        received = dict(sink.received)
    addresses = {subscriber.email.lower() for subscriber in subscribers}
    wrong = sum(1 for address in addresses if received.get(address, 0) != 1)
    return wrong + sum(count for address, count in received.items() if address not in addresses)


def _left_by_the_dead(issue: Issue) -> bool:
    """Everything has left but the messages a killed process was sending (still ``sending``, nobody's)."""
    fresh_left = Delivery.objects.filter(issue=issue, status=Delivery.Status.PENDING, message_id__isnull=True)
    pending_rows = OutboundMessage.objects.filter(
        idempotency_key__startswith=f"newsletter:{issue.public_id}:", status=OutboundMessage.Status.PENDING
    )
    return not fresh_left.exists() and not pending_rows.exists()


def _kill_test(issue, coordinator, sink: SmtpSink, subscribers: list[Subscriber], worker, start_worker) -> dict:
    """``worker`` (running) is killed mid-send; ``start_worker()`` starts the one that takes over."""
    count = len(subscribers)
    issue_send(acting_user=coordinator, issue=issue)
    kill_at = max(1, int(count * KILL_AFTER))
    _wait_until(lambda: sink.total() >= kill_at, timeout=60 + count / 20, what=worker.describe, interval=0.005)
    worker.kill()
    _say(f"worker killed after {sink.total()} of {count} messages received")
    worker = start_worker()  # its start queues resume_sends(after_restart=True): a new chain
    try:
        _wait_until(lambda: _left_by_the_dead(issue), timeout=60 + count / 20, what=worker.describe, interval=0.1)
        outbox_sweep(stale_claim=timedelta(0))  # what the beat's sweep does once the claim is stale
        sends_resume()  # the deliveries in step with the outbox; the issue is sent
    finally:
        worker.stop()
    issue.refresh_from_db()
    with sink.lock:
        received = dict(sink.received)
    failed = set(
        Delivery.objects.filter(issue=issue, status=Delivery.Status.FAILED).values_list("subscriber_id", flat=True)
    )
    lost = sum(1 for s in subscribers if received.get(s.email.lower(), 0) == 0 and s.pk not in failed)
    duplicates = sum(n - 1 for n in received.values() if n > 1)
    _say(f"kill test: issue {issue.status}, progress {issue_progress(issue).as_dict()}")
    return {"duplicates": duplicates, "lost": lost, "failed": len(failed)}


def _audience(everyone: list[Subscriber], count: int) -> list[Subscriber]:
    """The first ``count`` subscribers receive the public edition (the issues'), the others the professional one."""
    Subscriber.objects.filter(pk__in=[s.pk for s in everyone[:count]]).update(editions=[Edition.PUBLIC])
    Subscriber.objects.filter(pk__in=[s.pk for s in everyone[count:]]).update(editions=[Edition.PROFESSIONAL])
    return everyone[:count]


def _clear(sink: SmtpSink) -> None:
    with sink.lock:
        sink.received.clear()


def run(
    *,
    subscribers: int = SUBSCRIBERS,
    killed_subscribers: int = KILLED_SUBSCRIBERS,
    batch_size: int = BATCH_SIZE,
    concurrency: int = CONCURRENCY,
) -> Iterator[dict]:
    """The figures above; the counts, the batch size and the worker's concurrency are parameters for the test
    (a small run) and for trying other settings."""
    with contextlib.ExitStack() as stack:
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-send-")))
        database = stack.enter_context(throwaway_database(BENCH_DATABASE_SUFFIX))
        territory = Territory.objects.create(name="CPTS de mesure de l'envoi", slug="mesure-envoi")
        coordinator = _coordinator(territory)
        everyone = _subscribers(territory, max(subscribers, killed_subscribers))
        sink = stack.enter_context(SmtpSink(keep_messages=False))
        broker = _RedisServer(directory)
        stack.callback(broker.stop)
        broker.wait_ready()
        stack.enter_context(_publishing_to(broker.url))
        env = _worker_environment(database=database, broker_url=broker.url, sink=sink, batch_size=batch_size)
        workers: list[_Worker] = []

        @stack.callback
        def _stop_workers():
            for worker in workers:
                worker.stop()

        def start_worker() -> _Worker:
            log_path = directory / f"worker-{len(workers)}.log"
            workers.append(_Worker(env=env, log_path=log_path, concurrency=concurrency))
            return workers[-1].wait_ready()

        # The bare ceiling of the sink, then the portal to the same addresses.
        audience = _audience(everyone, subscribers)
        measured = _issue(territory, datetime.date(2026, 3, 1), coordinator)
        message = _bare_message(measured, audience[0])
        bare = _bare_throughput(sink, message, [s.email for s in audience], directory)
        _say(f"bare smtplib: {bare:.0f} messages/s ({len(message)} bytes each)")
        if sink.total() != len(audience):
            raise RuntimeError(f"The bare loop sent {len(audience)} messages, the sink received {sink.total()}.")
        _clear(sink)
        worker = start_worker()
        portal = _portal_throughput(measured, coordinator, sink, worker, len(audience))
        _say(f"portal: {portal:.0f} messages/s")
        wrong = _not_exactly_once(sink, audience)
        yield figure("send_throughput_portal", portal, f"messages/s ({len(audience)} subscribers)", None)
        yield figure("send_throughput_bare_smtplib", bare, f"messages/s ({len(message) // 1000} kB each)", None)
        yield figure("send_throughput_ratio", portal / bare, "portal / bare smtplib", at_least(RATIO_TARGET))
        yield figure("send_portal_not_exactly_once", wrong, "subscribers", at_most(0))

        # A worker killed mid-send.
        audience = _audience(everyone, killed_subscribers)
        killed = _issue(territory, datetime.date(2026, 4, 1), coordinator)
        _clear(sink)
        outcome = _kill_test(killed, coordinator, sink, audience, worker, start_worker)  # the same worker
        yield figure("send_killed_worker_duplicates", outcome["duplicates"], "messages", at_most(0))
        yield figure("send_killed_worker_lost", outcome["lost"], "subscribers", at_most(0))
        yield figure("send_killed_worker_reported_failed", outcome["failed"], "deliveries", at_most(concurrency))

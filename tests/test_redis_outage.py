"""The portal keeps working while Redis is down: Redis is a cache and a broker here, not the source of truth.

Each test starts a private redis-server (worker_support.RedisServer: a free port, no persistence, never the
shared Redis on 6379), points the cache and the Celery broker of this process at it, and kills it during the
test. Pages and the API answer as usual (rate limits and throttles fail open, one warning a minute), /healthz
answers 503 naming the cache and the broker, and the e-mails written meanwhile leave once Redis is back.
"""

import email
import email.policy
import logging
import socket
import threading
import time

import pyotp
import pytest
from django.core.cache import cache
from django.urls import reverse

import core.cache
import notifications.services
from accounts.services import api_token_create
from directory.models import Practitioner
from notifications.models import OutboundMessage
from notifications.services import message_enqueue
from notifications.tasks import sweep_outbox
from referrals.services import referral_request_info, referral_send
from tests.conftest import totp_secret_of
from tests.notifications.worker_support import (
    RedisServer,
    Worker,
    this_process_uses_broker,
    wait_until,
    worker_environment,
)
from tests.referrals.conftest import PATIENT

Status = OutboundMessage.Status
DELIVER = "notifications.tasks.deliver_message"
UNREACHABLE_WARNING = "Redis cache unreachable"
# Far above what a page costs with Redis up (even on a busy test machine), below redis-py's default socket
# timeout (5 s) and the seconds allauth's lock or a retrying publisher would wait.
SLOW_SECONDS = 4.0


@pytest.fixture
def redis_server(tmp_path, settings, monkeypatch):
    """A private redis-server that is this process's cache and Celery broker (one URL, as in production)."""
    monkeypatch.setattr(notifications.services, "_publish_paused_until", 0.0)
    server = RedisServer(tmp_path / "redis")
    server.start()
    # A new CACHES setting makes Django drop its cache connections; the Celery pools are dropped by hand.
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": server.url}}
    settings.CELERY_BROKER_URL = server.url
    core.cache.reset_outage_state()
    try:
        with this_process_uses_broker(server.url):
            yield server
    finally:
        server.stop()
        core.cache.reset_outage_state()


def redis_comes_back(server: RedisServer) -> None:
    """Starts the same server again (same port, empty) and lets the cache try it at once."""
    server.start()
    core.cache.reset_outage_state()


def timed(call):
    started = time.monotonic()
    result = call()
    elapsed = time.monotonic() - started
    assert elapsed < SLOW_SECONDS, f"took {elapsed:.1f} s with Redis down"
    return result


def unreachable_warnings(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.getMessage().startswith(UNREACHABLE_WARNING)]


def mail_recipients(mail_dir) -> list[str]:
    """One entry per delivered message (Django's file backend ends each message with a line of 79 dashes)."""
    recipients = []
    for path in sorted(mail_dir.iterdir()):
        for raw in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if raw.strip():
                recipients.append(email.message_from_bytes(raw, policy=email.policy.default)["To"])
    return recipients


@pytest.fixture
def cardio_entry(cardiologist):
    return Practitioner.objects.get(user=cardiologist)


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_the_portal_works_while_redis_is_down_and_its_mail_leaves_once_after(
    client,
    redis_server,
    gp,
    observer,
    coordinator,
    cardio_entry,
    cardio_secretary,
    password,
    settings,
    tmp_path,
    caplog,
):
    _token, token_key = api_token_create(user=coordinator, name="logiciel du cabinet")
    cache.set("tools", ["Omnidoc"])
    assert cache.get("tools") == ["Omnidoc"]  # the cache is this private server, and it answers

    redis_server.stop()
    caplog.set_level(logging.WARNING)

    # Sign-in with the second factor: allauth's rate limits, its lock and its TOTP replay check use the cache.
    signed = timed(lambda: client.post("/accounts/login/", {"login": gp.email, "password": password}))
    assert signed.status_code == 302 and signed["Location"] == reverse("mfa_authenticate")
    code = pyotp.TOTP(totp_secret_of(gp)).now()
    second = timed(lambda: client.post(reverse("mfa_authenticate"), {"code": code}))
    assert second.status_code == 302
    assert int(client.session["_auth_user_id"]) == gp.pk
    assert timed(lambda: client.get(reverse("home"))).status_code == 200

    # The price of failing open, for the minutes of the outage: the address is not locked after five failures.
    client.logout()
    for _attempt in range(6):
        assert client.post("/accounts/login/", {"login": observer.email, "password": "guess"}).status_code == 200
    assert client.post("/accounts/login/", {"login": observer.email, "password": password}).status_code == 302
    client.logout()

    # The directory's page and its API (DRF's throttles read the cache), anonymous and with a token.
    page = timed(lambda: client.get("/annuaire/", {"q": "cardio"}))
    assert page.status_code == 200
    assert "Rousseau" in page.content.decode()
    anonymous = timed(lambda: client.get("/api/v1/practitioners/", {"q": "cardio"}))
    assert anonymous.status_code == 200
    assert [entry["last_name"] for entry in anonymous.json()["results"]] == ["Rousseau"]
    with_token = timed(
        lambda: client.get("/api/v1/practitioners/", {"q": "cardio"}, HTTP_AUTHORIZATION=f"Token {token_key}")
    )
    assert with_token.status_code == 200
    assert with_token.json()["count"] == 1

    # Password reset: rate-limited through the cache; its e-mail is an outbox row, queued on commit.
    reset = timed(lambda: client.post("/accounts/password/reset/", {"email": observer.email}))
    assert reset.status_code == 302
    assert OutboundMessage.objects.filter(recipient=observer.email, status=Status.PENDING).count() == 1

    # A request sent, then precisions asked: the GP's e-mail is written in that transaction; publishing it to
    # the broker on commit fails quickly and quietly, the row waits.
    letter = timed(lambda: referral_send(acting_user=gp, kind="letter", recipient_practitioner=cardio_entry, **PATIENT))
    timed(lambda: referral_request_info(acting_user=cardio_secretary, referral=letter, message="Le dernier ECG ?"))
    gp_news = OutboundMessage.objects.get(recipient=gp.email, template="referral_sender_news")
    assert (gp_news.status, gp_news.attempts) == (Status.PENDING, 0)
    assert f"Could not queue outbox message {gp_news.pk}" in caplog.text

    health = timed(lambda: client.get("/healthz"))
    assert health.status_code == 503
    assert health.json()["failing"] == ["cache", "broker"]
    assert health.json()["checks"]["database"] == "ok"
    # What a load balancer asks before sending pages to this instance: the pages need the database only.
    serving = client.get("/healthz", {"checks": "database"})
    assert (serving.status_code, serving.json()) == (200, {"status": "ok", "checks": {"database": "ok"}})

    # Dozens of cache calls failed in this minute: one warning says so.
    assert len(unreachable_warnings(caplog)) == 1

    redis_comes_back(redis_server)
    assert client.get("/healthz").status_code == 200
    cache.set("tools", ["Omnidoc"])
    assert cache.get("tools") == ["Omnidoc"]  # the cache is used again
    for _attempt in range(5):
        client.post("/accounts/login/", {"login": observer.email, "password": "guess"})
    locked = client.post("/accounts/login/", {"login": observer.email, "password": password})
    assert "ce compte est bloqué pendant 5 minutes" in locked.content.decode()  # the limits are back

    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    worker = Worker(
        log_path=tmp_path / "worker.log", env=worker_environment(redis_url=redis_server.url, mail_dir=mail_dir)
    )
    try:
        worker.start().wait_ready()
        settings.OUTBOX_SWEEP_GRACE_SECONDS = 0
        assert sweep_outbox() == {"requeued": 2, "abandoned": 0}  # what beat runs every minute
        wait_until(
            lambda: not OutboundMessage.objects.exclude(status=Status.SENT).exists(),
            what=lambda: f"{list(OutboundMessage.objects.values_list('recipient', 'status'))}; {worker.describe()}",
        )
        assert sorted(mail_recipients(mail_dir)) == sorted([gp.email, observer.email])

        assert sweep_outbox() == {"requeued": 0, "abandoned": 0}  # a second sweep finds nothing to send
        assert worker.wait_for_outcomes(DELIVER, count=2) == ["'sent'", "'sent'"]
    finally:
        worker.stop()
    assert sorted(mail_recipients(mail_dir)) == sorted([gp.email, observer.email])
    assert OutboundMessage.objects.get(pk=gp_news.pk).attempts == 1


@pytest.mark.django_db
def test_a_redis_outage_is_logged_once_a_minute_not_once_per_call(redis_server, caplog, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(core.cache, "_clock", lambda: now[0])
    redis_server.stop()

    with caplog.at_level(logging.INFO, logger="core.cache"):
        for _ in range(50):
            assert cache.get("tools", "absent") == "absent"
            now[0] += 1.1  # each call after the retry delay: every one of them really tries Redis
        assert len(unreachable_warnings(caplog)) == 1

        now[0] += 10  # more than a minute after the first warning
        assert cache.add("lock", True) is True
        warnings = unreachable_warnings(caplog)
        assert len(warnings) == 2
        assert "50 cache call(s)" in warnings[1].getMessage()

        redis_server.start()
        now[0] += 1.1
        assert cache.add("lock", True) is True
        assert cache.add("lock", True) is False  # a real answer again: the key exists
        assert "Redis cache answers again" in caplog.text

        redis_server.stop()  # down again within the same minute: a flapping Redis is not a flood of lines
        now[0] += 1.1
        assert cache.get("tools", "absent") == "absent"
    assert len(unreachable_warnings(caplog)) == 2


@pytest.mark.django_db
def test_the_cache_answers_as_an_empty_cache_while_redis_is_down(redis_server):
    cache.set("counter", 5)
    redis_server.stop()

    assert cache.get("counter") is None
    assert cache.get("counter", 0) == 0
    assert cache.add("counter", 1) is True  # allauth's lock is taken, a counter's window begins
    assert cache.incr("counter") == 1  # every attempt counts as the first
    assert cache.get_many(["counter"]) == {}
    assert cache.get_or_set("tools", ["Omnidoc"]) == ["Omnidoc"]
    assert cache.has_key("counter") is False
    assert cache.set("counter", 2) is None
    assert cache.set_many({"a": 1, "b": 2}) == ["a", "b"]
    assert cache.delete("counter") is False


def _hung_redis() -> tuple[socket.socket, int]:
    """A server that accepts connections and never answers, like a Redis frozen or behind a dead link."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted = []

    def accept_forever():
        while True:
            try:
                accepted.append(listener.accept()[0])
            except OSError:  # closed by the test
                return

    threading.Thread(target=accept_forever, daemon=True).start()
    return listener, listener.getsockname()[1]


@pytest.mark.django_db
def test_a_redis_that_does_not_answer_costs_a_request_half_a_second_not_seconds(client, settings):
    listener, port = _hung_redis()
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": f"redis://127.0.0.1:{port}/0"}}
    core.cache.reset_outage_state()
    try:
        started = time.monotonic()
        response = client.get("/api/v1/practitioners/", {"q": "cardio"})
        request_took = time.monotonic() - started
        started = time.monotonic()
        for _ in range(20):
            assert cache.get("tools", "absent") == "absent"
        next_calls_took = time.monotonic() - started
    finally:
        listener.close()
        core.cache.reset_outage_state()

    assert response.status_code == 200
    assert request_took < 3, f"{request_took:.1f} s: the socket timeout is 0.5 s, not redis-py's 5 s"
    # Redis failed less than a second ago: the next calls do not wait for it again.
    assert next_calls_took < 0.3, f"{next_calls_took:.1f} s"


@pytest.mark.django_db
def test_a_broker_that_does_not_answer_holds_one_publish_then_the_rows_wait_for_the_sweep(
    monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(notifications.services, "_publish_paused_until", 0.0)
    listener, port = _hung_redis()
    durations = []
    try:
        with this_process_uses_broker(f"redis://127.0.0.1:{port}/0"):
            for key in ("first", "second", "third"):
                started = time.monotonic()
                with django_capture_on_commit_callbacks(execute=True):
                    message_enqueue(
                        channel="email",
                        recipient="destinataire@cpts.test",
                        template="delivery_check",
                        context={"requested_by": "x@cpts.test", "requested_at": "2025-03-14T09:30:00+01:00"},
                        idempotency_key=f"delivery-check:hung-broker-{key}",
                    )
                durations.append(time.monotonic() - started)
    finally:
        listener.close()

    assert durations[0] < 7, durations  # the broker's socket timeout (5 s), once
    assert max(durations[1:]) < 0.5, durations  # then this process leaves the rows to the sweep
    assert list(OutboundMessage.objects.values_list("status", "attempts")) == [(Status.PENDING, 0)] * 3


@pytest.mark.django_db
def test_healthz_runs_only_the_checks_asked_and_refuses_an_unknown_one_in_french(client):
    response = client.get("/healthz", {"checks": "database,cache"})
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok"}}

    unknown = client.get("/healthz", {"checks": "database,redis"})
    assert unknown.status_code == 400
    assert unknown.json()["detail"] == "Vérification inconnue : « redis ». Possibles : database, cache, broker."

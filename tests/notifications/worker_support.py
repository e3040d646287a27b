"""Real processes for the outbox worker tests: a private redis-server and Celery workers started as subprocesses.

Each test gets its own redis-server on a free port, so a worker test never reads or leaves a task in the Redis
of a developer's demo (database 0) or of the rest of the suite (database 15). Workers run the production
command (`celery -A cpts_portal worker`) with a few options for speed, against the *test* PostgreSQL database,
and write everything they log to a file of the test's ``tmp_path``: assertion messages quote its tail.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import redis
from django.db import connection

from cpts_portal.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]
DEADLINE_SECONDS = 30.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition: Callable[[], object], *, timeout: float = DEADLINE_SECONDS, interval: float = 0.1, what=""):
    """Returns the first truthy value of ``condition()``; fails after ``timeout`` seconds.

    ``what`` is a string, or a callable giving one (e.g. a log tail read at the time of the failure).
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            message = what() if callable(what) else what
            raise AssertionError(f"Still not true after {timeout:.0f} s: {message}")
        time.sleep(interval)


def tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return f"({path} does not exist)"
    return "\n".join(text.splitlines()[-lines:])


def subprocess_database_url() -> str:
    """The URL of the database this test runs against (pytest-django's ``test_…`` copy), for a subprocess."""
    settings = connection.settings_dict
    user = quote(settings.get("USER") or "", safe="")
    password = quote(settings.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = quote(settings.get("HOST") or "127.0.0.1", safe="")  # a socket directory is percent-encoded
    port = settings.get("PORT") or 5432
    return f"postgres://{credentials}{host}:{port}/{quote(settings['NAME'], safe='')}"


class PortTakenError(AssertionError):
    """redis-server could not bind its port: something else took it since it was found free."""


class RedisServer:
    """A throw-away redis-server (no persistence) on a fixed port, which a test can stop and start again."""

    def __init__(self, directory: Path):
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("The worker tests start their own redis-server: install it (apt install redis-server).")
        self.binary = binary
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.log_path = directory / "redis.log"
        self.process: subprocess.Popen | None = None
        self.started_once = False

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1, socket_timeout=2)

    def start(self) -> None:
        """Starts the server; a restart keeps the port (clients come back to it).

        The free port was only probed: under pytest-xdist another worker's server or connection may take it
        before redis-server binds it. The first start then moves to another free port, a few times at most.
        """
        attempts = 1 if self.started_once else 5
        for attempt in range(1, attempts + 1):
            try:
                self._start()
            except PortTakenError:
                if attempt == attempts:
                    raise
                self.port = free_port()
            else:
                self.started_once = True
                return

    def _start(self) -> None:
        assert self.process is None, "redis-server is already running"
        if not self.started_once:  # a failed first attempt's log must not speak for this one
            self.log_path.unlink(missing_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    self.binary,
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.directory),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            wait_until(self._answers, timeout=10, what=lambda: f"redis-server does not answer:\n{tail(self.log_path)}")
        except BaseException:
            self.stop()
            raise

    def _answers(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            log = tail(self.log_path)
            if "Address already in use" in log:
                raise PortTakenError(f"port {self.port} taken:\n{log}")
            raise AssertionError(f"redis-server exited ({self.process.returncode}):\n{log}")
        try:
            # Answering is not enough: on a taken port, another test's server would answer for this one.
            return self.client().info("server")["process_id"] == self.process.pid
        except redis.exceptions.ConnectionError:
            return False

    def stop(self) -> None:
        """Kills the server, as a crash would; nothing it held survives (no persistence)."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        self.process.wait(timeout=10)
        self.process = None


@contextlib.contextmanager
def this_process_uses_broker(url: str) -> Iterator[None]:
    """Points this process's Celery app (fixed at import time from the settings) at ``url``, then back."""
    previous = celery_app.conf.broker_url
    _switch_broker(url)
    try:
        yield
    finally:
        _switch_broker(previous)


def _switch_broker(url: str) -> None:
    # The connection and producer pools are keyed by the broker URL they were created for: drop them.
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
    producer_pool = celery_app.amqp._producer_pool
    if producer_pool is not None:
        producer_pool.force_close_all()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    celery_app.conf.broker_url = url


class Worker:
    """One `celery -A cpts_portal worker` subprocess, in its own process group (so that it can be killed whole)."""

    def __init__(self, *, log_path: Path, env: dict[str, str]):
        self.name = f"outbox-test-{uuid.uuid4().hex[:8]}"
        self.hostname = f"{self.name}@{socket.gethostname()}"
        self.log_path = log_path
        self.env = env
        self.process: subprocess.Popen | None = None

    def start(self) -> Worker:
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "cpts_portal",
            "worker",
            # Test-only options, for speed: one process, no cluster chatter at start-up.
            "--pool=solo",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
            "--loglevel=INFO",
            f"--hostname={self.name}@%h",
        ]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        return self

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def describe(self) -> str:
        return f"worker {self.hostname}, log {self.log_path}:\n{tail(self.log_path)}"

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def answers_ping(self) -> bool:
        if not self.is_running():
            raise AssertionError(f"The worker exited ({self.process.returncode}): {self.describe()}")
        try:
            replies = celery_app.control.ping(destination=[self.hostname], timeout=0.5, limit=1)
        except Exception:  # the broker is not reachable yet
            return False
        return any(self.hostname in reply for reply in replies or [])

    def wait_ready(self, timeout: float = DEADLINE_SECONDS) -> Worker:
        """Ready means it answers a ping through the broker: it consumes its queues (they are declared first)."""
        wait_until(self.answers_ping, timeout=timeout, interval=0.2, what=self.describe)
        return self

    def wait_for_log(self, text: str, timeout: float = DEADLINE_SECONDS) -> None:
        wait_until(lambda: text in self.log(), timeout=timeout, what=lambda: f"{text!r} not logged; {self.describe()}")

    def task_outcomes(self, task: str) -> list[str]:
        """What each finished run of ``task`` returned or raised, as the worker logged it."""
        pattern = rf"Task {re.escape(task)}\[[0-9a-f-]+\] (?:succeeded in [0-9.]+s: (.*)|(retry: .*|raised .*))$"
        return [next(group for group in match.groups() if group) for match in re.finditer(pattern, self.log(), re.M)]

    def wait_for_outcomes(self, task: str, count: int = 1, timeout: float = DEADLINE_SECONDS) -> list[str]:
        """Waits until ``task`` finished ``count`` times (whatever the result) and returns the outcomes."""
        wait_until(
            lambda: len(self.task_outcomes(task)) >= count,
            timeout=timeout,
            what=lambda: f"{task} did not finish {count} time(s); {self.describe()}",
        )
        return self.task_outcomes(task)

    def kill(self) -> None:
        """kill -9 of the whole process group: the worker and any pool child, with no chance to clean up."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """Warm shutdown (SIGTERM), then kill -9 if it lingers."""
        if not self.is_running():
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()


def worker_environment(*, redis_url: str, mail_dir: Path, **overrides: str) -> dict[str, str]:
    """The environment of a worker subprocess: test settings, test database, private Redis, file e-mail."""
    values = {
        "DJANGO_SETTINGS_MODULE": "cpts_portal.settings_test",
        "DATABASE_URL": subprocess_database_url(),
        "REDIS_URL": redis_url,
        "EMAIL_URL": f"file://{mail_dir}",
        "OUTBOX_RETRY_BASE_SECONDS": "1",
        "PYTHONUNBUFFERED": "1",
        **{name: str(value) for name, value in overrides.items()},
    }
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for name, value in values.items():
        env[name] = value
        env.pop(f"{name}_FILE", None)  # a NAME_FILE variable would win over NAME (cpts_portal.env)
    return env

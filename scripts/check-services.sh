#!/usr/bin/env bash
# Stops with a short message when PostgreSQL or Redis does not answer, saying how to start them.
# Reads DATABASE_URL and REDIS_URL from the environment, else from .env, else the local defaults.
set -uo pipefail
cd "$(dirname "$0")/.."
python3 - <<'PY'
import os, socket, sys
from pathlib import Path
from urllib.parse import urlsplit

values = {}
if Path(".env").exists():
    for line in Path(".env").read_text().splitlines():
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip()
def url(name, default):
    return os.environ.get(name) or values.get(name) or default

database = urlsplit(url("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cpts_portal"))
redis = urlsplit(url("REDIS_URL", "redis://127.0.0.1:6379/0"))
missing = []
try:
    socket.create_connection((database.hostname, database.port or 5432), timeout=2).close()
except OSError:
    missing.append(f"PostgreSQL ({database.hostname}:{database.port or 5432})")
try:
    with socket.create_connection((redis.hostname, redis.port or 6379), timeout=2) as connection:
        connection.sendall(b"PING\r\n")
        if not connection.recv(64).startswith((b"+PONG", b"-NOAUTH")):
            raise OSError
except OSError:
    missing.append(f"Redis ({redis.hostname}:{redis.port or 6379})")
if missing:
    print(f"Ne répond pas : {', '.join(missing)}.", file=sys.stderr)
    print("Démarrez-les, par exemple avec Docker :\n  docker compose up -d db redis", file=sys.stderr)
    print("ou, sur Debian/Ubuntu :\n  sudo apt-get install postgresql redis-server"
          " && sudo systemctl start postgresql redis-server", file=sys.stderr)
    sys.exit(1)
PY

#!/usr/bin/env bash
# Stops with a short message when PostgreSQL or Redis does not answer, saying how to start them.
set -uo pipefail
pg_host=${PGHOST:-127.0.0.1}; pg_port=${PGPORT:-5432}
redis_host=${REDIS_HOST:-127.0.0.1}; redis_port=${REDIS_PORT:-6379}
missing=()
python3 - "$pg_host" "$pg_port" <<'PY' || missing+=("PostgreSQL ($pg_host:$pg_port)")
import socket, sys
socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2).close()
PY
python3 - "$redis_host" "$redis_port" <<'PY' || missing+=("Redis ($redis_host:$redis_port)")
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2)
s.sendall(b"PING\r\n")
assert s.recv(16).startswith(b"+PONG"), "Redis did not answer PING"
s.close()
PY
if [ ${#missing[@]} -gt 0 ]; then
  echo "Ne répond pas : ${missing[*]}." >&2
  echo "Démarrez-les, par exemple :" >&2
  echo "  docker compose up -d db redis" >&2
  echo "ou, sur Debian/Ubuntu :" >&2
  echo "  sudo apt-get install postgresql redis-server && sudo systemctl start postgresql redis-server" >&2
  exit 1
fi

#!/usr/bin/env bash
# Serves the portal with a Celery worker and beat beside it, in one terminal; Ctrl-C stops all three.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p var
pids=()
stop() { trap - INT TERM EXIT; kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; }
trap stop INT TERM EXIT
.venv/bin/celery -A cpts_portal worker & pids+=($!)
.venv/bin/celery -A cpts_portal beat & pids+=($!)
echo "Portail : http://127.0.0.1:8000 (Ctrl-C pour tout arrêter)"
.venv/bin/python manage.py runserver 127.0.0.1:8000 & pids+=($!)
wait -n "${pids[@]}"

#!/usr/bin/env bash
# Prints a .env for the demo on this machine: local PostgreSQL and Redis, e-mails printed by the worker.
# The text is a quoted heredoc: nothing in it is expanded or run (the comments quote commands).
set -euo pipefail
printf 'SECRET_KEY=%s\n' "$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')"
cat <<'ENV'
DEBUG=true
DEMO_MODE=true
ALLOWED_HOSTS=127.0.0.1,localhost
# When nothing answers on these two local addresses, `make demo` starts private servers itself (under var/).
DATABASE_URL=postgres://postgres@127.0.0.1:5432/cpts_portal
REDIS_URL=redis://127.0.0.1:6379/0
EMAIL_URL=console://
SITE_URL=http://127.0.0.1:8000
# Lets `docker compose up -d db redis` start a PostgreSQL that accepts this passwordless URL (development only).
POSTGRES_HOST_AUTH_METHOD=trust
ENV

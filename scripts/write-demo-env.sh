#!/usr/bin/env bash
# Prints a .env for the demo on this machine: local PostgreSQL and Redis, e-mails printed by the worker.
set -euo pipefail
secret=$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')
cat <<ENV
SECRET_KEY=${secret}
DEBUG=true
DEMO_MODE=true
ALLOWED_HOSTS=127.0.0.1,localhost
DATABASE_URL=postgres://postgres@127.0.0.1:5432/cpts_portal
REDIS_URL=redis://127.0.0.1:6379/0
EMAIL_URL=console://
SITE_URL=http://127.0.0.1:8000
# Lets `docker compose up -d db redis` start a PostgreSQL that accepts this passwordless URL (development only).
POSTGRES_HOST_AUTH_METHOD=trust
ENV

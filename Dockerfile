# Production image of the CPTS portal: one image for web (gunicorn), worker and beat (Celery) and migrations.
# docker-compose.yml shows how the processes fit together; docs/deployment.md how to run them.

# --- Front-end assets: from the npm registry at build time (package-lock.json), exactly like `make assets` -----
FROM node:22-bookworm-slim AS assets
WORKDIR /build
COPY package.json package-lock.json ./
COPY static/icons.txt static/icons.txt
COPY scripts/build-icon-sprite.mjs scripts/build-icon-sprite.mjs
RUN npm ci --no-audit --no-fund --loglevel=error \
 && mkdir -p static/vendor/htmx static/vendor/pico static/vendor/chartjs \
 && cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx/ \
 && cp node_modules/chart.js/dist/chart.umd.min.js static/vendor/chartjs/ \
 && cp node_modules/chart.js/dist/chart.umd.min.js.map static/vendor/chartjs/ \
 && cp node_modules/@picocss/pico/css/pico.min.css static/vendor/pico/ \
 && node scripts/build-icon-sprite.mjs static/icons.txt node_modules/bootstrap-icons/icons static/vendor/icons.svg

# --- Application: Python 3.11 on Debian 12 ----------------------------------------------------------------------
FROM python:3.11-slim-bookworm AS app

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=cpts_portal.settings \
    WEB_CONCURRENCY=3

# WeasyPrint's libraries and fonts (PDF letters), gettext for compilemessages. Versions come from Debian 12's
# security-maintained archive (pinning them would break the build at each point release).
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-liberation gettext \
 && rm -rf /var/lib/apt/lists/*

# Every package pinned and hash-checked, as in the Makefile; this layer is rebuilt only when the lock changes.
COPY requirements.lock /tmp/requirements.lock
RUN python -m venv /opt/venv \
 && pip install --require-hashes --no-deps -r /tmp/requirements.lock \
 && rm /tmp/requirements.lock

WORKDIR /app
COPY . .
COPY --from=assets /build/static/vendor/ static/vendor/

# Translations and static files are built into the image (root-owned, read-only for the portal's user).
# Settings refuse to load without these variables: throwaway values for this RUN line only, never in the
# image's environment. DEBUG=false so that collectstatic writes WhiteNoise's hashed, compressed manifest.
# `mkdir -p locale`: compilemessages stops when no locale directory exists (LOCALE_PATHS is BASE_DIR/locale).
RUN mkdir -p locale \
 && export CPTS_SKIP_DOTENV=1 DEBUG=false SECRET_KEY=build-only-not-a-secret \
      DATABASE_URL=postgres://build@127.0.0.1:5432/build REDIS_URL=redis://127.0.0.1:6379/0 EMAIL_URL=console:// \
 && python manage.py compilemessages -v 0 \
 && python manage.py collectstatic --noinput -v 0 \
 && python -m compileall -q /app

# Non-root user; it writes only var/ (media: attachments; Celery beat's schedule file).
RUN groupadd --system --gid 10001 cpts \
 && useradd --system --uid 10001 --gid cpts --create-home --home-dir /home/cpts --shell /usr/sbin/nologin cpts \
 && mkdir -p /app/var/media \
 && chown cpts:cpts /app/var /app/var/media
USER 10001:10001

EXPOSE 8000

# 200 while the database answers (pages work with Redis down; plain /healthz also names the cache and the broker,
# for monitoring). The request names the first ALLOWED_HOSTS entry
# (Django rejects other hosts) and says https: gunicorn trusts X-Forwarded-Proto from 127.0.0.1 (its default
# FORWARDED_ALLOW_IPS), so the HTTPS redirect does not answer this local request. Anything but 200 is unhealthy.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import http.client,os,sys; hosts=[h.strip().lstrip('.') for h in os.environ.get('ALLOWED_HOSTS','').split(',') if h.strip() not in ('','*')]; c=http.client.HTTPConnection('127.0.0.1',8000,timeout=4); c.request('GET','/healthz?checks=database',headers={'Host':(hosts or ['localhost'])[0],'X-Forwarded-Proto':'https'}); sys.exit(c.getresponse().status!=200)"]

# Worker processes: WEB_CONCURRENCY (default 3, about 2 x CPU + 1 on a small machine). Extra options through
# GUNICORN_CMD_ARGS. Workers are recycled now and then to bound the memory PDF rendering can leave behind.
CMD ["gunicorn", "cpts_portal.wsgi", "--bind", "0.0.0.0:8000", "--worker-tmp-dir", "/dev/shm", \
     "--max-requests", "1000", "--max-requests-jitter", "100"]

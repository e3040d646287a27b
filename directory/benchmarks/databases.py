"""The throwaway database the directory's benchmarks measure in: the configured database is never written."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections
from psycopg import sql


def _admin_connection(settings_dict: dict) -> psycopg.Connection:
    """A connection to the server's maintenance database, to create and drop databases."""
    return psycopg.connect(
        dbname="postgres",
        host=settings_dict.get("HOST") or None,
        port=settings_dict.get("PORT") or None,
        user=settings_dict.get("USER") or None,
        password=settings_dict.get("PASSWORD") or None,
        autocommit=True,
        connect_timeout=10,
    )


@contextmanager
def throwaway_database(suffix: str) -> Iterator[str]:
    """Points the default connection at a new, migrated database for the time of the block, then drops it."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.in_atomic_block:
        raise RuntimeError("The benchmark switches databases: it cannot run inside a transaction.")
    settings_dict = connection.settings_dict
    main_name = settings_dict["NAME"]
    name = f"{main_name}{suffix}"[:63]
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    with _admin_connection(settings_dict) as admin:
        admin.execute(drop)  # a run killed half-way leaves one behind
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    connection.close()
    settings_dict["NAME"] = name
    ContentType.objects.clear_cache()  # ids differ from one database to the other
    try:
        call_command("migrate", verbosity=0, interactive=False)
        yield name
    finally:
        connection.close()
        settings_dict["NAME"] = main_name
        ContentType.objects.clear_cache()
        with _admin_connection(settings_dict) as admin:
            admin.execute(drop)


def database_url(settings_dict: dict, name: str) -> str:
    """The configured DATABASE_URL pointed at ``name`` (credentials and options kept)."""
    configured = os.environ.get("DATABASE_URL")
    if configured:
        return urlunsplit(urlsplit(configured)._replace(path=f"/{name}"))
    user = settings_dict.get("USER") or ""
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "localhost"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{name}"

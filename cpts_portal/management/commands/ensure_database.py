import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from psycopg import sql


class Command(BaseCommand):
    help = "Crée la base PostgreSQL de DATABASE_URL si elle n'existe pas encore."

    def handle(self, *args, **options):
        database = settings.DATABASES["default"]
        params = {
            "host": database.get("HOST") or None,
            "port": database.get("PORT") or None,
            "user": database.get("USER") or None,
            "password": database.get("PASSWORD") or None,
        }
        try:
            with psycopg.connect(dbname="postgres", autocommit=True, connect_timeout=5, **params) as connection:
                exists = connection.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", [database["NAME"]]
                ).fetchone()
                if exists:
                    self.stdout.write(f"Base « {database['NAME']} » présente.")
                    return
                connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database["NAME"])))
        except psycopg.Error as error:
            raise CommandError(f"PostgreSQL refuse la création de la base : {error}") from error
        self.stdout.write(f"Base « {database['NAME']} » créée.")

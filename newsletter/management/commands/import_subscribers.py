"""``python manage.py import_subscribers FILE.csv --edition public|professional --consent-source "…"
[--territory SLUG]``: the subscribers of another tool (see ``newsletter.services.subscriptions.subscribers_import``).
Prints the counts and each rejected line with its number and reason."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.errors import ApplicationError
from newsletter.models import Edition
from newsletter.services.subscriptions import subscribers_import, territory_for_slug


class Command(BaseCommand):
    help = "Importe les abonnés à la lettre depuis un fichier CSV (colonnes email, consented_at, name)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--edition", required=True, choices=Edition.values)
        parser.add_argument("--consent-source", required=True, help="L'outil d'où viennent les consentements.")
        parser.add_argument("--territory", help="Identifiant court du territoire (le premier par défaut).")

    def handle(self, *args, file: Path, edition: str, consent_source: str, territory: str | None, **options):
        try:
            content = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Impossible de lire {file} : {error.strerror}") from None
        try:
            report = subscribers_import(
                territory=territory_for_slug(territory),
                content=content,
                edition=edition,
                consent_source=consent_source,
            )
        except ApplicationError as error:
            raise CommandError(error.message) from None
        self.stdout.write(
            f"{report.confirmed} abonnés importés confirmés, {report.unconfirmed} non confirmés (message de "
            f"confirmation envoyé), {len(report.rejected)} lignes refusées."
        )
        for rejected in report.rejected:
            self.stdout.write(f"ligne {rejected.line} ({rejected.email or '—'}) : {rejected.reason}")

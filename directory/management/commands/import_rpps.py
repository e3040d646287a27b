"""``manage.py import_rpps FILE [--territory SLUG] [--report FILE.json]``: the national RPPS import.

Thin: parses the arguments, calls ``directory.rpps_import.rpps_extract_import`` and prints its report.
"""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from directory.models import Territory
from directory.rpps_import import rpps_extract_import

SHOWN_REJECTIONS = 20  # on the terminal; the JSON report lists them all


class Command(BaseCommand):
    help = (
        "Importe l'extraction « PS_LibreAcces_Personne_activite » de l'Annuaire Santé (RPPS) dans l'annuaire : "
        "crée ou met à jour les professionnels, leurs cabinets et leurs activités, sans toucher à ce que la "
        "CPTS a saisi, et note les arrivées et départs du territoire."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Fichier de l'extraction (UTF-8, séparateur « | »).")
        parser.add_argument(
            "--territory",
            metavar="SLUG",
            help="N'importer que les activités situées dans les communes de ce territoire (son identifiant court).",
        )
        parser.add_argument("--report", metavar="FICHIER.json", help="Écrire le compte rendu dans ce fichier JSON.")

    def handle(self, *args, file, territory, report, **options):
        territory_obj = None
        if territory:
            territory_obj = Territory.objects.filter(slug=territory).first()
            if territory_obj is None:
                raise CommandError(_("Territoire inconnu : « %(slug)s ».") % {"slug": territory})
        try:
            result = rpps_extract_import(path=file, territory=territory_obj, progress=sys.stderr.isatty())
        except ApplicationError as error:
            raise CommandError(error.message) from None
        if report:
            Path(report).write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        self.stdout.write(
            _(
                "Lignes lues : %(lines)d ; professionnels créés : %(created)d, mis à jour : %(updated)d, "
                "inchangés : %(unchanged)d ; lignes rejetées : %(rejected)d ; arrivées : %(arrivals)d, "
                "départs : %(departures)d."
            )
            % {**result, "rejected": len(result["rejected"])}
        )
        for rejected in result["rejected"][:SHOWN_REJECTIONS]:
            self.stderr.write(_("Ligne %(line)d rejetée : %(reason)s.") % rejected)
        if len(result["rejected"]) > SHOWN_REJECTIONS:
            self.stderr.write(
                _("… et %(count)d autres lignes rejetées (voir le compte rendu JSON).")
                % {"count": len(result["rejected"]) - SHOWN_REJECTIONS}
            )

import json
from importlib import import_module

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Mesure les performances d'une application : une ligne JSON par mesure "
        "(metric, value, unit, target). Chaque application fournit les siennes dans <app>/benchmarks.py."
    )

    def add_arguments(self, parser):
        parser.add_argument("app", help="Application à mesurer (notifications, directory, referrals…).")
        parser.add_argument(
            "--scale",
            type=int,
            default=None,
            help="Taille du jeu de données synthétique, pour les applications qui la prennent (directory).",
        )

    def handle(self, *args, app, scale, **options):
        if not apps.is_installed(app):
            raise CommandError(f"Application inconnue : {app}.")
        try:
            module = import_module(f"{app}.benchmarks")
        except ModuleNotFoundError as error:
            if error.name != f"{app}.benchmarks":
                raise
            raise CommandError(f"L'application {app} n'a pas encore de mesures ({app}/benchmarks.py).") from None
        figures = module.run() if scale is None else module.run(scale=scale)
        for figure in figures:
            self.stdout.write(json.dumps(figure, ensure_ascii=False))

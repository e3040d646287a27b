from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from core.errors import ApplicationError
from directory.scale import is_benchmark_database, seed_scale
from referrals.scale import seed_referrals
from snp.scale import seed_slots
from waitlist.scale import seed_waitlist


class Command(BaseCommand):
    help = (
        "Crée des données synthétiques à l'échelle nationale (professionnels, cabinets, activités, moyens de "
        "contact ; demandes d'avis entre eux ; créneaux de soins non programmés ; liste d'attente) par COPY, pour "
        "mesurer les performances. Ajoute à ce qui existe, sans collision."
    )

    def add_arguments(self, parser):
        parser.add_argument("--practitioners", type=int, default=None, help="Nombre de professionnels à créer.")
        parser.add_argument(
            "--referrals",
            type=int,
            default=None,
            help="Nombre de demandes (adressages, télé-expertises) à créer entre les professionnels présents.",
        )
        parser.add_argument(
            "--slots",
            type=int,
            default=None,
            help="Nombre de créneaux de soins non programmés à créer sur le mois qui vient, répartis entre les "
            "professionnels exerçant dans un territoire (une partie réservés).",
        )
        parser.add_argument(
            "--waitlist",
            type=int,
            default=None,
            help="Nombre d'inscriptions sur la liste d'attente du territoire (--territory, sinon le premier), "
            "foyers et priorités compris, réparties sur ses communes selon leur population.",
        )
        parser.add_argument(
            "--activities-per-practitioner",
            type=float,
            default=1.2,
            help="Nombre moyen de lieux d'exercice par professionnel (1,2 par défaut).",
        )
        parser.add_argument("--territory", default="", help="Identifiant court d'un territoire : tout y est placé.")
        parser.add_argument("--seed", type=int, default=1, help="Graine du tirage aléatoire (1 par défaut).")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Autorise la commande hors mode démonstration et hors base de mesure.",
        )

    def handle(
        self,
        *args,
        practitioners,
        referrals,
        slots,
        waitlist,
        activities_per_practitioner,
        territory,
        seed,
        force,
        **options,
    ):
        database = connection.settings_dict["NAME"]
        if not (settings.DEMO_MODE or is_benchmark_database(database) or force):
            raise CommandError(
                f"La base « {database} » n'est ni une base de démonstration (DEMO_MODE) ni une base de mesure : "
                "des professionnels fictifs s'y mêleraient aux vrais. Passez --force en connaissance de cause."
            )
        if practitioners is None and referrals is None and slots is None and waitlist is None:
            raise CommandError(
                "Indiquez --practitioners N, --referrals N, --slots N, --waitlist N, ou plusieurs d'entre eux."
            )
        verbose = options["verbosity"] > 1
        if practitioners is not None:
            self._practitioners(practitioners, activities_per_practitioner, territory, seed, verbose)
        if referrals is not None:
            try:
                report = seed_referrals(count=referrals, seed=seed)
            except ApplicationError as error:
                raise CommandError(error.message) from None
            self.stdout.write(f"Créées en {report.seconds:.1f} s : {report.referrals} demandes.")
        if slots is not None:
            try:
                report = seed_slots(count=slots, seed=seed)
            except ApplicationError as error:
                raise CommandError(error.message) from None
            self.stdout.write(
                f"Créés en {report.seconds:.1f} s : {report.slots} créneaux pour {report.practitioners} "
                f"professionnels, dont {report.booked} réservés."
            )
        if waitlist is not None:
            try:
                report = seed_waitlist(count=waitlist, territory_slug=territory, seed=seed)
            except ApplicationError as error:
                raise CommandError(error.message) from None
            self.stdout.write(
                f"Créées en {report.seconds:.1f} s : {report.entries} inscriptions ({report.members} personnes, "
                f"{report.waiting} en attente) sur {report.communes} communes."
            )

    def _practitioners(self, practitioners, activities_per_practitioner, territory, seed, verbose):
        try:
            report = seed_scale(
                practitioners=practitioners,
                activities_per_practitioner=activities_per_practitioner,
                territory_slug=territory,
                seed=seed,
                progress=self.stdout.write if verbose else lambda message: None,
            )
        except ApplicationError as error:
            raise CommandError(error.message) from None
        self.stdout.write(
            f"Créés en {report.seconds:.1f} s : {report.practitioners} professionnels "
            f"(RPPS {report.first_rpps} à {report.last_rpps}), {report.practices} cabinets, "
            f"{report.activities} activités, {report.specialty_links} spécialités, {report.channels} moyens de contact."
        )
        self.stdout.write(
            "Durées : " + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in report.timings.items()) + "."
        )

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cpts_portal.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Crée (ou complète) le territoire de démonstration et ses comptes. Sans effet s'il existe déjà."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Autorise la commande hors mode démonstration (les comptes partagent un mot de passe public).",
        )

    def handle(self, *args, force, **options):
        if not settings.DEMO_MODE and not force:
            raise CommandError(
                "DEMO_MODE n'est pas activé : ces comptes ont un mot de passe public. "
                "Activez DEMO_MODE=true ou passez --force en connaissance de cause."
            )
        counts = seed_demo()
        self.stdout.write(
            f"Territoire de démonstration prêt : {counts['accounts']} comptes, "
            f"{counts['practitioners']} professionnels, {counts['practices']} cabinets, {counts['communes']} communes, "
            f"{counts['referrals']} demandes, {counts['snp_slots']} créneaux de soins non programmés."
        )
        self.stdout.write(f"Mot de passe commun des comptes de démonstration : {DEMO_PASSWORD}")
        for account in DEMO_ACCOUNTS:
            self.stdout.write(f"  {account.email:<40} {account.label}")

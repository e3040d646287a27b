from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.services import api_token_create
from core.errors import ApplicationError


class Command(BaseCommand):
    help = "Crée un jeton d'API personnel pour le compte EMAIL et l'affiche (une seule fois)."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--name", default="ligne de commande", help="Nom du jeton (défaut : ligne de commande).")

    def handle(self, *args, email, name, **options):
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"Aucun compte avec l'adresse {email}.")
        try:
            _token, raw_key = api_token_create(user=user, name=name)
        except ApplicationError as error:
            raise CommandError(error.message) from error
        self.stdout.write(raw_key)

"""The demo territory: a fictional CPTS with the accounts every role needs (``manage.py seed_demo``).

Every name, number and address here is invented. The directory, referrals and other apps add their own
demo data as they are built.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import Role
from accounts.services import user_create
from directory.models import (
    Activity,
    Audience,
    Commune,
    ContactChannel,
    Practice,
    Practitioner,
    RoleGrant,
    Specialty,
    Territory,
)
from directory.selectors import communes_within
from directory.services import role_grant_create

# The demo CPTS covers the communes around La Roche-sur-Yon (INSEE 85191), as a real CPTS covers a bassin de vie.
DEMO_CENTRE_INSEE = "85191"
DEMO_RADIUS_KM = 25

DEMO_PASSWORD = "cpts-demo-2026"  # noqa: S105 - public on purpose: shown on the login page in demo mode only
DEMO_DOMAIN = "demo.cpts.test"

SPECIALTIES = {
    "SM54": "Médecine générale",
    "SM04": "Cardiologie et maladies vasculaires",
    "SM15": "Dermatologie et vénéréologie",
}

# key -> (name, address, INSEE code of a real commune of the territory, position of the (invented) address)
PRACTICES = {
    "tilleuls": ("Maison de santé des Tilleuls", "12 rue des Tilleuls", "85155", (46.7231, -1.4562)),
    "port": ("Cabinet médical du Port", "3 quai du Port", "85300", (46.6689, -1.5160)),
    "cardio": ("Cabinet de cardiologie du Centre", "8 place du Marché", "85191", (46.6705, -1.4260)),
    "dermato": ("Centre dermatologique des Halles", "21 rue des Halles", "85089", (46.7140, -1.3135)),
}

# local part -> (first name, last name, rpps body (10 digits), specialty code, practice key)
PRACTITIONERS = {
    "generaliste": ("Claire", "Martin", "1000000001", "SM54", "tilleuls"),
    "generaliste2": ("Karim", "Benali", "1000000002", "SM54", "port"),
    "cardiologue": ("Hélène", "Rousseau", "1000000003", "SM04", "cardio"),
    "dermatologue": ("Paul", "Lefèvre", "1000000004", "SM15", "dermato"),
}

# local part -> the channel colleagues should use first (invented numbers and addresses).
PROFESSIONAL_CHANNELS = {
    "generaliste": (ContactChannel.Kind.PROFESSIONAL_LINE, "+33251000001", "8h-9h et 13h-14h en semaine"),
    "generaliste2": (ContactChannel.Kind.PROFESSIONAL_LINE, "+33251000002", "12h-14h en semaine"),
    "cardiologue": (ContactChannel.Kind.PROFESSIONAL_LINE, "+33251000003", "9h-12h en semaine"),
    "dermatologue": (ContactChannel.Kind.MSSANTE, "paul.lefevre@demo-bocage.mssante.fr", ""),
}


@dataclass(frozen=True)
class DemoAccount:
    local_part: str
    first_name: str
    last_name: str
    label: str

    @property
    def email(self) -> str:
        return f"{self.local_part}@{DEMO_DOMAIN}"


DEMO_ACCOUNTS = [
    DemoAccount("coordinateur", "Sophie", "Durand", _("Coordination de la CPTS")),
    DemoAccount("generaliste", "Claire", "Martin", _("Médecin généraliste")),
    DemoAccount("generaliste2", "Karim", "Benali", _("Médecin généraliste (autre cabinet)")),
    DemoAccount("cardiologue", "Hélène", "Rousseau", _("Cardiologue")),
    DemoAccount("dermatologue", "Paul", "Lefèvre", _("Dermatologue")),
    DemoAccount("secretaire.cardio", "Julie", "Moreau", _("Secrétariat du cabinet de cardiologie")),
    DemoAccount("secretaire.autre", "Nadia", "Girard", _("Secrétariat d'un autre cabinet (dermatologie)")),
    DemoAccount("regulateur", "Marc", "Fontaine", _("Régulation (SAS, 15)")),
    DemoAccount("observateur", "Anne", "Petit", _("Observation (ARS)")),
]


def _account(account: DemoAccount) -> User:
    user = User.objects.filter(email=account.email).first()
    if user is None:
        user = user_create(
            email=account.email,
            password=DEMO_PASSWORD,
            first_name=account.first_name,
            last_name=account.last_name,
            email_verified=True,
        )
    else:  # a demo visitor may have changed it: the login page must stay true
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def _grant(user: User, role: str, **scope) -> None:
    existing = RoleGrant.objects.filter(user=user, role=role)
    if "territory" in scope and role not in (Role.PROFESSIONAL, Role.SECRETARY):
        existing = existing.filter(territory=scope["territory"])
    if not existing.exists():
        role_grant_create(user=user, role=role, **scope)


@transaction.atomic
def seed_demo() -> dict[str, int]:
    """Creates or completes the demo territory; running it again changes nothing."""
    from cpts_portal.lib.identifiers import with_luhn_check_digit

    territory, _created = Territory.objects.get_or_create(
        slug="demo-bocage", defaults={"name": "CPTS du Bocage (démonstration)"}
    )
    # add() is idempotent; a database emptied by a test flush has no communes, and the demo then has none.
    territory.communes.add(*communes_within(insee_code=DEMO_CENTRE_INSEE, radius_km=DEMO_RADIUS_KM))
    specialties = {
        code: Specialty.objects.get_or_create(code=code, defaults={"label": label})[0]
        for code, label in SPECIALTIES.items()
    }
    practices = {}
    for key, (name, address, insee_code, (latitude, longitude)) in PRACTICES.items():
        practice, _created = Practice.objects.get_or_create(name=name, territory=territory)
        # A database emptied by a test flush has no communes: the practice then keeps its position only.
        commune = Commune.objects.filter(insee_code=insee_code).first()
        place = {
            "address": address,
            "postal_code": commune.postal_codes[0] if commune else "",
            "city": commune.name if commune else "",
            "commune": commune,
            "latitude": latitude,
            "longitude": longitude,
        }
        if any(getattr(practice, field) != value for field, value in place.items()):
            for field, value in place.items():
                setattr(practice, field, value)
            practice.save(update_fields=[*place, "updated_at"])
        practices[key] = practice
    users = {account.local_part: _account(account) for account in DEMO_ACCOUNTS}
    for local_part, (first_name, last_name, rpps_body, specialty, practice) in PRACTITIONERS.items():
        practitioner, _created = Practitioner.objects.get_or_create(
            rpps=with_luhn_check_digit(rpps_body),
            defaults={"first_name": first_name, "last_name": last_name, "territory": territory},
        )
        practitioner.specialties.add(specialties[specialty])
        Activity.objects.get_or_create(practitioner=practitioner, practice=practices[practice])
        _grant(users[local_part], Role.PROFESSIONAL, practitioner=practitioner, territory=territory)
        kind, value, hours = PROFESSIONAL_CHANNELS[local_part]
        ContactChannel.objects.get_or_create(
            practitioner=practitioner,
            practice=None,
            audience=Audience.PROFESSIONALS,
            preferred=True,
            defaults={"kind": kind, "value": value, "hours": hours},
        )
    _grant(users["secretaire.cardio"], Role.SECRETARY, practices=[practices["cardio"]], territory=territory)
    _grant(users["secretaire.autre"], Role.SECRETARY, practices=[practices["dermato"]], territory=territory)
    _grant(users["coordinateur"], Role.COORDINATOR, territory=territory)
    _grant(users["regulateur"], Role.REGULATOR, territory=territory)
    _grant(users["observateur"], Role.OBSERVER, territory=territory)
    return {
        "accounts": len(users),
        "practitioners": Practitioner.objects.filter(territory=territory).count(),
        "practices": Practice.objects.filter(territory=territory).count(),
        "communes": territory.communes.count(),
    }

"""The SNP personas: a GP who publishes (Alice, at the Tilleuls), her secretary, the SAS regulator, a
pharmacist and a nurse of the territory, another GP, and a neighbouring territory's regulator."""

import datetime

import pytest
from django.utils import timezone

from accounts.roles import Role
from directory.models import Activity, Profession
from directory.services import role_grant_create
from snp.models import BookingAudience
from snp.services import PARIS, PatientDetails, slot_publish
from tests.conftest import enrol_totp
from tests.factories import CommuneFactory, PracticeFactory, PractitionerFactory, TerritoryFactory, UserFactory


def profession(code: str, label: str) -> Profession:
    return Profession.objects.get_or_create(code=code, defaults={"label": label})[0]


def professional(email, territory, *, profession_code="10", specialty=None, practice=None):
    user = UserFactory(email=email)
    entry = PractitionerFactory(
        first_name=user.first_name,
        last_name=user.last_name,
        territory=territory,
        profession=profession(
            profession_code, {"10": "Médecin", "21": "Pharmacien", "60": "Infirmier"}[profession_code]
        ),
    )
    if specialty:
        entry.specialties.add(specialty)
    if practice:
        Activity.objects.create(practitioner=entry, practice=practice)
    role_grant_create(user=user, role=Role.PROFESSIONAL, practitioner=entry)
    enrol_totp(user)
    return user


@pytest.fixture
def commune(db):
    return CommuneFactory()


@pytest.fixture
def gp_entry(gp):
    return gp.role_grants.get(role=Role.PROFESSIONAL).practitioner


@pytest.fixture
def gp_secretary(gp_practice):
    user = UserFactory(email="sophie@cpts.test")
    role_grant_create(user=user, role=Role.SECRETARY, practices=[gp_practice])
    enrol_totp(user)
    return user


@pytest.fixture
def pharmacist(territory):
    return professional(
        "paul@cpts.test", territory, profession_code="21", practice=PracticeFactory(territory=territory)
    )


@pytest.fixture
def nurse(territory):
    return professional("ines@cpts.test", territory, profession_code="60")


@pytest.fixture
def sos_regulator(territory):
    user = UserFactory(email="sos@cpts.test")
    role_grant_create(user=user, role=Role.REGULATOR, territory=territory, service=BookingAudience.SOS)
    enrol_totp(user)
    return user


@pytest.fixture
def neighbour_territory(db):
    return TerritoryFactory(name="CPTS du Marais", slug="marais")


@pytest.fixture
def neighbour_regulator(neighbour_territory):
    user = UserFactory(email="sas.marais@cpts.test")
    role_grant_create(user=user, role=Role.REGULATOR, territory=neighbour_territory)
    enrol_totp(user)
    return user


def at(days: int, hour: int, minute: int = 0) -> datetime.datetime:
    """``days`` from today at a wall-clock time in Paris."""
    day = timezone.localdate() + datetime.timedelta(days=days)
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=PARIS)


@pytest.fixture
def slot(gp):
    return slot_publish(acting_user=gp, start=at(1, 11, 30), duration_minutes=20, audiences=["sas", "pharmacists"])


def patient(commune, **changes) -> PatientDetails:
    values = {
        "family_name": "Durand",
        "given_names": "Jeanne",
        "birth_date": datetime.date(1950, 3, 4),
        "sex": "F",
        "commune_insee": commune.insee_code,
        "has_gp": False,
        "phone": "06 12 34 56 78",
        "email": "jeanne.durand@example.org",
        **changes,
    }
    return PatientDetails(**values)

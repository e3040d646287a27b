"""Fixtures of the coordination's tests (imported by each test_coordination_* module): the coordinator of a
second territory with its own list (``marais_coordinator``), the same territory sharing the Bocage's list
(``shared_marais``), pledges, suspicions and a handover plan."""

import datetime

import pytest
from django.utils import timezone

from accounts.roles import Role
from directory.services import role_grant_create
from tests.conftest import enrol_totp
from tests.factories import CommuneFactory, TerritoryFactory, UserFactory
from waitlist.models import DuplicateSuspicion, Entry, HandoverPlan, Pledge, WaitingListTerritory
from waitlist.services.common import waiting_list_of_territory

QUEUE = "/liste-attente/coordination/"
ENTRY = "/liste-attente/coordination/inscriptions/{}/"
RULES = "/liste-attente/coordination/regles/"
DUPLICATES = "/liste-attente/coordination/doublons/"
PLANS = "/liste-attente/coordination/reprises/"


@pytest.fixture(name="marais")
def fixture_marais(db):
    territory = TerritoryFactory(name="CPTS du Marais", slug="marais")
    commune = CommuneFactory(
        insee_code="85047", name="Challans", postal_codes=["85300"], latitude=46.8466, longitude=-1.8788
    )
    territory.communes.add(commune)
    territory.commune = commune
    return territory


@pytest.fixture(name="marais_coordinator")
def fixture_marais_coordinator(marais):
    user = UserFactory(email="jules@cpts.test", first_name="Jules", last_name="Marin")
    role_grant_create(user=user, role=Role.COORDINATOR, territory=marais)
    enrol_totp(user)
    return user


@pytest.fixture(name="marais_list")
def fixture_marais_list(marais):
    return waiting_list_of_territory(marais)


@pytest.fixture(name="shared_marais")
def fixture_shared_marais(marais, waiting_list):
    """The Marais joins the Bocage's list: one queue for both territories."""
    WaitingListTerritory.objects.create(territory=marais, waiting_list=waiting_list)
    return marais


def make_pledge(practitioner, waiting_list, *, capacity=12, starts_on=None, until=None, families_welcome=True):
    today = timezone.localdate()
    return Pledge.objects.create(
        practitioner=practitioner,
        waiting_list=waiting_list,
        capacity=capacity,
        radius_km=20,
        starts_on=starts_on or today.replace(day=1),
        until=until or today + datetime.timedelta(days=365),
        families_welcome=families_welcome,
    )


def suspect(entry: Entry, other: Entry, similarity=0.8) -> DuplicateSuspicion:
    Entry.objects.filter(pk__in=[entry.pk, other.pk]).update(duplicate_suspected=True)
    return DuplicateSuspicion.objects.create(entry=entry, other=other, similarity=similarity)


def next_month(day: datetime.date | None = None) -> datetime.date:
    day = day or timezone.localdate()
    return (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)


@pytest.fixture(name="departing_gp")
def fixture_departing_gp(territory):
    from tests.factories import PractitionerFactory

    return PractitionerFactory(first_name="Hervé", last_name="Lebrun", territory=territory)


@pytest.fixture(name="plan")
def fixture_plan(waiting_list, departing_gp, coordinator):
    return HandoverPlan.objects.create(
        waiting_list=waiting_list,
        departing_practitioner=departing_gp,
        departure_on=next_month() + datetime.timedelta(days=60),
        first_month=next_month(),
        months=6,
        created_by=coordinator,
    )


def entries_bulk(waiting_list, commune, count: int) -> None:
    """``count`` waiting entries of one member each, written in three queries."""
    from waitlist.models import HouseholdMember

    now = timezone.now()
    entries = Entry.objects.bulk_create(
        Entry(
            waiting_list=waiting_list,
            commune=commune,
            status=Entry.Status.WAITING,
            phone="+33612345678",
            situation="never_had",
            max_distance_km=10,
            priority_level=index % 3,
            waiting_since=now - datetime.timedelta(minutes=index),
        )
        for index in range(count)
    )
    HouseholdMember.objects.bulk_create(
        HouseholdMember(
            entry=entry,
            family_name=f"Nom{index}",
            given_names="Prénom",
            birth_date=datetime.date(1980, 1, 1) + datetime.timedelta(days=index),
            sex="F",
        )
        for index, entry in enumerate(entries)
    )

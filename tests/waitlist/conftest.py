"""The waiting-list personas and places: the Bocage territory holds La Roche-sur-Yon, Mouilleron-le-Captif and
Venansault (Saint-Jean-de-Monts, 50 km away on the coast, is in it too); Alice (GP, at the Tilleuls in La
Roche) and Bob (GP) pledge; a pharmacist orients patients; the coordinator and the observer of the territory;
``waiting_entry`` makes a verified sign-up in one call, as the public sign-up leaves it."""

import datetime

import pytest
from django.utils import timezone

from accounts.roles import Role
from directory.models import Activity, Profession
from directory.services import role_grant_create
from tests.conftest import enrol_totp
from tests.factories import PracticeFactory, PractitionerFactory, UserFactory, vendee_communes
from waitlist.models import ConsentRecord, Entry, HouseholdMember, SignupSource
from waitlist.services.common import entry_priority_refresh, waiting_list_of_territory


@pytest.fixture
def communes(territory):
    places = vendee_communes()
    territory.communes.add(*places.values())
    return places


@pytest.fixture
def waiting_list(territory, communes):
    return waiting_list_of_territory(territory)


@pytest.fixture
def gp_entry(gp, communes, gp_practice):
    gp_practice.commune = communes["la_roche"]
    gp_practice.latitude, gp_practice.longitude = 46.67111, -1.4293
    gp_practice.save()
    return gp.role_grants.get(role=Role.PROFESSIONAL).practitioner


@pytest.fixture
def gp2_entry(gp2, communes, gp2_practice):
    gp2_practice.commune = communes["mouilleron"]
    gp2_practice.latitude, gp2_practice.longitude = 46.7219, -1.45386
    gp2_practice.save()
    return gp2.role_grants.get(role=Role.PROFESSIONAL).practitioner


@pytest.fixture
def pharmacist(territory):
    user = UserFactory(email="paul@cpts.test", first_name="Paul", last_name="Roux")
    entry = PractitionerFactory(
        first_name="Paul",
        last_name="Roux",
        territory=territory,
        profession=Profession.objects.get_or_create(code="21", defaults={"label": "Pharmacien"})[0],
    )
    Activity.objects.create(practitioner=entry, practice=PracticeFactory(territory=territory))
    role_grant_create(user=user, role=Role.PROFESSIONAL, practitioner=entry)
    enrol_totp(user)
    return user


CONSENT_TEXT = "J'accepte que la CPTS traite mes données de santé pour me trouver un médecin traitant."


def make_waiting_entry(
    waiting_list,
    commune,
    *,
    family_name="Durand",
    given_names="Jeanne",
    birth_date=datetime.date(1960, 5, 4),
    sex="F",
    members=(),
    waiting_since=None,
    status=Entry.Status.WAITING,
    max_distance_km=15,
    phone="+33612345678",
    email="",
    flagged_by="",
    **facts,
) -> Entry:
    """A sign-up as the public page leaves it once the code is typed: members (the first is the main one),
    consent, contact verified, priority computed. ``members`` adds household members as dicts."""
    now = timezone.now()
    entry = Entry.objects.create(
        waiting_list=waiting_list,
        commune=commune,
        status=status,
        phone=phone,
        email=email,
        phone_verified_at=now if phone else None,
        email_verified_at=now if email else None,
        situation="gp_retired",
        max_distance_km=max_distance_km,
        flagged_by=flagged_by,
        household_size=1 + len(members),
        waiting_since=waiting_since or now,
        confirmed_at=waiting_since or now,
    )
    people = [dict(family_name=family_name, given_names=given_names, birth_date=birth_date, sex=sex, **facts)]
    people += [dict(member) for member in members]
    for position, person in enumerate(people):
        HouseholdMember.objects.create(entry=entry, position=position, **person)
    ConsentRecord.objects.create(
        entry=entry, version="test", text=CONSENT_TEXT, given_at=now, given_by=SignupSource.SELF
    )
    entry_priority_refresh(entry)
    return entry


@pytest.fixture
def waiting_entry(waiting_list, communes):
    return lambda **kwargs: make_waiting_entry(waiting_list, kwargs.pop("commune", communes["la_roche"]), **kwargs)

"""Fixtures of the issues and rendering tests: a coordinator's territory with change events this month, last
month and in a neighbouring territory; a coordinator of the neighbour; issues marked sent by hand (until sending
exists)."""

import datetime

import pytest
from django.utils import timezone

from accounts.roles import Role
from directory.models import Activity, ChangeEvent, Profession
from directory.services import role_grant_create
from newsletter.models import Edition, Issue, Item, Section
from tests.conftest import enrol_totp
from tests.factories import PracticeFactory, PractitionerFactory, TerritoryFactory, UserFactory

MONTH = datetime.date(2026, 11, 1)


def doctor(territory, first_name, last_name, practice=None):
    profession = Profession.objects.get_or_create(code="10", defaults={"label": "Médecin"})[0]
    entry = PractitionerFactory(first_name=first_name, last_name=last_name, territory=territory, profession=profession)
    if practice is not None:
        Activity.objects.create(practitioner=entry, practice=practice)
    return entry


def event(practitioner, kind, day, territory=None, note=""):
    return ChangeEvent.objects.create(
        practitioner=practitioner, kind=kind, happened_on=day, territory=territory or practitioner.territory, note=note
    )


@pytest.fixture
def month_events(territory):
    practice = PracticeFactory(name="Maison de santé des Tilleuls", territory=territory)
    leaving = doctor(territory, "Jean", "Dupont", practice)
    arriving = doctor(territory, "Léa", "Moreau", practice)
    retiring = doctor(territory, "Paul", "Bernard")
    events = {
        "departure": event(
            leaving, ChangeEvent.Kind.DEPARTURE, MONTH.replace(day=15), note="Ses patients diabétiques suivis par …"
        ),
        "arrival": event(arriving, ChangeEvent.Kind.ARRIVAL, MONTH.replace(day=3)),
        "retirement": event(retiring, ChangeEvent.Kind.RETIREMENT, MONTH.replace(day=30)),
        "member": event(arriving, ChangeEvent.Kind.NEW_CPTS_MEMBER, MONTH.replace(day=20)),
        # Not this month, not this territory.
        "last_month": event(leaving, ChangeEvent.Kind.MOVED_PRACTICE, datetime.date(2026, 10, 31)),
    }
    neighbour = TerritoryFactory(name="CPTS du Marais", slug="marais")
    events["elsewhere"] = event(doctor(neighbour, "Zoé", "Ailleurs"), ChangeEvent.Kind.ARRIVAL, MONTH.replace(day=5))
    return events


@pytest.fixture
def neighbour_coordinator(db):
    neighbour = TerritoryFactory(name="CPTS des Landes", slug="landes")
    user = UserFactory(email="nina@cpts.test")
    role_grant_create(user=user, role=Role.COORDINATOR, territory=neighbour)
    enrol_totp(user)
    return user


def sent_issue(territory, *, edition=Edition.PUBLIC, month=MONTH, title="La lettre de novembre", items=1):
    issue = Issue.objects.create(
        territory=territory,
        month=month,
        edition=edition,
        title=title,
        status=Issue.Status.SENT,
        sent_at=timezone.now(),
        editorial="Bonjour à **toutes et tous**.",
    )
    Item.objects.bulk_create(
        Item(issue=issue, section=Section.NEWS, position=i * 10, title=f"Actualité {i}", body=f"Texte *{i}*.")
        for i in range(items)
    )
    return issue

"""The coordination names who takes over a departure; the newsletter's item says it, in both editions. Another
territory's coordinator cannot, a GP cannot see the page, and an arrival has no successor."""

import datetime

import pytest
from django.urls import reverse

from directory.models import ChangeEvent, Profession
from newsletter.services.issues import event_item_text
from tests.factories import PractitionerFactory, TerritoryFactory

pytestmark = pytest.mark.django_db
URL = "/coordination/annuaire/mouvements/"


@pytest.fixture
def departure(territory):
    doctor = Profession.objects.get_or_create(code="10", defaults={"label": "Médecin"})[0]
    leaving = PractitionerFactory(territory=territory, profession=doctor, first_name="Jean", last_name="Dupont")
    taking_over = PractitionerFactory(territory=territory, profession=doctor, first_name="Léa", last_name="Moreau")
    event = ChangeEvent.objects.create(
        practitioner=leaving,
        kind=ChangeEvent.Kind.DEPARTURE,
        happened_on=datetime.date.today() - datetime.timedelta(days=3),
        territory=territory,
    )
    return event, taking_over


def test_the_coordinator_names_who_takes_over_and_the_letter_says_it(signed_in, coordinator, departure):
    event, taking_over = departure
    client = signed_in(coordinator)
    page = client.get(reverse("directory:territory_changes"))
    assert page.status_code == 200 and "Moreau Léa" in page.content.decode()
    response = client.post(URL, {"event": event.pk, "successor": taking_over.pk})
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.successor == taking_over
    for edition in ("public", "professional"):
        _title, body = event_item_text(event, edition=edition)
        assert "Dr Léa Moreau prend la suite." in body


def test_the_successor_must_be_another_entry_of_the_territory(signed_in, coordinator, departure):
    event, _taking_over = departure
    elsewhere = PractitionerFactory(
        territory=TerritoryFactory(slug="ailleurs"), profession=event.practitioner.profession
    )
    client = signed_in(coordinator)
    for chosen in (elsewhere.pk, event.practitioner.pk):
        response = client.post(URL, {"event": event.pk, "successor": chosen})
        assert response.status_code == 400
    event.refresh_from_db()
    assert event.successor is None


def test_others_cannot_name_a_successor(signed_in, gp, departure):
    event, taking_over = departure
    assert signed_in(gp).get(URL).status_code == 403
    assert signed_in(gp).post(URL, {"event": event.pk, "successor": taking_over.pk}).status_code == 403
    event.refresh_from_db()
    assert event.successor is None

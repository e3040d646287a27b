"""The professional's private iCalendar feed: created, shown and revoked from the week page; the feed parsed back
holds the slots (free ones "Créneau libre SNP", booked ones "Réservé"), no patient name unless she opts in; a
revoked or unknown token is 404, and only the professional holds a feed."""

import html

import pytest
from icalendar import Calendar

from accounts.models import AccessLog
from snp.calendar import calendar_feed_create, calendar_feed_names_set, calendar_feed_revoke
from snp.models import SnpCalendarFeed
from snp.services import booking_create, slot_publish
from tests.snp.conftest import at, patient

pytestmark = pytest.mark.django_db

WEEK = "/soins-non-programmes/semaine/"


def _feed_path(feed):
    return f"/soins-non-programmes/agenda/{feed.token}.ics"


def _events(client, feed):
    response = client.get(_feed_path(feed))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    return {str(event["summary"]): event for event in calendar.walk("VEVENT")}


@pytest.fixture
def booked(regulator, gp, commune):
    slot = slot_publish(acting_user=gp, start=at(1, 9), duration_minutes=20, audiences=["sas"])
    return booking_create(
        acting_user=regulator, slot=slot, patient=patient(commune), reason_category="pain", contact_consent=False
    )


def test_the_gp_creates_her_link_on_the_week_page_and_sees_it(signed_in, gp, gp_entry):
    client = signed_in(gp)
    assert "Créer mon lien d'agenda" in html.unescape(client.get(WEEK).content.decode())
    response = client.post("/soins-non-programmes/semaine/agenda/creer/", follow=True)
    feed = SnpCalendarFeed.objects.get(practitioner=gp_entry)
    assert len(feed.token) >= 40 and not feed.include_patient_names
    assert _feed_path(feed) in response.content.decode()
    client.post("/soins-non-programmes/semaine/agenda/creer/")  # twice: still one link
    assert SnpCalendarFeed.objects.count() == 1


def test_the_feed_holds_free_and_booked_slots_without_the_patient_s_name(client, gp, slot, booked):
    feed = calendar_feed_create(acting_user=gp)
    events = _events(client, feed)
    assert set(events) == {"Créneau libre SNP", "Réservé"}
    free = events["Créneau libre SNP"]
    assert free.decoded("dtstart") == slot.starts_at
    assert str(free["dtstart"].params.get("TZID")) == "Europe/Paris"
    assert f"snp-{slot.public_id}@" in str(free["uid"])
    body = client.get(_feed_path(feed)).content.decode()
    assert "Durand" not in body and "DURAND" not in body and "Douleur" not in body
    assert not AccessLog.objects.filter(subject_id=str(booked.public_id), via__contains="calendar").exists()


def test_with_names_opted_in_the_booked_event_names_the_patient_and_the_read_is_logged(client, gp, booked):
    feed = calendar_feed_create(acting_user=gp)
    calendar_feed_names_set(acting_user=gp, include_patient_names=True)
    events = _events(client, feed)
    assert "Réservé : Jeanne DURAND" in events
    row = AccessLog.objects.get(subject_id=str(booked.public_id), via="snp.calendar.calendar_feed_ics")
    assert row.user == gp and feed.token not in row.via


def test_the_names_are_toggled_from_the_week_page(signed_in, gp, booked):
    feed = calendar_feed_create(acting_user=gp)
    client = signed_in(gp)
    client.post("/soins-non-programmes/semaine/agenda/noms/", {"include_patient_names": "on"})
    feed.refresh_from_db()
    assert feed.include_patient_names
    client.post("/soins-non-programmes/semaine/agenda/noms/", {})
    feed.refresh_from_db()
    assert not feed.include_patient_names


def test_a_withdrawn_slot_leaves_the_feed(client, gp, slot):
    from snp.services import slot_withdraw

    feed = calendar_feed_create(acting_user=gp)
    slot_withdraw(acting_user=gp, slot=slot)
    assert _events(client, feed) == {}


def test_a_revoked_link_is_404_and_a_new_one_has_a_new_token(signed_in, client, gp, slot):
    feed = calendar_feed_create(acting_user=gp)
    path = _feed_path(feed)
    response = signed_in(gp).post("/soins-non-programmes/semaine/agenda/revoquer/", follow=True)
    assert "Lien d'agenda révoqué" in html.unescape(response.content.decode())
    client.logout()
    assert client.get(path).status_code == 404
    again = calendar_feed_create(acting_user=gp)
    assert again.token != feed.token and client.get(_feed_path(again)).status_code == 200


def test_an_unknown_token_is_404(client, db):
    assert client.get("/soins-non-programmes/agenda/not-a-token.ics").status_code == 404


def test_another_professional_s_feed_is_not_hers_to_revoke(gp, gp2):
    feed = calendar_feed_create(acting_user=gp)
    with pytest.raises(Exception, match="pas de lien"):
        calendar_feed_revoke(acting_user=gp2)
    feed.refresh_from_db()
    assert feed.revoked_at is None


def test_a_secretary_holds_no_feed(signed_in, gp_secretary):
    response = signed_in(gp_secretary).post("/soins-non-programmes/semaine/agenda/creer/")
    assert response.status_code == 403
    assert SnpCalendarFeed.objects.count() == 0


def test_an_unknown_token_stays_out_of_the_request_log(client, db, caplog):
    with caplog.at_level("WARNING", logger="django.request"):
        client.get("/soins-non-programmes/agenda/secret-token-guess.ics")
    assert "secret-token-guess" not in caplog.text

"""The SNP API: a GP publishes, the SAS lists and books, a second booking of the same slot is a 409 with the next
free slots, and each refusal is the rule's (404 for what the caller may not see, French 400s on the field)."""

import datetime

import pytest
from django.utils import timezone

from accounts.models import AccessLog
from snp.models import Booking, Slot
from snp.services import slot_publish
from tests.factories import vendee_communes
from tests.snp.conftest import at

pytestmark = pytest.mark.django_db

SLOTS = "/api/v1/snp/slots/"
BOOKINGS = "/api/v1/snp/bookings/"


def _booking_body(slot_id, commune="85191", **patient):
    return {
        "slot": str(slot_id),
        "patient": {
            "family_name": "Durand",
            "given_names": "Jeanne",
            "birth_date": "1950-03-04",
            "sex": "F",
            "phone": "0612345678",
            "commune": commune,
            "has_gp": False,
            **patient,
        },
        "reason_category": "pain",
        "contact_consent": True,
    }


@pytest.fixture
def communes(db):
    return vendee_communes()


def test_a_gp_publishes_at_her_only_site_and_gets_a_free_slot(gp, gp_practice, signed_in):
    response = signed_in(gp).post(
        SLOTS,
        {"start": at(1, 11, 30).isoformat(), "duration_minutes": 20, "kind": "in_practice", "audiences": ["sas"]},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "free" and body["duration_minutes"] == 20
    assert body["site"]["id"] == str(gp_practice.public_id)


def test_a_slot_in_the_past_is_a_french_400_on_its_field(gp, signed_in):
    past = (timezone.now() - datetime.timedelta(hours=1)).isoformat()
    response = signed_in(gp).post(
        SLOTS, {"start": past, "duration_minutes": 20, "audiences": ["sas"]}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["field"] == "start" and "passé" in response.json()["detail"]


def test_the_sas_lists_books_and_a_second_booking_is_409_with_the_next_slots(
    gp, regulator, signed_in, communes, gp_practice
):
    gp_practice.commune = communes["la_roche"]
    gp_practice.save()
    first = slot_publish(acting_user=gp, start=at(1, 11, 30), duration_minutes=20, audiences=["sas"])
    second = slot_publish(acting_user=gp, start=at(1, 17, 45), duration_minutes=20, audiences=["sas"])
    client = signed_in(regulator)
    listed = client.get(SLOTS, {"commune": "85155", "radius_km": "10"}).json()
    assert [row["id"] for row in listed["results"]] == [str(first.public_id), str(second.public_id)]
    far = client.get(SLOTS, {"commune": "85234", "radius_km": "10"}).json()
    assert far["results"] == []

    booked = client.post(BOOKINGS, _booking_body(first.public_id), content_type="application/json")
    assert booked.status_code == 201, booked.json()
    assert booked.json()["patient"]["phone"] == "+33612345678"
    again = client.post(BOOKINGS, _booking_body(first.public_id, family_name="Autre"), content_type="application/json")
    assert again.status_code == 409
    assert again.json()["detail"] == "Ce créneau vient d'être réservé."
    assert [row["id"] for row in again.json()["next_slots"]] == [str(second.public_id)]
    # The board no longer lists the booked slot as free.
    free = client.get(SLOTS, {"status": "free"}).json()["results"]
    assert [row["id"] for row in free] == [str(second.public_id)]


def test_a_pharmacist_cannot_see_a_slot_for_the_sas_only(gp, pharmacist, signed_in, communes):
    sas_only = slot_publish(acting_user=gp, start=at(1, 9), duration_minutes=20, audiences=["sas"])
    client = signed_in(pharmacist)
    assert client.get(SLOTS).json()["results"] == []
    response = client.post(BOOKINGS, _booking_body(sas_only.public_id), content_type="application/json")
    assert response.status_code == 404
    assert not Booking.objects.exists()


def test_another_gp_and_an_observer_get_404_on_a_booking_the_practice_reads_it_logged(
    gp, gp2, observer, regulator, signed_in, communes
):
    slot = slot_publish(acting_user=gp, start=at(1, 9), duration_minutes=20, audiences=["sas"])
    booking_id = (
        signed_in(regulator).post(BOOKINGS, _booking_body(slot.public_id), content_type="application/json").json()["id"]
    )
    assert signed_in(gp2).get(f"{BOOKINGS}{booking_id}/").status_code == 404
    assert signed_in(observer).get(f"{BOOKINGS}{booking_id}/").status_code == 404
    assert (
        signed_in(gp2)
        .post(f"{BOOKINGS}{booking_id}/cancel/", {"reason": "x"}, content_type="application/json")
        .status_code
        == 404
    )
    response = signed_in(gp).get(f"{BOOKINGS}{booking_id}/")
    assert response.status_code == 200 and response.json()["patient"]["family_name"] == "Durand"
    assert AccessLog.objects.filter(user=gp, subject_type="snp_booking", action="read", subject_id=booking_id).exists()
    listed = signed_in(regulator).get(BOOKINGS).json()
    assert [row["id"] for row in listed["results"]] == [booking_id]
    assert AccessLog.objects.filter(user=regulator, subject_type="snp_booking", action="read").count() == 1


def test_bad_booking_input_is_a_french_400_and_nothing_is_saved(gp, regulator, signed_in, communes):
    slot = slot_publish(acting_user=gp, start=at(1, 9), duration_minutes=20, audiences=["sas"])
    client = signed_in(regulator)
    for body, field in (
        (_booking_body(slot.public_id, phone="abcdefghij"), "phone"),
        (_booking_body(slot.public_id, commune="00000"), "commune"),
        (_booking_body(slot.public_id, birth_date="1800-01-01"), "birth_date"),
    ):
        response = client.post(BOOKINGS, body, content_type="application/json")
        assert response.status_code == 400, body
        assert response.json()["field"] == field
    slot.refresh_from_db()
    assert slot.status == Slot.Status.FREE and not Booking.objects.exists()


def test_an_outcome_before_the_visit_is_refused_then_recorded_after(gp, regulator, signed_in, communes):
    slot = slot_publish(acting_user=gp, start=at(1, 9), duration_minutes=20, audiences=["sas"])
    booking_id = (
        signed_in(regulator).post(BOOKINGS, _booking_body(slot.public_id), content_type="application/json").json()["id"]
    )
    client = signed_in(gp)
    early = client.post(f"{BOOKINGS}{booking_id}/outcome/", {"outcome": "honoured"}, content_type="application/json")
    assert early.status_code == 400
    Slot.objects.filter(pk=slot.pk).update(
        starts_at=timezone.now() - datetime.timedelta(hours=1), ends_at=timezone.now() - datetime.timedelta(minutes=40)
    )
    done = client.post(f"{BOOKINGS}{booking_id}/outcome/", {"outcome": "no_show"}, content_type="application/json")
    assert done.status_code == 200 and done.json()["recall"] == "to_do"


def test_calls_and_the_month_s_figures(gp, regulator, observer, pharmacist, signed_in, communes):
    slot = slot_publish(acting_user=gp, start=at(1, 9), duration_minutes=20, audiences=["sas"])
    slot_publish(acting_user=gp, start=at(1, 10), duration_minutes=20, audiences=["sas"])
    signed_in(regulator).post(BOOKINGS, _booking_body(slot.public_id), content_type="application/json")
    call = signed_in(regulator).post("/api/v1/snp/calls/", {"outcome": "no_slot"}, content_type="application/json")
    assert call.status_code == 201
    month = at(1, 9).strftime("%Y-%m")
    figures = signed_in(observer).get("/api/v1/snp/statistics/", {"month": month}).json()
    if at(1, 9).month == timezone.localdate().month:
        assert figures["calls"] == 2 and figures["calls_by_outcome"]["no_slot"] == 1
    assert figures["slots_offered"] == 2 and figures["slots_booked"] == 1
    assert signed_in(pharmacist).get("/api/v1/snp/statistics/").status_code == 403
    assert signed_in(observer).get("/api/v1/snp/statistics/", {"month": "2026-13"}).status_code == 400


def test_a_pharmacist_reads_their_own_bookings_not_another_pharmacist_s(gp, pharmacist, territory, signed_in, communes):
    from tests.snp.conftest import professional

    colleague = professional("pierre@cpts.test", territory, profession_code="21")
    slot = slot_publish(acting_user=gp, start=at(1, 9), duration_minutes=20, audiences=["pharmacists"])
    booked = signed_in(pharmacist).post(BOOKINGS, _booking_body(slot.public_id), content_type="application/json")
    booking_id = booked.json()["id"]
    assert signed_in(colleague).get(f"{BOOKINGS}{booking_id}/").status_code == 404
    assert signed_in(colleague).get(BOOKINGS).json()["results"] == []
    assert signed_in(pharmacist).get(f"{BOOKINGS}{booking_id}/").status_code == 200

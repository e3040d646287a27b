"""The patient's own booking page: their mobile number, the code it receives, who they are; each refusal in
French with a 4xx and what was typed kept; a slot not open to the public answers 404."""

import pytest

from notifications.models import OutboundMessage
from snp.models import Booking
from snp.services import booking_create, slot_publish
from tests.snp.conftest import at, patient


@pytest.fixture
def open_slot(gp):
    return slot_publish(acting_user=gp, start=at(1, 18), duration_minutes=20, audiences=["sas", "public"])


def _url(slot):
    return f"/soins-non-programmes/pres-de-chez-vous/{slot.public_id}/reserver/"


def _details(code, **changes):
    return {
        "step": "book",
        "phone": "+33612345678",
        "code": code,
        "family_name": "Durand",
        "given_names": "Jeanne",
        "birth_date": "1950-03-04",
        "sex": "F",
        "commune": "85191",
        "has_gp": "non",
        "reason_category": "pain",
        "consent": "on",
        **changes,
    }


def _code():
    return OutboundMessage.objects.filter(template="verification_code").latest("created_at").context["code"]


def test_a_patient_books_in_three_steps(client, open_slot, commune):
    assert "Recevoir le code" in client.get(_url(open_slot)).content.decode()

    response = client.post(_url(open_slot), {"step": "code", "phone": "06 12 34 56 78"})
    assert response.status_code == 200
    assert "Un code a été envoyé par SMS au 06 12 34 56 78" in response.content.decode()

    response = client.post(_url(open_slot), _details(_code()))
    assert response.status_code == 200
    assert "Consultation réservée" in response.content.decode()
    assert Booking.objects.get().audience == "public"


def test_a_wrong_code_is_said_on_the_field_and_the_rest_is_kept(client, open_slot, commune):
    client.post(_url(open_slot), {"step": "code", "phone": "0612345678"})

    response = client.post(_url(open_slot), _details("123"))

    page = response.content.decode()
    assert response.status_code == 400
    assert "Ce code n&#x27;est pas le bon" in page or "Ce code n'est pas le bon" in page
    assert 'value="Durand"' in page and 'value="Jeanne"' in page
    assert not Booking.objects.exists()


def test_a_number_that_is_not_one_gets_a_400(client, open_slot):
    response = client.post(_url(open_slot), {"step": "code", "phone": "abcdefghij"})

    assert response.status_code == 400
    assert "n&#x27;en est pas un" in response.content.decode()
    assert not OutboundMessage.objects.exists()


def test_a_slot_booked_by_the_regulation_meanwhile_is_no_longer_offered(client, open_slot, regulator, commune):
    # (Two bookings at the same instant end in a 409 with the next slots: tests/snp/test_public_booking.py.)
    client.post(_url(open_slot), {"step": "code", "phone": "0612345678"})
    booking_create(
        acting_user=regulator, slot=open_slot, patient=patient(commune), reason_category="pain", contact_consent=True
    )

    response = client.post(_url(open_slot), _details(_code()))

    assert response.status_code == 404
    assert "plus proposé à la réservation en ligne" in response.content.decode()
    assert Booking.objects.get().audience == "sas"


def test_a_slot_not_open_to_the_public_is_not_found(client, slot):
    response = client.get(_url(slot))

    assert response.status_code == 404
    assert "plus proposé à la réservation en ligne" in response.content.decode()

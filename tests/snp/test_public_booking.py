"""A patient books a slot open to the public themselves, once their phone number is proven by a 6-digit code sent
by SMS: the code works once, for a few minutes and a few tries; the practice hears of it; a slot not open to the
public is not found."""

import pytest

from core.errors import ApplicationError
from notifications.models import OutboundMessage, VerificationCode
from snp.models import Booking, Slot
from snp.services import (
    SlotTaken,
    booking_create,
    booking_create_by_patient,
    public_booking_code_send,
    public_slot,
    slot_publish,
)
from tests.snp.conftest import at, patient


@pytest.fixture
def open_slot(gp):
    return slot_publish(acting_user=gp, start=at(1, 18), duration_minutes=20, audiences=["sas", "public"])


def _code_sent_to(phone: str) -> str:
    message = OutboundMessage.objects.filter(template="verification_code", recipient=phone).latest("created_at")
    return message.context["code"]


def test_a_patient_proves_their_number_and_books_the_slot(open_slot, commune, gp):
    phone = public_booking_code_send(slot=open_slot, phone="06 12 34 56 78")
    code = _code_sent_to(phone)
    assert len(code) == 6 and code.isdigit()
    assert code not in VerificationCode.objects.get().code_hash  # only a keyed hash is kept

    booking = booking_create_by_patient(
        slot=open_slot, patient=patient(commune, phone="06 12 34 56 78"), phone_code=code, reason_category="pain"
    )

    assert booking.audience == "public" and booking.booked_by is None
    assert Slot.objects.get(pk=open_slot.pk).status == Slot.Status.BOOKED
    sent = set(OutboundMessage.objects.values_list("template", "recipient"))
    assert ("snp_booking_confirmed", "+33612345678") in sent
    assert ("snp_booking_public_for_practice", gp.email) in sent


def test_a_wrong_code_is_refused_and_counted_until_a_new_one_is_needed(open_slot, commune):
    public_booking_code_send(slot=open_slot, phone="0612345678")
    for _try in range(5):
        with pytest.raises(ApplicationError, match="n'est pas le bon") as refused:
            booking_create_by_patient(
                slot=open_slot, patient=patient(commune), phone_code="000000", reason_category="pain"
            )
        assert refused.value.field == "code"
    code = _code_sent_to("+33612345678")

    with pytest.raises(ApplicationError, match="Trop d'essais"):
        booking_create_by_patient(slot=open_slot, patient=patient(commune), phone_code=code, reason_category="pain")
    assert not Booking.objects.exists()


def test_a_code_books_once(open_slot, gp, commune):
    other = slot_publish(acting_user=gp, start=at(2, 18), duration_minutes=20, audiences=["public"])
    public_booking_code_send(slot=open_slot, phone="0612345678")
    code = _code_sent_to("+33612345678")
    booking_create_by_patient(slot=open_slot, patient=patient(commune), phone_code=code, reason_category="pain")

    with pytest.raises(ApplicationError, match="expiré ou a déjà servi"):
        booking_create_by_patient(slot=other, patient=patient(commune), phone_code=code, reason_category="pain")


def test_a_slot_taken_meanwhile_answers_409_and_leaves_the_code_usable(open_slot, gp, regulator, commune):
    later = slot_publish(acting_user=gp, start=at(2, 18), duration_minutes=20, audiences=["public"])
    public_booking_code_send(slot=open_slot, phone="0612345678")
    code = _code_sent_to("+33612345678")
    booking_create(
        acting_user=regulator, slot=open_slot, patient=patient(commune), reason_category="pain", contact_consent=True
    )

    with pytest.raises(SlotTaken) as taken:
        booking_create_by_patient(slot=open_slot, patient=patient(commune), phone_code=code, reason_category="pain")
    assert [slot.pk for slot in taken.value.next_slots] == [later.pk]

    booking_create_by_patient(slot=later, patient=patient(commune), phone_code=code, reason_category="pain")


def test_codes_to_one_number_are_limited_to_three_an_hour(open_slot):
    for _code in range(3):
        public_booking_code_send(slot=open_slot, phone="0612345678")

    with pytest.raises(ApplicationError, match="Trop de codes"):
        public_booking_code_send(slot=open_slot, phone="06 12 34 56 78")


def test_a_slot_not_open_to_the_public_is_not_found(slot):
    with pytest.raises(ApplicationError) as missing:
        public_slot(slot.public_id)
    assert missing.value.code == "not_found"


def test_a_number_that_is_not_one_is_refused_before_any_code(open_slot):
    with pytest.raises(ApplicationError, match="n'en est pas un"):
        public_booking_code_send(slot=open_slot, phone="12")
    assert not OutboundMessage.objects.exists()

"""A regulator books a free slot for a patient after the call; pharmacists, nurses and GPs book what is open to
them; nobody books a slot twice; the patient is told, may cancel through their link, gets a reminder; after the
visit the practice records the outcome and the patient's GP hears of it."""

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import AccessLog
from core.errors import ApplicationError
from notifications.models import OutboundMessage
from snp.models import Booking, RegulatedCall, SharedOffer, Slot
from snp.scope import snp_actor_for
from snp.services import (
    PARIS,
    SlotTaken,
    booking_cancel,
    booking_cancel_by_patient,
    booking_create,
    booking_outcome_record,
    call_record,
    cancel_link,
    reminders_send,
    slot_publish,
)
from tests.snp.conftest import at, patient

pytestmark = pytest.mark.django_db


def _book(user, slot, commune, **changes):
    return booking_create(
        acting_user=user,
        slot=slot,
        patient=patient(commune, **changes),
        reason_category="fever_infection",
        contact_consent=True,
    )


def _messages(template):
    return OutboundMessage.objects.filter(template=template)


def test_the_sas_books_a_free_slot_and_the_patient_is_told_without_the_reason(regulator, slot, commune):
    booking = _book(regulator, slot, commune)
    slot.refresh_from_db()
    assert slot.status == Slot.Status.BOOKED
    assert (booking.audience, booking.booked_by, booking.patient_phone) == ("sas", regulator, "+33612345678")
    sms = _messages("snp_booking_confirmed").get(channel="sms")
    assert sms.recipient == "+33612345678" and sms.recipient_kind == "patient"
    email = _messages("snp_booking_confirmed").get(channel="email")
    assert email.recipient == "jeanne.durand@example.org"
    assert RegulatedCall.objects.get(booking=booking).outcome == RegulatedCall.Outcome.BOOKED
    row = AccessLog.objects.get(subject_type="snp_booking", subject_id=str(booking.public_id))
    assert (row.user, row.action) == (regulator, "create")


def test_the_messages_name_no_reason_and_offer_the_waiting_list_to_a_patient_without_gp(regulator, slot, commune):
    from notifications.services import message_render

    _book(regulator, slot, commune)
    email = message_render(_messages("snp_booking_confirmed").get(channel="email"))
    text = email["text"]
    assert "carte Vitale" in text and "/soins-non-programmes/annuler/" in text
    assert "liste d'attente" in text
    assert "Fièvre" not in text and "infection" not in text
    sms = message_render(_messages("snp_booking_confirmed").get(channel="sms"))["text"]
    assert "11:30" in sms and "Fièvre" not in sms


def test_a_pharmacist_books_what_is_open_to_pharmacists_only(pharmacist, gp, commune):
    open_to_them = slot_publish(acting_user=gp, start=at(1, 9), duration_minutes=20, audiences=["pharmacists"])
    sas_only = slot_publish(acting_user=gp, start=at(1, 10), duration_minutes=20, audiences=["sas"])
    assert _book(pharmacist, open_to_them, commune).audience == "pharmacists"
    with pytest.raises(ApplicationError) as refusal:
        _book(pharmacist, sas_only, commune)
    assert refusal.value.code == "not_found"
    assert not Booking.objects.filter(slot=sas_only).exists()


def test_audiences_come_from_the_grant_s_service_and_the_entry_s_profession(
    regulator, sos_regulator, pharmacist, nurse, gp, observer, outsider, territory
):
    assert set(snp_actor_for(regulator).booking) == {"sas"}
    assert set(snp_actor_for(sos_regulator).booking) == {"sos"}
    assert set(snp_actor_for(pharmacist).booking) == {"pharmacists"}
    assert set(snp_actor_for(nurse).booking) == {"nurses"}
    assert set(snp_actor_for(gp).booking) == {"gps"}
    assert snp_actor_for(observer).booking == {} and snp_actor_for(outsider).booking == {}
    assert snp_actor_for(regulator).booking["sas"] == {territory.pk}


def test_a_neighbouring_territory_books_only_once_the_offer_is_shared(neighbour_regulator, slot, commune, territory):
    with pytest.raises(ApplicationError):
        _book(neighbour_regulator, slot, commune)
    SharedOffer.objects.create(territory=territory, shares_with=neighbour_regulator.role_grants.get().territory)
    assert _book(neighbour_regulator, slot, commune).audience == "sas"


def test_a_booked_or_withdrawn_slot_answers_conflict_with_the_next_free_ones(regulator, gp, slot, commune):
    later = slot_publish(acting_user=gp, start=at(1, 14), duration_minutes=20, audiences=["sas"])
    _book(regulator, slot, commune)
    with pytest.raises(SlotTaken) as taken:
        _book(regulator, slot, commune, family_name="Autre")
    assert taken.value.code == "conflict"
    assert taken.value.message == "Ce créneau vient d'être réservé."
    assert [s.pk for s in taken.value.next_slots] == [later.pk]
    assert Booking.objects.filter(slot=slot).count() == 1


def test_bad_patient_input_is_refused_on_its_field_and_nothing_is_saved(regulator, slot, commune):
    for field, changes in (
        ("phone", {"phone": "abcdefghij"}),
        ("phone", {"phone": "12"}),
        ("phone", {"phone": "+44 20 7946 0958"}),
        ("commune", {"commune_insee": "99999"}),
        ("birth_date", {"birth_date": datetime.date(1800, 1, 1)}),
        ("family_name", {"family_name": "  "}),
        ("sex", {"sex": "?"}),
    ):
        with pytest.raises(ApplicationError) as refusal:
            _book(regulator, slot, commune, **changes)
        assert refusal.value.field == field, changes
    slot.refresh_from_db()
    assert slot.status == Slot.Status.FREE and not Booking.objects.exists()
    assert not OutboundMessage.objects.exists()


def test_a_past_slot_cannot_be_booked(regulator, slot, commune):
    Slot.objects.filter(pk=slot.pk).update(
        starts_at=timezone.now() - datetime.timedelta(hours=1), ends_at=timezone.now() - datetime.timedelta(minutes=40)
    )
    slot.refresh_from_db()
    with pytest.raises(ApplicationError) as refusal:
        _book(regulator, slot, commune)
    assert "passé" in refusal.value.message


@pytest.mark.django_db(transaction=True)
def test_twenty_callers_at_once_book_the_same_slot_exactly_one_succeeds(regulator, gp, commune):
    slot = slot_publish(acting_user=gp, start=at(1, 11, 30), duration_minutes=20, audiences=["sas"])
    barrier = threading.Barrier(20)
    outcomes = []

    def call(n):
        try:
            barrier.wait()
            _book(regulator, slot, commune, family_name=f"Patient {n}")
            outcomes.append("booked")
        except SlotTaken as taken:
            outcomes.append(taken.code)
        except Exception as error:  # anything else is a failure of the test
            outcomes.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=call, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["booked"] + ["conflict"] * 19
    assert Booking.objects.filter(slot=slot).count() == 1


def test_the_patient_cancels_through_their_link_once(regulator, slot, commune, gp):
    booking = _book(regulator, slot, commune)
    token = cancel_link(booking).rstrip("/").rsplit("/", 1)[1]
    booking_cancel_by_patient(token=token)
    booking.refresh_from_db()
    slot.refresh_from_db()
    assert (booking.status, booking.cancelled_by, slot.status) == ("cancelled", "patient", "free")
    assert _messages("snp_booking_cancelled_for_practice").get().recipient == gp.email
    with pytest.raises(ApplicationError) as refusal:
        booking_cancel_by_patient(token=token)
    assert refusal.value.code == "link_invalid" or "lien" in refusal.value.message
    # The slot is free again: someone else books it.
    assert _book(regulator, slot, commune, family_name="Martin").status == "booked"


def test_the_practice_cancels_with_a_reason_the_patient_and_the_booker_are_told(regulator, gp, slot, commune):
    booking = _book(regulator, slot, commune)
    with pytest.raises(ApplicationError) as refusal:
        booking_cancel(acting_user=gp, booking=booking, reason=" ")
    assert refusal.value.field == "reason"
    booking_cancel(acting_user=gp, booking=booking, reason="Médecin appelé en urgence")
    slot.refresh_from_db()
    assert slot.status == Slot.Status.WITHDRAWN
    assert _messages("snp_booking_cancelled").filter(recipient_kind="patient").count() == 2
    told = _messages("snp_booking_cancelled_by_practice").get()
    assert told.recipient == regulator.email


def test_another_gp_cannot_cancel_or_record_an_outcome(regulator, gp2, slot, commune):
    booking = _book(regulator, slot, commune)
    for call_ in (
        lambda: booking_cancel(acting_user=gp2, booking=booking, reason="x"),
        lambda: booking_outcome_record(acting_user=gp2, booking=booking, outcome="honoured"),
    ):
        with pytest.raises(ApplicationError) as refusal:
            call_()
        assert refusal.value.code == "not_found"


def test_the_outcome_waits_for_the_visit_then_a_no_show_is_to_be_called_back(regulator, gp, slot, commune):
    booking = _book(regulator, slot, commune)
    with pytest.raises(ApplicationError) as refusal:
        booking_outcome_record(acting_user=gp, booking=booking, outcome="no_show")
    assert "après" in refusal.value.message
    Slot.objects.filter(pk=slot.pk).update(
        starts_at=timezone.now() - datetime.timedelta(hours=1), ends_at=timezone.now() - datetime.timedelta(minutes=40)
    )
    booking = booking_outcome_record(acting_user=gp, booking=booking, outcome="no_show")
    assert (booking.status, booking.recall) == ("no_show", "to_do")


def test_an_honoured_visit_tells_the_patient_s_own_gp_with_no_patient_data(regulator, gp, gp2, slot, commune):
    gp2_entry = gp2.role_grants.get().practitioner
    booking = _book(regulator, slot, commune, has_gp=True, gp_practitioner=gp2_entry)
    Slot.objects.filter(pk=slot.pk).update(
        starts_at=timezone.now() - datetime.timedelta(hours=1), ends_at=timezone.now() - datetime.timedelta(minutes=40)
    )
    booking_outcome_record(acting_user=gp, booking=booking, outcome="honoured", note="Otite, amoxicilline 6 jours.")
    from notifications.services import message_render

    message = _messages("snp_patient_seen").get()
    assert message.recipient == gp2.email
    text = message_render(message)["text"]
    assert "soins non programmés" in text and str(booking.public_id) in text
    assert "Durand" not in text and "Otite" not in text


def test_the_reminder_leaves_once_two_hours_before(regulator, gp, commune):
    soon = slot_publish(
        acting_user=gp, start=timezone.now() + datetime.timedelta(minutes=90), duration_minutes=20, audiences=["sas"]
    )
    later = slot_publish(
        acting_user=gp, start=timezone.now() + datetime.timedelta(hours=5), duration_minutes=20, audiences=["sas"]
    )
    _book(regulator, soon, commune)
    _book(regulator, later, commune, family_name="Martin")
    assert reminders_send() == 1
    assert reminders_send() == 0
    assert _messages("snp_booking_reminder").count() == 2  # one SMS and one e-mail


def test_a_regulator_records_a_call_without_booking_others_cannot(regulator, pharmacist, commune, territory):
    call = call_record(acting_user=regulator, outcome="advice", commune_insee=commune.insee_code)
    assert (call.territory, call.audience, call.booking) == (territory, "sas", None)
    with pytest.raises(ApplicationError) as refusal:
        call_record(acting_user=regulator, outcome="booked")
    assert refusal.value.field == "outcome"
    with pytest.raises(ApplicationError) as refusal:
        call_record(acting_user=pharmacist, outcome="advice")
    assert refusal.value.code == "forbidden"


def test_the_month_s_figures_count_a_slot_booked_again_after_a_cancellation_once(regulator, gp, slot, commune):
    from snp.selectors import month_figures

    first = _book(regulator, slot, commune)
    booking_cancel(acting_user=regulator, booking=first, reason="Le patient a trouvé ailleurs")
    _book(regulator, slot, commune, family_name="Martin")
    figures = month_figures(territory_ids=[slot.territory_id], month=slot.starts_at.astimezone(PARIS).date())
    assert (figures["slots_offered"], figures["slots_booked"], figures["cancelled"]) == (1, 1, 1)

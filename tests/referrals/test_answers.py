"""The recipient's side answers: asks for more, accepts with an appointment, declines with a reason, answers a
tele-expertise question, closes; a pathway's first responder owns the request; the patient, when they agreed,
hears of the appointment or the refusal without any clinical content."""

import datetime

import pytest
from django.utils import timezone

from core.errors import ApplicationError
from directory.models import Practitioner
from notifications.models import OutboundMessage
from notifications.services import message_render
from referrals.models import Pathway, Referral
from referrals.services import (
    referral_accept,
    referral_answer,
    referral_close,
    referral_decline,
    referral_provide_info,
    referral_request_info,
    referral_send,
)
from tests.referrals.conftest import PATIENT, daytime_in

CONSENTING = {
    **PATIENT,
    "contact_consent": True,
    "patient_email": "louise.durand@exemple.fr",
    "patient_phone": "06 12 34 56 78",
}


def _in_two_weeks():
    return daytime_in(14)


@pytest.fixture
def letter(gp, cardiologist):
    cardio = Practitioner.objects.get(user=cardiologist)
    return referral_send(acting_user=gp, kind="letter", recipient_practitioner=cardio, **CONSENTING)


def test_the_secretary_accepts_with_an_appointment_and_the_patient_hears_of_it(
    letter, cardio_secretary, cardio_practice
):
    referral_accept(acting_user=cardio_secretary, referral=letter, appointment_at=_in_two_weeks(), site=cardio_practice)

    letter.refresh_from_db()
    assert letter.status == Referral.Status.ACCEPTED
    assert letter.handled_by == letter.recipient_practitioner
    assert letter.appointment_site == cardio_practice
    messages = OutboundMessage.objects.filter(template="referral_patient_accepted")
    assert sorted(messages.values_list("channel", flat=True)) == ["email", "sms"]
    for message in messages:
        text = " ".join(message_render(message).values())
        assert cardio_practice.name in text
        assert PATIENT["reason"] not in text and PATIENT["question"] not in text  # never clinical content


def test_without_consent_the_patient_gets_no_message(gp, cardiologist, cardio_secretary, cardio_practice):
    letter = referral_send(
        acting_user=gp, kind="letter", recipient_practitioner=Practitioner.objects.get(user=cardiologist), **PATIENT
    )

    referral_accept(acting_user=cardio_secretary, referral=letter, appointment_at=_in_two_weeks(), site=cardio_practice)

    # Only the GP hears of it (test_sender_news); nothing goes to the patient's phone or address.
    assert list(OutboundMessage.objects.values_list("recipient", flat=True)) == [gp.email]


def test_an_appointment_in_the_past_or_elsewhere_is_refused_and_nothing_changes(
    letter, cardio_secretary, cardio_practice, dermato_practice
):
    with pytest.raises(ApplicationError, match="dans le futur"):
        referral_accept(
            acting_user=cardio_secretary,
            referral=letter,
            appointment_at=timezone.now() - datetime.timedelta(hours=1),
            site=cardio_practice,
        )
    with pytest.raises(ApplicationError) as elsewhere:
        referral_accept(
            acting_user=cardio_secretary, referral=letter, appointment_at=_in_two_weeks(), site=dermato_practice
        )

    assert elsewhere.value.field == "site"
    letter.refresh_from_db()
    assert letter.status == Referral.Status.SENT and letter.appointment_at is None
    assert not OutboundMessage.objects.exists()


def test_a_decline_needs_a_reason_and_may_suggest_a_colleague(letter, cardio_secretary, gp2):
    with pytest.raises(ApplicationError, match="motif"):
        referral_decline(acting_user=cardio_secretary, referral=letter, reason="  ")

    colleague = Practitioner.objects.get(user=gp2)
    referral_decline(
        acting_user=cardio_secretary,
        referral=letter,
        reason="Pas de créneau avant 3 mois",
        suggested_practitioner=colleague,
    )

    letter.refresh_from_db()
    assert (letter.status, letter.decline_reason, letter.suggested_practitioner) == (
        "declined",
        "Pas de créneau avant 3 mois",
        colleague,
    )
    declined = OutboundMessage.objects.get(template="referral_patient_declined", channel="email")
    assert "Pas de créneau" not in " ".join(message_render(declined).values())


def test_asking_for_more_goes_back_and_forth_in_the_thread(letter, gp, cardio_secretary):
    referral_request_info(acting_user=cardio_secretary, referral=letter, message="Merci de joindre l'ECG.")
    with pytest.raises(ApplicationError):
        referral_provide_info(acting_user=cardio_secretary, referral=letter, message="…")

    referral_provide_info(acting_user=gp, referral=letter, message="ECG joint : rythme sinusal.")

    letter.refresh_from_db()
    assert letter.status == Referral.Status.SENT
    assert list(letter.messages.values_list("body", flat=True)) == [
        "Merci de joindre l'ECG.",
        "ECG joint : rythme sinusal.",
    ]
    assert [event.action for event in letter.events.all()] == ["sent", "info_requested", "info_provided"]


def test_a_teleexpertise_gets_a_written_answer_not_an_appointment(gp, cardiologist, cardio_practice):
    cardio = Practitioner.objects.get(user=cardiologist)
    cardio.answers_teleexpertise = True
    cardio.save()
    question = referral_send(acting_user=gp, kind="teleexpertise", recipient_practitioner=cardio, **PATIENT)

    with pytest.raises(ApplicationError, match="réponse écrite"):
        referral_accept(
            acting_user=cardiologist, referral=question, appointment_at=_in_two_weeks(), site=cardio_practice
        )
    referral_answer(acting_user=cardiologist, referral=question, answer="Pas d'indication à une consultation.")
    referral_close(acting_user=cardiologist, referral=question)

    question.refresh_from_db()
    assert question.status == Referral.Status.CLOSED
    assert question.answer == "Pas d'indication à une consultation."
    assert question.handled_by == cardio


def test_the_first_responder_of_a_pathway_owns_the_request(
    territory, gp, cardiologist, cardio_secretary, other_secretary, cardio_practice, dermato_practice
):
    pathway = Pathway.objects.create(
        territory=territory, name="Suspicion de cancer cutané", target_delay=datetime.timedelta(days=5)
    )
    pathway.responder_practices.set([cardio_practice, dermato_practice])
    sent = referral_send(acting_user=gp, kind="letter", pathway=pathway, **PATIENT)
    assert sent.due_at - sent.sent_at == datetime.timedelta(days=5)

    referral_accept(acting_user=other_secretary, referral=sent, appointment_at=_in_two_weeks(), site=dermato_practice)
    with pytest.raises(ApplicationError, match="Impossible depuis le statut « Acceptée »"):
        referral_accept(
            acting_user=cardio_secretary, referral=sent, appointment_at=_in_two_weeks(), site=cardio_practice
        )

    sent.refresh_from_db()
    assert sent.appointment_site == dermato_practice
    assert sent.handled_by is None  # taken by the practice's secretariat, for the practice

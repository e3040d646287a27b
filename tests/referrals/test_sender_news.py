"""The GP hears by e-mail when their request needs them or is answered (precisions asked, appointment given,
refusal, written answer), once per step, with a link and without the patient or the clinical text."""

import pytest

from notifications.models import OutboundMessage
from notifications.services import message_render
from referrals.services import (
    referral_accept,
    referral_acknowledge,
    referral_answer,
    referral_decline,
    referral_provide_info,
    referral_request_info,
    referral_send,
)
from tests.referrals.conftest import PATIENT, daytime_in

pytestmark = pytest.mark.django_db

CLINICAL = (PATIENT["patient_family_name"], PATIENT["patient_given_names"], PATIENT["reason"])


@pytest.fixture
def cardio(cardiologist):
    entry = cardiologist.practitioner
    entry.answers_teleexpertise = True
    entry.save(update_fields=["answers_teleexpertise"])
    return entry


def _news(gp) -> list[str]:
    messages = OutboundMessage.objects.filter(template="referral_sender_news", recipient=gp.email).order_by("id")
    return [" ".join(message_render(message).values()) for message in messages]


def test_the_gp_is_told_of_questions_and_of_the_appointment_and_of_nothing_else(
    gp, cardio, cardio_secretary, cardio_practice
):
    letter = referral_send(acting_user=gp, kind="letter", recipient_practitioner=cardio, **PATIENT)
    referral_acknowledge(acting_user=cardio_secretary, referral=letter)
    assert _news(gp) == []  # taken in hand: the page says it, no e-mail

    referral_request_info(acting_user=cardio_secretary, referral=letter, message="Le dernier ECG ?")
    referral_provide_info(acting_user=gp, referral=letter, message="Joint.")
    referral_request_info(acting_user=cardio_secretary, referral=letter, message="Et la créatinine ?")
    referral_provide_info(acting_user=gp, referral=letter, message="1,1 mg/dL.")
    referral_accept(
        acting_user=cardio_secretary,
        referral=letter,
        appointment_at=daytime_in(9),
        site=cardio_practice,
    )

    news = _news(gp)
    assert len(news) == 3  # each question, then the appointment
    assert all("des précisions vous sont demandées" in text for text in news[:2])
    assert "un rendez-vous est donné" in news[2] and f"/demandes/{letter.public_id}/" in news[2]
    for text in news:
        assert "Chloé Rousseau" in text  # the recipient, so the GP knows which request
        for forbidden in (*CLINICAL, "ECG", "créatinine"):
            assert forbidden not in text


def test_a_refusal_and_a_written_answer_are_news_too(gp, cardio, cardio_secretary, cardiologist):
    letter = referral_send(acting_user=gp, kind="letter", recipient_practitioner=cardio, **PATIENT)
    another_patient = {**PATIENT, "patient_given_names": "Paul", "patient_sex": "M"}
    question = referral_send(acting_user=gp, kind="teleexpertise", recipient_practitioner=cardio, **another_patient)

    referral_decline(acting_user=cardio_secretary, referral=letter, reason="Pas de créneau avant 3 mois.")
    referral_answer(acting_user=cardiologist, referral=question, answer="Poursuivre le traitement.")

    news = _news(gp)
    assert len(news) == 2
    assert "elle ne peut pas être prise en charge" in news[0] and "Pas de créneau" not in news[0]
    assert "la réponse écrite est arrivée" in news[1] and "Poursuivre" not in news[1]


def test_a_gp_whose_account_is_closed_is_not_written_to(gp, cardio, cardio_secretary):
    letter = referral_send(acting_user=gp, kind="letter", recipient_practitioner=cardio, **PATIENT)
    gp.is_active = False
    gp.save(update_fields=["is_active"])

    referral_decline(acting_user=cardio_secretary, referral=letter, reason="Hors de ma spécialité.")

    assert _news(gp) == []

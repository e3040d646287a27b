"""A GP sends a request to a specialist; the specialist's practice sees it and acknowledges it; nobody else
sees it; every read is logged."""

import datetime

import pytest
from django.db import IntegrityError, transaction

from accounts.models import AccessLog
from core.errors import ApplicationError
from directory.models import Practitioner
from referrals.models import Referral, ReferralEvent
from referrals.selectors import get_referral_for_user, referrals_visible_to
from referrals.services import referral_acknowledge, referral_cancel, referral_send
from tests.referrals.conftest import PATIENT


@pytest.fixture
def referral(gp, cardiologist):
    return referral_send(
        acting_user=gp, kind="letter", recipient_practitioner=Practitioner.objects.get(user=cardiologist), **PATIENT
    )


def test_a_gp_sends_a_letter_with_a_deadline_from_its_urgency(gp, cardiologist):
    sent = referral_send(
        acting_user=gp,
        kind="letter",
        urgency="urgent",
        recipient_practitioner=Practitioner.objects.get(user=cardiologist),
        **PATIENT,
    )

    assert sent.status == Referral.Status.SENT
    assert sent.sender == Practitioner.objects.get(user=gp)
    assert sent.due_at - sent.sent_at == datetime.timedelta(hours=48)
    assert list(sent.events.values_list("action", "to_status")) == [("sent", "sent")]


def test_the_cardiology_secretary_sees_and_acknowledges_it(referral, cardio_secretary):
    assert referral in referrals_visible_to(cardio_secretary)

    referral_acknowledge(acting_user=cardio_secretary, referral=referral)

    referral.refresh_from_db()
    assert referral.status == Referral.Status.ACKNOWLEDGED
    assert referral.first_response_at is not None
    event = referral.events.last()
    assert (event.action, event.from_status, event.to_status, event.actor) == (
        "acknowledged",
        "sent",
        "acknowledged",
        cardio_secretary,
    )


@pytest.mark.parametrize("persona", ["other_secretary", "gp2", "observer", "coordinator", "outsider"])
def test_nobody_else_sees_the_request(referral, persona, request):
    user = request.getfixturevalue(persona)

    assert referral not in referrals_visible_to(user)
    assert get_referral_for_user(user, referral.public_id) is None
    with pytest.raises(ApplicationError) as refused:
        referral_acknowledge(acting_user=user, referral=referral)
    assert refused.value.code == "not_found"
    referral.refresh_from_db()
    assert referral.status == Referral.Status.SENT


def test_every_read_of_a_request_is_logged(referral, cardio_secretary, gp):
    get_referral_for_user(cardio_secretary, referral.public_id)
    get_referral_for_user(gp, referral.public_id)

    reads = AccessLog.objects.filter(subject_type="referral", subject_id=str(referral.public_id), action="read")
    assert sorted(reads.values_list("user_email", flat=True)) == sorted([cardio_secretary.email, gp.email])


def test_a_transition_not_allowed_from_the_status_is_refused_in_french(referral, cardio_secretary):
    referral_acknowledge(acting_user=cardio_secretary, referral=referral)

    with pytest.raises(ApplicationError, match="Impossible depuis le statut « Prise en compte »"):
        referral_acknowledge(acting_user=cardio_secretary, referral=referral)
    assert referral.events.count() == 2


def test_the_sender_cancels_and_only_the_sender(referral, gp, cardio_secretary):
    with pytest.raises(ApplicationError):
        referral_cancel(acting_user=cardio_secretary, referral=referral)

    referral_cancel(acting_user=gp, referral=referral, note="Vu aux urgences")

    referral.refresh_from_db()
    assert referral.status == Referral.Status.CANCELLED
    assert referral.events.last().note == "Vu aux urgences"


def test_teleexpertise_goes_only_to_who_answers_it(gp, cardiologist):
    cardio = Practitioner.objects.get(user=cardiologist)
    with pytest.raises(ApplicationError, match="ne répond pas aux demandes de télé-expertise"):
        referral_send(acting_user=gp, kind="teleexpertise", recipient_practitioner=cardio, **PATIENT)

    cardio.answers_teleexpertise = True
    cardio.save()
    assert referral_send(acting_user=gp, kind="teleexpertise", recipient_practitioner=cardio, **PATIENT).pk


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"patient_ins": "2580314123456"}, "patient_ins", "INS"),
        ({"patient_sex": "Z"}, "patient_sex", ""),
        ({"reason": ""}, "reason", ""),
    ],
)
def test_bad_patient_data_is_refused_and_nothing_is_saved(gp, cardiologist, change, field, message):
    with pytest.raises(ApplicationError) as refused:
        referral_send(
            acting_user=gp,
            kind="letter",
            recipient_practitioner=Practitioner.objects.get(user=cardiologist),
            **{**PATIENT, **change},
        )

    assert refused.value.field == field
    assert not Referral.objects.exists() and not ReferralEvent.objects.exists()


def test_a_request_has_exactly_one_recipient(gp, cardiologist, cardio_practice):
    with pytest.raises(ApplicationError, match="Choisissez un destinataire"):
        referral_send(
            acting_user=gp,
            kind="letter",
            recipient_practitioner=Practitioner.objects.get(user=cardiologist),
            recipient_practice=cardio_practice,
            **PATIENT,
        )
    sent = referral_send(acting_user=gp, kind="letter", recipient_practice=cardio_practice, **PATIENT)
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.filter(pk=sent.pk).update(recipient_practitioner=Practitioner.objects.get(user=cardiologist))


def test_a_secretary_cannot_send(cardio_secretary, cardiologist):
    with pytest.raises(ApplicationError, match="Seul un professionnel"):
        referral_send(
            acting_user=cardio_secretary,
            kind="letter",
            recipient_practitioner=Practitioner.objects.get(user=cardiologist),
            **PATIENT,
        )

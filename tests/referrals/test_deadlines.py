"""Deadlines someone owns: the beat task reminds the recipient's side before the target date and escalates after
it, once per request, through the outbox; a request answered in time hears nothing."""

import datetime

import pytest
from django.utils import timezone

from directory.models import Practitioner
from notifications.models import OutboundMessage
from notifications.services import message_render
from referrals.models import Referral
from referrals.services import referral_acknowledge, referral_decline, referral_send
from referrals.tasks import send_deadline_reminders
from tests.referrals.conftest import PATIENT


def _steps(reminded=0, escalated=0):
    """What a run returns (the further steps of the chain are in test_escalation.py)."""
    return {
        "reminded": reminded,
        "escalated": escalated,
        "escalated_practice": 0,
        "escalated_coordination": 0,
        "close_reminded": 0,
    }


@pytest.fixture
def urgent(gp, cardiologist):
    return referral_send(
        acting_user=gp,
        kind="letter",
        urgency="urgent",
        recipient_practitioner=Practitioner.objects.get(user=cardiologist),
        **PATIENT,
    )


def _age(referral, hours):
    """As if the request had been sent ``hours`` ago."""
    shift = datetime.timedelta(hours=hours)
    Referral.objects.filter(pk=referral.pk).update(sent_at=referral.sent_at - shift, due_at=referral.due_at - shift)


def test_nothing_goes_while_there_is_time(urgent):
    assert send_deadline_reminders.apply().get() == _steps()
    # Only the e-mail that told of the urgent request's arrival (test_new_request_notices).
    assert set(OutboundMessage.objects.values_list("template", flat=True)) == {"referral_new_request"}


def test_a_reminder_goes_to_the_recipients_side_once_near_the_target(
    urgent, cardiologist, cardio_secretary, other_secretary
):
    _age(urgent, 40)  # 8 h left of 48

    assert send_deadline_reminders.apply().get() == _steps(reminded=1)
    assert send_deadline_reminders.apply().get() == _steps()

    reminders = OutboundMessage.objects.filter(template="referral_reminder")
    assert sorted(reminders.values_list("recipient", flat=True)) == sorted([cardiologist.email, cardio_secretary.email])
    text = " ".join(message_render(reminders.first()).values())
    assert "Urgent" in text and PATIENT["patient_family_name"] not in text and PATIENT["reason"] not in text
    assert urgent.events.filter(action="reminded").count() == 1


def test_past_the_target_the_request_is_escalated_once(urgent, cardio_secretary):
    _age(urgent, 50)

    assert send_deadline_reminders.apply().get() == _steps(escalated=1)
    send_deadline_reminders.apply()

    assert OutboundMessage.objects.filter(template="referral_overdue", recipient=cardio_secretary.email).count() == 1
    assert urgent.events.filter(action="escalated").count() == 1


def test_a_request_answered_in_time_is_left_alone(urgent, cardio_secretary):
    referral_acknowledge(acting_user=cardio_secretary, referral=urgent)
    referral_decline(acting_user=cardio_secretary, referral=urgent, reason="Hors de notre champ")
    _age(urgent, 50)

    assert send_deadline_reminders.apply().get() == _steps()
    assert urgent.events.filter(action__in=["reminded", "escalated"]).count() == 0
    assert timezone.now() > Referral.objects.get(pk=urgent.pk).due_at

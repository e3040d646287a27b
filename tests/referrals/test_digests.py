"""Digests through the outbox: each morning, the recipient's side reads what to take in hand and what is late
(never who the patient is); each Monday, the coordinators read their territory's late requests by practice and
by specialty. One per person and day (or week): a second run sends nothing; nothing is sent when there is
nothing to say."""

import datetime

import pytest
from django.utils import timezone

from accounts.roles import Role
from directory.models import Practitioner
from directory.services import role_grant_create
from notifications.models import OutboundMessage
from notifications.services import message_render
from referrals.models import Pathway, Referral, ReferralEvent
from referrals.services import referral_acknowledge, referral_send
from referrals.services.deadlines import daily_digests_send, deadline_reminders_send, weekly_coordinator_digests_send
from referrals.tasks import send_daily_digests, send_weekly_coordinator_digests
from tests.conftest import enrol_totp
from tests.factories import PractitionerFactory, SpecialtyFactory, TerritoryFactory, UserFactory
from tests.referrals.conftest import PATIENT

FORBIDDEN = (PATIENT["patient_family_name"], "Louise", PATIENT["reason"], PATIENT["question"], "14/03/1958")


def _send(gp, recipient_user, urgency="routine"):
    return referral_send(
        acting_user=gp,
        kind="letter",
        urgency=urgency,
        recipient_practitioner=Practitioner.objects.get(user=recipient_user),
        confirm_duplicate=True,  # the same patient in every request: the GP confirms the repeats
        **PATIENT,
    )


def _late(referral, hours):
    """As if the request had been sent ``hours`` earlier (its timeline too)."""
    shift = datetime.timedelta(hours=hours)
    referral.refresh_from_db()
    Referral.objects.filter(pk=referral.pk).update(sent_at=referral.sent_at - shift, due_at=referral.due_at - shift)
    for event in ReferralEvent.objects.filter(referral=referral):
        ReferralEvent.objects.filter(pk=event.pk).update(at=event.at - shift)


def _text(message):
    return " ".join(message_render(message).values())


def _digest_of(user, template="referral_daily_digest"):
    return OutboundMessage.objects.get(template=template, recipient=user.email)


@pytest.fixture
def waiting(gp, cardiologist):
    """A new routine request, and an urgent one three days old (a day late)."""
    new = _send(gp, cardiologist)
    late = _send(gp, cardiologist, "urgent")
    _late(late, 72)
    # The urgent one was e-mailed on arrival (test_new_request_notices); these tests count the digests.
    OutboundMessage.objects.filter(template="referral_new_request").delete()
    return {"new": new, "late": late}


def test_the_morning_digest_tells_the_cardiology_side_what_waits(
    waiting, gp, cardiologist, cardio_secretary, other_secretary
):
    assert send_daily_digests.apply().get() == 2

    assert sorted(OutboundMessage.objects.values_list("recipient", flat=True)) == sorted(
        [cardiologist.email, cardio_secretary.email]  # not the dermatology secretary, not the GP who sent them
    )
    text = _text(_digest_of(cardio_secretary))
    assert "Demandes ouvertes : 2" in text
    assert "À prendre en compte : 1" in text
    assert "En retard : 1" in text
    assert "1 j de retard" in text
    assert "Alice Martin" in text  # the sender
    for referral in waiting.values():
        assert f"/demandes/{referral.public_id}/" in text
    for forbidden in FORBIDDEN:
        assert forbidden not in text


def test_a_second_run_the_same_day_sends_nothing_and_the_next_day_sends_again(waiting, cardio_secretary):
    assert send_daily_digests() == 2
    assert send_daily_digests.apply().get() == 0
    assert OutboundMessage.objects.count() == 2

    assert daily_digests_send(now=timezone.now() + datetime.timedelta(days=1)) == 2
    assert OutboundMessage.objects.filter(recipient=cardio_secretary.email).count() == 2


def test_nothing_new_and_nothing_late_means_no_digest(gp, cardiologist, cardio_secretary):
    referral = _send(gp, cardiologist)
    referral_acknowledge(acting_user=cardio_secretary, referral=referral)

    assert send_daily_digests() == 0
    assert not OutboundMessage.objects.exists()


def test_each_secretary_reads_only_her_practices_requests(waiting, gp, other_secretary, territory, dermato_practice):
    dermatologist_user = UserFactory(email="dermato@cpts.test")
    dermatologist = PractitionerFactory(territory=territory)
    dermatologist.activities.create(practice=dermato_practice)
    role_grant_create(user=dermatologist_user, role=Role.PROFESSIONAL, practitioner=dermatologist)
    skin = _send(gp, dermatologist_user)

    send_daily_digests()

    text = _text(_digest_of(other_secretary))
    assert f"/demandes/{skin.public_id}/" in text
    assert "Demandes ouvertes : 1" in text
    for referral in waiting.values():
        assert str(referral.public_id) not in text


def test_a_long_list_is_cut_and_says_how_many_more(gp, cardiologist, cardio_secretary):
    for _number in range(33):
        _send(gp, cardiologist)

    send_daily_digests()

    text = _text(_digest_of(cardio_secretary))
    assert text.count("/demandes/") == 30
    assert "et 3 autres" in text
    assert "À prendre en compte : 33" in text


@pytest.fixture
def other_coordinator(db):
    user = UserFactory(email="olga@cpts.test")
    role_grant_create(
        user=user, role=Role.COORDINATOR, territory=TerritoryFactory(name="CPTS du Marais", slug="marais")
    )
    enrol_totp(user)
    return user


def test_the_weekly_digest_counts_late_requests_by_practice_and_specialty(
    waiting, gp, cardiologist, cardio_practice, coordinator, other_coordinator, territory
):
    practice_request = referral_send(
        acting_user=gp, kind="letter", urgency="urgent", recipient_practice=cardio_practice, **PATIENT
    )
    _late(practice_request, 72)
    lonely = PractitionerFactory(territory=territory, first_name="Jean", last_name="Seul")
    lonely.specialties.add(SpecialtyFactory(code="ZZ26", label="Rhumatologie"))
    lonely_user = UserFactory(email="jean@cpts.test")
    role_grant_create(user=lonely_user, role=Role.PROFESSIONAL, practitioner=lonely)
    _late(_send(gp, lonely_user, "urgent"), 72)
    for _run in range(3):  # escalated, then the whole practice, then the coordination (a day apart: urgent)
        deadline_reminders_send()
        for referral in Referral.objects.all():
            _late(referral, 25)
    deadline_reminders_send()

    assert send_weekly_coordinator_digests.apply().get() == 1

    message = _digest_of(coordinator, "referral_weekly_digest")
    text = _text(message)
    assert "CPTS du Bocage" in text
    assert "Demandes en retard aujourd'hui : 3" in text
    assert "Cabinet de cardiologie du Centre : 2" in text  # one to the cardiologist, one to the practice
    assert "Jean Seul : 1" in text  # a practitioner without a practice is counted under their name
    assert "Cardiologie et maladies vasculaires : 2" in text
    assert "Rhumatologie : 1" in text
    assert "Remontées à la coordination ces 7 derniers jours : 3" in text
    assert "/demandes/coordination/en-retard/" in text
    for forbidden in FORBIDDEN:
        assert forbidden not in text
    assert not OutboundMessage.objects.filter(recipient=other_coordinator.email).exists()


def test_the_weekly_digest_goes_once_a_week(waiting, coordinator):
    assert send_weekly_coordinator_digests() == 1
    assert send_weekly_coordinator_digests.apply().get() == 0

    assert weekly_coordinator_digests_send(now=timezone.now() + datetime.timedelta(days=7)) == 1
    keys = OutboundMessage.objects.filter(recipient=coordinator.email).values_list("idempotency_key", flat=True)
    year, week, _day = timezone.localdate().isocalendar()
    assert f"referral-weekly-digest:{year}-W{week:02d}:" in " ".join(keys)


def test_no_weekly_digest_when_nothing_is_late(gp, cardiologist, coordinator):
    _send(gp, cardiologist)

    assert send_weekly_coordinator_digests() == 0
    assert not OutboundMessage.objects.exists()


def test_a_territory_without_a_coordinator_has_no_weekly_digest(waiting):
    assert send_weekly_coordinator_digests() == 0
    assert not OutboundMessage.objects.filter(template="referral_weekly_digest").exists()


def test_a_professional_reads_what_is_addressed_to_them_not_to_a_colleague(
    waiting, gp, gp2, cardio_practice, territory
):
    colleague_user = UserFactory(email="gilles@cpts.test")
    colleague = PractitionerFactory(territory=territory)
    colleague.activities.create(practice=cardio_practice)
    role_grant_create(user=colleague_user, role=Role.PROFESSIONAL, practitioner=colleague)
    pathway = Pathway.objects.create(territory=territory, name="Douleur thoracique")
    pathway.responder_practitioners.add(Practitioner.objects.get(user=gp2))
    chest_pain = referral_send(acting_user=gp, kind="letter", pathway=pathway, **PATIENT)

    send_daily_digests()

    assert not OutboundMessage.objects.filter(recipient=colleague_user.email).exists()
    text = _text(_digest_of(gp2))
    assert f"/demandes/{chest_pain.public_id}/" in text and "Douleur thoracique" in text
    assert "Demandes ouvertes : 1" in text

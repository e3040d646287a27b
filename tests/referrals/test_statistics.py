"""Measured, not declared: each night the portal measures, over the last 6 months, how each specialist and each
specialty of a territory answers requests (median time to a first response and to the appointment, acceptance
rate), in SQL, and writes it to the directory; the practitioner page shows it from 5 requests on."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from directory.models import Practitioner, ResponseStatistic, Specialty
from referrals.models import Referral
from referrals.services import (
    referral_accept,
    referral_acknowledge,
    referral_cancel,
    referral_decline,
    referral_send,
)
from referrals.services.statistics import response_statistics_compute
from referrals.tasks import compute_response_statistics
from tests.factories import PractitionerFactory
from tests.referrals.conftest import PATIENT, daytime_in

DAY = datetime.timedelta(days=1)


def _measured(gp, secretary, site, *, days_ago, answered_after=None, outcome=None, appointment_after=None, **to):
    """A letter sent ``days_ago`` days ago to ``to`` (a practitioner or a practice), first answered
    ``answered_after`` days later by ``outcome`` (accept, decline, acknowledge), with an appointment
    ``appointment_after`` days after sending."""
    referral = referral_send(acting_user=gp, kind="letter", confirm_duplicate=True, **to, **PATIENT)
    if outcome == "accept":
        referral_accept(acting_user=secretary, referral=referral, appointment_at=daytime_in(1), site=site)
    elif outcome == "decline":
        referral_decline(acting_user=secretary, referral=referral, reason="Hors de notre champ")
    elif outcome == "acknowledge":
        referral_acknowledge(acting_user=secretary, referral=referral)
    sent_at = timezone.now() - days_ago * DAY
    Referral.objects.filter(pk=referral.pk).update(
        sent_at=sent_at,
        due_at=sent_at + 30 * DAY,
        first_response_at=sent_at + answered_after * DAY if answered_after is not None else None,
        appointment_at=sent_at + appointment_after * DAY if appointment_after is not None else None,
    )
    return referral


@pytest.fixture
def chloe(cardiologist):
    return Practitioner.objects.get(user=cardiologist)


@pytest.fixture
def five_letters(gp, chloe, cardio_secretary, cardio_practice):
    """Three accepted (first answered after 1, 2 and 3 days; appointments after 10, 12 and 14 days), one declined
    after 2 days, one still unanswered."""
    measured = {"gp": gp, "secretary": cardio_secretary, "site": cardio_practice, "recipient_practitioner": chloe}
    for answered, appointment in ((1, 10), (2, 12), (3, 14)):
        _measured(**measured, days_ago=20, answered_after=answered, outcome="accept", appointment_after=appointment)
    _measured(**measured, days_ago=20, answered_after=2, outcome="decline")
    _measured(**measured, days_ago=1)


def test_the_nightly_task_measures_each_specialist(five_letters, chloe):
    assert compute_response_statistics.apply().get() == {"practitioners": 1, "specialties": 1}

    figures = ResponseStatistic.objects.get(practitioner=chloe)
    assert figures.requests == 5
    assert figures.median_first_response == 2 * DAY  # 1, 2, 2, 3 days: the unanswered one has no delay yet
    assert figures.median_appointment_delay == 12 * DAY
    assert figures.acceptance_rate == pytest.approx(0.75)  # 3 accepted of 4 decided


def test_the_specialty_of_the_territory_gathers_its_specialists(
    five_letters, gp, chloe, cardio_secretary, cardio_practice, territory
):
    colleague = PractitionerFactory(territory=territory, first_name="Paul", last_name="Cardio")
    cardiology = Specialty.objects.get(code="SM04")
    colleague.specialties.add(cardiology)
    colleague.activities.create(practice=cardio_practice)
    _measured(
        gp,
        cardio_secretary,
        cardio_practice,
        recipient_practitioner=colleague,
        days_ago=10,
        answered_after=8,
        outcome="accept",
        appointment_after=30,
    )

    compute_response_statistics()

    specialty = ResponseStatistic.objects.get(territory=territory, specialty=cardiology)
    assert specialty.requests == 6
    assert specialty.median_first_response == 2 * DAY  # 1, 2, 2, 3, 8
    assert specialty.median_appointment_delay == 13 * DAY  # 10, 12, 14, 30: halfway between 12 and 14
    assert specialty.acceptance_rate == pytest.approx(0.8)
    assert ResponseStatistic.objects.get(practitioner=colleague).requests == 1


def test_a_practice_request_counts_for_whoever_took_it(gp, chloe, cardio_secretary, cardio_practice):
    taken = _measured(
        gp,
        cardio_secretary,
        cardio_practice,
        recipient_practice=cardio_practice,
        days_ago=5,
        answered_after=1,
        outcome="accept",
        appointment_after=4,
    )
    _measured(gp, cardio_secretary, cardio_practice, recipient_practice=cardio_practice, days_ago=5)
    Referral.objects.filter(pk=taken.pk).update(handled_by=chloe)

    response_statistics_compute()

    figures = ResponseStatistic.objects.get(practitioner=chloe)
    assert (figures.requests, figures.median_first_response, figures.acceptance_rate) == (1, DAY, 1.0)


def test_old_cancelled_and_outside_requests_are_not_measured(gp, chloe, cardio_secretary, cardio_practice):
    measured = {"gp": gp, "secretary": cardio_secretary, "site": cardio_practice, "recipient_practitioner": chloe}
    _measured(**measured, days_ago=200, answered_after=30, outcome="decline")  # more than 6 months ago
    withdrawn = _measured(**measured, days_ago=3)
    referral_cancel(acting_user=gp, referral=withdrawn)
    outside = _measured(**measured, days_ago=3, answered_after=1, outcome="acknowledge")
    Referral.objects.filter(pk=outside.pk).update(sent_outside_via="mssante")
    _measured(**measured, days_ago=3, answered_after=1, outcome="acknowledge")

    response_statistics_compute()

    figures = ResponseStatistic.objects.get(practitioner=chloe)
    assert figures.requests == 1
    assert figures.median_first_response == DAY
    assert figures.median_appointment_delay is None and figures.acceptance_rate is None  # nothing decided yet


def test_each_night_replaces_the_previous_figures(five_letters, chloe):
    response_statistics_compute()
    response_statistics_compute()
    assert ResponseStatistic.objects.filter(practitioner=chloe).count() == 1

    response_statistics_compute(now=timezone.now() + 200 * DAY)  # six months later, nothing was sent since

    assert not ResponseStatistic.objects.exists()


def test_the_cardiologists_page_shows_what_was_measured(five_letters, chloe, signed_in, gp):
    compute_response_statistics()

    html = signed_in(gp).get(reverse("directory:practitioner_detail", args=[chloe.public_id])).content.decode()

    assert "Délai médian de première réponse : 2 j" in html
    assert "Rendez-vous en 12 j (médiane)" in html
    assert "Accepte 75 % des demandes" in html

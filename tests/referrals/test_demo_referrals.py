"""`seed_demo` gives the demo territory requests in every status, some overdue, and a priority pathway, through
the same services as the pages (timelines and patient messages included)."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from referrals.models import Pathway, Referral
from referrals.selectors import OPEN_STATUSES, referrals_inbox, referrals_sent_by
from tests.reference_data import ensure_reference_data


@pytest.fixture
def demo(db, settings):
    ensure_reference_data()
    settings.DEMO_MODE = True
    call_command("seed_demo", stdout=StringIO())


def test_demo_has_a_few_dozen_requests_in_every_status_but_draft(demo):
    statuses = set(Referral.objects.values_list("status", flat=True))
    assert 24 <= Referral.objects.count() <= 60
    assert statuses == set(Referral.Status.values) - {Referral.Status.DRAFT}
    assert set(Referral.objects.values_list("kind", flat=True)) == set(Referral.Kind.values)


def test_demo_requests_have_real_timelines_and_some_are_overdue(demo):
    assert Referral.objects.filter(status__in=OPEN_STATUSES, due_at__lt=timezone.now()).count() >= 3
    for referral in Referral.objects.all():
        actions = list(referral.events.values_list("action", flat=True))
        assert actions[0] == "sent"
        # The timeline was moved back with the request: nothing happens before it is sent.
        assert referral.events.filter(at__lt=referral.sent_at - timezone.timedelta(seconds=1)).count() == 0


def test_demo_pathway_reaches_the_dermatologist_and_one_request_is_taken(demo):
    pathway = Pathway.objects.get(name="Suspicion de cancer cutané")
    assert pathway.referrals.count() == 3
    assert pathway.referrals.filter(status=Referral.Status.ACCEPTED).count() == 1


def test_demo_cardiology_secretary_has_an_inbox_overdue_first_and_the_gp_sees_their_requests(demo):
    secretary = User.objects.get(email="secretaire.cardio@demo.cpts.test")
    inbox = list(referrals_inbox(secretary))
    assert len(inbox) >= 5
    assert inbox[0].is_overdue
    gp = User.objects.get(email="generaliste@demo.cpts.test")
    assert referrals_sent_by(gp).count() >= 10
    other = User.objects.get(email="secretaire.autre@demo.cpts.test")
    assert not any(
        referral.recipient_practitioner and referral.recipient_practitioner.last_name == "Rousseau"
        for referral in referrals_inbox(other)
    )


def test_seed_demo_twice_adds_no_request(demo):
    count = Referral.objects.count()

    call_command("seed_demo", stdout=StringIO())

    assert Referral.objects.count() == count


def test_demo_cardiologist_has_measured_delays_and_answered_teleexpertises_are_billed(demo):
    from directory.models import ResponseStatistic
    from referrals.models import BillingRecord

    measured = ResponseStatistic.objects.get(practitioner__user__email="cardiologue@demo.cpts.test")
    assert measured.requests >= 5
    assert measured.median_first_response < timezone.timedelta(days=3)
    assert timezone.timedelta(days=3) < measured.median_appointment_delay < timezone.timedelta(days=30)
    answered = Referral.objects.filter(kind=Referral.Kind.TELEEXPERTISE, answer__gt="")
    assert BillingRecord.objects.filter(referral__in=answered).count() == 2 * answered.count()
    # Acts are dated with the answer, in the past of the demo's timeline.
    assert not BillingRecord.objects.filter(act_date__gt=timezone.localdate()).exists()

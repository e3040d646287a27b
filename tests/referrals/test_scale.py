"""`manage.py seed_scale --referrals N`: synthetic requests between the stored practitioners, written with COPY,
valid against the model's constraints, in a plausible mix of statuses, and refused without practitioners."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, F
from django.utils import timezone

from referrals.models import Referral
from referrals.selectors import OPEN_STATUSES
from tests.reference_data import ensure_reference_data


@pytest.fixture(autouse=True)
def _demo_mode(db, settings):
    ensure_reference_data()
    settings.DEMO_MODE = True


def _seed(*arguments) -> str:
    out = StringIO()
    call_command("seed_scale", *arguments, stdout=out)
    return out.getvalue()


def test_it_writes_the_requests_asked_between_stored_practitioners():
    output = _seed("--practitioners", "300", "--referrals", "2000")

    assert "2000 demandes" in output
    assert Referral.objects.count() == 2000
    # Nobody writes to themselves; the sender is a stored practitioner.
    assert not Referral.objects.filter(recipient_practitioner=F("sender")).exists()
    assert Referral.objects.filter(recipient_practice__isnull=False).count() > 300
    assert Referral.objects.filter(recipient_practitioner__isnull=False).count() > 1000
    assert len(set(Referral.objects.values_list("public_id", flat=True))) == 2000


def test_statuses_follow_a_plausible_mix_with_open_and_overdue_requests():
    _seed("--practitioners", "300", "--referrals", "3000")

    by_status = dict(Referral.objects.values_list("status").annotate(count=Count("id")))
    assert set(by_status) == set(Referral.Status.values)
    assert by_status[Referral.Status.CLOSED] > by_status[Referral.Status.SENT]
    overdue = Referral.objects.filter(status__in=OPEN_STATUSES, due_at__lt=timezone.now())
    assert overdue.count() > 100
    # Dates hang together: a response never precedes the sending, a draft has neither.
    assert not Referral.objects.filter(first_response_at__lt=F("sent_at")).exists()
    assert not Referral.objects.filter(status=Referral.Status.DRAFT, sent_at__isnull=False).exists()


def test_it_adds_to_what_exists():
    _seed("--practitioners", "200", "--referrals", "100")
    _seed("--referrals", "150")

    assert Referral.objects.count() == 250


def test_requests_without_practitioners_are_refused():
    with pytest.raises(CommandError, match="Il faut d'abord des professionnels"):
        _seed("--referrals", "10")
    with pytest.raises(CommandError, match="au moins 1"):
        _seed("--practitioners", "100", "--referrals", "0")


def test_nothing_asked_is_refused():
    with pytest.raises(CommandError, match="--practitioners N, --referrals N"):
        _seed()

"""`manage.py seed_scale --slots N`: synthetic slots of the month ahead for the territories' practitioners, written
with COPY, valid against the model's constraints (no practitioner in two places at once), in a mix of audiences
and statuses with the bookings of the booked ones, seen by the board; refused without practitioners."""

import datetime
import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.utils import timezone

from directory.models import Territory
from directory.selectors import communes_within
from snp.models import Booking, Slot
from snp.scope import snp_actor_for
from snp.selectors import slots_visible_to
from tests.reference_data import ensure_reference_data


@pytest.fixture(autouse=True)
def _demo_mode(db, settings):
    ensure_reference_data()
    settings.DEMO_MODE = True


@pytest.fixture
def scale_territory(db):
    territory = Territory.objects.create(name="CPTS de mesure", slug="mesure")
    territory.communes.add(*communes_within(insee_code="85191", radius_km=25))
    return territory


def _seed(*arguments) -> str:
    out = StringIO()
    call_command("seed_scale", *arguments, stdout=out)
    return out.getvalue()


def test_it_writes_the_slots_asked_over_the_month_ahead_with_their_bookings(scale_territory):
    _seed("--practitioners", "200", "--territory", "mesure")
    started = time.perf_counter()

    output = _seed("--slots", "20000")

    assert time.perf_counter() - started < 60  # generous: COPY, a few seconds here
    assert "20000 créneaux" in output
    slots = Slot.objects.all()
    assert slots.count() == 20000
    assert len(set(slots.values_list("public_id", flat=True))) == 20000
    assert not slots.exclude(territory=scale_territory).exists()
    today = timezone.localdate()
    first, last = (timezone.localtime(moment).date() for moment in (slots.first().starts_at, slots.last().starts_at))
    assert today < first and last <= today + datetime.timedelta(days=31)
    # Mixed audiences and statuses; each booked slot has its live booking.
    by_status = dict(slots.values_list("status").annotate(n=Count("pk")))
    assert 1500 <= by_status["booked"] <= 2500 and by_status["withdrawn"] > 100
    assert Booking.objects.count() == by_status["booked"]
    assert not Slot.objects.filter(status="booked", bookings=None).exists()
    assert slots.filter(audiences__contains=["pharmacists"]).exists()
    assert slots.filter(audiences__contains=["public"]).exists()
    assert slots.values("practitioner").distinct().count() == 200


def test_the_slots_are_valid_and_on_the_regulator_s_board(scale_territory, regulator, territory):
    _seed("--practitioners", "100", "--territory", "mesure")
    _seed("--slots", "3000")

    for slot in Slot.objects.select_related("practitioner")[:200]:
        slot.full_clean()
    sas = snp_actor_for(regulator)
    # The persona's territory has none of them; a regulator of the measured territory sees the free SAS ones.
    assert not slots_visible_to(sas).exists()
    regulator.role_grants.update(territory=scale_territory)
    week = slots_visible_to(snp_actor_for(regulator), commune_insee="85191", radius_km=30)
    assert week.exists()
    assert not week.exclude(audiences__contains=["sas"]).exists()


def test_without_practitioners_in_a_territory_it_is_refused_in_french(db):
    with pytest.raises(CommandError, match="Il faut d'abord des professionnels"):
        _seed("--slots", "10")
    with pytest.raises(CommandError, match="au moins 1"):
        _seed("--slots", "0")
    assert not Slot.objects.exists()

"""`manage.py seed_scale --waitlist N`: synthetic sign-ups over the real communes of a territory, written with COPY,
with their households and a priority computed by the default rules, drawn by a GP like any others; refused in
French without a territory or for zero. And the draw benchmark at a small scale: its figures, the index read."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, F

from core.benchmarks import meets
from directory.models import Territory
from directory.selectors import communes_within
from tests.reference_data import ensure_reference_data
from waitlist.benchmarks import draw as draw_benchmark
from waitlist.benchmarks import parts
from waitlist.models import Entry, HouseholdMember
from waitlist.services.common import entry_priority

pytestmark = pytest.mark.django_db


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


def test_it_writes_the_sign_ups_with_their_households_over_the_territory_s_communes(scale_territory):
    output = _seed("--waitlist", "3000", "--territory", "mesure")

    assert "3000 inscriptions" in output
    entries = Entry.objects.all()
    assert entries.count() == 3000
    assert len(set(entries.values_list("public_id", flat=True))) == 3000
    assert not entries.exclude(commune__in=scale_territory.communes.all()).exists()
    assert entries.values("commune").distinct().count() > 10
    assert entries.values("waiting_list").distinct().count() == 1
    # Every entry has its members, as many as its household says, the first at position 0.
    sizes = entries.annotate(people=Count("members")).filter(people=F("household_size"))
    assert sizes.count() == 3000
    assert HouseholdMember.objects.filter(position=0).count() == 3000
    by_status = dict(entries.values_list("status").annotate(n=Count("pk")))
    assert by_status["waiting"] > 2400 and by_status["matched"] > 30 and by_status["unverified"] > 10
    assert not entries.filter(status="waiting", waiting_since__isnull=True).exists()
    assert set(entries.values_list("priority_level", flat=True)) == {0, 1, 2}
    for entry in entries.prefetch_related("members").select_related("waiting_list")[:50]:
        assert entry_priority(entry).level == entry.priority_level, entry.pk


def test_without_a_territory_or_for_zero_it_is_refused_in_french(db):
    with pytest.raises(CommandError, match="au moins 1"):
        _seed("--waitlist", "0")
    with pytest.raises(CommandError, match="Territoire inconnu"):
        _seed("--waitlist", "10", "--territory", "nulle-part")
    assert not Entry.objects.exists()


def test_the_draw_benchmark_is_a_part_of_the_waitlist_s_and_measures_at_a_small_scale():
    assert draw_benchmark.figures in parts.PARTS

    figures = list(draw_benchmark.measures(3000))

    by_metric = {figure["metric"]: figure for figure in figures}
    assert by_metric["draw_entries_in_database"]["value"] == 3000
    assert by_metric["draw_waiting_in_reach"]["value"] > 100
    assert by_metric["draw_ms"]["value"] > 0 and by_metric["draw_raw_sql_ms"]["value"] > 0
    ratio = by_metric["draw_vs_raw_sql"]
    assert ratio["target"] == "<= 2.0" and ratio["value"] > 0
    assert by_metric["draw_candidates_use_index"]["value"] == 1
    assert meets(by_metric["draw_candidates_use_index"]["value"], by_metric["draw_candidates_use_index"]["target"])
    # The draws were rolled back: the queue is as seeded.
    assert not Entry.objects.filter(status="proposed").exists()

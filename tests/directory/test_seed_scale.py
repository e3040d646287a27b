"""`manage.py seed_scale --practitioners N`: synthetic national-scale data written with COPY, searchable, valid,
never colliding with what exists, refused on a real database without --force."""

import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from core.identifiers import rpps_is_valid
from directory import selectors
from directory.models import Activity, Audience, ContactChannel, Practice, Practitioner, Territory
from directory.scale import SYNTHETIC_RPPS_PREFIX, is_benchmark_database, luhn_check_digit
from directory.selectors import communes_within
from tests.factories import PractitionerFactory
from tests.reference_data import ensure_reference_data


@pytest.fixture(autouse=True)
def _reference_data(db):
    ensure_reference_data()  # a transactional test before this module may have emptied the reference tables


@pytest.fixture
def demo_mode(settings):
    settings.DEMO_MODE = True


def _seed(*arguments) -> str:
    out = StringIO()
    call_command("seed_scale", *arguments, stdout=out)
    return out.getvalue()


def test_it_makes_the_practitioners_asked_with_valid_rpps_and_about_1_2_activities_each(demo_mode):
    started = time.perf_counter()
    output = _seed("--practitioners", "2000")
    seconds = time.perf_counter() - started

    practitioners = Practitioner.objects.all()
    assert practitioners.count() == 2000
    numbers = list(practitioners.values_list("rpps", flat=True))
    assert all(rpps_is_valid(number) and number.startswith(SYNTHETIC_RPPS_PREFIX) for number in numbers)
    assert len(set(numbers)) == 2000
    assert 2000 * 1.15 <= Activity.objects.count() <= 2000 * 1.25
    assert not practitioners.annotate(places=Count("activities")).filter(places=0).exists()
    assert "2000 professionnels" in output
    assert seconds < 30  # generous: about a second here, COPY rather than a query per row


def test_the_mix_has_physicians_with_specialties_and_other_professions(demo_mode):
    _seed("--practitioners", "2000")

    physicians = Practitioner.objects.filter(profession__code="10")
    assert 400 <= physicians.count() <= 800
    assert not physicians.filter(specialties=None).exists()
    assert physicians.filter(specialties__code="SM54").count() > physicians.filter(specialties__code="SM04").count() > 0
    assert Practitioner.objects.filter(profession__code="60").count() >= 500  # nurses, the largest group
    assert Practitioner.objects.filter(profession__code="21").exists()
    assert Practitioner.objects.filter(profession__code="70").exists()


def test_practices_stand_in_real_communes_near_their_town_hall(demo_mode):
    _seed("--practitioners", "500")

    practices = Practice.objects.select_related("commune")
    assert practices.count() > 100
    assert not practices.filter(commune=None).exists()
    for practice in practices[:200]:
        assert abs(practice.latitude - practice.commune.latitude) <= 0.011
        assert abs(practice.longitude - practice.commune.longitude) <= 0.016
        assert practice.postal_code in practice.commune.postal_codes
        assert practice.city == practice.commune.name


def test_channels_hold_valid_values_for_their_audience(demo_mode):
    _seed("--practitioners", "500")

    channels = ContactChannel.objects.all()
    professional_lines = channels.filter(kind="professional_line", audience=Audience.PROFESSIONALS)
    public_phones = channels.filter(kind="phone", audience=Audience.PUBLIC, practice__isnull=False)
    assert 0.4 * 500 <= professional_lines.count() <= 0.8 * 500
    assert public_phones.count() >= 0.5 * Practice.objects.count()
    for channel in channels.order_by("?")[:100]:
        channel.full_clean()  # E.164 numbers, MSSanté addresses on *.mssante.fr


def test_synthetic_rows_pass_the_models_validation(demo_mode):
    _seed("--practitioners", "300")

    for practitioner in Practitioner.objects.order_by("?")[:50]:
        practitioner.full_clean()
    for practice in Practice.objects.order_by("?")[:50]:
        practice.full_clean()


def test_a_second_run_adds_new_numbers_after_the_first_without_collision(demo_mode):
    body = SYNTHETIC_RPPS_PREFIX + "123456789"
    existing = PractitionerFactory(rpps=body + luhn_check_digit(body))
    _seed("--practitioners", "300")
    first = set(Practitioner.objects.exclude(pk=existing.pk).values_list("rpps", flat=True))

    _seed("--practitioners", "300", "--seed", "1")

    second = set(Practitioner.objects.exclude(pk=existing.pk).values_list("rpps", flat=True)) - first
    assert len(second) == 300
    assert min(second) > max(first) > existing.rpps
    assert Practitioner.objects.count() == 601


def test_with_a_territory_everything_lands_in_its_communes_and_is_found_by_the_search(demo_mode, gp):
    territory = Territory.objects.create(name="CPTS de mesure", slug="mesure")
    territory.communes.add(*communes_within(insee_code="85191", radius_km=25))

    _seed("--practitioners", "1000", "--territory", "mesure")

    assert Practitioner.objects.filter(territory=territory).count() == 1000
    practices = Practice.objects.filter(territory=territory)
    assert set(practices.values_list("commune", flat=True)) <= set(territory.communes.values_list("pk", flat=True))
    cardiologists = Practitioner.objects.filter(territory=territory, specialties__code="SM04")
    assert cardiologists.exists()
    results = selectors.practitioners_search(viewer=gp, q="cardio", place="La Roche-sur-Yon", radius_km=30)
    found = {practitioner.pk for practitioner in results.practitioners}
    assert found and found <= set(cardiologists.values_list("pk", flat=True))


def test_an_unknown_territory_is_refused_in_french(demo_mode):
    with pytest.raises(CommandError, match="Territoire inconnu"):
        _seed("--practitioners", "10", "--territory", "nulle-part")
    assert not Practitioner.objects.exists()


def test_a_count_below_one_is_refused(demo_mode):
    with pytest.raises(CommandError, match="au moins 1"):
        _seed("--practitioners", "0")


def test_it_refuses_a_real_database_without_force(db, settings):
    settings.DEMO_MODE = False

    with pytest.raises(CommandError, match="--force"):
        _seed("--practitioners", "10")
    assert not Practitioner.objects.exists()

    _seed("--practitioners", "10", "--force")
    assert Practitioner.objects.count() == 10


def test_benchmark_databases_are_recognised_by_their_name():
    assert is_benchmark_database("cpts_portal_bench_directory")
    assert not is_benchmark_database("cpts_portal")

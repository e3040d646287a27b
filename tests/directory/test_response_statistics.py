"""Measured response delays in the directory: written nightly through ``directory.services.statistics`` (the
referrals app computes them; the directory never imports it), shown on the practitioner page from 5 requests on,
and a search order "délai de réponse" (nulls and too-few-requests last)."""

import datetime
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.errors import ApplicationError
from directory import selectors
from directory.models import Activity, Practitioner, ResponseStatistic
from directory.services.statistics import PractitionerFigures, SpecialtyFigures, response_statistics_replace
from tests.factories import PractitionerFactory, SpecialtyFactory, vendee_communes

DAY = datetime.timedelta(days=1)
SEARCH = "/annuaire/"


@pytest.fixture
def cardiology(db):
    return SpecialtyFactory(code="SM04", label="Cardiologie et maladies vasculaires")


@pytest.fixture
def chloe(cardiologist):
    return Practitioner.objects.get(user=cardiologist)


def _measure(practitioner, requests, *, first=None, appointment=None, rate=None):
    """Writes one practitioner's figures as the nightly task does (replacing every other row)."""
    response_statistics_replace(
        practitioner_rows=[
            PractitionerFigures(
                practitioner_id=practitioner.pk,
                requests=requests,
                median_first_response=first,
                median_appointment_delay=appointment,
                acceptance_rate=rate,
            )
        ],
        specialty_rows=[],
    )


def _page(browser, practitioner) -> str:
    response = browser.get(reverse("directory:practitioner_detail", args=[practitioner.public_id]))
    assert response.status_code == 200
    return response.content.decode()


# --- Writing ------------------------------------------------------------------------------------------------------


def test_the_figures_of_a_night_replace_those_of_the_previous_one(chloe, gp, territory, cardiology):
    alice = Practitioner.objects.get(user=gp)
    response_statistics_replace(
        practitioner_rows=[PractitionerFigures(practitioner_id=alice.pk, requests=3)],
        specialty_rows=[SpecialtyFigures(territory_id=territory.pk, specialty_id=cardiology.pk, requests=3)],
    )

    written = response_statistics_replace(
        practitioner_rows=[PractitionerFigures(practitioner_id=chloe.pk, requests=7, median_first_response=2 * DAY)],
        specialty_rows=[SpecialtyFigures(territory_id=territory.pk, specialty_id=cardiology.pk, requests=7)],
    )

    assert written == (1, 1)
    assert list(
        ResponseStatistic.objects.filter(practitioner__isnull=False).values_list("practitioner", "requests")
    ) == [(chloe.pk, 7)]
    assert ResponseStatistic.objects.get(specialty=cardiology).requests == 7


def test_a_wrong_row_keeps_the_previous_night(chloe):
    _measure(chloe, 6, first=DAY)

    with pytest.raises(ValueError):
        response_statistics_replace(
            practitioner_rows=[PractitionerFigures(practitioner_id=chloe.pk, requests=6, acceptance_rate=1.5)],
            specialty_rows=[],
        )

    assert ResponseStatistic.objects.get(practitioner=chloe).median_first_response == DAY


def test_the_directory_never_imports_the_referrals():
    directory = Path(settings.BASE_DIR) / "directory"
    importing = [
        str(path.relative_to(directory))
        for path in directory.rglob("*.py")
        if re.search(r"^\s*(from|import)\s+referrals\b", path.read_text(), re.MULTILINE)
    ]

    assert importing == []


# --- The practitioner page ----------------------------------------------------------------------------------------


def test_a_colleague_reads_the_measured_delays_from_five_requests_on(chloe, gp, signed_in):
    _measure(chloe, 5, first=2 * DAY + datetime.timedelta(hours=3), appointment=12 * DAY, rate=0.85)

    html = _page(signed_in(gp), chloe)

    assert "Délai médian de première réponse : 2 j" in html
    assert "Rendez-vous en 12 j (médiane)" in html
    assert "Accepte 85 % des demandes" in html
    assert "Mesuré sur 5 demandes" in html


def test_a_delay_under_a_day_is_said_in_hours(chloe, gp, signed_in):
    _measure(chloe, 9, first=datetime.timedelta(hours=5))

    html = _page(signed_in(gp), chloe)

    assert "Délai médian de première réponse : 5 h" in html
    assert "Rendez-vous en" not in html and "Accepte" not in html  # not measured: not shown


def test_under_five_requests_nothing_is_claimed(chloe, gp, signed_in):
    _measure(chloe, 4, first=DAY, appointment=3 * DAY, rate=1.0)

    html = _page(signed_in(gp), chloe)

    assert "Pas encore assez de demandes pour mesurer" in html
    assert "Délai médian" not in html and "Accepte 100 %" not in html


def test_an_entry_never_addressed_shows_no_section(chloe, gp, signed_in):
    assert "Réponse aux demandes" not in _page(signed_in(gp), chloe)


def test_the_public_does_not_read_the_figures(chloe, client):
    _measure(chloe, 8, first=DAY, rate=0.5)

    html = _page(client, chloe)

    assert "Réponse aux demandes" not in html and "Délai médian" not in html


# --- The search order ---------------------------------------------------------------------------------------------


@pytest.fixture
def cardiologists(territory, cardiology, cardio_practice, cardiologist):
    """Dr Rousseau (never measured) and five colleagues: measured fast, measured slow, measured on too few
    requests, never measured, and measured without a first response yet."""
    people = {}
    for key, last_name in (
        ("fast", "Zola"),
        ("slow", "Aubert"),
        ("few", "Bernard"),
        ("none", "Carre"),
        ("open", "Dumas"),
    ):
        people[key] = PractitionerFactory(first_name="Jean", last_name=last_name, territory=territory)
        people[key].specialties.add(cardiology)
        Activity.objects.create(practitioner=people[key], practice=cardio_practice)
    response_statistics_replace(
        practitioner_rows=[
            PractitionerFigures(practitioner_id=people["fast"].pk, requests=12, median_first_response=DAY),
            PractitionerFigures(practitioner_id=people["slow"].pk, requests=30, median_first_response=9 * DAY),
            PractitionerFigures(practitioner_id=people["few"].pk, requests=2, median_first_response=DAY / 2),
            PractitionerFigures(practitioner_id=people["open"].pk, requests=6),
        ],
        specialty_rows=[],
    )
    return people


def _names(results) -> list[str]:
    return [practitioner.last_name for practitioner in results.practitioners]


def test_the_search_sorts_by_measured_response_with_the_unmeasured_last(cardiologists, gp):
    by_name = selectors.practitioners_search(viewer=gp, q="cardio")
    by_response = selectors.practitioners_search(viewer=gp, q="cardio", sort="response")

    assert _names(by_name) == ["Aubert", "Bernard", "Carre", "Dumas", "Rousseau", "Zola"]
    # Measured on enough requests, fastest first; then everyone else by name (2 requests say nothing yet).
    assert _names(by_response) == ["Zola", "Aubert", "Bernard", "Carre", "Dumas", "Rousseau"]


def test_the_search_page_offers_the_order_and_keeps_it(cardiologists, gp, signed_in):
    browser = signed_in(gp)

    html = browser.get(SEARCH, {"q": "cardio", "sort": "response"}).content.decode()

    assert '<option value="response" selected>' in html
    assert html.index("Jean Zola") < html.index("Jean Aubert") < html.index("Chloé Rousseau")
    assert "Délai de réponse (mesuré)" in browser.get(SEARCH).content.decode()


def test_an_unknown_order_is_refused_in_french(cardiologists, gp, signed_in):
    response = signed_in(gp).get(SEARCH, {"q": "cardio", "sort": "au-hasard"})

    assert response.status_code == 400
    assert "Tri inconnu : « au-hasard »" in response.content.decode()
    with pytest.raises(ApplicationError) as refused:
        selectors.practitioners_search(viewer=gp, q="cardio", sort="au-hasard")
    assert refused.value.field == "sort"


def test_sorting_by_response_costs_no_query_more(cardiologists, gp, signed_in):
    browser = signed_in(gp)
    for _warm_up in range(2):  # the tools of the filter come from the cache after the first pages
        browser.get(SEARCH, {"q": "cardio"})

    counted = {}
    for sort in ("", "response"):
        with CaptureQueriesContext(connection) as queries:
            assert browser.get(SEARCH, {"q": "cardio", "sort": sort}).status_code == 200
        counted[sort] = len(queries)

    assert counted["response"] == counted[""]


def test_the_order_holds_near_a_place(cardiologists, gp, cardio_practice):
    communes = vendee_communes()
    cardio_practice.commune, cardio_practice.latitude, cardio_practice.longitude = communes["la_roche"], 46.67, -1.42
    cardio_practice.save()

    results = selectors.practitioners_search(viewer=gp, q="cardio", place="La Roche-sur-Yon", sort="response")

    assert _names(results)[:2] == ["Zola", "Aubert"]
    assert results.total == 6

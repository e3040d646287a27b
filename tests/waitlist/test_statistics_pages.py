"""The statistics of the waiting list (/liste-attente/statistiques/ and GET /api/v1/waitlist/statistics/) for its
coordinators and observers, the coordinator's downloads; observers read figures and never an entry; the pages'
queries do not grow with the entries."""

import datetime
import io
import uuid

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.roles import Role
from core.access import ACCESS_RULE_ATTRIBUTE
from directory.services import role_grant_create
from tests.factories import TerritoryFactory
from tests.waitlist.statistics_support import entries_bulk, pledge_of, proposals_answered
from waitlist.models import Proposal
from waitlist.scope import forget_waitlist_actor
from waitlist.services.common import waiting_list_of_territory
from waitlist.statistics import first_of_month, month_bounds
from waitlist.statistics_views import public_report_cache_key

STATISTICS = reverse("waitlist:statistics")
EXPORT = reverse("waitlist:statistics_export")
API = "/api/v1/waitlist/statistics/"
QUERIES_TARGET = 12


def _month(back: int) -> datetime.date:
    return first_of_month(timezone.localdate(), back)


def _in(month: datetime.date, day: int = 10) -> datetime.datetime:
    return month_bounds(month)[0].replace(day=day, hour=12)


@pytest.fixture
def figures(waiting_list, communes, gp_entry):
    month = _month(1)
    roche = entries_bulk(waiting_list, communes["la_roche"], 14, waiting_since=_in(_month(2)), level=1)
    entries_bulk(waiting_list, communes["venansault"], 3, waiting_since=_in(month))
    proposals_answered(
        pledge_of(gp_entry, waiting_list), roche[:2], status=Proposal.Status.ACCEPTED, answered_at=_in(month, 20)
    )
    return month


@pytest.fixture
def other_list(db):
    territory = TerritoryFactory(name="CPTS du Marais", slug="marais")
    return waiting_list_of_territory(territory)


# --- The page ----------------------------------------------------------------------------------------------------


def test_the_coordinator_reads_the_figures_with_the_map_and_the_downloads(signed_in, coordinator, figures):
    response = signed_in(coordinator).get(STATISTICS, {"mois": f"{figures:%Y-%m}"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Statistiques de la liste d" in html
    assert 'id="stats-communes"' in html and "La Roche-sur-Yon" in html
    assert '<figure class="waitlist-map">' in html
    assert "La Roche-sur-Yon : 12 personnes en attente" in html
    assert f"{EXPORT}?liste=bocage" in html
    assert 'id="waitlist-chart-data"' in html
    assert "Mesure" not in html and "+3361" not in html  # no name, no phone


def test_an_observer_reads_the_figures_but_gets_no_download(signed_in, observer, figures):
    client = signed_in(observer)
    response = client.get(STATISTICS, {"mois": f"{figures:%Y-%m}"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "La Roche-sur-Yon" in html
    assert EXPORT not in html
    assert client.get(EXPORT, {"quoi": "mois", "format": "csv"}).status_code == 403


@pytest.mark.parametrize("persona", ["gp", "outsider", "pharmacist"])
def test_others_may_not_open_the_statistics(signed_in, persona, request, waiting_list):
    client = signed_in(request.getfixturevalue(persona))
    assert client.get(STATISTICS).status_code == 403
    assert client.get(EXPORT, {"quoi": "mois", "format": "csv"}).status_code == 403
    assert client.get(API).status_code == 403


def test_someone_signed_out_is_sent_to_the_login(client, waiting_list):
    assert client.get(STATISTICS).status_code == 302
    assert client.get(API).status_code in (401, 403)


def test_a_month_not_offered_is_a_400_on_its_field(signed_in, coordinator, waiting_list):
    response = signed_in(coordinator).get(STATISTICS, {"mois": "2001-01"})
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()


def test_someone_who_observes_two_lists_chooses_one(signed_in, observer, figures, other_list):
    role_grant_create(user=observer, role=Role.OBSERVER, territory=other_list.territories.get())
    forget_waitlist_actor(observer)
    client = signed_in(observer)
    html = client.get(STATISTICS, {"mois": f"{figures:%Y-%m}", "liste": "marais"}).content.decode()
    assert 'name="liste"' in html and "CPTS du Marais" in html
    assert "La Roche-sur-Yon" not in html.split('id="stats-communes"')[1]


# --- The downloads -----------------------------------------------------------------------------------------------


def test_the_coordinator_downloads_twelve_months_by_commune_and_level(signed_in, coordinator, figures):
    response = signed_in(coordinator).get(EXPORT, {"mois": f"{figures:%Y-%m}", "quoi": "mois", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="liste-attente-bocage-{figures:%Y-%m}.csv"'
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Mois;Code INSEE;Commune;Niveau de priorité;")
    assert f"{figures:%Y-%m};85191;La Roche-sur-Yon;Prioritaire;0;2;12" in lines
    assert f"{figures:%Y-%m};85300;Venansault;Standard;3;0;3" in lines


def test_the_coordinator_downloads_the_queue_aggregated_as_xlsx(signed_in, coordinator, figures):
    response = signed_in(coordinator).get(EXPORT, {"quoi": "file", "format": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == ["Code INSEE", "Commune", "Niveau de priorité", "Statut", "Inscriptions", "Personnes"]
    assert ["85191", "La Roche-sur-Yon", "Prioritaire", "En attente", 12, 12] in rows


def test_another_lists_download_is_a_404_and_bad_input_a_400(signed_in, coordinator, figures, other_list):
    client = signed_in(coordinator)
    assert client.get(EXPORT, {"liste": "marais", "quoi": "mois", "format": "csv"}).status_code == 404
    wrong = client.get(EXPORT, {"quoi": "mois", "format": "pdf"})
    assert wrong.status_code == 400
    assert "Format" in wrong.content.decode()


# --- The API -----------------------------------------------------------------------------------------------------


def test_the_api_gives_the_months_figures(signed_in, coordinator, figures):
    response = signed_in(coordinator).get(API, {"month": f"{figures:%Y-%m}"})
    assert response.status_code == 200
    data = response.json()
    assert data["waiting_list"] == {"slug": "bocage", "name": "Liste d'attente — CPTS du Bocage"}
    assert data["levels"] == ["Standard", "Prioritaire", "Très prioritaire"]
    assert data["waiting_people"] == 15
    assert data["months"][-1]["matched"] == 2 and data["months"][-1]["signed_up"] == 3
    assert data["proposals"] == {"accepted": 2, "declined": 0, "expired": 0}
    assert {row["insee_code"] for row in data["communes"]} == {"85191", "85300"}
    assert "Mesure" not in response.content.decode()


def test_the_api_refuses_another_list_and_a_bad_month(signed_in, observer, figures, other_list):
    client = signed_in(observer)
    assert client.get(API).status_code == 200
    assert client.get(API, {"list": "marais"}).status_code == 404
    wrong = client.get(API, {"month": "2026-13"})
    assert wrong.status_code == 400
    assert wrong.json()["field"] == "month"
    assert client.get(API, {"month": f"{timezone.localdate().year + 1}-01"}).status_code == 400


# --- Observers never reach an entry ------------------------------------------------------------------------------


ARGUMENTS = (("<uuid:", str(uuid.uuid4())), ("<int:", "999999"), ("<str:", "x"), ("<slug:", "x"))


def _waitlist_routes():
    """Every waiting-list page and API route, its arguments filled with ids nobody has."""
    for module_name, prefix in (("waitlist.urls", "/liste-attente/"), ("waitlist.api_urls", "/api/v1/")):
        module = __import__(module_name, fromlist=["urlpatterns"])
        for pattern in module.urlpatterns:
            if not isinstance(pattern, URLPattern):
                continue
            route = str(pattern.pattern)
            for converter, value in ARGUMENTS:
                while converter in route:
                    start = route.index(converter)
                    route = route[:start] + value + route[route.index(">", start) + 1 :]
            yield prefix + route, pattern.callback


def test_an_observer_reaches_no_entry_page_nor_api(signed_in, observer, figures):
    client = signed_in(observer)
    allowed = {STATISTICS, API, reverse("waitlist:public_report")}
    checked = 0
    for url, view in _waitlist_routes():
        if url in allowed or getattr(view, ACCESS_RULE_ATTRIBUTE, "") == "public":
            continue
        for method in (client.get, client.post):
            status = method(url).status_code
            assert status in (403, 404, 405), f"{url}: {status}"
        checked += 1
    assert checked >= 1  # the download at least; the others' pages when they are in


# --- Queries -----------------------------------------------------------------------------------------------------


def _queries(client, url, *, before=lambda: None) -> int:
    client.get(url)  # the first request's caches (translations, the list's communes) aside
    before()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_the_pages_take_the_same_queries_with_10_or_300_entries(client, signed_in, coordinator, waiting_list, communes):
    month = _month(1)
    report = reverse("waitlist:public_report")
    forget_report = lambda: cache.delete(public_report_cache_key(waiting_list, month))  # noqa: E731
    counts = {}
    made = 0
    for size in (10, 300):
        entries_bulk(waiting_list, communes["la_roche"], size - made, waiting_since=_in(month), level=size % 3)
        made = size
        counts[("report", size)] = _queries(client, report, before=forget_report)
        counts[("statistics", size)] = _queries(signed_in(coordinator), STATISTICS)
        client.logout()
    for page in ("report", "statistics"):
        assert counts[(page, 10)] == counts[(page, 300)] <= QUERIES_TARGET, counts

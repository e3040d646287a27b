"""The public monthly report (/liste-attente/rapport/, anyone): people waiting by commune and level, sign-ups and
matches, a map; never a figure under 10 people, and no suppressed cell found again by subtraction."""

import datetime
import html as html_module
import random
import re
from fractions import Fraction

import pytest
from django.urls import reverse
from django.utils import timezone

import core.cache
from tests.waitlist.statistics_support import entries_bulk, pledge_of, proposals_answered
from waitlist.models import Proposal
from waitlist.statistics import SUPPRESSION_THRESHOLD, first_of_month, month_bounds, suppressed_table
from waitlist.statistics_views import public_report_cache_key

REPORT = reverse("waitlist:public_report")


# --- The rule, on its own ---------------------------------------------------------------------------------------


def _determined(table) -> set[tuple[int, int]]:
    """The suppressed cells whose value follows from the shown ones and the sums of rows and columns (the totals'
    equations), found by Gaussian elimination over the rationals: independent of how the table was built."""
    height, width = len(table), len(table[0])
    unknowns = [(r, c) for r in range(height) for c in range(width) if not table[r][c].shown]
    index = {cell: i for i, cell in enumerate(unknowns)}
    equations = []

    def equation(cells_and_signs):
        row = [Fraction(0)] * len(unknowns)
        for (r, c), sign in cells_and_signs:
            if (r, c) in index:
                row[index[(r, c)]] += sign
        if any(row):
            equations.append(row)

    for r in range(height):  # each row's cells add up to its total (the last column)
        equation([((r, c), 1) for c in range(width - 1)] + [((r, width - 1), -1)])
    for c in range(width):  # each column's cells add up to its total (the last row)
        equation([((r, c), 1) for r in range(height - 1)] + [((height - 1, c), -1)])
    # Row-reduce; an unknown is determined when a reduced row has a single non-zero coefficient on it.
    rows = [list(row) for row in equations]
    pivot_row = 0
    for column in range(len(unknowns)):
        pivot = next((i for i in range(pivot_row, len(rows)) if rows[i][column] != 0), None)
        if pivot is None:
            continue
        rows[pivot_row], rows[pivot] = rows[pivot], rows[pivot_row]
        lead = rows[pivot_row][column]
        rows[pivot_row] = [value / lead for value in rows[pivot_row]]
        for i in range(len(rows)):
            if i != pivot_row and rows[i][column] != 0:
                factor = rows[i][column]
                rows[i] = [a - factor * b for a, b in zip(rows[i], rows[pivot_row], strict=True)]
        pivot_row += 1
    return {unknowns[next(i for i, v in enumerate(row) if v)] for row in rows if sum(1 for v in row if v) == 1}


def test_a_row_total_would_give_away_a_lone_small_cell_so_a_second_one_is_suppressed():
    table = suppressed_table([[25, 3, 40], [30, 22, 18]])
    assert table[0][1].display == "< 10"
    hidden = {(r, c) for r, row in enumerate(table) for c, cell in enumerate(row) if not cell.shown}
    assert len(hidden) >= 4  # a rectangle: the small cell, one more in its row, in its column, and the corner
    assert sum(1 for c in range(4) if (0, c) in hidden) >= 2
    assert sum(1 for r in range(3) if (r, 1) in hidden) >= 2
    assert table[0][0].display == "masqué" or table[0][2].display == "masqué" or table[0][3].display == "masqué"
    assert _determined(table) == set()


def test_totals_are_those_of_the_real_figures():
    table = suppressed_table([[25, 3], [30, 22]])
    assert [cell.value for cell in table[-1]] == [55, 25, 80]
    assert [cell.value for cell in table[0]] == [25, 3, 28]


@pytest.mark.parametrize("seed", range(60))
def test_no_cell_under_10_is_shown_and_none_is_found_again_by_subtraction(seed):
    generator = random.Random(seed)
    height, width = generator.randint(1, 7), generator.randint(2, 5)
    inner = [
        [generator.choice([0, 1, 2, 5, 9, 10, 11, 14, 30, 80, generator.randint(0, 60)]) for _c in range(width)]
        for _r in range(height)
    ]
    table = suppressed_table(inner)
    for row in table:
        for cell in row:
            if cell.value < SUPPRESSION_THRESHOLD:
                assert not cell.shown and cell.display == "< 10"
            if cell.shown:
                assert int(cell.display.replace("\u202f", "")) == cell.value >= SUPPRESSION_THRESHOLD
    assert _determined(table) == set(), inner


# --- The page -----------------------------------------------------------------------------------------------------


def _month(back: int) -> datetime.date:
    return first_of_month(timezone.localdate(), back)


def _in(month: datetime.date, day: int = 10) -> datetime.datetime:
    return month_bounds(month)[0].replace(day=day, hour=12)


@pytest.fixture
def queue(waiting_list, communes, gp_entry):
    """Last month: La Roche 40 people (30 standard, 7 priority, 3 very), Mouilleron 12 standard, Venansault 4,
    Saint-Jean 0; 11 matched at La Roche (its 30 standard become 19)."""
    month = _month(1)
    roche = entries_bulk(waiting_list, communes["la_roche"], 30, waiting_since=_in(_month(3)))
    entries_bulk(waiting_list, communes["la_roche"], 7, waiting_since=_in(month), level=1)
    entries_bulk(waiting_list, communes["la_roche"], 3, waiting_since=_in(month), level=2)
    entries_bulk(waiting_list, communes["mouilleron"], 6, waiting_since=_in(month), household_size=2)
    entries_bulk(waiting_list, communes["venansault"], 4, waiting_since=_in(month))
    proposals_answered(
        pledge_of(gp_entry, waiting_list), roche[:11], status=Proposal.Status.ACCEPTED, answered_at=_in(month, 20)
    )
    return month


def _cells(html: str, table_id: str) -> list[str]:
    table = re.search(rf'<table class="dashboard-table" id="{table_id}">(.*?)</table>', html, re.S)[1]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", table, re.S)
    return [html_module.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in cells]


def _assert_nothing_under_10(html: str):
    cells = _cells(html, "report-communes") + _cells(html, "report-months")
    figures = [html_module.unescape(text) for text in re.findall(r"<dd>(.*?)</dd>", html, re.S)]
    for text in cells + figures[:3]:
        if text in ("< 10", "masqué"):
            continue
        assert int(text.replace("\u202f", "")) >= 10, text


def test_anyone_reads_last_months_report_by_commune_and_level(client, queue):
    response = client.get(REPORT)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Rapport mensuel de la liste d" in html
    cells = _cells(html, "report-communes")
    # La Roche: 19 standard, 7 and 3 under 10; Mouilleron 12 standard; Venansault's 4 among the others.
    assert "La Roche-sur-Yon" in html and "Mouilleron-le-Captif" in html
    assert "Autres communes (moins de 10 personnes chacune)" in html
    assert cells[:4] == ["19", "< 10", "< 10", "29"]
    # The others' row is all under 10: alone in the first and last columns, its cells would follow from the
    # totals, so Mouilleron's standard count and total are masked as well.
    assert cells[4:8] == ["masqué", "< 10", "< 10", "masqué"]
    assert cells[8:12] == ["< 10"] * 4
    assert cells[12:] == ["35", "< 10", "< 10", "45"]
    _assert_nothing_under_10(html)
    assert "Comment les petits chiffres sont protégés" in html
    # Eleven found a GP last month, 33 (or 12 + 6 + …) signed up: both published, both at least 10.
    assert re.search(r"Médecin trouvé dans le mois</dt><dd>11</dd>", html)
    assert "4 personnes" not in html


def test_the_report_never_shows_a_cell_under_10_whatever_the_counts(client, waiting_list, communes):
    generator = random.Random(13)
    month = _month(1)
    for key in communes:
        for level in range(3):
            count = generator.choice([0, 1, 4, 9, 10, 12, 25])
            if count:
                entries_bulk(waiting_list, communes[key], count, waiting_since=_in(month), level=level)
    html = client.get(REPORT).content.decode()
    _assert_nothing_under_10(html)


def test_the_map_draws_each_commune_with_a_title_and_the_small_ones_grey(client, queue):
    html = client.get(REPORT).content.decode()
    svg = re.search(r'<figure class="waitlist-map">(.*?)</figure>', html, re.S)[1]
    assert 'role="img"' in svg
    communes = re.findall(r'<g class="waitlist-map-commune ([^"]*)">\s*<title>([^<]*)</title>', svg)
    titles = {title: classes for classes, title in communes}
    assert titles["La Roche-sur-Yon : 29 personnes en attente"] == "band-1"
    # Its total masked in the table (see above), Mouilleron is grey on the map, its figure not said.
    assert titles["Mouilleron-le-Captif : masqué"] == "band-0 suppressed"
    # Venansault (4) and Saint-Jean (0) are faint dots among the list's communes, never a figure.
    assert "Venansault" not in svg and "Saint-Jean" not in svg
    assert len(re.findall(r"<circle", re.search(r'<g class="waitlist-map-dots">(.*?)</g>', svg, re.S)[1])) == 4
    assert "moins de 10 personnes ou masqué" in svg  # the legend
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")  # nothing fetched from elsewhere


def test_a_month_and_a_list_are_chosen_and_a_wrong_month_is_a_400(client, queue):
    response = client.get(REPORT, {"mois": f"{_month(3):%Y-%m}"})
    assert response.status_code == 200
    assert "Médecin trouvé dans le mois</dt><dd>&lt; 10</dd>" in response.content.decode()
    wrong = client.get(REPORT, {"mois": "1999-01"})
    assert wrong.status_code == 400
    assert 'aria-invalid="true"' in wrong.content.decode()


def test_the_months_report_is_cached(client, queue, django_assert_max_num_queries):
    client.get(REPORT)
    with django_assert_max_num_queries(2):  # the lists of the form; the report comes from the cache
        assert client.get(REPORT).status_code == 200


def test_the_report_is_served_while_redis_is_down(client, queue, settings, waiting_list):
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}}
    core.cache.reset_outage_state()
    try:
        response = client.get(REPORT)
        assert response.status_code == 200
        assert "La Roche-sur-Yon" in response.content.decode()
    finally:
        core.cache.reset_outage_state()
    assert public_report_cache_key(waiting_list, queue).startswith("waitlist:public-report:")


def test_without_a_list_the_page_says_so(client, db):
    response = client.get(REPORT)
    assert response.status_code == 200
    assert "Aucune liste d'attente n'est encore ouverte" in response.content.decode()

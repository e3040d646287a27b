"""The waiting list's figures (``waitlist.statistics``): who counts as signed up, matched and waiting at a month's
end, the waiting times, by commune and level; the newsletter's monthly figures; a fixed number of queries."""

import datetime

import pytest
from django.utils import timezone

from tests.waitlist.statistics_support import entries_bulk, pledge_of, proposals_answered
from waitlist.models import Entry, Proposal
from waitlist.statistics import (
    export_rows_by_month,
    export_rows_queue,
    first_of_month,
    list_statistics,
    month_bounds,
    waitlist_monthly_figures,
)

pytestmark = pytest.mark.django_db


def _months_ago(months: int) -> datetime.date:
    return first_of_month(timezone.localdate(), months)


def _mid(month: datetime.date, day: int = 15) -> datetime.datetime:
    return month_bounds(month)[0].replace(day=day, hour=12)


@pytest.fixture
def history(waiting_list, communes, gp_entry):
    """Three months ago: 12 sign-ups at La Roche (level 1), 3 households of two at Venansault; two months ago
    4 of the La Roche ones matched (after 45 days), 2 declined, 1 expired; a merged and an unverified sign-up
    that never count."""
    three, two = _months_ago(3), _months_ago(2)
    roche = entries_bulk(waiting_list, communes["la_roche"], 12, waiting_since=_mid(three, 1), level=1)
    entries_bulk(waiting_list, communes["venansault"], 3, waiting_since=_mid(three, 10), household_size=2)
    entries_bulk(waiting_list, communes["la_roche"], 1, waiting_since=_mid(three), status=Entry.Status.MERGED)
    Entry.objects.create(
        waiting_list=waiting_list, commune=communes["la_roche"], situation="never_had", max_distance_km=5
    )
    pledge = pledge_of(gp_entry, waiting_list)
    answered = _mid(three, 1) + datetime.timedelta(days=45)
    proposals_answered(pledge, roche[:4], status=Proposal.Status.ACCEPTED, answered_at=answered)
    proposals_answered(pledge, roche[4:6], status=Proposal.Status.DECLINED, answered_at=answered)
    proposals_answered(pledge, roche[6:7], status=Proposal.Status.EXPIRED, answered_at=answered)
    return {"three": three, "two": two, "answered": answered}


def test_a_month_counts_the_people_signed_up_waiting_and_matched(waiting_list, history):
    stats = list_statistics(waiting_list=waiting_list, month=history["three"])
    assert stats.this_month.signed_up == 12 + 6
    assert stats.this_month.signed_up_entries == 15
    assert stats.waiting_people == 18  # nobody matched yet at the end of that month
    by_name = {row.name: row for row in stats.communes}
    assert by_name["La Roche-sur-Yon"].waiting_by_level == [0, 12, 0]
    assert by_name["Venansault"].waiting_by_level == [6, 0, 0]
    assert stats.levels == ["Standard", "Prioritaire", "Très prioritaire"]


def test_the_following_month_counts_the_matches_and_the_proposals(waiting_list, history):
    month = first_of_month(timezone.localtime(history["answered"]).date())
    stats = list_statistics(waiting_list=waiting_list, month=month)
    assert stats.this_month.matched == 4
    assert stats.this_month.signed_up == 0
    assert stats.proposals == {"accepted": 4, "declined": 2, "expired": 1}
    assert stats.waiting_people == 18 - 4
    assert round(stats.matched_waits["median_days"]) == 45
    assert stats.matched_waits["entries"] == 4
    # The series holds the twelve months up to the one chosen, the sign-ups in theirs.
    assert len(stats.series) == 12
    assert [point.signed_up for point in stats.series[-2:]] == [18, 0]


def test_waiting_times_are_the_median_and_90th_percentile_at_the_months_end(waiting_list, communes):
    month = _months_ago(2)
    end = month_bounds(month)[1]
    for days in range(1, 11):  # waited 1 to 10 days at the month's end
        entries_bulk(waiting_list, communes["la_roche"], 1, waiting_since=end - datetime.timedelta(days=days))
    stats = list_statistics(waiting_list=waiting_list, month=month)
    assert stats.waiting == {"entries": 10, "median_days": 5.5, "p90_days": 9.1}


def test_an_entry_closed_before_the_months_end_is_not_waiting_then(waiting_list, communes):
    month = _months_ago(2)
    start, end = month_bounds(month)
    entries_bulk(
        waiting_list,
        communes["la_roche"],
        2,
        waiting_since=start - datetime.timedelta(days=40),
        status=Entry.Status.WITHDRAWN,
        closed_at=start + datetime.timedelta(days=3),
    )
    entries_bulk(
        waiting_list,
        communes["la_roche"],
        3,
        waiting_since=start - datetime.timedelta(days=40),
        status=Entry.Status.INACTIVE,
        closed_at=end + datetime.timedelta(days=3),
    )
    assert list_statistics(waiting_list=waiting_list, month=month).waiting_people == 3
    assert list_statistics(waiting_list=waiting_list, month=_months_ago(3)).waiting_people == 5


def test_the_queue_now_by_status_and_level(waiting_list, communes, history):
    stats = list_statistics(waiting_list=waiting_list, month=_months_ago(0))
    by_status = {row.status: row.by_level for row in stats.statuses}
    assert by_status["waiting"] == [6, 8, 0]
    assert by_status["matched"] == [0, 4, 0]
    assert by_status["merged"] == [1, 0, 0]  # every status, merged and unverified ones included
    assert by_status["unverified"] == [1, 0, 0]


def test_the_newsletter_gets_the_months_figures_of_its_territory(waiting_list, territory, history):
    month = first_of_month(timezone.localtime(history["answered"]).date())
    figures = waitlist_monthly_figures(territory_ids=[territory.pk], month=month)
    assert figures == {
        "month": month.isoformat(),
        "signed_up": 0,
        "matched": 4,
        "waiting": 14,
        "median_wait_days": figures["median_wait_days"],
    }
    assert figures["median_wait_days"] > 40
    signed = waitlist_monthly_figures(territory_ids=[territory.pk], month=history["three"])
    assert signed["signed_up"] == 18
    assert set(signed) == {"month", "signed_up", "matched", "waiting", "median_wait_days"}


def test_the_newsletter_of_a_territory_without_a_list_gets_zeros(db):
    from tests.factories import TerritoryFactory

    other = TerritoryFactory(name="CPTS sans liste", slug="sans-liste")
    figures = waitlist_monthly_figures(territory_ids=[other.pk], month=_months_ago(1))
    assert figures["signed_up"] == figures["matched"] == figures["waiting"] == 0
    assert figures["median_wait_days"] is None


def test_the_exports_hold_aggregates_only(waiting_list, history):
    rows = export_rows_by_month(waiting_list=waiting_list, month=history["two"])
    assert rows[0][:4] == ["Mois", "Code INSEE", "Commune", "Niveau de priorité"]
    body = rows[1:]
    assert [f"{history['three']:%Y-%m}", "85191", "La Roche-sur-Yon", "Prioritaire", 12, 0, 12] in body
    assert [f"{history['two']:%Y-%m}", "85191", "La Roche-sur-Yon", "Prioritaire", 0, 4, 8] in body
    queue = export_rows_queue(waiting_list=waiting_list)
    assert ["85300", "Venansault", "Standard", "En attente", 3, 6] in queue[1:]
    flat = " ".join(str(cell) for row in rows + queue for cell in row)
    assert "Mesure" not in flat and "+336" not in flat


def test_the_figures_take_the_same_queries_whatever_the_number_of_entries(
    waiting_list, communes, gp_entry, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    month = _months_ago(1)
    list_statistics(waiting_list=waiting_list, month=month)  # the list's rules and communes, then cached
    counts = []
    for size in (5, 200):
        entries_bulk(waiting_list, communes["la_roche"], size, waiting_since=_mid(month))
        with CaptureQueriesContext(connection) as captured:
            list_statistics(waiting_list=waiting_list, month=month)
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1] <= 3

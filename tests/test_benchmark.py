"""`manage.py benchmark <app>` prints one JSON line per figure and leaves the database as it was."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from core.benchmarks import meets
from directory.models import Practitioner
from notifications.models import OutboundMessage


def test_outbox_benchmark_prints_json_figures_and_keeps_nothing(db):
    out = StringIO()

    call_command("benchmark", "notifications", stdout=out)

    figures = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [figure["metric"] for figure in figures] == ["outbox_enqueue_rate", "outbox_delivery_rate"]
    for figure in figures:
        assert set(figure) == {"metric", "value", "unit", "target"}
        assert figure["value"] > 0
        assert figure["target"].startswith(">= ")  # a rate must reach its target: the direction is printed
    assert not OutboundMessage.objects.exists()


def test_app_without_benchmarks_is_named(db):
    with pytest.raises(CommandError, match="accounts n'a pas encore de mesures"):
        call_command("benchmark", "accounts")


DIRECTORY_METRICS = {
    "search_api_specialty_near_over_raw_sql",
    "search_api_specialty_near_queries",
    "search_api_name_over_raw_sql",
    "search_api_name_queries",
    "search_page_queries_10_rows",
    "search_page_queries_1000_rows",
    "practitioner_page_queries_10_rows",
    "practitioner_page_queries_1000_rows",
}


@pytest.mark.django_db(transaction=True)  # the benchmark switches to a database of its own: no test transaction
def test_directory_benchmark_prints_json_figures_from_a_throwaway_database():
    database = connection.settings_dict["NAME"]
    practitioners = Practitioner.objects.count()
    out = StringIO()

    call_command("benchmark", "directory", "--scale", "300", stdout=out)

    figures = [json.loads(line) for line in out.getvalue().splitlines()]
    by_metric = {figure["metric"]: figure for figure in figures}
    assert figures[0]["metric"] == "directory_scale_practitioners" and figures[0]["value"] == 300
    assert set(by_metric) >= DIRECTORY_METRICS
    assert not any("naive" in metric for metric in by_metric)
    for figure in figures:
        assert set(figure) == {"metric", "value", "unit", "target"}
        assert figure["target"] is None or figure["target"].startswith(("<= ", ">= ")), figure
    assert meets(by_metric["search_api_specialty_near_queries"]["value"], "<= 12")
    for metric in DIRECTORY_METRICS:
        assert by_metric[metric]["value"] is not None and by_metric[metric]["value"] > 0, metric
    # Query counts do not grow with the rows.
    assert by_metric["search_page_queries_10_rows"]["value"] == by_metric["search_page_queries_1000_rows"]["value"]
    assert (
        by_metric["practitioner_page_queries_10_rows"]["value"]
        == by_metric["practitioner_page_queries_1000_rows"]["value"]
    )
    # The database under test is untouched and the throwaway one is gone.
    assert connection.settings_dict["NAME"] == database
    assert Practitioner.objects.count() == practitioners
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_database WHERE datname LIKE %s", [f"{database}_bench%"])
        assert cursor.fetchone()[0] == 0


def test_directory_benchmark_says_first_that_its_default_scale_is_small():
    from directory.benchmarks import run

    figures = run()
    first = next(figures)  # printed before anything is seeded
    figures.close()

    assert first["metric"] == "directory_scale_practitioners" and first["value"] == 20_000
    assert "24 000 activités" in first["unit"] and "--scale 1000000" in first["unit"]


REFERRALS_METRICS = {
    "referrals_in_database",
    "inbox_page_queries_10_visible",
    "inbox_page_queries_1000_visible",
    "api_list_queries_10_visible",
    "api_list_queries_1000_visible",
    "inbox_query_over_raw_sql",
    "overdue_scan_over_raw_sql",
    "send_with_letter_pdf_ms",
}


@pytest.mark.django_db(transaction=True)  # the benchmark switches to a database of its own: no test transaction
def test_referrals_benchmark_prints_its_figures_with_constant_query_counts():
    out = StringIO()

    call_command("benchmark", "referrals", "--scale", "2000", stdout=out)

    by_metric = {figure["metric"]: figure for figure in map(json.loads, out.getvalue().splitlines())}
    assert set(by_metric) >= REFERRALS_METRICS
    assert by_metric["referrals_in_database"]["value"] == 2000
    for metric in REFERRALS_METRICS:
        assert by_metric[metric]["value"] is not None and by_metric[metric]["value"] > 0, metric
    for page in ("inbox_page", "api_list"):
        few, many = by_metric[f"{page}_queries_10_visible"], by_metric[f"{page}_queries_1000_visible"]
        assert few["target"] == "<= 12" and few["value"] == many["value"], page
        assert meets(few["value"], few["target"]), page


SNP_METRICS = {
    "slots_in_database",
    "board_vs_raw_sql",
    "queries_board_10_slots",
    "queries_board_1000_slots",
    "booking_throughput",
    "booking_double_bookings",
}


@pytest.mark.django_db(transaction=True)  # the benchmark switches to a database of its own: no test transaction
def test_snp_benchmark_prints_its_figures_with_no_double_booking_and_constant_queries():
    out = StringIO()

    call_command("benchmark", "snp", "--scale", "2000", stdout=out)

    figures = [json.loads(line) for line in out.getvalue().splitlines()]
    by_metric = {figure["metric"]: figure for figure in figures}
    assert figures[0]["metric"] == "slots_in_database" and figures[0]["value"] == 2000
    assert set(by_metric) >= SNP_METRICS
    assert any(metric.startswith("slot_expansion_") and metric.endswith("_patterns") for metric in by_metric)
    for figure in figures:
        assert set(figure) == {"metric", "value", "unit", "target"}
        assert figure["target"] is None or figure["target"].startswith(("<= ", ">= "))
    for metric in SNP_METRICS - {"booking_double_bookings"}:
        assert by_metric[metric]["value"] is not None and by_metric[metric]["value"] > 0, metric
    assert by_metric["booking_double_bookings"] == {
        "metric": "booking_double_bookings",
        "value": 0,
        "unit": by_metric["booking_double_bookings"]["unit"],
        "target": "<= 0",
    }
    few, many = by_metric["queries_board_10_slots"], by_metric["queries_board_1000_slots"]
    assert few["target"] == "<= 12" and few["value"] == many["value"]
    assert meets(few["value"], few["target"])

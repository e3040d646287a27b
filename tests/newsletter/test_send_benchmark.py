"""The sending's benchmark at a small scale: it starts its own broker, SMTP sink and Celery workers, prints its
``send_*`` figures, and a worker killed mid-send neither loses nor duplicates a message."""

import pytest
from django.db import connection

from core.benchmarks import meets
from newsletter import send_benchmarks

SEND_METRICS = [
    "send_throughput_portal",
    "send_throughput_bare_smtplib",
    "send_throughput_ratio",
    "send_portal_not_exactly_once",
    "send_killed_worker_duplicates",
    "send_killed_worker_lost",
    "send_killed_worker_reported_failed",
]


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)  # the benchmark switches to a database of its own: no test transaction
def test_send_benchmark_prints_its_figures_and_a_killed_worker_loses_and_duplicates_nothing():
    database = connection.settings_dict["NAME"]

    figures = list(send_benchmarks.run(subscribers=200, killed_subscribers=200, batch_size=20))

    by_metric = {figure["metric"]: figure for figure in figures}
    assert [figure["metric"] for figure in figures] == SEND_METRICS
    for figure in figures:
        assert set(figure) == {"metric", "value", "unit", "target"}
    for metric in ("send_throughput_portal", "send_throughput_bare_smtplib", "send_throughput_ratio"):
        assert by_metric[metric]["value"] > 0, metric
    assert by_metric["send_throughput_ratio"]["target"] == ">= 0.5"
    for metric in (
        "send_portal_not_exactly_once",
        "send_killed_worker_duplicates",
        "send_killed_worker_lost",
        "send_killed_worker_reported_failed",
    ):
        assert meets(by_metric[metric]["value"], by_metric[metric]["target"]), by_metric[metric]
    assert by_metric["send_portal_not_exactly_once"]["value"] == 0
    assert by_metric["send_killed_worker_duplicates"]["value"] == 0
    assert by_metric["send_killed_worker_lost"]["value"] == 0
    # The database under test is the one it was, and the throwaway one is gone.
    assert connection.settings_dict["NAME"] == database
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_database WHERE datname = %s", [f"{database}_bench_newsletter_send"])
        assert cursor.fetchone()[0] == 0

"""The ``queries_*`` part of ``manage.py benchmark waitlist``: each page measured at 10 and 1,000 entries within its
target, and nothing left behind (measured here in the test database, without the throwaway one)."""

import pytest

from core.benchmarks import meets
from tests.reference_data import ensure_reference_data
from waitlist.benchmarks import parts
from waitlist.benchmarks.pages import PAGES, _query_figures, figures
from waitlist.models import Entry


@pytest.mark.django_db
def test_the_pages_query_counts_are_measured_and_met():
    ensure_reference_data()
    results = {figure["metric"]: figure for figure in _query_figures()}
    for name, _url, _persona in PAGES:
        for metric in (f"queries_{name}", f"queries_{name}_growth"):
            assert results[metric]["value"] is not None, metric
            assert meets(results[metric]["value"], results[metric]["target"]), results[metric]
    assert results["queries_statistics"]["target"] == "<= 12"
    assert results["queries_statistics_growth"]["target"] == "<= 0"
    assert not Entry.objects.exists()


def test_the_part_is_listed_for_the_command():
    assert figures in parts.PARTS

"""The sign-up burst of ``manage.py benchmark waitlist``, small: concurrent sign-ups over HTTP to a server the
benchmark starts, each saved exactly once, in a throwaway database dropped afterwards."""

import pytest
from django.db import connection

from core.benchmarks import meets
from waitlist.benchmarks import parts, signup
from waitlist.models import Entry


@pytest.mark.django_db(transaction=True)  # the benchmark switches to a database of its own: no test transaction
def test_a_burst_of_signups_saves_each_exactly_once_and_keeps_nothing():
    database = connection.settings_dict["NAME"]

    figures = {figure["metric"]: figure for figure in signup.figures(burst=20)}

    assert signup.figures in parts.PARTS
    assert figures["signup_burst_saved"]["value"] == 20 and figures["signup_burst_saved"]["target"] == ">= 20"
    assert figures["signup_burst_duplicates"]["value"] == 0 and figures["signup_burst_duplicates"]["target"] == "<= 0"
    assert figures["signup_burst_errors"]["value"] == 0
    assert figures["signup_burst_verified"]["value"] == 20
    assert figures["signup_burst_rate"]["value"] > 0
    for figure in figures.values():
        assert figure["target"] is None or meets(figure["value"], figure["target"]) or figure["metric"].endswith("rate")
    assert connection.settings_dict["NAME"] == database
    assert not Entry.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_database WHERE datname LIKE %s", [f"{database}_bench%"])
        assert cursor.fetchone()[0] == 0

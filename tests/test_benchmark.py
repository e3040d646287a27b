"""`manage.py benchmark <app>` prints one JSON line per figure and leaves the database as it was."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from notifications.models import OutboundMessage


def test_outbox_benchmark_prints_json_figures_and_keeps_nothing(db):
    out = StringIO()

    call_command("benchmark", "notifications", stdout=out)

    figures = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [figure["metric"] for figure in figures] == ["outbox_enqueue_rate", "outbox_delivery_rate"]
    for figure in figures:
        assert set(figure) == {"metric", "value", "unit", "target"}
        assert figure["value"] > 0
    assert not OutboundMessage.objects.exists()


def test_app_without_benchmarks_is_named(db):
    with pytest.raises(CommandError, match="snp n'a pas encore de mesures"):
        call_command("benchmark", "snp")

# ruff: noqa: F811 (the fixtures imported from the helpers are requested by name)
"""Bounces that come back after the relay accepted the message (RFC 3464 reports): a permanent failure stops
every further issue to the address; a temporary one is only counted; a report that names nobody we know, or a
message that is no report, changes nothing."""

import datetime
import io
from pathlib import Path

import pytest
from django.core.management import call_command

from newsletter.bounces import read_bounce_report
from newsletter.models import Bounce, Delivery, Edition, Issue
from newsletter.services import sending
from notifications.models import OutboundMessage
from tests.newsletter.sending_helpers import audience, draft, run_chain, sink, subscriber  # noqa: F401

pytestmark = pytest.mark.django_db
TEMPLATE = (Path(__file__).parent / "data" / "dsn_hard.eml").read_text()


def report(recipient, message_id="00000000-0000-0000-0000-000000000000", *, status="5.1.1", action="failed"):
    text = TEMPLATE.format(recipient=recipient, message_id=message_id)
    return text.replace("Status: 5.1.1", f"Status: {status}").replace("Action: failed", f"Action: {action}").encode()


def test_the_report_names_the_address_the_status_and_our_message():
    (found,) = read_bounce_report(report("lecteur1@exemple.fr", "6f1c2a34-9b1e-4d0e-8f3a-2c1b0a9e8d7c"))
    assert found.recipient == "lecteur1@exemple.fr" and found.hard and found.status == "5.1.1"
    assert str(found.message_public_id) == "6f1c2a34-9b1e-4d0e-8f3a-2c1b0a9e8d7c"
    assert "User unknown" in found.diagnostic
    assert read_bounce_report(b"Subject: bonjour\n\nRien a voir.") == []


def test_a_hard_bounce_after_the_send_stops_the_next_issues(coordinator, draft, audience, sink, tmp_path):
    sending.issue_send(acting_user=coordinator, issue=draft)
    run_chain(draft)
    reader = audience["readers"][1]
    message = OutboundMessage.objects.get(recipient=reader.email, template="newsletter_issue")
    path = tmp_path / "dsn.eml"
    path.write_bytes(report(reader.email, str(message.public_id)))
    out = io.StringIO()
    call_command("record_bounces", str(path), stdout=out)
    assert "1 retour(s) définitif(s)" in out.getvalue()
    reader.refresh_from_db()
    assert reader.hard_bounced_at is not None
    bounce = Bounce.objects.get(subscriber=reader)
    assert bounce.kind == Bounce.Kind.HARD and bounce.delivery == Delivery.objects.get(issue=draft, subscriber=reader)
    december = Issue.objects.create(
        territory=draft.territory, month=datetime.date(2026, 12, 1), edition=Edition.PUBLIC, title="Décembre"
    )
    sending.issue_send(acting_user=coordinator, issue=december)
    assert not Delivery.objects.filter(issue=december, subscriber=reader).exists()


def test_a_temporary_failure_is_counted_only(territory, tmp_path):
    reader = subscriber(territory, "plein@exemple.fr")
    path = tmp_path / "dsn.eml"
    path.write_bytes(report("plein@exemple.fr", status="4.2.2", action="delayed"))
    call_command("record_bounces", str(path), stdout=io.StringIO())
    reader.refresh_from_db()
    assert reader.hard_bounced_at is None and Bounce.objects.get(subscriber=reader).kind == Bounce.Kind.SOFT


def test_a_report_about_an_unknown_address_changes_nothing(territory, tmp_path):
    path = tmp_path / "dsn.eml"
    path.write_bytes(report("personne@ailleurs.fr"))
    out = io.StringIO()
    call_command("record_bounces", str(path), stdout=out)
    assert "1 adresse(s) inconnue(s)" in out.getvalue() and not Bounce.objects.exists()

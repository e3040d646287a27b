# ruff: noqa: F811 (the fixtures imported from the helpers are requested by name)
"""The send through the API (202, a second time 409, progress) and the coordinator's page (test to oneself,
confirmation, progress bar, deliveries); a GP is refused, another territory's coordinator gets 404."""

import pytest
from django.urls import reverse

from newsletter.models import Delivery, Issue
from notifications.models import OutboundMessage
from tests.newsletter.render_helpers import neighbour_coordinator  # noqa: F401
from tests.newsletter.sending_helpers import audience, draft, run_chain, sink, subscriber  # noqa: F401
from tests.newsletter.subscribers_helpers import page_text

pytestmark = pytest.mark.django_db


def send_url(issue):
    return reverse("api:newsletter-issue-send", args=[issue.public_id])


def progress_url(issue):
    return reverse("api:newsletter-issue-progress", args=[issue.public_id])


def test_api_send_is_202_then_409_and_progress_follows(signed_in, coordinator, draft, audience, sink):
    client = signed_in(coordinator)
    response = client.post(send_url(draft))
    assert response.status_code == 202, response.content
    assert response.json() == {"total": 3, "sent": 0, "failed": 0, "pending": 3}
    again = client.post(send_url(draft))
    assert again.status_code == 409 and "ne part pas deux fois" in again.json()["detail"]
    run_chain(draft)
    progress = client.get(progress_url(draft))
    assert progress.status_code == 200 and progress.json() == {"total": 3, "sent": 3, "failed": 0, "pending": 0}
    assert sink.total() == 3


def test_api_send_of_an_edition_without_subscribers_is_a_french_400(signed_in, coordinator, draft):
    response = signed_in(coordinator).post(send_url(draft))
    assert response.status_code == 400 and "Aucun abonné confirmé" in response.json()["detail"]
    assert Issue.objects.get(pk=draft.pk).status == Issue.Status.DRAFT


def test_api_send_refuses_a_gp_and_hides_the_issue_from_another_territory(
    signed_in, gp, neighbour_coordinator, draft, audience
):
    assert signed_in(gp).post(send_url(draft)).status_code == 403
    assert signed_in(neighbour_coordinator).post(send_url(draft)).status_code == 404
    assert signed_in(neighbour_coordinator).get(progress_url(draft)).status_code == 404
    assert not Delivery.objects.exists()


def issue_url(issue):
    return reverse("newsletter:coordination_issue", args=[issue.public_id])


def page_send_url(issue):
    return reverse("newsletter:coordination_send", args=[issue.public_id])


def test_the_page_offers_a_test_to_oneself_and_shows_the_recipients(signed_in, coordinator, draft, audience):
    client = signed_in(coordinator)
    page = page_text(client.get(issue_url(draft)))
    assert "3 abonnés confirmés reçoivent cette édition" in page and "M'envoyer un test" in page
    response = client.post(page_send_url(draft), {"action": "test"})
    assert response.status_code == 302
    message = OutboundMessage.objects.get(template="newsletter_issue")
    assert message.recipient == coordinator.email and message.context["test"] is True


def test_sending_from_the_page_needs_the_confirmation(signed_in, coordinator, draft, audience, sink):
    client = signed_in(coordinator)
    refused = client.post(page_send_url(draft), {"action": "send"})
    assert refused.status_code == 400 and "Cochez la confirmation" in page_text(refused)
    assert Issue.objects.get(pk=draft.pk).status == Issue.Status.DRAFT
    sent = client.post(page_send_url(draft), {"action": "send", "confirm": "on"})
    assert sent.status_code == 302
    page = page_text(client.get(issue_url(draft)))
    assert "Envoi en cours" in page and 'hx-trigger="every 2s"' in page
    run_chain(draft)
    fragment = client.get(reverse("newsletter:coordination_progress", args=[draft.public_id]), HTTP_HX_REQUEST="true")
    assert "3 sur 3 traités" in page_text(fragment) and "every 2s" not in page_text(fragment)
    again = client.post(page_send_url(draft), {"action": "send", "confirm": "on"})
    assert again.status_code == 409 and "ne part pas deux fois" in page_text(again)
    deliveries = page_text(client.get(reverse("newsletter:coordination_deliveries", args=[draft.public_id])))
    assert "lecteur0@exemple.fr" in deliveries and "pas-confirme@exemple.fr" not in deliveries


def test_scheduling_from_the_page_and_cancelling_it(signed_in, coordinator, draft, audience):
    client = signed_in(coordinator)
    past = client.post(page_send_url(draft), {"action": "schedule", "scheduled_for": "2020-01-01T08:00"})
    assert past.status_code == 400 and "à venir" in page_text(past)
    scheduled = client.post(page_send_url(draft), {"action": "schedule", "scheduled_for": "2099-01-01T08:00"})
    assert scheduled.status_code == 400  # more than three months ahead
    import datetime

    from django.utils import timezone

    soon = (timezone.localtime() + datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    assert client.post(page_send_url(draft), {"action": "schedule", "scheduled_for": soon}).status_code == 302
    assert Issue.objects.get(pk=draft.pk).status == Issue.Status.SCHEDULED
    assert "Envoi programmé le" in page_text(client.get(issue_url(draft)))
    assert client.post(page_send_url(draft), {"action": "unschedule"}).status_code == 302
    assert Issue.objects.get(pk=draft.pk).status == Issue.Status.DRAFT


def test_the_sending_pages_refuse_a_gp_and_another_territory(signed_in, gp, neighbour_coordinator, draft, audience):
    for url in (
        reverse("newsletter:coordination_deliveries", args=[draft.public_id]),
        reverse("newsletter:coordination_progress", args=[draft.public_id]),
    ):
        assert signed_in(gp).get(url).status_code == 403
        assert signed_in(neighbour_coordinator).get(url).status_code == 404
    assert signed_in(neighbour_coordinator).post(page_send_url(draft), {"action": "test"}).status_code == 404
    assert not OutboundMessage.objects.filter(template="newsletter_issue").exists()

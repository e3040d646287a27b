# ruff: noqa: F811 (the fixtures imported from render_helpers are requested by name)
"""POST /api/v1/newsletter/issues/ opens the month's issue with its auto-filled items; GET reads it. A GP is
refused (403), another territory's coordinator gets 404, a bad month or edition is a French 400, a second open a
409 naming the issue."""

import pytest
from django.urls import reverse

from tests.newsletter.render_helpers import month_events, neighbour_coordinator  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db
URL = "/api/v1/newsletter/issues/"


def open_issue(client, month="2026-11", edition="public"):
    return client.post(URL, {"month": month, "edition": edition}, content_type="application/json")


def test_coordinator_opens_an_issue_with_its_auto_filled_items(signed_in, coordinator, month_events):
    response = open_issue(signed_in(coordinator))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["month"] == "2026-11" and body["edition"] == "public" and body["status"] == "draft"
    sources = {item["source_event"] for item in body["items"] if item["source_event"]}
    assert month_events["departure"].pk in sources and month_events["elsewhere"].pk not in sources
    detail = signed_in(coordinator).get(reverse("api:newsletter-issue", args=[body["id"]]))
    assert detail.status_code == 200 and detail.json()["items"] == body["items"]


def test_second_open_is_a_409_naming_the_issue(signed_in, coordinator, month_events):
    client = signed_in(coordinator)
    first = open_issue(client).json()
    again = open_issue(client)
    assert again.status_code == 409 and again.json()["issue"] == first["id"]


@pytest.mark.parametrize(
    ("month", "edition", "field", "words"),
    [
        ("2026-13", "public", "month", "Mois illisible"),
        ("novembre", "public", "month", "Mois illisible"),
        ("2026-11", "everyone", "edition", "Édition inconnue"),
    ],
)
def test_bad_month_or_edition_is_a_french_400(signed_in, coordinator, month, edition, field, words):
    response = open_issue(signed_in(coordinator), month, edition)
    assert response.status_code == 400
    assert response.json()["field"] == field and words in response.json()["detail"]


def test_gp_is_refused_and_other_territory_gets_404(signed_in, coordinator, gp, neighbour_coordinator, month_events):
    created = open_issue(signed_in(coordinator))
    issue_url = reverse("api:newsletter-issue", args=[created.json()["id"]])
    gp_client = signed_in(gp)
    assert open_issue(gp_client).status_code == 403
    assert gp_client.get(issue_url).status_code == 403
    assert signed_in(neighbour_coordinator).get(issue_url).status_code == 404


def test_anonymous_is_refused(client, db):
    assert open_issue(client).status_code in (401, 403)

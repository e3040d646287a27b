"""The coordination's API: entries (list with the queue's filters, detail, override, merge) and handover plans,
with the refusal rule (anyone who coordinates no list: 403 on the lists; another list's entry or plan: 404;
bad input: a French 400 on its field)."""

import datetime

import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.throttling import UserRateThrottle
from schemathesis.checks import not_a_server_error

from accounts.models import AccessLog
from accounts.services import api_token_create
from tests.waitlist.conftest import make_waiting_entry
from tests.waitlist.coordination_helpers import (  # noqa: F401 (fixtures)
    fixture_departing_gp,
    fixture_marais,
    fixture_marais_coordinator,
    fixture_marais_list,
    fixture_plan,
    fixture_shared_marais,
    next_month,
)
from waitlist.models import Entry, HandoverAllocation

pytestmark = pytest.mark.django_db

ENTRIES = "/api/v1/waitlist/entries/"
PLANS = "/api/v1/waitlist/handover-plans/"


def test_the_list_is_the_queue_in_the_draws_order_with_its_filters_and_logged(coordinator, waiting_entry, signed_in):
    plain = waiting_entry(family_name="Simple")
    urgent = waiting_entry(family_name="Lefèvre", given_names="Héloïse", birth_date=datetime.date(1950, 1, 1), ald=True)
    client = signed_in(coordinator)
    body = client.get(ENTRIES).json()
    assert body["count"] == 2
    assert [row["id"] for row in body["results"]] == [str(urgent.public_id), str(plain.public_id)]
    first = body["results"][0]
    assert (first["priority_level"], first["priority_label"], first["family_name"]) == (
        2,
        "Très prioritaire",
        "Lefèvre",
    )
    assert first["age"] >= 70
    assert first["commune"] == {"insee": "85191", "name": "La Roche-sur-Yon"}
    assert [r["family_name"] for r in client.get(ENTRIES, {"q": "heloise"}).json()["results"]] == ["Lefèvre"]
    assert client.get(ENTRIES, {"level": "0"}).json()["count"] == 1
    assert client.get(ENTRIES, {"status": "withdrawn"}).json()["count"] == 0
    assert client.get(ENTRIES, {"status": "all"}).json()["count"] == 2
    assert AccessLog.objects.filter(user=coordinator, subject_type="waitlist_entry", via=ENTRIES).count() >= 2


def test_bad_filters_are_french_400s_on_their_field(coordinator, waiting_list, signed_in):
    client = signed_in(coordinator)
    wrong = client.get(ENTRIES, {"status": "lost"})
    assert wrong.status_code == 400 and wrong.json()["field"] == "status" and "Statut inconnu" in wrong.json()["detail"]
    assert client.get(ENTRIES, {"level": "haut"}).json()["field"] == "level"
    assert client.get(ENTRIES, {"handover": "n'importe"}).json()["field"] == "handover"


def test_the_detail_has_the_household_consent_and_history(coordinator, waiting_entry, signed_in):
    entry = waiting_entry(family_name="Durand")
    body = signed_in(coordinator).get(f"{ENTRIES}{entry.public_id}/").json()
    assert body["id"] == str(entry.public_id) and body["phone"] == "+33612345678"
    assert body["members"][0]["family_name"] == "Durand" and body["consent"]["given_by"] == "self"
    assert body["proposals"] == [] and body["notes"] == []


def test_override_and_give_back(coordinator, waiting_entry, signed_in):
    entry = waiting_entry()
    client = signed_in(coordinator)
    url = f"{ENTRIES}{entry.public_id}/override/"
    fixed = client.post(url, {"level": 2, "reason": "Signalé par la mairie"}, content_type="application/json")
    assert fixed.status_code == 200 and fixed.json()["priority_level"] == 2 and fixed.json()["level_override"] == 2
    no_reason = client.post(url, {"level": 1}, content_type="application/json")
    assert no_reason.status_code == 400 and no_reason.json()["field"] == "reason"
    back = client.post(url, {"level": None}, content_type="application/json")
    assert back.status_code == 200 and back.json()["level_override"] is None and back.json()["priority_level"] == 0


def test_merge_through_the_api(coordinator, waiting_entry, signed_in):
    keep = waiting_entry(family_name="Durand")
    drop = waiting_entry(family_name="Durant")
    client = signed_in(coordinator)
    response = client.post(
        f"{ENTRIES}{drop.public_id}/merge/", {"into": str(keep.public_id)}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["id"] == str(keep.public_id)
    assert Entry.objects.get(pk=drop.pk).status == Entry.Status.MERGED
    again = client.post(
        f"{ENTRIES}{drop.public_id}/merge/", {"into": str(keep.public_id)}, content_type="application/json"
    )
    assert again.status_code == 409
    itself = client.post(
        f"{ENTRIES}{keep.public_id}/merge/", {"into": str(keep.public_id)}, content_type="application/json"
    )
    assert itself.status_code == 400 and itself.json()["field"] == "into"


def test_shared_list_one_queue_through_the_api(coordinator, marais_coordinator, shared_marais, waiting_list, client):
    make_waiting_entry(waiting_list, shared_marais.commune, family_name="Maraîchine")
    for user in (coordinator, marais_coordinator):
        client.force_login(user)
        assert [r["family_name"] for r in client.get(ENTRIES).json()["results"]] == ["Maraîchine"]


@pytest.mark.parametrize("persona", ["gp", "observer", "outsider"])
def test_whoever_coordinates_no_list_gets_403_on_the_lists_and_404_on_an_entry(
    persona, request, waiting_entry, plan, client
):
    entry = waiting_entry()
    client.force_login(request.getfixturevalue(persona))
    assert client.get(ENTRIES).status_code == 403
    assert client.get(PLANS).status_code == 403
    assert client.get(f"{ENTRIES}{entry.public_id}/").status_code == 404
    assert client.post(
        f"{ENTRIES}{entry.public_id}/override/", {"level": 2, "reason": "xyz"}, content_type="application/json"
    ).status_code in (403, 404)
    assert client.get(f"{PLANS}{plan.public_id}/").status_code == 404


def test_another_lists_coordinator_gets_404(marais_coordinator, marais_list, waiting_entry, plan, signed_in):
    entry = waiting_entry()
    client = signed_in(marais_coordinator)
    assert client.get(ENTRIES).json()["count"] == 0
    assert client.get(f"{ENTRIES}{entry.public_id}/").status_code == 404
    override = client.post(
        f"{ENTRIES}{entry.public_id}/override/", {"level": 2, "reason": "xyz"}, content_type="application/json"
    )
    assert override.status_code == 404
    assert client.get(f"{PLANS}{plan.public_id}/").status_code == 404


def test_handover_plans_create_list_and_detail(coordinator, waiting_list, departing_gp, signed_in):
    client = signed_in(coordinator)
    first = next_month()
    created = client.post(
        PLANS,
        {
            "practitioner": str(departing_gp.public_id),
            "departure_on": (first + datetime.timedelta(days=30)).isoformat(),
            "first_month": first.replace(day=15).isoformat(),
            "months": 4,
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["first_month"] == first.isoformat() and len(body["months_detail"]) == 4
    assert body["departing_practitioner"]["id"] == str(departing_gp.public_id)
    assert client.get(PLANS).json()["count"] == 1
    detail = client.get(f"{PLANS}{body['id']}/").json()
    assert detail["months_detail"][0] == {"month": first.isoformat(), "planned": 0, "proposed": 0, "accepted": 0}
    assert not HandoverAllocation.objects.exists()
    bad = client.post(
        PLANS,
        {"practitioner": str(departing_gp.public_id), "departure_on": "2027-01-01", "first_month": "x", "months": 30},
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["field"] in ("first_month", "months")


# --- Fuzzing: whatever the input, never a server error ----------------------------------------------------------


@pytest.fixture
def api_schema(db):
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_setup(coordinator, waiting_entry, plan):
    _token, key = api_token_create(user=coordinator, name="fuzz")
    return {"key": key, "entry": waiting_entry(), "plan": plan, "user": coordinator}


@(
    schemathesis.pytest.from_fixture("api_schema")
    .include(path_regex=r"^/api/v1/waitlist/(entries|handover-plans)/")
    .parametrize()
)
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_coordination_api_never_answers_a_server_error(case, fuzz_setup):
    cache.delete(UserRateThrottle.cache_format % {"scope": "user", "ident": fuzz_setup["user"].pk})
    if "public_id" in (case.path_parameters or {}):
        target = fuzz_setup["entry"] if "/entries/" in case.path else fuzz_setup["plan"]
        case.path_parameters = {"public_id": str(target.public_id)}
    case.call_and_validate(headers={"Authorization": f"Token {fuzz_setup['key']}"}, checks=[not_a_server_error])

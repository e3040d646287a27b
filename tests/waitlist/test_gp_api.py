"""The GP's API under /api/v1/waitlist/: Alice pledges (201; 0 or 10,000 a French 400 on `capacity`), draws (201
with the batch as the issue names its fields, the most urgent first, no name), lists and reads her proposals,
accepts one (the name and contact appear) and declines another with a reason; Bob gets 404 on all of it, a
pharmacist 403; every proposal read is in the access log."""

import datetime

import pytest
from django.utils import timezone

from accounts.models import AccessLog
from waitlist.models import Entry, Proposal
from waitlist.priority import age_on

pytestmark = pytest.mark.django_db

PLEDGES = "/api/v1/waitlist/pledges/"
PROPOSALS = "/api/v1/waitlist/proposals/"
PROPOSAL_FIELDS = {"id", "priority_level", "priority_reasons", "distance_km", "waiting_since", "age", "commune"}


def _body(**overrides):
    until = (timezone.localdate() + datetime.timedelta(90)).isoformat()
    return {"capacity": 12, "radius_km": 10, "until": until, "families_welcome": True, "discreet": False, **overrides}


def _post(client, url, body=None):
    return client.post(url, body or {}, content_type="application/json")


def test_alice_pledges_draws_and_answers_through_the_api(gp, gp_entry, waiting_entry, signed_in):
    waiting_entry(family_name="Durand", birth_date=datetime.date(1950, 3, 4), ald=True)
    waiting_entry(
        family_name="Lefebvre",
        birth_date=datetime.date(1990, 3, 4),
        members=[
            {"family_name": "Lefebvre", "given_names": "Léo", "birth_date": datetime.date(2020, 1, 1), "sex": "M"}
        ],
    )
    client = signed_in(gp)

    created = _post(client, PLEDGES, _body())
    assert created.status_code == 201, created.json()
    pledge = created.json()
    assert (pledge["capacity"], pledge["remaining"], pledge["status"]) == (12, 12, "open")
    assert [row["id"] for row in client.get(PLEDGES).json()["results"]] == [pledge["id"]]

    drawn = _post(client, f"{PLEDGES}{pledge['id']}/draw/")
    assert drawn.status_code == 201, drawn.json()
    body = drawn.json()
    assert body["pledge"]["remaining"] == 9
    first, second = body["proposals"]
    assert PROPOSAL_FIELDS | {"household_size"} <= set(first)
    assert (first["age"], first["priority_level"], first["priority_reasons"]) == (
        age_on(datetime.date(1950, 3, 4), timezone.localdate()),
        2,
        ["ald", "over_70"],
    )
    assert first["commune"] == "85191" and first["distance_km"] == pytest.approx(0, abs=0.1)
    assert (second["household_size"], second["priority_level"]) == (2, 0)
    assert first["patient"] is None and "Durand" not in drawn.content.decode()

    listed = client.get(PROPOSALS, {"status": "pending"}).json()
    assert {row["id"] for row in listed["results"]} == {first["id"], second["id"]}
    assert client.get(f"{PROPOSALS}{first['id']}/").json()["status"] == "pending"

    accepted = _post(client, f"{PROPOSALS}{first['id']}/accept/")
    assert accepted.status_code == 200, accepted.json()
    assert accepted.json()["patient"] == {"name": "Jeanne DURAND", "phone": "+33612345678", "email": ""}
    assert _post(client, f"{PROPOSALS}{first['id']}/accept/").status_code == 409

    refused = _post(client, f"{PROPOSALS}{second['id']}/decline/", {"reason": ""})
    assert refused.status_code == 400 and refused.json()["field"] == "reason"
    reason = "Je ne suis pas de jeunes enfants"
    declined = _post(client, f"{PROPOSALS}{second['id']}/decline/", {"reason": reason})
    assert declined.status_code == 200
    assert (declined.json()["status"], declined.json()["decline_reason"]) == ("declined", reason)
    assert Entry.objects.get(proposals__public_id=second["id"]).status == "waiting"
    assert AccessLog.objects.filter(user=gp, subject_type="waitlist_entry").count() >= 4


@pytest.mark.parametrize("capacity", [0, 10_000])
def test_a_pledge_of_zero_or_ten_thousand_is_a_french_400(gp, gp_entry, waiting_list, signed_in, capacity):
    response = _post(signed_in(gp), PLEDGES, _body(capacity=capacity))
    assert response.status_code == 400
    assert response.json()["field"] == "capacity" and "entre 1 et 500" in response.json()["detail"]


def test_a_pledge_beyond_two_years_or_in_the_past_is_a_french_400(gp, gp_entry, waiting_list, signed_in):
    client = signed_in(gp)
    for until in (timezone.localdate() - datetime.timedelta(1), timezone.localdate() + datetime.timedelta(800)):
        response = _post(client, PLEDGES, _body(until=until.isoformat()))
        assert response.status_code == 400 and response.json()["field"] == "until"


def test_bob_gets_404_on_alice_s_pledge_and_proposals(gp, gp_entry, gp2, gp2_entry, waiting_entry, signed_in):
    waiting_entry()
    alice = signed_in(gp)
    pledge = _post(alice, PLEDGES, _body()).json()
    [proposal] = _post(alice, f"{PLEDGES}{pledge['id']}/draw/").json()["proposals"]
    bob = signed_in(gp2)
    assert bob.get(f"{PLEDGES}{pledge['id']}/").status_code == 404
    assert _post(bob, f"{PLEDGES}{pledge['id']}/draw/").status_code == 404
    assert bob.get(f"{PROPOSALS}{proposal['id']}/").status_code == 404
    assert _post(bob, f"{PROPOSALS}{proposal['id']}/accept/").status_code == 404
    assert _post(bob, f"{PROPOSALS}{proposal['id']}/decline/", {"reason": "x"}).status_code == 404
    assert bob.get(PROPOSALS).json()["results"] == []
    assert Proposal.objects.get().status == "pending"


def test_only_gps_of_a_territory_with_a_list_reach_the_api(pharmacist, coordinator, waiting_list, signed_in, client):
    for user in (pharmacist, coordinator):
        assert signed_in(user).get(PLEDGES).status_code == 403
        assert _post(signed_in(user), PLEDGES, _body()).status_code == 403
    client.logout()
    assert client.get(PROPOSALS).status_code in (401, 403)

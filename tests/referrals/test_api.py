"""The referrals API: a GP sends through it, the cardiology secretary acknowledges and accepts, the GP reads the
appointment and the letter; whoever may not see the request gets 404."""

import datetime
import io

import pytest
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import AccessLog
from directory.models import Practitioner
from referrals.models import Referral
from tests.referrals.conftest import daytime_in

URL = "/api/v1/referrals/"


def _payload(recipient):
    return {
        "kind": "letter",
        "urgency": "rapid",
        "recipient_practitioner": str(recipient.public_id),
        "patient": {"family_name": "Durand", "given_names": "Louise", "birth_date": "1958-03-14", "sex": "F"},
        "reason": "Essoufflement à l'effort",
        "question": "Bilan ?",
    }


@pytest.fixture
def sent(gp, cardiologist, signed_in):
    response = signed_in(gp).post(
        URL, _payload(Practitioner.objects.get(user=cardiologist)), content_type="application/json"
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_gp_sends_secretary_accepts_gp_sees_the_appointment(
    sent, gp, cardio_secretary, cardio_practice, client, signed_in
):
    secretary = signed_in(cardio_secretary)
    listed = secretary.get(URL, {"status": "sent"}).json()
    assert [row["id"] for row in listed["results"]] == [sent["id"]] and listed["count"] == 1
    assert secretary.post(f"{URL}{sent['id']}/acknowledge/").json()["status"] == "acknowledged"
    appointment = daytime_in(10).isoformat()
    accepted = secretary.post(
        f"{URL}{sent['id']}/accept/",
        {"appointment_at": appointment, "site": str(cardio_practice.public_id)},
        content_type="application/json",
    )
    assert accepted.status_code == 200, accepted.content

    client.logout()
    mine = signed_in(gp).get(f"{URL}{sent['id']}/").json()
    assert mine["status"] == "accepted" and mine["appointment_site"] == cardio_practice.name
    letter = signed_in(gp).get(f"{URL}{sent['id']}/letter.pdf")
    assert letter["Content-Type"] == "application/pdf"
    assert "DURAND" in PdfReader(io.BytesIO(letter.content)).pages[0].extract_text()
    assert AccessLog.objects.filter(subject_id=sent["id"], action="read").count() >= 3


@pytest.mark.parametrize("persona", ["other_secretary", "gp2", "observer"])
def test_whoever_may_not_see_the_request_gets_404(sent, persona, request, client, signed_in):
    client.logout()
    other = signed_in(request.getfixturevalue(persona))

    assert other.get(f"{URL}{sent['id']}/").status_code == 404
    assert other.get(f"{URL}{sent['id']}/letter.pdf").status_code == 404
    assert other.post(f"{URL}{sent['id']}/acknowledge/").status_code == 404
    assert other.get(URL).json()["results"] == []


def test_bad_input_is_a_french_400(gp, cardiologist, signed_in, sent, cardio_secretary, client):
    payload = _payload(Practitioner.objects.get(user=cardiologist))
    payload["patient"]["birth_date"] = "hier"
    response = signed_in(gp).post(URL, payload, content_type="application/json")
    assert response.status_code == 400 and response.json()["field"] == "patient"

    client.logout()
    declined = signed_in(cardio_secretary).post(
        f"{URL}{sent['id']}/decline/", {"reason": " "}, content_type="application/json"
    )
    assert declined.status_code == 400
    assert declined.json()["field"] == "reason" and "motif" in declined.json()["detail"]


def test_the_list_is_paginated_overdue_first_and_each_row_read_is_logged(gp, cardiologist, signed_in):
    cardio = Practitioner.objects.get(user=cardiologist)
    client = signed_in(gp)
    # The same patient 27 times: the GP confirms each repeat (else the duplicate warning answers).
    payload = {**_payload(cardio), "confirm_duplicate": True}
    ids = [client.post(URL, payload, content_type="application/json").json()["id"] for _ in range(27)]
    late = Referral.objects.get(public_id=ids[5])
    Referral.objects.filter(pk=late.pk).update(due_at=timezone.now() - datetime.timedelta(days=1))
    AccessLog.objects.all().delete()

    first = client.get(URL).json()
    second = client.get(first["next"]).json()

    assert first["count"] == 27 and len(first["results"]) == 25 and len(second["results"]) == 2
    assert first["results"][0]["id"] == ids[5]  # the overdue one first
    assert {row["id"] for row in first["results"] + second["results"]} == set(ids)
    assert AccessLog.objects.filter(action="read", subject_type="referral").count() == 27
    assert client.get(URL, {"page": "999"}).status_code == 404


# --- One operation per action ---------------------------------------------------------------------------------


def _in_ten_days() -> str:
    """10:00 in ten days: not whatever hour the test runs at (a night appointment asks to be confirmed)."""
    day = timezone.localdate() + datetime.timedelta(days=10)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 0))).isoformat()


def test_accept_without_a_site_gives_the_appointment_at_the_recipients_only_site(
    sent, cardio_secretary, cardio_practice, client, signed_in
):
    response = signed_in(cardio_secretary).post(
        f"{URL}{sent['id']}/accept/", {"appointment_at": _in_ten_days()}, content_type="application/json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "accepted"
    assert Referral.objects.get(public_id=sent["id"]).appointment_site == cardio_practice


@pytest.fixture
def second_site(cardiologist, territory):
    """The cardiologist also receives at a second practice."""
    from directory.models import Activity
    from tests.factories import PracticeFactory

    practice = PracticeFactory(name="Clinique du Bocage", territory=territory)
    Activity.objects.create(practitioner=Practitioner.objects.get(user=cardiologist), practice=practice)
    return practice


def test_accept_without_a_site_is_a_french_400_when_the_recipient_receives_at_several(
    sent, second_site, cardiologist, signed_in
):
    client = signed_in(cardiologist)
    url = f"{URL}{sent['id']}/accept/"

    refused = client.post(url, {"appointment_at": _in_ten_days()}, content_type="application/json")

    assert refused.status_code == 400
    assert refused.json()["field"] == "site" and "plusieurs lieux" in refused.json()["detail"]
    assert Referral.objects.get(public_id=sent["id"]).status == "sent"
    chosen = client.post(
        url, {"appointment_at": _in_ten_days(), "site": str(second_site.public_id)}, content_type="application/json"
    )
    assert chosen.status_code == 200, chosen.content
    assert Referral.objects.get(public_id=sent["id"]).appointment_site == second_site


def test_accept_at_a_site_where_the_recipient_does_not_receive_is_a_french_400(
    sent, cardio_secretary, gp_practice, signed_in
):
    client = signed_in(cardio_secretary)
    url = f"{URL}{sent['id']}/accept/"

    elsewhere = client.post(
        url, {"appointment_at": _in_ten_days(), "site": str(gp_practice.public_id)}, content_type="application/json"
    )
    unknown = client.post(
        url,
        {"appointment_at": _in_ten_days(), "site": "00000000-0000-4000-8000-000000000000"},
        content_type="application/json",
    )
    missing_date = client.post(url, {}, content_type="application/json")

    assert elsewhere.status_code == 400 and elsewhere.json()["field"] == "site"
    assert unknown.status_code == 400 and unknown.json()["detail"].startswith("Lieu introuvable")
    assert missing_date.status_code == 400 and missing_date.json()["field"] == "appointment_at"
    assert Referral.objects.get(public_id=sent["id"]).status == "sent"


def test_the_sender_cannot_take_the_recipients_actions_403(sent, gp, signed_in):
    client = signed_in(gp)

    for action, body in [
        ("acknowledge", {}),
        ("accept", {"appointment_at": _in_ten_days()}),
        ("answer", {}),  # refused for the side before the body is read
    ]:
        response = client.post(f"{URL}{sent['id']}/{action}/", body, content_type="application/json")
        assert response.status_code == 403, action
        assert response.json()["code"] == "forbidden"
    assert Referral.objects.get(public_id=sent["id"]).status == "sent"


def test_the_recipients_side_cannot_cancel_the_senders_request_403(sent, cardio_secretary, signed_in):
    response = signed_in(cardio_secretary).post(f"{URL}{sent['id']}/cancel/", {}, content_type="application/json")

    assert response.status_code == 403
    assert Referral.objects.get(public_id=sent["id"]).status == "sent"


def test_an_action_the_request_is_not_ready_for_is_a_french_400(sent, cardio_secretary, signed_in):
    client = signed_in(cardio_secretary)

    closed_too_early = client.post(f"{URL}{sent['id']}/close/", {}, content_type="application/json")
    answer_to_a_letter = client.post(f"{URL}{sent['id']}/answer/", {"answer": "Oui."}, content_type="application/json")

    assert closed_too_early.status_code == 400 and "statut" in closed_too_early.json()["detail"]
    assert answer_to_a_letter.status_code == 400
    assert Referral.objects.get(public_id=sent["id"]).status == "sent"


def test_an_unknown_action_is_a_404(sent, cardio_secretary, signed_in):
    assert signed_in(cardio_secretary).post(f"{URL}{sent['id']}/approve/", {}).status_code == 404


def test_a_missing_or_blank_required_input_is_the_services_french_400_on_that_field(sent, cardio_secretary, signed_in):
    client = signed_in(cardio_secretary)

    missing = client.post(f"{URL}{sent['id']}/request-info/", {}, content_type="application/json")
    blank = client.post(f"{URL}{sent['id']}/request-info/", {"message": "  "}, content_type="application/json")

    # The service's message either way: the one the page shows.
    for refused in (missing, blank):
        assert refused.status_code == 400 and refused.json()["field"] == "message"
        assert refused.json()["detail"] == "Écrivez ce qu'il vous manque."


def test_each_action_reads_the_inputs_the_registry_gives_its_service():
    from referrals.permissions import REFERRAL_ACTIONS
    from referrals.serializers import action_input_serializer

    for action in REFERRAL_ACTIONS.values():
        fields = action_input_serializer(action.name)().fields.values()
        assert {field.source for field in fields} == set(action.inputs), action.name


# Each action's operation and what a client must send (the recipient's only site is used without ``site``).
REQUIRED_INPUTS = {
    "acknowledge": set(),
    "request_info": {"message"},
    "provide_info": {"message"},
    "accept": {"appointment_at"},
    "decline": {"reason"},
    "answer": {"answer"},
    "close": set(),
    "cancel": set(),
    "forward": {"practitioner"},
    "convert": {"note"},
    "sent_outside": {"via", "detail"},
    "outside_status": {"status"},
}


def test_the_schema_documents_each_action_as_its_own_operation_with_its_required_inputs(client, db):
    from referrals.permissions import REFERRAL_ACTIONS

    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = schema["components"]["schemas"]

    assert set(REQUIRED_INPUTS) == set(REFERRAL_ACTIONS)
    assert not [path for path in schema["paths"] if "{action}" in path]
    for name, required in REQUIRED_INPUTS.items():
        operation = schema["paths"][f"/api/v1/referrals/{{public_id}}/{name.replace('_', '-')}/"]["post"]
        assert operation["operationId"] == f"v1_referrals_{name}"
        assert operation["description"]
        assert {"200", "400", "403", "404"} <= set(operation["responses"])
        if "requestBody" not in operation:  # an action without inputs has no body
            assert name == "acknowledge"
            continue
        body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        assert set(components[body].get("required", [])) == required, name
    accept = components["AcceptActionRequest"]["properties"]
    assert accept["appointment_at"]["format"] == "date-time" and accept["site"]["format"] == "uuid"


@pytest.mark.parametrize("action", list(REQUIRED_INPUTS))
def test_a_secretary_of_another_practice_gets_404_on_every_action(sent, action, other_secretary, client, signed_in):
    client.logout()
    response = signed_in(other_secretary).post(
        f"{URL}{sent['id']}/{action.replace('_', '-')}/", {}, content_type="application/json"
    )

    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert Referral.objects.get(public_id=sent["id"]).status == "sent"

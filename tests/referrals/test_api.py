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
    appointment = (timezone.now() + datetime.timedelta(days=10)).isoformat()
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
    declined = signed_in(cardio_secretary).post(f"{URL}{sent['id']}/decline/", {}, content_type="application/json")
    assert declined.status_code == 400
    assert "motif" in declined.json()["detail"]


def test_the_list_is_paginated_overdue_first_and_each_row_read_is_logged(gp, cardiologist, signed_in):
    cardio = Practitioner.objects.get(user=cardiologist)
    client = signed_in(gp)
    ids = [client.post(URL, _payload(cardio), content_type="application/json").json()["id"] for _ in range(27)]
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

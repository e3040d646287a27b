"""Every API reads JSON bodies with bounds: past 1 MiB a 413 before the body is read, nested too deep a French
400, on the directory's API and the referrals' alike."""

import io
import json

import pytest
from rest_framework.test import APIRequestFactory

from core.api import MAX_JSON_BODY_BYTES, MAX_JSON_DEPTH, BodyTooLarge, BoundedJSONParser
from directory.models import Practitioner
from referrals.services import referral_send
from tests.referrals.conftest import PATIENT

DEEP = "[" * 5000 + "]" * 5000
# An array of short strings weighing about 12 MB.
HEAVY = json.dumps(["x" * 100] * 120_000)


@pytest.fixture
def caller(signed_in, gp):
    return signed_in(gp)


@pytest.fixture(params=["referrals", "directory"])
def send(request, caller, gp):
    """POST a new referral, or PATCH the caller's own directory entry: both APIs' writes."""
    if request.param == "referrals":
        return lambda body, content_type="application/json": caller.post("/api/v1/referrals/", body, content_type)
    url = f"/api/v1/practitioners/{Practitioner.objects.get(user=gp).public_id}/"
    return lambda body, content_type="application/json": caller.patch(url, body, content_type)


def test_json_nested_thousands_of_levels_deep_is_a_french_400(send):
    response = send(DEEP)

    assert response.status_code == 400
    assert "imbriqué trop profondément" in response.json()["detail"]


def test_json_nested_past_the_limit_is_refused_even_below_the_recursion_limit(send):
    body = "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)

    response = send(body)

    assert response.status_code == 400
    assert "imbriqué trop profondément" in response.json()["detail"]


def test_a_twelve_megabyte_json_body_is_a_413_naming_the_limit(send):
    response = send(HEAVY)

    assert response.status_code == 413
    assert "taille maximale" in response.json()["detail"]
    assert "1 Mo" in response.json()["detail"]


def test_a_heavy_urlencoded_body_is_a_413_too(caller):
    response = caller.post(
        "/api/v1/referrals/", "a=" + "x" * (MAX_JSON_BODY_BYTES + 10), content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 413


def test_a_body_without_content_length_is_read_up_to_the_limit_and_no_further():
    request = APIRequestFactory().post("/api/v1/referrals/", "", content_type="application/json")
    request.META.pop("CONTENT_LENGTH", None)
    stream = io.BytesIO(b"[" + b"1," * MAX_JSON_BODY_BYTES + b"1]")

    with pytest.raises(BodyTooLarge):
        BoundedJSONParser().parse(stream, parser_context={"request": request})

    assert stream.tell() == MAX_JSON_BODY_BYTES + 1


def test_a_declared_length_past_the_limit_is_refused_before_reading():
    request = APIRequestFactory().post("/api/v1/referrals/", "", content_type="application/json")
    request.META["CONTENT_LENGTH"] = str(MAX_JSON_BODY_BYTES + 1)
    stream = io.BytesIO(b"{}")

    with pytest.raises(BodyTooLarge):
        BoundedJSONParser().parse(stream, parser_context={"request": request})

    assert stream.tell() == 0


def test_an_ordinary_body_still_parses():
    request = APIRequestFactory().post("/x/", "", content_type="application/json")
    data = BoundedJSONParser().parse(io.BytesIO(b'{"a": [1, {"b": 2}]}'), parser_context={"request": request})

    assert data == {"a": [1, {"b": 2}]}


def test_a_heavy_urlencoded_body_on_the_attachments_endpoint_is_a_413_too(caller, gp, cardiologist):
    # That endpoint chooses its own parsers (multipart for files): its form parser is the bounded one.
    referral = referral_send(
        acting_user=gp, kind="letter", recipient_practitioner=Practitioner.objects.get(user=cardiologist), **PATIENT
    )
    body = "a=" + "x" * (MAX_JSON_BODY_BYTES + 10)

    response = caller.post(
        f"/api/v1/referrals/{referral.public_id}/attachments/", body, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 413
    assert not referral.attachments.exists()

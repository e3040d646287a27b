"""No second factor, no role-restricted line: a regulator (or any role that requires MFA) who has not enrolled
one reads the directory as the public does, with a token or a session, on the API, FHIR and the pages."""

import pytest

from accounts.roles import Role
from accounts.services import api_token_create
from directory.models import Audience, ContactChannel, Practitioner
from directory.services import role_grant_create
from tests.conftest import enrol_totp
from tests.factories import UserFactory

Kind = ContactChannel.Kind
REGULATORS_LINE = "+33251000009"
PROFESSIONAL_LINE = "+33251000003"
PUBLIC_PHONE = "+33251999999"


@pytest.fixture
def rousseau(cardiologist, cardio_practice):
    rousseau = Practitioner.objects.get(user=cardiologist)
    ContactChannel.objects.create(practitioner=rousseau, audience=Audience.PUBLIC, kind=Kind.PHONE, value=PUBLIC_PHONE)
    ContactChannel.objects.create(
        practitioner=rousseau, audience=Audience.PROFESSIONALS, kind=Kind.PROFESSIONAL_LINE, value=PROFESSIONAL_LINE
    )
    ContactChannel.objects.create(
        practitioner=rousseau, audience=Audience.REGULATORS, kind=Kind.PHONE, value=REGULATORS_LINE
    )
    return rousseau


@pytest.fixture
def regulator_without_mfa(territory):
    user = UserFactory(email="sas@cpts.test", first_name="Sacha", last_name="Roux")
    role_grant_create(user=user, role=Role.REGULATOR, territory=territory)
    return user


def _token(user) -> dict:
    _token, key = api_token_create(user=user, name="SAS")
    return {"HTTP_AUTHORIZATION": f"Token {key}"}


def _values(text: str) -> set[str]:
    return {value for value in (PUBLIC_PHONE, PROFESSIONAL_LINE, REGULATORS_LINE) if value in text}


def test_a_regulator_token_without_mfa_reads_an_api_entry_as_the_public(client, rousseau, regulator_without_mfa):
    response = client.get(f"/api/v1/practitioners/{rousseau.public_id}/", **_token(regulator_without_mfa))

    assert response.status_code == 200
    assert response.json()["audience"] == "public"
    assert _values(response.content.decode()) == {PUBLIC_PHONE}


def test_a_regulator_token_without_mfa_searches_the_api_as_the_public(client, rousseau, regulator_without_mfa):
    response = client.get("/api/v1/practitioners/", {"q": "Rousseau"}, **_token(regulator_without_mfa))

    assert response.status_code == 200 and response.json()["count"] >= 1
    assert REGULATORS_LINE not in response.content.decode()
    assert PROFESSIONAL_LINE not in response.content.decode()


def test_a_regulator_token_without_mfa_reads_fhir_as_the_public(client, rousseau, regulator_without_mfa):
    headers = _token(regulator_without_mfa)

    practitioner = client.get(f"/fhir/Practitioner/{rousseau.public_id}", **headers)
    roles = client.get("/fhir/PractitionerRole", {"practitioner": str(rousseau.public_id)}, **headers)

    assert practitioner.status_code == 200 and roles.status_code == 200
    assert _values(practitioner.content.decode()) == {PUBLIC_PHONE}
    assert _values(roles.content.decode()) <= {PUBLIC_PHONE}


def test_a_regulator_session_without_mfa_reads_fhir_as_the_public(client, rousseau, regulator_without_mfa):
    client.force_login(regulator_without_mfa)

    response = client.get(f"/fhir/Practitioner/{rousseau.public_id}")

    assert _values(response.content.decode()) <= {PUBLIC_PHONE}


def test_the_same_regulator_once_enrolled_sees_the_regulators_line(client, rousseau, regulator_without_mfa):
    enrol_totp(regulator_without_mfa)
    headers = _token(regulator_without_mfa)

    api = client.get(f"/api/v1/practitioners/{rousseau.public_id}/", **headers)
    fhir = client.get(f"/fhir/Practitioner/{rousseau.public_id}", **headers)

    assert REGULATORS_LINE in api.content.decode()
    assert REGULATORS_LINE in fhir.content.decode()


def test_a_professional_session_without_mfa_never_gets_the_page_with_professional_lines(
    client, rousseau, gp_without_mfa
):
    client.force_login(gp_without_mfa)

    response = client.get(f"/annuaire/{rousseau.public_id}/")

    # Sent to enrol first; had the page been served, it would show the public lines only.
    assert PROFESSIONAL_LINE not in response.content.decode()
    assert REGULATORS_LINE not in response.content.decode()

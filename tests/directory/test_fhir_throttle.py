"""/fhir/ is throttled like the REST API (anonymous 60 a minute, and one budget with it): past it, a 429 with
``Retry-After`` and a French OperationOutcome."""

from fhir.resources.R4B.operationoutcome import OperationOutcome

from accounts.services import api_token_create


def test_an_anonymous_caller_gets_a_french_429_past_sixty_fhir_requests_a_minute(client, db):
    answers = [client.get("/fhir/Practitioner").status_code for _ in range(60)]

    refused = client.get("/fhir/Practitioner")

    assert set(answers) == {200}
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    body = refused.json()
    OperationOutcome.model_validate(body)
    assert body["issue"][0]["code"] == "throttled"
    assert "Trop de requêtes" in body["issue"][0]["diagnostics"]


def test_the_rest_api_and_fhir_share_the_anonymous_budget(client, db):
    for _ in range(60):
        client.get("/api/v1/practitioners/")

    assert client.get("/fhir/metadata").status_code == 429


def test_a_token_holder_has_the_users_budget_not_the_anonymous_one(client, gp):
    _token, key = api_token_create(user=gp, name="logiciel")

    answers = {client.get("/fhir/metadata", HTTP_AUTHORIZATION=f"Token {key}").status_code for _ in range(61)}

    assert answers == {200}


def test_a_caller_cannot_get_a_fresh_budget_by_sending_its_own_forwarded_for_header(client, db):
    answers = [client.get("/fhir/metadata", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(61)]

    assert answers[-1] == 429
    assert client.get("/api/v1/practitioners/", HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 429

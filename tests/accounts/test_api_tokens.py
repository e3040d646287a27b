"""Personal API tokens: created on the profile page or by a command, shown once, stored hashed, revocable."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import ApiToken, hash_api_key
from accounts.services import api_token_create


def test_professional_creates_a_token_on_the_profile_page_and_sees_the_key_once(signed_in, gp):
    client = signed_in(gp)

    response = client.post(reverse("accounts:profile"), {"name": "Logiciel du cabinet"})

    assert response.status_code == 200
    key = response.context["new_key"]
    assert key and key in response.content.decode()
    token = ApiToken.objects.get(user=gp)
    assert token.key_hash == hash_api_key(key)
    assert key not in token.key_hash
    again = client.get(reverse("accounts:profile"))
    assert key not in again.content.decode()
    assert token.key_prefix in again.content.decode()


def test_token_without_a_name_is_refused_in_french(signed_in, gp):
    response = signed_in(gp).post(reverse("accounts:profile"), {"name": "   "})

    assert response.status_code == 400
    assert "Ce champ est obligatoire" in response.content.decode()
    assert not ApiToken.objects.filter(user=gp).exists()


def test_token_authenticates_api_calls(client, gp):
    _token, key = api_token_create(user=gp, name="test")

    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}")

    assert response.status_code == 200
    assert response.json()["email"] == gp.email


def test_revoked_token_is_refused(signed_in, gp):
    token, key = api_token_create(user=gp, name="test")
    client = signed_in(gp)
    client.post(reverse("accounts:api_token_revoke", args=[token.public_id]))
    client.logout()

    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}")

    assert response.status_code == 401
    assert "révoqué" in response.json()["detail"]


def test_user_cannot_revoke_someone_elses_token(signed_in, gp, gp2):
    token, _key = api_token_create(user=gp2, name="Bob's")

    response = signed_in(gp).post(reverse("accounts:api_token_revoke", args=[token.public_id]))

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.parametrize("header", ["Token", "Token a b", "Token inconnu", "Token \u00e9"])
def test_malformed_or_unknown_token_is_a_401_never_a_500(client, db, header):
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert response.json()["detail"]


def test_issue_api_token_command_prints_a_working_key(client, coordinator):
    out = StringIO()

    call_command("issue_api_token", coordinator.email, stdout=out)

    key = out.getvalue().strip()
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200


def test_issue_api_token_command_names_an_unknown_address(db):
    with pytest.raises(CommandError, match="Aucun compte"):
        call_command("issue_api_token", "personne@cpts.test")


def test_tokens_are_capped_per_user(gp):
    for number in range(10):
        api_token_create(user=gp, name=f"jeton {number}")

    from core.errors import ApplicationError

    with pytest.raises(ApplicationError, match="révoquez-en un"):
        api_token_create(user=gp, name="un de trop")

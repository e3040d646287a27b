"""French first, English available: the language follows the browser or the user's choice."""

import pytest


@pytest.mark.django_db
def test_pages_are_french_by_default(client):
    page = client.get("/accounts/login/").content.decode()

    assert '<html lang="fr"' in page
    assert "Se connecter" in page


@pytest.mark.django_db
def test_english_browser_gets_english_pages(client):
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9").content.decode()

    assert '<html lang="en"' in page
    assert "Sign in" in page
    assert "Forgot your password?" in page


@pytest.mark.django_db
def test_language_switch_is_remembered(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    page = client.get("/").content.decode()

    assert "health professionals' portal" in page
    assert '<html lang="en"' in page


@pytest.mark.django_db
def test_domain_messages_are_translated_too(client):
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION="Token nope", HTTP_ACCEPT_LANGUAGE="en")

    assert response.json()["detail"] == "Unknown or revoked token, or deactivated account."

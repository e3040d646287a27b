"""Security keys and passkeys (WebAuthn) as the second factor, in a real browser at phone and desktop widths.

Chromium's DevTools protocol plugs a virtual authenticator into the page: a platform passkey that verifies the
user and answers at once, as a fingerprint reader would. The live server is http://localhost:<port>, a secure
context for the browser, and an origin fido2 accepts for the relying party "localhost" (the host of the request).
"""

import re

import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import expect

from tests.browser.steps import (
    AuthenticatorApp,
    enter_authenticator_code,
    open_menu_entry,
    sign_in_with_password,
    sign_out,
)
from tests.conftest import totp_secret_of

DASHBOARD = re.compile(r"^https?://[^/]+/$")


@pytest.fixture
def security_key(page):
    """A passkey of the device the browser runs on (Chromium's virtual authenticator), touched automatically."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
        "automaticPresenceSimulation": True,
    }
    authenticator_id = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})["authenticatorId"]

    def credentials():
        return cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]

    yield credentials
    cdp.detach()


def test_professional_adds_a_security_key_and_signs_in_with_it(page, visit, shot, audit, gp, password, security_key):
    phone = AuthenticatorApp(totp_secret_of(gp))
    visit("/accounts/login/")
    sign_in_with_password(page, gp.email, password)
    enter_authenticator_code(page, phone.code())
    expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour Alice")

    open_menu_entry(page, "Double authentification")
    keys_panel = page.get_by_role("article").filter(has=page.get_by_role("heading", name="Clés de sécurité"))
    expect(keys_panel).to_contain_text("Aucune clé de sécurité n'a été ajoutée.")
    shot("double-authentification")
    keys_panel.get_by_role("button", name="Ajouter").click()

    # Adding a factor is a sensitive change: allauth asks for the password again, then shows the form.
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirmer l'accès")
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Confirmer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ajouter une clé de sécurité")
    page.wait_for_load_state("load")
    page.get_by_label("Nom de la clé").fill("Téléphone d'Alice")
    shot("ajout-cle")
    page.get_by_role("button", name="Ajouter la clé").click()

    # The key answered; allauth generated recovery codes with this first key (Alice had none).
    expect(page.get_by_role("status").filter(has_text="Clé de sécurité ajoutée")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/recovery-codes/$"))
    [key] = Authenticator.objects.filter(user=gp, type=Authenticator.Type.WEBAUTHN)
    assert key.wrap().name == "Téléphone d'Alice"
    assert len(security_key()) == 1
    shot("codes-de-recuperation")

    open_menu_entry(page, "Double authentification")
    keys_panel.get_by_role("button", name="Gérer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Clés de sécurité")
    expect(page.get_by_role("table")).to_contain_text("Téléphone d'Alice")
    shot("liste-des-cles")

    # The same key twice: the browser refuses it, and the page says why instead of staying silent.
    page.get_by_role("button", name="Ajouter une clé de sécurité").click()
    page.get_by_role("button", name="Ajouter la clé").click()
    expect(page.get_by_role("alert")).to_have_text("Cette clé de sécurité est déjà enregistrée sur votre compte.")
    audit()
    shot("cle-deja-enregistree")
    assert Authenticator.objects.filter(user=gp, type=Authenticator.Type.WEBAUTHN).count() == 1

    sign_out(page)
    sign_in_with_password(page, gp.email, password)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    expect(page.get_by_label("Code de l'application d'authentification")).to_be_visible()  # still possible
    shot("cle-ou-code")
    page.get_by_role("button", name="Utiliser ma clé de sécurité").click()

    expect(page).to_have_url(DASHBOARD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour Alice")
    key.refresh_from_db()
    assert key.last_used_at is not None
    assert Authenticator.objects.get(user=gp, type=Authenticator.Type.TOTP).last_used_at < key.last_used_at
    shot("tableau-de-bord")


def test_professional_without_a_key_is_not_offered_one_at_sign_in(page, visit, gp, password):
    visit("/accounts/login/")
    sign_in_with_password(page, gp.email, password)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    expect(page.get_by_label("Code de l'application d'authentification")).to_be_visible()
    expect(page.get_by_role("button", name="Utiliser ma clé de sécurité")).to_have_count(0)


def test_professional_confirms_with_her_key_then_renames_and_removes_it(page, visit, shot, gp, password, security_key):
    visit("/accounts/login/")
    sign_in_with_password(page, gp.email, password)
    enter_authenticator_code(page, AuthenticatorApp(totp_secret_of(gp)).code())
    visit("/accounts/2fa/webauthn/add/")
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Confirmer").click()
    # The button asks the key only once the page's script is there: a click before "load" would post no key.
    expect(page.get_by_role("heading", level=1)).to_have_text("Ajouter une clé de sécurité")
    page.wait_for_load_state("load")
    page.get_by_role("button", name="Ajouter la clé").click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/recovery-codes/$"))

    # Where allauth asks to confirm access again (after REAUTHENTICATION_TIMEOUT), the key does it.
    visit("/accounts/2fa/webauthn/reauthenticate/?next=/accounts/2fa/webauthn/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirmer l'accès")
    shot("confirmer-avec-la-cle")
    page.get_by_role("button", name="Utiliser ma clé de sécurité").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Clés de sécurité")

    page.get_by_role("button", name=re.compile("^Renommer")).click()
    page.get_by_label("Nom de la clé").fill("Clé USB du cabinet")
    shot("renommer")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("table")).to_contain_text("Clé USB du cabinet")

    page.get_by_role("button", name=re.compile("^Supprimer")).click()
    expect(page.get_by_text("La clé « Clé USB du cabinet » ne permettra plus de vous connecter.")).to_be_visible()
    shot("supprimer")
    page.get_by_role("button", name="Supprimer la clé").click()
    expect(page.get_by_text("Aucune clé de sécurité n'a été ajoutée.")).to_be_visible()
    assert not Authenticator.objects.filter(user=gp, type=Authenticator.Type.WEBAUTHN).exists()
    assert Authenticator.objects.filter(user=gp, type=Authenticator.Type.TOTP).exists()  # the app stays

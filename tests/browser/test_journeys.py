"""The journeys a person makes in a real browser, at phone and desktop widths (see conftest.py for the audit)."""

import re

import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import expect

from accounts.models import AccessLog
from accounts.services import access_log_record
from notifications.models import OutboundMessage
from tests.browser.steps import (
    AuthenticatorApp,
    enter_authenticator_code,
    open_menu,
    open_menu_entry,
    sign_in_with_password,
    sign_out,
)
from tests.conftest import totp_secret_of

DASHBOARD = re.compile(r"^https?://[^/]+/$")


def test_professional_enrols_totp_then_signs_in_with_a_code(page, visit, shot, viewport, gp_without_mfa, password):
    visit("/accounts/login/")
    shot("connexion")
    sign_in_with_password(page, "alice@cpts.test", password)

    # Her role reaches patient data: the portal sends her to enrol an authenticator app first.
    expect(page).to_have_url(re.compile(r"/accounts/2fa/totp/activate/$"))
    expect(page.get_by_role("alert")).to_contain_text("activez la double authentification")
    expect(page.get_by_role("img", name="Code QR à scanner avec votre application d'authentification")).to_be_visible()
    if viewport == "phone":  # a phone cannot scan its own screen: the app opens from a link instead
        expect(page.get_by_role("link", name=re.compile("Ouvrez-y directement"))).to_have_attribute(
            "href", re.compile(r"^otpauth://totp/")
        )
    secret = page.get_by_label("Clé secrète").input_value()
    assert re.fullmatch(r"[A-Z2-7]{16,}=*", secret), secret
    shot("activation")

    phone = AuthenticatorApp(secret)
    page.get_by_label("Saisissez le code à 6 chiffres").fill(phone.code(spends=False))  # enrolment spends no code
    page.get_by_role("button", name="Activer").click()
    expect(page.get_by_role("status").filter(has_text="Application d'authentification activée")).to_be_visible()
    assert Authenticator.objects.filter(user=gp_without_mfa, type=Authenticator.Type.TOTP).exists()

    # allauth then shows the recovery codes it generated, without asking for the password typed a minute ago.
    expect(page).to_have_url(re.compile(r"/accounts/2fa/recovery-codes/$"))
    codes = page.get_by_label("Codes inutilisés").input_value().split()
    assert len(codes) == 10
    shot("codes-de-recuperation")

    open_menu_entry(page, "Double authentification")
    expect(page.get_by_role("heading", level=1)).to_have_text("Authentification à deux facteurs")
    expect(
        page.get_by_text("L'authentification à l'aide d'une application d'authentification est active.")
    ).to_be_visible()
    shot("double-authentification")

    sign_out(page)
    shot("deconnexion")
    sign_in_with_password(page, "alice@cpts.test", password)
    expect(page.get_by_role("heading", level=1)).to_have_text("Double authentification")
    shot("code-demande")
    enter_authenticator_code(page, phone.code())

    expect(page).to_have_url(DASHBOARD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour Alice")
    shot("tableau-de-bord")


def test_coordinator_reaches_the_access_log_and_the_outbox_from_the_menu(
    page, visit, shot, audit, coordinator, gp, password
):
    # Something to find in each list, so that their tables are laid out at both widths.
    access_log_record(
        user=gp,
        action=AccessLog.Action.READ,
        subject_type="referral",
        subject_id="6f1d0c9e-2b1a-4c55-9a7e-3f0e1b2c4d5e",
        patient_ref="PAT-7Q4K-2M9X",
        via="/adressages/6f1d0c9e-2b1a-4c55-9a7e-3f0e1b2c4d5e/",
    )
    OutboundMessage.objects.create(
        channel=OutboundMessage.Channel.EMAIL,
        recipient="secretariat.cardiologie-du-centre@exemple-de-messagerie-sante.fr",
        template="referrals/referral_received",
        idempotency_key="browser-test-failed-message",
        # A message of the coordinator's territory: another territory's would not be listed to her.
        territory_id=coordinator.role_grants.get().territory_id,
        status=OutboundMessage.Status.FAILED,
        attempts=6,
        last_error="SMTPRecipientsRefused: {'secretariat.cardiologie-du-centre@exemple-de-messagerie-sante.fr': "
        "(550, b'5.1.1 <secretariat.cardiologie-du-centre@exemple-de-messagerie-sante.fr>: Recipient address "
        "rejected: User unknown in virtual mailbox table')}",
    )
    visit("/accounts/login/")
    sign_in_with_password(page, coordinator.email, password)
    enter_authenticator_code(page, AuthenticatorApp(totp_secret_of(coordinator)).code())
    expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour Fanny")
    shot("tableau-de-bord")

    expect(open_menu(page).get_by_role("link")).to_have_text(
        [
            "Accueil",
            "Annuaire",
            "Demandes en retard",
            "Tableau de bord des demandes",
            "Tarifs de télé-expertise",
            "Rappels SNP",
            "Statistiques SNP",
            "Liste d'attente (coordination)",
            "Statistiques liste d'attente",
            "Lettre d'information",
            "Abonnés à la lettre",
            "Journal des accès",
            "Envois en échec",
            "Comptes et rôles",
            "Suivi de l'annuaire",
            "Mon compte",
            "Double authentification",
        ]
    )
    audit()  # the open menu too
    shot("menu")
    open_menu_entry(page, "Journal des accès")
    expect(page.get_by_role("heading", level=1)).to_have_text("Journal des accès aux données patient")
    expect(page.get_by_role("cell", name="PAT-7Q4K-2M9X")).to_be_visible()
    shot("journal-des-acces")

    open_menu_entry(page, "Envois en échec")
    expect(page.get_by_role("heading", level=1)).to_have_text("Envois d'e-mails et de SMS")
    expect(page.get_by_role("button", name="Relancer")).to_be_visible()
    shot("envois")

    open_menu_entry(page, "Mon compte")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon compte")
    page.get_by_label("Nom du jeton").fill("Logiciel du cabinet")
    page.get_by_role("button", name="Créer un jeton").click()
    expect(page.get_by_role("status").filter(has_text="Jeton « Logiciel du cabinet » créé.")).to_be_visible()
    key = page.locator("#new-api-key").inner_text()
    assert len(key) >= 32
    shot("jeton-cree")

    # The key is shown once: coming back to the page shows only its first characters.
    visit("/compte/")
    expect(page.get_by_role("cell", name="Logiciel du cabinet")).to_be_visible()
    expect(page.get_by_text(key)).to_have_count(0)
    expect(page.locator("#new-api-key")).to_have_count(0)


def test_locked_out_after_repeated_wrong_passwords(page, visit, shot, gp, password):
    visit("/accounts/login/")
    for attempt in range(5):
        sign_in_with_password(page, gp.email, f"wrong-password-{attempt}")
        expect(page.get_by_role("alert")).to_contain_text("mot de passe sont incorrects")
    shot("mauvais-mot-de-passe")

    sign_in_with_password(page, gp.email, password)
    expect(page.get_by_role("alert")).to_contain_text("Trop de tentatives de connexion échouées")
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion")
    shot("verrouille")


def test_demo_login_page_lists_the_demo_accounts(page, visit, shot, settings, db):
    from cpts_portal.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, seed_demo

    settings.DEMO_MODE = True
    seed_demo()
    visit("/accounts/login/")
    demo = page.get_by_role("region", name="Comptes de démonstration")
    expect(demo).to_contain_text(DEMO_PASSWORD)
    for account in DEMO_ACCOUNTS:
        expect(demo.get_by_text(account.email, exact=True)).to_be_visible()
    shot("comptes-de-demo")

    # A demo account whose role reaches patient data signs in without enrolling a second factor.
    sign_in_with_password(page, "generaliste@demo.cpts.test", DEMO_PASSWORD)
    expect(page).to_have_url(DASHBOARD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour Claire")
    shot("tableau-de-bord-demo")


@pytest.mark.parametrize("viewport", ["phone"])  # the narrow column they share looked right on a desktop too
def test_account_pages_pass_the_audit(page, visit, shot, gp, password):
    # Pages allauth renders in the portal's layout that the journeys above do not reach, and the error page.
    visit("/accounts/password/reset/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    shot("mot-de-passe-oublie")
    visit("/page-qui-n-existe-pas/")
    shot("page-introuvable")

    visit("/accounts/login/")
    sign_in_with_password(page, gp.email, password)
    enter_authenticator_code(page, AuthenticatorApp(totp_secret_of(gp)).code())
    expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour Alice")
    for path, name in [
        ("/accounts/password/change/", "changer-de-mot-de-passe"),
        ("/accounts/email/", "adresses-e-mail"),
    ]:
        visit(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        shot(name)

    # Managing the second factor asks to confirm the password first (allauth's reauthentication).
    visit("/accounts/2fa/recovery-codes/generate/")
    expect(page).to_have_url(re.compile(r"/accounts/reauthenticate/"))
    shot("confirmer-acces")
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Confirmer").click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/recovery-codes/generate/$"))
    shot("generer-des-codes")
    for path, name in [
        ("/accounts/2fa/totp/deactivate/", "desactiver"),
        ("/accounts/2fa/reauthenticate/", "confirmer-avec-un-code"),
        ("/accounts/logout/", "se-deconnecter"),
    ]:
        visit(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        shot(name)

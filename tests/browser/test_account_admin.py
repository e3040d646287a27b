"""A coordinator opens an account for a new secretary and grants her a practice, from the menu."""

import re

from playwright.sync_api import expect

from accounts.models import User
from accounts.roles import Role
from directory.selectors import practices_served_by
from notifications.models import OutboundMessage
from tests.browser.steps import AuthenticatorApp, enter_authenticator_code, open_menu_entry, sign_in_with_password
from tests.conftest import totp_secret_of


def test_coordinator_invites_a_secretary_and_grants_her_a_practice(
    page, visit, shot, audit, coordinator, cardio_secretary, gp, cardio_practice, password
):
    visit("/accounts/login/")
    sign_in_with_password(page, coordinator.email, password)
    enter_authenticator_code(page, AuthenticatorApp(totp_secret_of(coordinator)).code())
    expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour Fanny")

    open_menu_entry(page, "Comptes et rôles")
    expect(page.get_by_role("heading", level=1)).to_have_text("Comptes et rôles")
    expect(page.get_by_role("link", name="Denise Moreau")).to_be_visible()
    shot("comptes")

    # The search narrows the list as she types (HTMX swaps the results in).
    page.get_by_label("Nom ou adresse e-mail").fill("alice")
    expect(page.get_by_text("1 compte trouvé.")).to_be_visible()
    expect(page.get_by_role("link", name="Alice Martin")).to_be_visible()
    audit()

    page.get_by_role("button", name="Inviter une personne").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inviter une personne")
    page.get_by_label("Prénom").fill("Gisèle")
    page.get_by_label("Nom", exact=True).fill("Bernard")
    page.get_by_label("Adresse e-mail").fill("gisele.bernard@cabinet-cardio-du-centre.fr")
    shot("invitation")
    page.get_by_role("button", name="Ouvrir le compte et envoyer l'invitation").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Gisèle Bernard")
    expect(page.get_by_role("status")).to_contain_text("va recevoir un lien pour choisir son mot de passe")
    account = User.objects.get(email="gisele.bernard@cabinet-cardio-du-centre.fr")
    assert OutboundMessage.objects.filter(idempotency_key=f"account-invitation:{account.public_id}").exists()
    shot("compte-invite")

    # A secretary without a practice is refused, in French, on the same page.
    page.get_by_label("Rôle", exact=True).select_option(label="Secrétariat")
    page.get_by_role("button", name="Attribuer le rôle").click()
    expect(page.get_by_text("Choisissez au moins un cabinet pour un rôle de secrétariat.")).to_be_visible()
    shot("cabinet-manquant")

    # The refused form kept the role; choosing it again would re-draw the scope while the box is being ticked.
    expect(page.get_by_label("Rôle", exact=True)).to_have_value("secretary")
    page.get_by_label("Cabinet de cardiologie du Centre").check()
    expect(page.get_by_label("Cabinet de cardiologie du Centre")).to_be_checked()
    page.get_by_role("button", name="Attribuer le rôle").click()
    expect(page.get_by_role("status")).to_contain_text("Rôle « Secrétariat » attribué à Gisèle Bernard.")
    expect(page.get_by_role("cell", name="Cabinet de cardiologie du Centre")).to_be_visible()
    assert list(practices_served_by(account)) == [cardio_practice]
    shot("role-attribue")

    page.get_by_role("button", name="Retirer le rôle « Secrétariat »").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Retirer un rôle")
    shot("confirmation-retrait")
    page.get_by_role("button", name="Retirer le rôle").click()
    expect(page.get_by_role("status")).to_contain_text("Rôle « Secrétariat » retiré à Gisèle Bernard.")
    expect(page).to_have_url(re.compile(rf"/coordination/comptes/{account.public_id}/$"))
    assert not account.role_grants.filter(role=Role.SECRETARY).exists()
    shot("role-retire")

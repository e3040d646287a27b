"""Browser journey at 390 and 1280 px: Alice (GP) pledges "12 nouveaux patients sur 3 mois, dans un rayon de 10 km,
familles bienvenues, discret", draws a batch (the most urgent first, no name), accepts one (its name and phone
appear) and declines another, first without a reason (refused in French, nothing lost), then with one. Every page
and each state swapped in by HTMX is audited (axe, no sideways scrolling)."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from tests.browser.steps import AuthenticatorApp, enter_authenticator_code, sign_in_with_password
from tests.conftest import totp_secret_of
from tests.waitlist.conftest import communes, gp_entry, make_waiting_entry, waiting_list  # noqa: F401 (fixtures)
from waitlist.models import Entry, Proposal

pytestmark = pytest.mark.parametrize("viewport", ["phone", "desktop"])

HOME = "/liste-attente/medecin/"


def test_alice_pledges_draws_accepts_one_and_declines_one_with_a_reason(
    request, page, visit, shot, audit, password, gp
):
    request.getfixturevalue("gp_entry")  # Alice's practice at La Roche-sur-Yon
    queue, places = request.getfixturevalue("waiting_list"), request.getfixturevalue("communes")
    make_waiting_entry(
        queue,
        places["la_roche"],
        family_name="Durand",
        given_names="Jeanne",
        birth_date=datetime.date(1948, 6, 1),
        ald=True,
    )
    make_waiting_entry(
        queue,
        places["mouilleron"],
        family_name="Lefebvre",
        given_names="Marc",
        birth_date=datetime.date(1985, 2, 3),
        phone="+33698765432",
        members=[
            {"family_name": "Lefebvre", "given_names": "Léo", "birth_date": datetime.date(2024, 9, 1), "sex": "M"}
        ],
    )
    page.goto(HOME)
    sign_in_with_password(page, gp.email, password)
    enter_authenticator_code(page, AuthenticatorApp(totp_secret_of(gp)).code())
    expect(page).to_have_url(re.compile(re.escape(HOME) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes engagements d'accueil")

    # A typo: 10,000 patients is refused in French, the other figures kept.
    page.get_by_role("spinbutton", name="Nouveaux patients").fill("10000")
    page.get_by_role("spinbutton", name="Rayon autour de votre cabinet (km)").fill("10")
    page.get_by_label("Discret").check()
    page.get_by_role("button", name="M'engager").click()
    expect(page.get_by_role("alert").first).to_contain_text("entre 1 et 500")
    expect(page.get_by_role("spinbutton", name="Rayon autour de votre cabinet (km)")).to_have_value("10")
    shot("engagement-refuse")

    page.get_by_role("spinbutton", name="Nouveaux patients").fill("12")
    page.get_by_role("button", name="M'engager").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("12 nouveaux patients")
    expect(page.get_by_text("familles bienvenues · discret")).to_be_visible()
    shot("engagement")

    page.get_by_role("button", name="Tirer des propositions").click()
    expect(page.locator("#pledge-region").get_by_role("status")).to_contain_text("2 propositions tirées")
    cards = page.locator("article.proposal-card")
    expect(cards).to_have_count(2)
    first, second = cards.nth(0), cards.nth(1)
    expect(first).to_contain_text("ALD")
    expect(first).to_contain_text("Très prioritaire")
    expect(second).to_contain_text("foyer de 2 personnes")
    expect(second).to_contain_text("Mouilleron-le-Captif")
    expect(page.locator("#pledge-region")).not_to_contain_text("Durand")
    audit()
    shot("tirage")

    first.get_by_role("button", name="J'accepte").click()
    accepted = page.locator("article.proposal-card").first
    expect(accepted).to_contain_text("Jeanne DURAND")
    expect(accepted.get_by_role("link", name=re.compile("06 12 34 56 78"))).to_be_visible()
    shot("acceptee")

    declining = page.locator("article.proposal-card").nth(1)
    declining.get_by_text("Je refuse…").click()
    declining.get_by_role("button", name="Refuser").click()
    declining = page.locator("article.proposal-card").nth(1)
    expect(declining.get_by_role("alert")).to_contain_text("Indiquez la raison du refus")
    audit()
    shot("refus-sans-raison")
    declining.get_by_label("Raison du refus").fill("Je ne suis pas de nourrissons")
    declining.get_by_role("button", name="Refuser").click()
    declined = page.locator("article.proposal-card").nth(1)
    expect(declined).to_contain_text("Je ne suis pas de nourrissons")
    expect(declined).not_to_contain_text("Lefebvre")
    shot("refusee")

    assert sorted(Proposal.objects.values_list("status", flat=True)) == ["accepted", "declined"]
    assert Entry.objects.get(members__family_name="Lefebvre", members__position=0).status == "waiting"

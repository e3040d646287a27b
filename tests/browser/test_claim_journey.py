"""A professional proves the address of her claim from the e-mail's link, on a phone: the page that opens asks
her to confirm with a button, and only that button proves the address (a mail scanner opening the link moves
nothing)."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from core.identifiers import with_luhn_check_digit
from directory.models import EntryClaim
from directory.services.upkeep import claim_link_url, claim_start
from tests.factories import PractitionerFactory


@pytest.fixture
def claim(territory):
    entry = PractitionerFactory(
        rpps=with_luhn_check_digit("1000007777"), first_name="Jeanne", last_name="Morel", territory=territory
    )
    return claim_start(practitioner=entry, rpps=entry.rpps, email="jeanne.morel@exemple.fr", user=None)


def test_opening_the_verification_link_asks_for_the_button_and_the_button_proves_the_address(
    page, visit, shot, audit, claim, coordinator
):
    visit(urlsplit(claim_link_url(claim)).path)

    expect(page.get_by_role("button", name="Confirmer mon adresse")).to_be_visible()
    audit()
    shot("verification")
    claim.refresh_from_db()
    assert claim.status == EntryClaim.Status.AWAITING_EMAIL

    page.get_by_role("button", name="Confirmer mon adresse").click()

    expect(page.get_by_text("l'adresse jeanne.morel@exemple.fr est vérifiée")).to_be_visible()
    audit()
    shot("verifiee")
    claim.refresh_from_db()
    assert claim.status == EntryClaim.Status.AWAITING_APPROVAL

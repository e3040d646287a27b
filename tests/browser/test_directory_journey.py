"""A GP between two patients, on a phone: finds the cardiologists near a commune and reaches one of them."""

import re

import pytest
from playwright.sync_api import expect

from directory.models import Activity, Audience, ContactChannel, Practitioner, Specialty
from tests.browser.steps import AuthenticatorApp, enter_authenticator_code, open_menu_entry, sign_in_with_password
from tests.conftest import totp_secret_of
from tests.factories import PracticeFactory, PractitionerFactory, vendee_communes


@pytest.fixture
def cardiologists(territory, cardiologist, cardio_practice):
    """Dr Rousseau in La Roche-sur-Yon (a professional line, preferred), Dr Morel in Venansault (the practice's
    MSSanté box), Dr Le Goff on the coast, 50 km away."""
    communes = vendee_communes()
    cardiology = Specialty.objects.get(code="SM04")
    rousseau = Practitioner.objects.get(user=cardiologist)
    rousseau.specialties.set([cardiology])
    cardio_practice.commune, cardio_practice.latitude, cardio_practice.longitude = communes["la_roche"], 46.6705, -1.426
    cardio_practice.save()
    ContactChannel.objects.create(
        practitioner=rousseau,
        audience=Audience.PROFESSIONALS,
        kind="professional_line",
        value="+33251000003",
        hours="9h-12h en semaine",
        preferred=True,
    )
    ContactChannel.objects.create(practitioner=rousseau, audience=Audience.PUBLIC, kind="phone", value="+33251999999")
    venansault = PracticeFactory(name="Cabinet de Venansault", territory=territory, commune=communes["venansault"])
    morel = PractitionerFactory(first_name="Marc", last_name="Morel", territory=territory)
    morel.specialties.set([cardiology])
    Activity.objects.create(practitioner=morel, practice=venansault)
    ContactChannel.objects.create(
        practice=venansault, audience=Audience.PROFESSIONALS, kind="mssante", value="cabinet@venansault.mssante.fr"
    )
    coast = PracticeFactory(
        name="Cabinet de la Plage", territory=territory, commune=communes["saint_jean"], latitude=46.79, longitude=-2.06
    )
    le_goff = PractitionerFactory(first_name="Yann", last_name="Le Goff", territory=territory)
    le_goff.specialties.set([cardiology])
    Activity.objects.create(practitioner=le_goff, practice=coast)
    return {"rousseau": rousseau, "morel": morel}


def test_gp_finds_a_cardiologist_near_a_commune_and_reaches_them(
    page, context, visit, shot, audit, viewport, gp, password, cardiologists
):
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    visit("/accounts/login/")
    sign_in_with_password(page, gp.email, password)
    enter_authenticator_code(page, AuthenticatorApp(totp_secret_of(gp)).code())
    open_menu_entry(page, "Annuaire")
    expect(page).to_have_url(re.compile(r"/annuaire/$"))

    page.get_by_label("Spécialité ou nom").fill("cardio")
    page.get_by_label("Commune ou code postal").fill("La Roche")
    page.get_by_role("button", name="Rechercher").click()

    # Results swap in (HTMX) and the address bar holds a link to share.
    results = page.locator("#search-results")
    expect(results).to_contain_text("2 professionnels trouvés")
    expect(page).to_have_url(re.compile(r"/annuaire/\?q=cardio&place=La(%20|\+)Roche"))
    expect(results).to_contain_text("La Roche-sur-Yon")
    names = results.get_by_role("heading", level=2)
    expect(names).to_have_text(["Chloé Rousseau", "Marc Morel"])  # nearest first; the coast is beyond 30 km
    audit()
    shot("resultats")

    # The nearest one: the professionals' line, with its hours, one tap to call.
    first = results.locator("article").first
    expect(first).to_contain_text("9h-12h en semaine")
    call = first.get_by_role("button", name="Appeler le 02 51 00 00 03")
    expect(call).to_have_attribute("href", "tel:+33251000003")
    expect(results).not_to_contain_text("02 51 99 99 99")  # the public number is not the one a GP should use

    # The second one is reached through the practice's MSSanté box: one tap copies the address.
    second = results.locator("article").nth(1)
    second.get_by_role("button", name="Copier").click()
    expect(second.get_by_role("button", name="Copié")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == "cabinet@venansault.mssante.fr"
    shot("adresse-copiee")

    # Her page: the way to reach her comes first, the preferred channel at its top.
    results.get_by_role("link", name="Chloé Rousseau").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Chloé Rousseau")
    how_to_reach = page.locator(".entry-channels > li").first
    expect(how_to_reach).to_contain_text("À utiliser en premier")
    expect(how_to_reach.get_by_role("button", name="Appeler le 02 51 00 00 03")).to_have_attribute(
        "href", "tel:+33251000003"
    )
    expect(page.get_by_text("02 51 99 99 99")).to_be_visible()  # the public number is there too, further down
    shot("fiche")

"""Issue 14, at 390 and 1280 px: the coordinator opens next month's issue for both editions, finds the month's
arrival and departure already written from the directory, edits an item in place (HTMX), and previews the
e-mail at phone width and the web page at desktop width; nothing the CSP refuses on the way."""

import datetime
import re

from django.utils import timezone
from playwright.sync_api import expect

from directory.models import ChangeEvent
from newsletter.models import Edition, Issue
from tests.browser.steps import AuthenticatorApp, enter_authenticator_code, sign_in_with_password
from tests.browser.test_csp import LISTEN_JS, Violations
from tests.conftest import totp_secret_of
from tests.factories import PracticeFactory
from tests.newsletter.render_helpers import doctor, event


def test_the_coordinator_opens_next_months_issue_edits_an_item_and_previews(
    page, context, visit, shot, audit, viewport, password, coordinator, territory
):
    context.add_init_script(LISTEN_JS)
    violations = Violations().watch(page)
    today = timezone.localdate()
    next_month = (today.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    practice = PracticeFactory(name="Maison de santé des Tilleuls", territory=territory)
    event(doctor(territory, "Jean", "Dupont", practice), ChangeEvent.Kind.DEPARTURE, next_month.replace(day=12))
    event(doctor(territory, "Léa", "Moreau", practice), ChangeEvent.Kind.ARRIVAL, next_month.replace(day=2))

    visit("/accounts/login/")
    sign_in_with_password(page, coordinator.email, password)
    enter_authenticator_code(page, AuthenticatorApp(totp_secret_of(coordinator)).code())
    visit("/lettre/coordination/")
    expect(page.get_by_role("heading", level=1)).to_have_text("La lettre : numéros")
    page.get_by_label("Mois").fill(f"{next_month:%Y-%m}")
    page.get_by_label("Édition").select_option("both")
    shot("ouvrir")
    page.get_by_role("button", name="Ouvrir le numéro").click()
    expect(page.locator("#elements")).to_contain_text("Dr Jean Dupont quitte le cabinet Maison de santé des Tilleuls")
    assert Issue.objects.filter(month=next_month).count() == 2
    audit()
    shot("numero")

    arrival = page.locator("#elements article", has_text="Dr Léa Moreau")
    arrival.get_by_role("link", name=re.compile("^Modifier")).click()
    form = page.locator("#elements form", has=page.get_by_role("button", name="Enregistrer"))
    form.get_by_label("Titre").fill("Bienvenue au Dr Léa Moreau")
    form.get_by_label("Dans la lettre").check()
    shot("modifier")
    form.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#elements")).to_contain_text("Bienvenue au Dr Léa Moreau")
    audit()
    issue = Issue.objects.get(month=next_month, edition=Edition.PROFESSIONAL)
    assert issue.items.filter(title="Bienvenue au Dr Léa Moreau").exists()

    page.get_by_role("link", name="Aperçu de l'e-mail").click()
    width = "telephone" if viewport == "phone" else "bureau"
    page.get_by_role("link", name="Téléphone (390 px)" if viewport == "phone" else "Ordinateur").click()
    expect(page).to_have_url(re.compile(f"largeur={width}"))
    frame = page.frame_locator('iframe[title="Aperçu de l\'e-mail"]')
    expect(frame.get_by_text("Bienvenue au Dr Léa Moreau")).to_be_visible()
    shot("apercu-email")
    page.get_by_role("link", name="Page web").click()
    expect(page.locator(".nl-web")).to_contain_text("Dr Jean Dupont quitte le cabinet")
    shot("apercu-web")
    assert violations.found == [], "\n".join(violations.found)

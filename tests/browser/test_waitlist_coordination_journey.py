"""Issue 13, at 390 and 1280 px: the coordinator opens the waiting list's queue, filters it by name, opens an
entry and fixes its level with a reason (the queue then puts it first); glances at the rules with their
explanations, the duplicates side by side and a handover plan month by month. Every page is audited by axe."""

import datetime
import re

from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.steps import AuthenticatorApp, enter_authenticator_code, sign_in_with_password
from tests.conftest import totp_secret_of
from tests.factories import PractitionerFactory
from tests.waitlist.conftest import communes, make_waiting_entry, waiting_list  # noqa: F401 (fixtures)
from tests.waitlist.coordination_helpers import make_pledge, next_month, suspect
from waitlist.models import HandoverAllocation, HandoverPlan
from waitlist.services.handover import handover_import

QUEUE = "/liste-attente/coordination/"
UPLOAD = (
    "\ufeffnom;prenom;date_naissance;sexe;commune;telephone\n"
    "Blanc;Éva;03/03/1990;F;85191;0612345678\nFutur;Léo;01/01/2090;M;85191;0612345678\n"
).encode()


def test_the_coordinator_opens_the_queue_an_entry_and_fixes_its_level(
    page,
    visit,
    shot,
    password,
    coordinator,
    gp,
    waiting_list,  # noqa: F811
    communes,  # noqa: F811
):
    roche = communes["la_roche"]
    old = timezone.now() - datetime.timedelta(days=200)
    make_waiting_entry(
        waiting_list, roche, family_name="Moreau", given_names="Henri", ald=True,
        birth_date=datetime.date(1948, 2, 3), waiting_since=old,
    )  # fmt: skip
    baby = {"family_name": "Lefèvre", "given_names": "Noé", "birth_date": datetime.date(2025, 9, 1), "sex": "M"}
    make_waiting_entry(
        waiting_list, communes["mouilleron"], family_name="Lefèvre", given_names="Héloïse", members=[baby]
    )
    first = make_waiting_entry(waiting_list, roche, family_name="Durand", given_names="Jeanne", waiting_since=old)
    second = make_waiting_entry(waiting_list, roche, family_name="Durant", given_names="Jeanne", phone="",
                                email="jeanne.durant@example.org")  # fmt: skip
    suspect(second, first)
    departing = gp.role_grants.get(role="professional").practitioner
    plan = HandoverPlan.objects.create(
        waiting_list=waiting_list,
        departing_practitioner=departing,
        departure_on=next_month() + datetime.timedelta(days=45),
        first_month=next_month(),
        months=3,
    )
    lines = "\n".join(f"Patient{i};Anne;01/01/19{50 + i};F;85191;0612345678" for i in range(6))
    handover_import(
        acting_user=coordinator,
        plan=plan,
        content=f"nom;prenom;date_naissance;sexe;commune;telephone\n{lines}\n".encode(),
        consent_confirmed=True,
    )
    receiving = PractitionerFactory(first_name="Bob", last_name="Benali", territory=departing.territory)
    pledge = make_pledge(receiving, waiting_list, capacity=8)
    HandoverAllocation.objects.create(plan=plan, month=plan.first_month, pledge=pledge, planned=3)

    visit("/accounts/login/")
    sign_in_with_password(page, coordinator.email, password)
    enter_authenticator_code(page, AuthenticatorApp(totp_secret_of(coordinator)).code())
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bonjour")

    # The queue: the highest level first.
    visit(QUEUE)
    expect(page.get_by_role("heading", level=1)).to_have_text("File d'attente des patients sans médecin")
    rows = page.get_by_role("region", name="Inscriptions").locator("tbody tr")
    expect(rows.first).to_contain_text("MOREAU Henri")
    shot("file")
    page.get_by_label("Nom ou prénom").fill("heloise")
    page.get_by_role("button", name="Filtrer").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("LEFÈVRE Héloïse")
    page.get_by_role("link", name="LEFÈVRE Héloïse").click()

    # The entry: household, contact, consent; the level fixed with its reason.
    expect(page.get_by_role("heading", level=1)).to_have_text("LEFÈVRE Héloïse")
    expect(page.get_by_role("region", name="Foyer", exact=True)).to_contain_text("LEFÈVRE Noé")
    shot("inscription")
    page.get_by_label("Niveau fixé").select_option(label="2 — Très prioritaire")
    page.get_by_label("Raison").fill("Signalée par l'assistante sociale : sortie d'hospitalisation")
    page.get_by_role("button", name="Fixer ce niveau").click()
    expect(page.get_by_role("status")).to_contain_text("Niveau fixé : Très prioritaire")
    expect(page.get_by_role("region", name="Priorité", exact=True)).to_contain_text("fixé par la coordination")
    expect(page.get_by_role("region", name="Historique")).to_contain_text("Niveau fixé par la coordination")
    shot("niveau-fixe")
    page.get_by_role("navigation", name=re.compile("Coordination de la liste")).get_by_role(
        "link", name="File d'attente"
    ).click()
    expect(rows.nth(1)).to_contain_text("LEFÈVRE Héloïse")  # now very high, after the older very high one

    # The rules, the duplicates and the handover plan, as they look.
    visit("/liste-attente/coordination/regles/")
    expect(page.get_by_role("region", name="Ce que donnent les règles")).to_contain_text("→ Très prioritaire")
    shot("regles")
    visit("/liste-attente/coordination/doublons/")
    expect(page.get_by_role("main")).to_contain_text("j•••@example.org")
    shot("doublons")
    visit(f"/liste-attente/coordination/reprises/{plan.public_id}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(departing.last_name.upper())
    page.get_by_role("button", name=re.compile("^Proposer")).first.click()
    expect(page.get_by_role("status")).to_contain_text("3 propositions faites")
    shot("reprise")
    page.get_by_role("button", name="Inscrire des patients (CSV)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inscrire les patients du médecin qui part")
    page.get_by_label("Fichier CSV des patients").set_input_files(
        files=[{"name": "patients.csv", "mimeType": "text/csv", "buffer": UPLOAD}]
    )
    page.get_by_label(re.compile("Je confirme que chaque patient")).check()
    page.get_by_role("button", name="Inscrire ces patients").click()
    expect(page.get_by_role("status")).to_contain_text("1 foyer inscrit")
    expect(page.get_by_role("region", name="Lignes refusées")).to_contain_text("Date de naissance dans le futur")
    shot("reprise-envoi")

"""The GP chooses who to refer a patient to, at 390 and 1280 px: the directory and the new-request form say who
answers on the portal, an absence before the answer is due, and offer a colleague who answers; a recipient nobody
reads on the portal is said before sending, the button prepares the letter, and the page after it says what
really happened ("Courrier prêt : à envoyer vous-même à …") with the MSSanté address first and the PDF."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.roles import Role
from directory.models import Absence, Activity, Audience, ContactChannel, Practitioner
from directory.services import role_grant_create
from referrals.models import Referral
from tests.browser.steps import AuthenticatorApp, enter_authenticator_code, sign_in_with_password
from tests.conftest import totp_secret_of
from tests.factories import PracticeFactory, PractitionerFactory, SpecialtyFactory, UserFactory

REQUEST_PAGE = re.compile(r"/demandes/[0-9a-f-]{36}/")


@pytest.fixture
def pulmonologists(territory):
    """Dr Odile Noël (no account, no secretary, an MSSanté address) and, in the same practice, Dr Paul Roux, who
    answers on the portal."""
    pulmonology = SpecialtyFactory(code="SM41", label="Pneumologie")
    practice = PracticeFactory(name="Cabinet de pneumologie de la Gare", territory=territory)
    noel = PractitionerFactory(first_name="Odile", last_name="Noël", territory=territory)
    roux = PractitionerFactory(first_name="Paul", last_name="Roux", territory=territory)
    for practitioner in (noel, roux):
        practitioner.specialties.add(pulmonology)
        Activity.objects.create(practitioner=practitioner, practice=practice)
    role_grant_create(user=UserFactory(email="paul.roux@cpts.test"), role=Role.PROFESSIONAL, practitioner=roux)
    ContactChannel.objects.create(
        practice=practice, audience=Audience.PUBLIC, kind=ContactChannel.Kind.FAX, value="+33251446161"
    )
    ContactChannel.objects.create(
        practitioner=noel,
        audience=Audience.PROFESSIONALS,
        kind=ContactChannel.Kind.MSSANTE,
        value="odile.noel@medecin.mssante.fr",
    )
    return noel, roux


def test_the_gp_learns_who_answers_before_sending_and_gets_the_letter_ready_for_nobody(
    page, visit, shot, audit, password, gp, cardiologist, cardio_secretary, pulmonologists
):
    noel, roux = pulmonologists
    rousseau = Practitioner.objects.get(user=cardiologist)
    today = timezone.localdate()
    Absence.objects.create(
        practitioner=rousseau,
        starts_on=today + datetime.timedelta(days=10),
        ends_on=today + datetime.timedelta(days=15),
    )
    visit("/accounts/login/")
    sign_in_with_password(page, gp.email, password)
    enter_authenticator_code(page, AuthenticatorApp(totp_secret_of(gp)).code())

    # The directory: who answers on the portal, and an absence in the weeks ahead.
    visit("/annuaire/?q=Rousseau")
    result = page.locator(".search-result").filter(has_text="Chloé Rousseau")
    expect(result).to_contain_text("Répond sur le portail ; son secrétariat aussi (1 secrétaire)")
    expect(result).to_contain_text("Absent du")
    shot("annuaire-repond")
    visit("/annuaire/?q=No%C3%ABl")
    expect(page.locator(".search-result").filter(has_text="Odile Noël")).to_contain_text(
        "N'utilise pas le portail : courrier à envoyer vous-même"
    )
    shot("annuaire-hors-portail")

    # The form, Dr Noël preselected: nobody would receive it; her colleague who answers is offered first.
    visit(f"/demandes/nouvelle/?praticien={noel.public_id}")
    notices = page.locator("#recipient-notices")
    expect(notices).to_contain_text("Personne ne reçoit les demandes sur le portail pour Odile Noël")
    expect(notices).to_contain_text("par messagerie sécurisée à odile.noel@medecin.mssante.fr")
    expect(page.get_by_role("button", name="Adresser plutôt à Paul Roux")).to_be_visible()
    expect(page.locator("#recipient-send")).to_contain_text("ce bouton prépare le courrier (PDF)")
    shot("formulaire-personne")

    # Searching: the cardiologist is away before a routine request would be due.
    page.get_by_label("Ou chercher un autre professionnel").fill("Rousseau")
    choice = page.get_by_role("radio", name=re.compile("Chloé Rousseau"))
    expect(choice).to_be_visible()
    expect(page.locator("#recipient-results")).to_contain_text("Absent du")
    choice.check()
    expect(notices).to_contain_text("le destinataire y répond lui-même")
    expect(notices).to_contain_text("l'absence tombe avant")
    expect(page.get_by_role("button", name="Envoyer la demande", exact=True)).to_be_visible()
    audit()  # the notices and the button came in through HTMX
    shot("formulaire-absence")

    # Back to Dr Noël, on purpose: the letter is prepared, not sent.
    page.get_by_label("Ou chercher un autre professionnel").fill("Noël")
    page.get_by_role("radio", name=re.compile("Odile Noël")).check()
    expect(page.get_by_role("button", name="Préparer le courrier à envoyer")).to_be_visible()
    page.get_by_label("Nom de naissance").fill("Durand")
    page.get_by_label("Prénoms").fill("Louise Marie")
    page.get_by_label("Date de naissance").fill("1958-03-14")
    page.get_by_role("radio", name="Féminin").check()
    page.get_by_role("textbox", name="Motif", exact=True).fill("Dyspnée d'effort")
    page.get_by_label("Question clinique").fill("EFR ?")
    audit()
    page.get_by_role("button", name="Préparer le courrier à envoyer").click()

    expect(page).to_have_url(REQUEST_PAGE)
    expect(page.get_by_role("alert").filter(has_text="Courrier prêt")).to_contain_text(
        "Courrier prêt : à envoyer vous-même à Odile Noël"
    )
    expect(page.get_by_role("heading", name="Courrier prêt : à envoyer vous-même à Odile Noël")).to_be_visible()
    expect(page.get_by_text("Demande envoyée.")).to_have_count(0)
    section = page.locator("section").filter(has=page.locator("#sent-outside-title"))
    expect(section.get_by_role("button", name=re.compile("Télécharger le courrier"))).to_be_visible()
    channels = section.locator(".entry-channels li")
    expect(channels.first).to_contain_text("odile.noel@medecin.mssante.fr")  # MSSanté first
    shot("courrier-pret")
    channels.first.get_by_role("button", name=re.compile("Envoyée par ce moyen")).click()
    expect(page.locator("#referral-handling")).to_contain_text("Envoyée hors du portail")
    referral = Referral.objects.get()
    assert (referral.recipient_practitioner, referral.sent_outside_via) == (noel, "mssante")
    assert roux.pk != noel.pk

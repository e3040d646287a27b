"""Browser journey at 390 and 1280 px: someone without a GP, from the welcome page, signs up with their child
(the consent forgotten first: the page says so and keeps everything typed), types the code received by SMS and
reads what happens next."""

from playwright.sync_api import expect

from tests.factories import CommuneFactory, TerritoryFactory
from waitlist import signup_protection
from waitlist.models import Entry
from waitlist.services.common import waiting_list_of_territory


def test_a_patient_signs_up_with_their_child_and_confirms_with_the_code(page, visit, shot, monkeypatch):
    from notifications.models import OutboundMessage

    monkeypatch.setattr(signup_protection, "MIN_FILL_SECONDS", 0)  # a robot-fast test, not a robot
    territory = TerritoryFactory(name="CPTS du Bocage")
    territory.communes.add(CommuneFactory())
    waiting_list_of_territory(territory)

    visit("/")
    page.get_by_role("link", name="Inscrivez-vous sur la liste d'attente").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Liste d'attente pour un médecin traitant")
    page.get_by_label("Nom", exact=True).fill("Durand")
    page.get_by_label("Prénom(s)").fill("Jeanne")
    page.get_by_label("Date de naissance").fill("1950-03-04")
    page.get_by_label("Sexe").select_option("F")
    page.get_by_label("Commune où la personne habite").fill("La Roche-sur-Yon")
    page.get_by_label("Téléphone portable").fill("06 12 34 56 78")
    page.get_by_label("Je viens d'emménager dans le secteur").check()
    page.get_by_label("Affection de longue durée (ALD) reconnue").check()
    shot("formulaire")

    page.get_by_role("button", name="Ajouter une personne du foyer").click()
    child = page.get_by_role("group", name="Personne 2")
    expect(child).to_be_visible()
    assert "#membre" not in page.url  # HTMX swapped the household in; without JavaScript the page comes back whole
    expect(page.get_by_label("Nom", exact=True).first).to_have_value("Durand")
    child.get_by_label("Nom", exact=True).fill("Durand")
    child.get_by_label("Prénom(s)").fill("Léo")
    child.get_by_label("Date de naissance").fill("2015-06-01")
    child.get_by_label("Sexe").select_option("M")
    page.get_by_role("button", name="M'inscrire et recevoir le code").click()
    expect(page.get_by_role("alert").first).to_contain_text("consentement")
    expect(page.get_by_role("group", name="Personne 2").get_by_label("Prénom(s)")).to_have_value("Léo")
    shot("consentement-oublie")

    page.get_by_label("J'accepte que la CPTS enregistre ces informations").check()
    page.get_by_role("button", name="M'inscrire et recevoir le code").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Le code reçu")
    expect(page.get_by_text("06 •• •• •• 78")).to_be_visible()
    shot("code")
    code = OutboundMessage.objects.get(template="verification_code").context["code"]
    page.get_by_label("Code reçu").fill(code)
    page.get_by_role("button", name="Confirmer l'inscription").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Inscription enregistrée")
    shot("inscription-enregistree")
    entry = Entry.objects.get()
    assert entry.status == Entry.Status.WAITING and entry.household_size == 2
    assert OutboundMessage.objects.filter(template="waitlist_signup_welcome").exists()

"""Browser journey at 390 and 1280 px: someone without an account, from the welcome page, types their commune and
reads where and when the territory's non-scheduled care is open this week, the CPTS line to call (a tap on a
phone), and when to call 15 instead; a commune typed wrong gets its message on the field."""

from playwright.sync_api import expect

from accounts.roles import Role
from directory.models import Activity
from directory.services import role_grant_create
from snp.models import TerritoryLine
from snp.services import slot_publish
from tests.factories import CommuneFactory, PracticeFactory, PractitionerFactory, TerritoryFactory, UserFactory
from tests.snp.conftest import at


def test_someone_finds_the_offer_near_their_commune(page, visit, shot):
    commune = CommuneFactory()
    territory = TerritoryFactory(name="CPTS du Bocage")
    territory.communes.add(commune)
    TerritoryLine.objects.create(territory=territory, phone="+33251000099", hours="8h-20h en semaine")
    site = PracticeFactory(
        territory=territory,
        name="Maison de santé des Tilleuls",
        address="12 rue des Tilleuls",
        commune=commune,
        latitude=commune.latitude,
        longitude=commune.longitude,
        opening_hours="Lundi-vendredi 8h-19h30",
    )
    entry = PractitionerFactory(territory=territory)
    Activity.objects.create(practitioner=entry, practice=site)
    gp = UserFactory(email="alice.public@cpts.test")
    role_grant_create(user=gp, role=Role.PROFESSIONAL, practitioner=entry)
    slot_publish(acting_user=gp, start=at(1, 11, 30), duration_minutes=20, audiences=["sas"])
    slot_publish(acting_user=gp, start=at(2, 17, 45), duration_minutes=20, audiences=["cpts_line"])

    visit("/")
    page.get_by_role("link", name="Soins non programmés près de chez vous").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Soins non programmés près de chez vous")
    expect(page.get_by_role("complementary")).to_contain_text("Appelez le 15")
    page.get_by_label("Votre commune").fill("Zzyzx")
    page.get_by_role("button", name="Voir l'offre").click()
    expect(page.get_by_role("alert")).to_contain_text("Commune inconnue")
    expect(page.get_by_label("Votre commune")).to_have_attribute("aria-invalid", "true")
    shot("commune-inconnue")

    page.get_by_label("Votre commune").fill("La Roche-sur-Yon")
    page.get_by_role("button", name="Voir l'offre").click()
    expect(page.get_by_role("heading", name="Maison de santé des Tilleuls")).to_be_visible()
    expect(page.get_by_text("11:30 \u2013 11:50")).to_be_visible()
    expect(page.get_by_role("link", name="02 51 00 00 99")).to_have_attribute("href", "tel:+33251000099")
    shot("offre-de-la-semaine")


def test_a_patient_books_a_slot_opened_to_the_public_with_a_code(page, visit, shot):
    from notifications.models import OutboundMessage
    from snp.models import Booking

    commune = CommuneFactory()
    territory = TerritoryFactory(name="CPTS du Bocage")
    territory.communes.add(commune)
    site = PracticeFactory(
        territory=territory,
        name="Maison de santé des Tilleuls",
        address="12 rue des Tilleuls",
        commune=commune,
        latitude=commune.latitude,
        longitude=commune.longitude,
    )
    entry = PractitionerFactory(territory=territory, first_name="Alice", last_name="Martin")
    Activity.objects.create(practitioner=entry, practice=site)
    gp = UserFactory(email="alice.public2@cpts.test")
    role_grant_create(user=gp, role=Role.PROFESSIONAL, practitioner=entry)
    slot_publish(acting_user=gp, start=at(1, 18), duration_minutes=20, audiences=["sas", "public"])

    visit("/soins-non-programmes/pres-de-chez-vous/?commune=85191")
    page.get_by_role("button", name="18:00").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Réserver une consultation")
    page.get_by_label("Votre téléphone portable").fill("06 12 34 56 78")
    page.get_by_role("button", name="Recevoir le code").click()
    expect(page.get_by_text("Un code a été envoyé par SMS")).to_be_visible()
    code = OutboundMessage.objects.get(template="verification_code").context["code"]
    page.get_by_label("Code reçu par SMS").fill("000000")
    page.get_by_label("Nom", exact=True).fill("Durand")
    page.get_by_label("Prénom(s)").fill("Jeanne")
    page.get_by_label("Date de naissance").fill("1950-03-04")
    page.get_by_label("Sexe").select_option("F")
    page.get_by_label("Commune où vous habitez").fill("La Roche-sur-Yon")
    page.get_by_label("Non").check()
    page.get_by_label("J'accepte").check()
    page.get_by_role("button", name="Réserver").click()
    expect(page.get_by_text("Ce code n'est pas le bon")).to_be_visible()
    expect(page.get_by_label("Nom", exact=True)).to_have_value("Durand")
    shot("code-faux")

    page.get_by_label("Code reçu par SMS").fill(code)
    page.get_by_label("J'accepte").check()
    page.get_by_role("button", name="Réserver").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Consultation réservée")
    assert Booking.objects.get().patient_family_name == "Durand"
    shot("reservee")

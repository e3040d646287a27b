"""Issue 12, at 390 and 1280 px: the SAS regulator opens the board, keeps the slots near the patient's commune,
sees a slot that a colleague books meanwhile disappear at the next refresh (every 30 s, HTMX); the slot chosen
is taken just before « Réserver »: the page offers the next free one with the patient's details kept; then what
the patient receives, a call recorded without a booking, and « Mes réservations »."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.roles import Role
from directory.models import Commune, ContactChannel
from directory.services import role_grant_create
from snp.models import Booking, NurseOnCall, RegulatedCall, Slot
from snp.services import PARIS, PatientDetails, booking_create, slot_publish
from tests.browser.steps import AuthenticatorApp, enter_authenticator_code, sign_in_with_password
from tests.conftest import totp_secret_of
from tests.factories import PractitionerFactory, UserFactory

pytestmark = pytest.mark.parametrize("viewport", ["phone", "desktop"])

BOARD = "/soins-non-programmes/creneaux/"
LA_ROCHE = "La Roche-sur-Yon — 85000 (INSEE 85191)"


def _tomorrow(hour, minute=0):
    day = timezone.localdate() + datetime.timedelta(days=1)
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=PARIS)


def _sign_in(page, user, password, path):
    page.goto(path)
    sign_in_with_password(page, user.email, password)
    enter_authenticator_code(page, AuthenticatorApp(totp_secret_of(user)).code())
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))


def test_the_regulator_filters_by_commune_and_books_while_a_taken_slot_disappears(
    page, visit, shot, audit, password, regulator, territory, gp, gp_practice, gp2, gp2_practice
):
    gp_practice.commune = Commune.objects.get(insee_code="85191")  # La Roche-sur-Yon
    gp_practice.address = "3 rue des Tilleuls"
    gp_practice.save(update_fields=["commune", "address"])
    gp2_practice.commune = Commune.objects.get(insee_code="85234")  # Saint-Jean-de-Monts, about 50 km away
    gp2_practice.save(update_fields=["commune"])
    first = slot_publish(acting_user=gp, start=_tomorrow(10), duration_minutes=20, audiences=["sas"])
    taken = slot_publish(acting_user=gp, start=_tomorrow(11, 30), duration_minutes=20, audiences=["sas"])
    coast = slot_publish(acting_user=gp2, start=_tomorrow(9), duration_minutes=20, audiences=["sas"])
    afternoon = slot_publish(acting_user=gp2, start=_tomorrow(15), duration_minutes=30, audiences=["sas"])
    nurse = PractitionerFactory(first_name="Inès", last_name="Roux", territory=territory)
    ContactChannel.objects.create(
        practitioner=nurse, audience="professionals", kind="professional_line", value="+33251000000"
    )
    shift = NurseOnCall.objects.create(
        territory=territory,
        nurse=nurse,
        starts_at=timezone.now() - datetime.timedelta(hours=1),
        ends_at=timezone.now() + datetime.timedelta(hours=12),
    )
    shift.communes.add(gp_practice.commune)
    colleague = UserFactory(email="sas2@cpts.test")
    role_grant_create(user=colleague, role=Role.REGULATOR, territory=territory)

    page.clock.install()  # time flows, and the test may jump to the board's next refresh
    _sign_in(page, regulator, password, BOARD)
    visit(BOARD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Créneaux disponibles")
    expect(page.locator("#board-count")).to_have_text("4 créneaux")

    # The patient lives in La Roche-sur-Yon: within 10 km, the coast's slot goes.
    page.get_by_label("Près de la commune").fill(LA_ROCHE)
    page.get_by_label("Rayon").select_option("10")
    expect(page.locator("#board-count")).to_have_text("2 créneaux")
    slots = page.locator("#board-slots")
    expect(slots.locator(f'a[href$="{coast.public_id}/reserver/"]')).to_have_count(0)
    expect(slots.locator(f'a[href$="{taken.public_id}/reserver/"]')).to_be_visible()
    expect(page).to_have_url(re.compile(r"radius_km=10"))
    on_call = page.get_by_role("complementary", name="Infirmier d'astreinte à La Roche-sur-Yon")
    expect(on_call.get_by_role("link", name=re.compile(r"02 51 00 00 00"))).to_be_visible()
    audit()
    shot("near-la-roche")

    # A colleague books the 11:30 meanwhile: gone from the board at the next refresh.
    booking_create(
        acting_user=colleague,
        slot=taken,
        patient=PatientDetails(
            family_name="Lemaire",
            given_names="Paul",
            birth_date=datetime.date(1980, 1, 2),
            sex="M",
            commune_insee="85191",
            has_gp=True,
        ),
        reason_category="pain",
        contact_consent=False,
    )
    with page.expect_response(re.compile(r"/soins-non-programmes/creneaux/\?")):
        page.clock.fast_forward(31_000)
    expect(slots.locator(f'a[href$="{taken.public_id}/reserver/"]')).to_have_count(0)
    expect(page.locator("#board-count")).to_have_text("1 créneau")
    audit()

    slots.locator(f'a[href$="{first.public_id}/reserver/"]').click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Réserver ce créneau")
    expect(page.get_by_text("3 rue des Tilleuls")).to_be_visible()
    page.get_by_label(re.compile(r"^Nom\b")).fill("Durand")
    page.get_by_label("Prénoms").fill("Jeanne")
    page.get_by_label("Date de naissance").fill("1950-03-04")
    page.get_by_label("Femme").check()
    page.get_by_label("Téléphone portable").fill("06 12 34 56 78")
    page.get_by_label("Commune du patient").fill(LA_ROCHE)
    page.get_by_label("Non", exact=True).check()
    page.get_by_label("Motif (catégorie)").select_option("fever_infection")
    page.get_by_label("Le patient accepte d'être prévenu par SMS et e-mail").check()
    shot("booking-form")

    # The colleague is quicker again: the 10:00 is taken when the regulator presses « Réserver ».
    booking_create(
        acting_user=colleague,
        slot=first,
        patient=PatientDetails(
            family_name="Morel",
            given_names="Luc",
            birth_date=datetime.date(1990, 5, 6),
            sex="M",
            commune_insee="85191",
            has_gp=True,
        ),
        reason_category="skin",
        contact_consent=False,
    )
    page.get_by_role("button", name="Réserver", exact=True).click()
    expect(page.get_by_role("heading", name="Ce créneau vient d'être réservé")).to_be_visible()
    expect(page.get_by_label(re.compile(r"^Nom\b"))).to_have_value("Durand")  # nothing to type again
    shot("slot-taken")
    page.get_by_role("button", name="Choisir ce créneau").click()  # the coast's 15:00, the next one free
    expect(page.get_by_text("Cabinet médical du Port")).to_be_visible()
    expect(page.get_by_label("Prénoms")).to_have_value("Jeanne")
    page.get_by_role("button", name="Réserver", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Créneau réservé")
    expect(page.get_by_text("Un SMS au 06 12 34 56 78", exact=False)).to_be_visible()
    expect(page.locator('.waitlist-offer a[href$="/liste-attente/"]')).to_be_visible()
    shot("confirmed")
    booking = Booking.objects.get(slot=afternoon)
    assert (booking.patient_family_name, booking.booked_by) == ("Durand", regulator)
    afternoon.refresh_from_db()
    assert afternoon.status == Slot.Status.BOOKED

    # The next patient is sent to the emergency department: the call is recorded without a booking.
    visit(BOARD)
    expect(page.locator("#board-count")).to_have_text("1 créneau")  # the coast's 9:00, far but free
    shot("board-after")
    page.get_by_role("button", name="Appel sans réservation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Appel sans réservation")
    page.get_by_label("Orienté vers les urgences").check()
    page.get_by_label("Commune du patient").fill(LA_ROCHE)
    shot("call-form")
    page.get_by_role("button", name="Enregistrer l'appel").click()
    expect(page.get_by_role("status").filter(has_text="Appel enregistré")).to_be_visible()
    assert RegulatedCall.objects.filter(outcome="emergency", recorded_by=regulator).count() == 1

    visit("/soins-non-programmes/reservations/")
    expect(page.get_by_role("link", name=re.compile("DURAND Jeanne"))).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("MOREL Luc"))).to_be_visible()  # the service's bookings
    shot("my-bookings")

"""Browser journey at 390 and 1280 px: the patient opens the link of their SMS, reads when and where, and cancels
with the button; the slot is free again."""

import datetime

from django.utils import timezone
from playwright.sync_api import expect

from accounts.roles import Role
from directory.models import Activity
from directory.services import role_grant_create
from snp.models import Booking, Slot
from snp.services import PARIS, PatientDetails, booking_create, cancel_link, slot_publish
from tests.factories import (
    CommuneFactory,
    PracticeFactory,
    PractitionerFactory,
    SpecialtyFactory,
    TerritoryFactory,
    UserFactory,
)


def test_the_patient_cancels_from_the_link(page, visit, shot, live_server):
    territory = TerritoryFactory()
    site = PracticeFactory(territory=territory, name="Maison de santé des Tilleuls", address="3 rue des Tilleuls")
    entry = PractitionerFactory(territory=territory, first_name="Alice", last_name="Martin")
    entry.specialties.add(SpecialtyFactory())
    Activity.objects.create(practitioner=entry, practice=site)
    gp = UserFactory(email="alice.snp@cpts.test")
    role_grant_create(user=gp, role=Role.PROFESSIONAL, practitioner=entry)
    regulator = UserFactory(email="sas.snp@cpts.test")
    role_grant_create(user=regulator, role=Role.REGULATOR, territory=territory)
    day = timezone.localdate() + datetime.timedelta(days=1)
    slot = slot_publish(
        acting_user=gp,
        start=datetime.datetime.combine(day, datetime.time(11, 30), tzinfo=PARIS),
        duration_minutes=20,
        audiences=["sas"],
    )
    commune = CommuneFactory()
    booking = booking_create(
        acting_user=regulator,
        slot=slot,
        patient=PatientDetails(
            family_name="Durand",
            given_names="Jeanne",
            birth_date=datetime.date(1950, 3, 4),
            sex="F",
            commune_insee=commune.insee_code,
            has_gp=False,
            phone="0612345678",
        ),
        reason_category="pain",
        contact_consent=True,
    )
    path = "/" + cancel_link(booking).split("://", 1)[1].split("/", 1)[1]

    visit(path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Annuler votre consultation")
    expect(page.get_by_text("Maison de santé des Tilleuls")).to_be_visible()
    shot("link")
    page.get_by_role("button", name="Annuler la consultation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Consultation annulée")
    shot("cancelled")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    booking.refresh_from_db()
    slot.refresh_from_db()
    assert (booking.status, slot.status) == (Booking.Status.CANCELLED, Slot.Status.FREE)

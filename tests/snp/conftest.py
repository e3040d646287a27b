"""The SNP personas: a GP who publishes (Alice, at the Tilleuls), her secretary, the SAS regulator, a
pharmacist and a nurse of the territory, another GP, and a neighbouring territory's regulator and coordinator;
no-shows to call back and a known past month of slots, bookings, calls and tariffs (the coordination pages)."""

import datetime

import pytest
from django.utils import timezone

from accounts.roles import Role
from directory.models import Activity, Profession
from directory.services import role_grant_create
from snp.models import Booking, BookingAudience, RegulatedCall, Slot, UnfilledSlotTariff
from snp.services import PARIS, PatientDetails, booking_create, booking_outcome_record, slot_publish
from tests.conftest import enrol_totp
from tests.factories import CommuneFactory, PracticeFactory, PractitionerFactory, TerritoryFactory, UserFactory


def profession(code: str, label: str) -> Profession:
    return Profession.objects.get_or_create(code=code, defaults={"label": label})[0]


def professional(email, territory, *, profession_code="10", specialty=None, practice=None):
    user = UserFactory(email=email)
    entry = PractitionerFactory(
        first_name=user.first_name,
        last_name=user.last_name,
        territory=territory,
        profession=profession(
            profession_code, {"10": "Médecin", "21": "Pharmacien", "60": "Infirmier"}[profession_code]
        ),
    )
    if specialty:
        entry.specialties.add(specialty)
    if practice:
        Activity.objects.create(practitioner=entry, practice=practice)
    role_grant_create(user=user, role=Role.PROFESSIONAL, practitioner=entry)
    enrol_totp(user)
    return user


@pytest.fixture
def commune(db):
    return CommuneFactory()


@pytest.fixture
def gp_entry(gp):
    return gp.role_grants.get(role=Role.PROFESSIONAL).practitioner


@pytest.fixture
def gp_secretary(gp_practice):
    user = UserFactory(email="sophie@cpts.test")
    role_grant_create(user=user, role=Role.SECRETARY, practices=[gp_practice])
    enrol_totp(user)
    return user


@pytest.fixture
def pharmacist(territory):
    return professional(
        "paul@cpts.test", territory, profession_code="21", practice=PracticeFactory(territory=territory)
    )


@pytest.fixture
def nurse(territory):
    return professional("ines@cpts.test", territory, profession_code="60")


@pytest.fixture
def sos_regulator(territory):
    user = UserFactory(email="sos@cpts.test")
    role_grant_create(user=user, role=Role.REGULATOR, territory=territory, service=BookingAudience.SOS)
    enrol_totp(user)
    return user


@pytest.fixture
def neighbour_territory(db):
    return TerritoryFactory(name="CPTS du Marais", slug="marais")


@pytest.fixture
def neighbour_regulator(neighbour_territory):
    user = UserFactory(email="sas.marais@cpts.test")
    role_grant_create(user=user, role=Role.REGULATOR, territory=neighbour_territory)
    enrol_totp(user)
    return user


def at(days: int, hour: int, minute: int = 0) -> datetime.datetime:
    """``days`` from today at a wall-clock time in Paris."""
    day = timezone.localdate() + datetime.timedelta(days=days)
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=PARIS)


@pytest.fixture
def slot(gp):
    return slot_publish(acting_user=gp, start=at(1, 11, 30), duration_minutes=20, audiences=["sas", "pharmacists"])


def patient(commune, **changes) -> PatientDetails:
    values = {
        "family_name": "Durand",
        "given_names": "Jeanne",
        "birth_date": datetime.date(1950, 3, 4),
        "sex": "F",
        "commune_insee": commune.insee_code,
        "has_gp": False,
        "phone": "06 12 34 56 78",
        "email": "jeanne.durand@example.org",
        **changes,
    }
    return PatientDetails(**values)


@pytest.fixture
def neighbour_coordinator(neighbour_territory):
    user = UserFactory(email="coord.marais@cpts.test")
    role_grant_create(user=user, role=Role.COORDINATOR, territory=neighbour_territory)
    enrol_totp(user)
    return user


def no_show(regulator, gp, commune, *, hours_ago=2, **changes):
    """A booking whose patient did not come, ``hours_ago`` hours ago: on the recall list."""
    slot = slot_publish(
        acting_user=gp,
        start=timezone.now() + datetime.timedelta(days=3, hours=hours_ago),
        duration_minutes=20,
        audiences=["sas"],
    )
    booking = booking_create(
        acting_user=regulator,
        slot=slot,
        patient=patient(commune, **changes),
        reason_category="pain",
        contact_consent=False,
    )
    start = timezone.now() - datetime.timedelta(hours=hours_ago)
    Slot.objects.filter(pk=slot.pk).update(starts_at=start, ends_at=start + datetime.timedelta(minutes=20))
    return booking_outcome_record(acting_user=gp, booking=booking, outcome="no_show")


def previous_month() -> datetime.date:
    return (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


def on_day(day: int, hour: int) -> datetime.datetime:
    return datetime.datetime.combine(previous_month().replace(day=day), datetime.time(hour), tzinfo=PARIS)


def past_slot(entry, site, start, audiences, status=Slot.Status.FREE):
    return Slot.objects.create(
        practitioner=entry,
        site=site,
        territory_id=site.territory_id,
        starts_at=start,
        ends_at=start + datetime.timedelta(minutes=20),
        audiences=audiences,
        status=status,
    )


def past_booking(slot, audience, status, *, hours_before, commune):
    booking = Booking.objects.create(
        slot=slot,
        audience=audience,
        status=status,
        patient_family_name="Durand",
        patient_given_names="Jeanne",
        patient_birth_date=datetime.date(1950, 3, 4),
        patient_sex="F",
        patient_phone="+33612345678",
        patient_commune=commune,
        has_gp=False,
        reason_category="pain",
        recall="to_do" if status == Booking.Status.NO_SHOW else "",
    )
    Booking.objects.filter(pk=booking.pk).update(created_at=slot.starts_at - datetime.timedelta(hours=hours_before))
    return booking


@pytest.fixture
def known_month(gp, gp2, gp_entry, gp_practice, gp2_practice, neighbour_territory, regulator):
    """Last month in the territory: at the Tilleuls (La Roche-sur-Yon) Alice's slots, at the Port (Les Sables)
    Bob's; one slot of a neighbouring territory, which nothing below counts."""
    la_roche = CommuneFactory()
    sables = CommuneFactory(insee_code="85194", name="Les Sables-d'Olonne", postal_codes=["85100"])
    gp_practice.commune, gp2_practice.commune = la_roche, sables
    gp_practice.save(update_fields=["commune"])
    gp2_practice.save(update_fields=["commune"])
    bob = gp2.role_grants.get().practitioner
    # Alice: honoured (booked 2 h before by the SAS), free, free before any tariff, free after the new tariff,
    # withdrawn without booking.
    honoured = past_slot(gp_entry, gp_practice, on_day(3, 10), ["sas", "pharmacists"], Slot.Status.BOOKED)
    past_booking(honoured, "sas", Booking.Status.HONOURED, hours_before=2, commune=la_roche)
    past_slot(gp_entry, gp_practice, on_day(3, 11), ["sas"])
    past_slot(gp_entry, gp_practice, on_day(1, 9), ["sas"])
    cancelled_then_free = past_slot(gp_entry, gp_practice, on_day(7, 9), ["sas"])
    past_booking(cancelled_then_free, "sas", Booking.Status.CANCELLED, hours_before=30, commune=la_roche)
    past_slot(gp_entry, gp_practice, on_day(5, 10), ["sas"], Slot.Status.WITHDRAWN)
    # Bob: a no-show booked 4 h before by a pharmacist, a free one.
    no_show = past_slot(bob, gp2_practice, on_day(5, 9), ["pharmacists"], Slot.Status.BOOKED)
    past_booking(no_show, "pharmacists", Booking.Status.NO_SHOW, hours_before=4, commune=la_roche)
    past_slot(bob, gp2_practice, on_day(4, 9), ["sas"])
    # Elsewhere.
    past_slot(
        PractitionerFactory(territory=neighbour_territory),
        PracticeFactory(territory=neighbour_territory),
        on_day(3, 9),
        ["sas"],
    )
    # Calls: the honoured booking's, an advice, two without a slot.
    for day, outcome in ((3, "booked"), (3, "advice"), (5, "no_slot"), (5, "no_slot")):
        RegulatedCall.objects.create(
            territory=gp_practice.territory, audience="sas", outcome=outcome, received_at=on_day(day, 8)
        )
    # 25 € from the 2nd, 30 € from the 6th; none on the 1st.
    UnfilledSlotTariff.objects.create(
        territory=gp_practice.territory, valid_from=on_day(2, 0).date(), amount_cents=2500
    )
    UnfilledSlotTariff.objects.create(
        territory=gp_practice.territory, valid_from=on_day(6, 0).date(), amount_cents=3000
    )
    UnfilledSlotTariff.objects.create(territory=neighbour_territory, valid_from=on_day(1, 0).date(), amount_cents=9900)
    return previous_month()

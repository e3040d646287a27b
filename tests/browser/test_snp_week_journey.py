"""Browser journey at 390 and 1280 px: a GP opens her SNP week, publishes a slot and a weekly pattern, withdraws a
slot, records the outcome of a visit that took place, and makes her private calendar link; her secretary cancels
a booked slot with a reason. Every page is audited (axe, no sideways scrolling)."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.roles import Role
from directory.models import Practitioner
from directory.services import role_grant_create
from snp.models import Booking, Slot, SlotPattern, SnpCalendarFeed
from snp.services import PARIS, PatientDetails, booking_create, slot_publish
from tests.browser.steps import AuthenticatorApp, enter_authenticator_code, sign_in_with_password, sign_out
from tests.conftest import enrol_totp, totp_secret_of
from tests.factories import CommuneFactory, UserFactory

pytestmark = pytest.mark.parametrize("viewport", ["phone", "desktop"])

WEEK = "/soins-non-programmes/semaine/"


def _sign_in(page, user, password, path=WEEK):
    page.goto(path)
    sign_in_with_password(page, user.email, password)
    enter_authenticator_code(page, AuthenticatorApp(totp_secret_of(user)).code())
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))


def _book(slot, regulator):
    commune = CommuneFactory()
    return booking_create(
        acting_user=regulator,
        slot=slot,
        patient=PatientDetails(
            family_name="Durand",
            given_names="Jeanne",
            birth_date=datetime.date(1950, 3, 4),
            sex="F",
            commune_insee=commune.insee_code,
            has_gp=False,
        ),
        reason_category="pain",
        contact_consent=False,
    )


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=PARIS)


def test_a_gp_works_her_week_and_her_secretary_cancels_a_booking(
    page, visit, shot, password, gp, regulator, gp_practice
):
    entry = Practitioner.objects.get(user=gp)
    today = timezone.localdate()
    # The rest of the journey happens in the week of "tomorrow", shown by default when it is this week.
    day = today + datetime.timedelta(days=1)
    week_path = f"{WEEK}?semaine={day.isoformat()}"
    # A visit that took place an hour ago (published ahead of time, then its time came), and one booked ahead.
    seen = slot_publish(acting_user=gp, start=_at(day, 7), duration_minutes=20, audiences=["sas"])
    seen_booking = _book(seen, regulator)
    now = timezone.now()
    # Not before today's midnight: just after midnight on a Monday, an hour ago is last week, off the page.
    midnight = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time()))
    starts_at = max(now - datetime.timedelta(hours=1), midnight)
    Slot.objects.filter(pk=seen.pk).update(starts_at=starts_at, ends_at=starts_at + datetime.timedelta(minutes=20))
    ahead = slot_publish(acting_user=gp, start=_at(day, 18), duration_minutes=20, audiences=["sas"])
    ahead_booking = _book(ahead, regulator)

    _sign_in(page, gp, password, WEEK)
    visit(week_path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Ma semaine SNP")
    shot("week")

    # A one-off slot: the main action, first on the page.
    page.locator("summary", has_text="Publier un créneau").click()
    page.locator("#id_slot_date").fill(day.isoformat())
    page.locator("#id_slot_time").fill("11:30")
    page.locator("#id_slot_duration_minutes").fill("20")
    expect(page.locator("#id_slot_audiences_7")).not_to_be_checked()  # patients: off by default
    page.locator("#id_slot_audiences_4").check()  # pharmacists
    shot("publish-form")
    page.get_by_role("button", name="Publier ce créneau").click()
    expect(page.get_by_role("status").filter(has_text="Créneau publié")).to_be_visible()
    one_off = Slot.objects.get(practitioner=entry, pattern__isnull=True, starts_at=_at(day, 11, 30))
    assert one_off.audiences == ["sas", "cpts_line", "pharmacists"]
    shot("published")

    # A refusal: the same time again overlaps, said at the top and on the field, what was typed kept.
    page.locator("summary", has_text="Publier un créneau").click()
    page.locator("#id_slot_date").fill(day.isoformat())
    page.locator("#id_slot_time").fill("11:40")
    page.get_by_role("button", name="Publier ce créneau").click()
    banner = page.get_by_role("alert").filter(has_text="Rien n'a été enregistré")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("chevauche")
    expect(page.locator("#id_slot_time")).to_have_value("11:40")
    shot("overlap-refused")

    # A weekly pattern: every day of the week at 13:00 and 13:30, for two weeks.
    visit(week_path)
    page.locator("summary", has_text="Publier une série chaque semaine").click()
    for weekday in range(7):
        page.locator(f"#id_pattern_weekdays_{weekday}").check()
    page.locator("#id_pattern_times").fill("13:00, 13:30")
    page.locator("#id_pattern_ends_on").fill((today + datetime.timedelta(days=14)).isoformat())
    page.get_by_role("button", name="Créer la série").click()
    expect(page.get_by_role("status").filter(has_text="Série créée")).to_be_visible()
    pattern = SlotPattern.objects.get(practitioner=entry)
    assert Slot.objects.filter(pattern=pattern).count() >= 26
    shot("pattern-created")

    # Withdraw the one-off slot.
    page.get_by_role("button", name="Retirer le créneau de 11:30").click()
    expect(page.get_by_role("status").filter(has_text="Créneau retiré.")).to_be_visible()
    one_off.refresh_from_db()
    assert one_off.status == Slot.Status.WITHDRAWN

    # The outcome of the visit that took place.
    visit(f"{WEEK}?semaine={today.isoformat()}")
    seen_row = page.locator(f"#slot-{seen.public_id}")
    seen_row.get_by_label("Venu").check()
    seen_row.get_by_label("Mot pour le médecin traitant (facultatif)").fill("Otite : amoxicilline 6 jours.")
    shot("outcome-form")
    seen_row.get_by_role("button", name="Enregistrer le résultat").click()
    expect(page.get_by_role("status").filter(has_text="Résultat de la consultation enregistré.")).to_be_visible()
    seen_booking.refresh_from_db()
    assert seen_booking.status == Booking.Status.HONOURED

    # Her private calendar link.
    page.locator("summary", has_text="Mon agenda privé").click()
    page.get_by_role("button", name="Créer mon lien d'agenda").click()
    feed = SnpCalendarFeed.objects.get(practitioner=entry)
    expect(page.locator("#feed-url")).to_contain_text(f"/soins-non-programmes/agenda/{feed.token}.ics")
    shot("calendar-link")
    sign_out(page)

    # The secretary of the practice cancels the booking ahead, with a reason.
    secretary = UserFactory(email="sophie.snp@cpts.test", first_name="Sophie", last_name="Bernard")
    role_grant_create(user=secretary, role=Role.SECRETARY, practices=[gp_practice])
    enrol_totp(secretary)
    _sign_in(page, secretary, password, WEEK)
    visit(week_path)
    row = page.locator(f"#slot-{ahead.public_id}")
    expect(row).to_contain_text("DURAND Jeanne")
    row.locator("summary", has_text="Annuler la réservation").click()
    row.get_by_label("Motif de l'annulation").fill("Médecin appelé en visite urgente")
    shot("secretary-cancel")
    row.get_by_role("button", name="Annuler la réservation").click()
    expect(page.get_by_role("status").filter(has_text="Réservation annulée")).to_be_visible()
    ahead_booking.refresh_from_db()
    assert ahead_booking.status == Booking.Status.CANCELLED
    shot("secretary-cancelled")

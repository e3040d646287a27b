"""The demo territory: one command, idempotent, the accounts every role needs, listed in demo mode only."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role, roles_of
from core.identifiers import rpps_is_valid
from cpts_portal.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, seed_demo
from directory import selectors
from directory.models import (
    Absence,
    Activity,
    Audience,
    ChangeEvent,
    ContactChannel,
    Practice,
    Practitioner,
    PractitionerTool,
    RoleGrant,
    Territory,
)
from tests.reference_data import ensure_reference_data

EXPECTED_ACCOUNTS = {
    "coordinateur@demo.cpts.test": {Role.COORDINATOR},
    "generaliste@demo.cpts.test": {Role.PROFESSIONAL},
    "generaliste2@demo.cpts.test": {Role.PROFESSIONAL},
    "cardiologue@demo.cpts.test": {Role.PROFESSIONAL},
    "dermatologue@demo.cpts.test": {Role.PROFESSIONAL},
    "secretaire.cardio@demo.cpts.test": {Role.SECRETARY},
    "secretaire.autre@demo.cpts.test": {Role.SECRETARY},
    "regulateur@demo.cpts.test": {Role.REGULATOR},
    "pharmacien@demo.cpts.test": {Role.PROFESSIONAL},
    "observateur@demo.cpts.test": {Role.OBSERVER},
}


@pytest.fixture
def demo(db, settings):
    settings.DEMO_MODE = True
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_demo_creates_every_account_with_its_role(demo):
    for email, roles in EXPECTED_ACCOUNTS.items():
        user = User.objects.get(email=email)
        assert roles_of(user) == roles, email
        assert user.check_password(DEMO_PASSWORD)


def test_seed_demo_prints_the_shared_password(demo):
    assert DEMO_PASSWORD in demo
    assert "secretaire.cardio@demo.cpts.test" in demo


def test_seed_demo_is_idempotent(demo):
    counts = (User.objects.count(), Practitioner.objects.count(), Practice.objects.count(), RoleGrant.objects.count())

    call_command("seed_demo", stdout=StringIO())

    assert counts == (
        User.objects.count(),
        Practitioner.objects.count(),
        Practice.objects.count(),
        RoleGrant.objects.count(),
    )


def test_cardiology_secretary_works_for_the_cardiologists_practice_and_the_other_does_not(demo):
    cardiologist = User.objects.get(email="cardiologue@demo.cpts.test")
    secretary = User.objects.get(email="secretaire.cardio@demo.cpts.test")
    other = User.objects.get(email="secretaire.autre@demo.cpts.test")
    cardio_practice = selectors.practices_served_by(cardiologist).get()

    assert list(selectors.practices_served_by(secretary)) == [cardio_practice]
    assert cardio_practice not in selectors.practices_served_by(other)


def test_seed_demo_refuses_outside_demo_mode(db, settings):
    settings.DEMO_MODE = False

    with pytest.raises(CommandError, match="DEMO_MODE"):
        call_command("seed_demo")
    assert not User.objects.exists()


def test_login_page_lists_the_demo_accounts_in_demo_mode(client, demo):
    page = client.get("/accounts/login/").content.decode()

    assert DEMO_PASSWORD in page
    for account in DEMO_ACCOUNTS:
        assert account.email in page


def test_login_page_never_lists_them_outside_demo_mode(client, demo, settings):
    settings.DEMO_MODE = False

    page = client.get("/accounts/login/").content.decode()

    assert DEMO_PASSWORD not in page
    assert "coordinateur@demo.cpts.test" not in page


def test_demo_professional_signs_in_without_enrolling_mfa(client, demo):
    response = client.post("/accounts/login/", {"login": "cardiologue@demo.cpts.test", "password": DEMO_PASSWORD})

    assert response.status_code == 302
    assert client.get("/compte/").status_code == 200


# --- The demo directory: about 150 professionals of the territory -------------------------------------------


@pytest.fixture
def demo_directory(db, settings):
    ensure_reference_data()  # a transactional test before this one may have emptied the reference tables
    settings.DEMO_MODE = True
    call_command("seed_demo", stdout=StringIO())
    return Territory.objects.get(slug="demo-bocage")


def _with_specialty(code):
    return Practitioner.objects.filter(territory__slug="demo-bocage", specialties__code=code)


def _with_profession(code):
    return Practitioner.objects.filter(territory__slug="demo-bocage", profession__code=code)


def test_seed_demo_fills_the_territory_with_about_150_professionals_of_every_kind(demo_directory):
    assert 140 <= Practitioner.objects.filter(territory=demo_directory).count() <= 170
    assert _with_specialty("SM54").count() >= 40  # GPs, many
    for specialty in ("SM04", "SM48", "SM15", "SM24"):  # the specialties in tension
        assert _with_specialty(specialty).count() >= 3, specialty
    for specialty in ("SM62", "SM30", "SM20", "SM19", "SM08", "SM03"):  # others, medical biology (labs) included
        assert _with_specialty(specialty).exists(), specialty
    assert _with_profession("60").count() >= 20  # nurses
    assert _with_profession("21").count() >= 10  # pharmacists
    assert _with_profession("70").count() >= 10  # physiotherapists
    # Tobacco cessation has no RPPS specialty: the practitioners who offer it say so in their notes.
    assert Practitioner.objects.filter(practice_notes__icontains="tabacologie").count() >= 2
    assert not Practitioner.objects.filter(territory=demo_directory, profession=None).exists()


def test_every_demo_entry_has_a_valid_and_distinct_rpps(demo_directory):
    numbers = list(Practitioner.objects.filter(territory=demo_directory).values_list("rpps", flat=True))

    assert all(rpps_is_valid(number) for number in numbers)
    assert len(set(numbers)) == len(numbers)


def test_demo_practices_stand_in_the_territory_and_gather_several_practitioners(demo_directory):
    practices = Practice.objects.filter(territory=demo_directory).annotate(staff=Count("activities"))

    assert 40 <= practices.count() <= 70
    assert set(practices.values_list("commune__insee_code", flat=True)) <= set(
        demo_directory.communes.values_list("insee_code", flat=True)
    )
    assert practices.filter(name__startswith="Maison de santé", staff__gte=6).count() >= 4
    assert practices.filter(name__startswith="Pharmacie").count() >= 8
    assert practices.filter(name__startswith="Laboratoire").exists()
    assert not practices.filter(latitude=None).exists()
    assert not practices.filter(staff=0).exists()


def test_demo_channels_serve_every_audience_with_valid_values(demo_directory):
    channels = ContactChannel.objects.filter(
        Q(practitioner__territory=demo_directory) | Q(practice__territory=demo_directory)
    )

    assert set(channels.values_list("audience", flat=True)) == set(Audience.values)
    kinds = set(channels.values_list("kind", flat=True))
    assert {"phone", "professional_line", "secretary", "mssante", "fax", "booking_link"} <= kinds
    assert channels.filter(kind="professional_line", hours="8h-9h en semaine").exists()
    for channel in channels:
        channel.full_clean()  # phone numbers in E.164, MSSanté addresses on *.mssante.fr, links
    assert all(
        value.endswith(".mssante.fr") for value in channels.filter(kind="mssante").values_list("value", flat=True)
    )


def test_demo_practitioners_use_tools_for_what_they_do(demo_directory):
    teleexpertise = PractitionerTool.objects.filter(
        practitioner__in=_with_specialty("SM15"), tool__slug="omnidoc", uses__contains=["teleexpertise"]
    )

    assert teleexpertise.count() == _with_specialty("SM15").count()  # every dermatologist answers on Omnidoc
    assert _with_specialty("SM15").filter(answers_teleexpertise=False).count() == 0
    assert PractitionerTool.objects.filter(tool__slug="mssante").count() >= 80
    assert PractitionerTool.objects.filter(tool__slug__in=["doctolib", "maiia", "keldoc"]).count() >= 30
    gps = _with_specialty("SM54")
    assert gps.filter(accepting_new_patients=True).exists() and gps.filter(accepting_new_patients=False).exists()
    assert Practitioner.objects.filter(territory=demo_directory).exclude(languages=[]).count() >= 10


def test_demo_has_absences_this_week_and_next_with_replacements(demo_directory):
    monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday())
    absences = Absence.objects.filter(practitioner__territory=demo_directory)

    assert absences.count() >= 5
    assert all(monday <= absence.starts_on <= monday + timedelta(days=13) for absence in absences)
    assert absences.filter(starts_on__lte=monday + timedelta(days=6)).exists()
    assert absences.filter(starts_on__gte=monday + timedelta(days=7)).exists()
    assert absences.exclude(replacement=None).count() >= 4


def test_demo_has_members_stale_entries_and_recent_changes(demo_directory):
    entries = Practitioner.objects.filter(territory=demo_directory)

    assert entries.exclude(cpts_member_since=None).count() >= 20
    assert 5 <= sum(entry.is_stale for entry in entries) <= 30
    kinds = set(ChangeEvent.objects.filter(territory=demo_directory).values_list("kind", flat=True))
    assert {ChangeEvent.Kind.ARRIVAL, ChangeEvent.Kind.DEPARTURE, ChangeEvent.Kind.NEW_CPTS_MEMBER} <= kinds
    # The newsletter's drafts of this month and the last one have events, whatever the day the demo is loaded.
    this_month = timezone.localdate().replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    events = ChangeEvent.objects.filter(territory=demo_directory)
    assert events.filter(happened_on__gte=this_month, happened_on__lte=timezone.localdate()).count() >= 3
    assert events.filter(happened_on__gte=last_month, happened_on__lt=this_month).count() >= 3


def test_seed_demo_run_twice_creates_nothing_new(demo_directory):
    models = [Practitioner, Practice, Activity, ContactChannel, PractitionerTool, Absence, ChangeEvent, RoleGrant]
    counts = [model.objects.count() for model in models]

    call_command("seed_demo", stdout=StringIO())

    assert [model.objects.count() for model in models] == counts


def test_seed_demo_stays_cheap(db, settings, django_assert_max_num_queries):
    ensure_reference_data()
    # About 250 queries for the directory on an empty database (bulk writes, not a query per row), and about 37
    # for each of the 30 demo requests, which go through the services as on the pages (timelines, outbox, the
    # same-patient check before sending), and about 850 for the SNP demo (patterns written out in bulk, some twenty
    # bookings, cancellations and outcomes through the services, each with its outbox and access-log rows); the
    # waiting list and the subscribers are written in bulk, the newsletter's four issues through its services, and
    # its two past issues sent through the real sending (two queries per message: its claim, then "sent").
    with django_assert_max_num_queries(3900):
        seed_demo()


def test_demo_search_for_cardio_near_la_roche_finds_the_cardiologists(demo_directory):
    gp = User.objects.get(email="generaliste@demo.cpts.test")

    results = selectors.practitioners_search(viewer=gp, q="cardio", place="La Roche-sur-Yon")

    found = results.practitioners
    assert len(found) >= 4
    assert all(practitioner.specialties.filter(code="SM04").exists() for practitioner in found)
    assert "Rousseau" in [practitioner.last_name for practitioner in found]
    distances = [practitioner.distance_km for practitioner in found]
    assert distances == sorted(distances) and distances[-1] <= 30
    assert all(practitioner.first_channel is not None for practitioner in found)


def test_demo_search_page_shows_cardiologists_to_the_demo_gp(demo_directory, client):
    client.force_login(User.objects.get(email="generaliste@demo.cpts.test"))

    response = client.get("/annuaire/", {"q": "cardio", "place": "La Roche-sur-Yon"})

    assert response.status_code == 200
    assert "Rousseau" in response.content.decode()


def test_the_cardiology_secretary_still_serves_the_cardiologists_practice_only(demo_directory):
    secretary = User.objects.get(email="secretaire.cardio@demo.cpts.test")
    cardiologist = User.objects.get(email="cardiologue@demo.cpts.test")

    assert list(selectors.practices_served_by(secretary)) == list(selectors.practices_served_by(cardiologist))
    assert selectors.practices_served_by(secretary).get().name == "Cabinet de cardiologie du Centre"


# --- The demo's non-scheduled care ------------------------------------------------------------------------------


def test_seed_demo_publishes_a_week_of_snp_slots_and_bookings_in_every_state(demo_directory):
    from snp.models import Booking, BookingAudience, NurseOnCall, RegulatedCall, Slot, TerritoryLine

    slots = Slot.objects.filter(territory=demo_directory)
    week = slots.filter(starts_at__gte=timezone.now(), starts_at__lt=timezone.now() + timedelta(days=7))
    assert week.values("practitioner").distinct().count() >= 12  # a dozen GPs, the imaging centre, the lab
    premises = Practice.objects.get(territory=demo_directory, name="Locaux de la CPTS (soins non programmés)")
    assert slots.filter(site=premises).values("practitioner").distinct().count() >= 2  # a shared site
    imaging = slots.filter(practitioner__specialties__code="SM44")
    assert imaging.exists() and all(slot.audiences == [BookingAudience.GPS] for slot in imaging)
    statuses = set(Booking.objects.filter(slot__territory=demo_directory).values_list("status", flat=True))
    assert statuses == set(Booking.Status.values)
    no_shows = Booking.objects.filter(slot__territory=demo_directory, status=Booking.Status.NO_SHOW)
    assert no_shows.count() == 2 and all(booking.recall == Booking.Recall.TO_DO for booking in no_shows)
    assert RegulatedCall.objects.filter(territory=demo_directory).exclude(outcome="booked").count() >= 5
    assert NurseOnCall.objects.filter(territory=demo_directory, ends_at__gt=timezone.now()).exists()
    assert TerritoryLine.objects.filter(territory=demo_directory).exists()

    counts = (Slot.objects.count(), Booking.objects.count(), RegulatedCall.objects.count())
    call_command("seed_demo", stdout=StringIO())
    assert counts == (Slot.objects.count(), Booking.objects.count(), RegulatedCall.objects.count())


def test_demo_pharmacist_books_the_slots_open_to_pharmacists(demo_directory):
    from snp.scope import snp_actor_for

    pharmacist = User.objects.get(email="pharmacien@demo.cpts.test")
    actor = snp_actor_for(pharmacist)

    assert pharmacist.practitioner.profession.code == "21"
    assert set(actor.booking) == {"pharmacists"}


def test_demo_waiting_list_has_every_state_households_pledges_and_a_six_month_handover(demo_directory):
    from waitlist.models import DuplicateSuspicion, Entry, HandoverPlan, HouseholdMember, Pledge

    entries = Entry.objects.filter(waiting_list__memberships__territory=demo_directory)
    assert 300 <= entries.count() <= 500
    assert set(entries.values_list("status", flat=True)) == set(Entry.Status.values)
    assert entries.filter(household_size__gte=3).count() >= 10
    assert set(entries.values_list("priority_level", flat=True)) == {0, 1, 2}
    # The erased entry keeps no identity.
    erased = entries.get(status=Entry.Status.ERASED)
    assert (erased.phone, erased.email) == ("", "")
    assert not HouseholdMember.objects.filter(entry=erased).exists()
    pledges = Pledge.objects.filter(waiting_list__memberships__territory=demo_directory)
    assert pledges.filter(discreet=True).count() == 1
    assert pledges.filter(practitioner__user__email="generaliste@demo.cpts.test", proposals__status="pending").exists()
    plan = HandoverPlan.objects.get(waiting_list__memberships__territory=demo_directory)
    assert plan.months == 6 and plan.entries.count() >= 40
    assert plan.allocations.values("month").distinct().count() == 6
    assert DuplicateSuspicion.objects.filter(status="open").exists()

"""Demo non-scheduled care for the demo territory (``seed_demo`` calls ``seed_snp_demo``): a week of slots from a
dozen GPs, the CPTS's premises as a shared site on Saturday mornings, an imaging centre's and a laboratory's
slots kept for the CPTS's GPs, the nurses' weekend rota, bookings in every state (two no-shows among them) and
calls that ended without a booking.

Everything goes through the services the pages use (so the outbox rows, the calls and the access log are the real
ones); visits of the past days are booked as future ones, then moved back, as the referrals demo does. Running it
again changes nothing (the territory's slots are looked for first). Patients are invented; their e-mail addresses
are on a reserved test domain.
"""

import datetime
import itertools
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from directory.models import Commune, Practice, Practitioner, Territory
from snp import services
from snp.models import (
    Booking,
    BookingAudience,
    NurseOnCall,
    ReasonCategory,
    RegulatedCall,
    SharedOffer,
    Slot,
    SlotKind,
    SlotPattern,
    TerritoryLine,
    UnfilledSlotTariff,
)

PARIS = ZoneInfo("Europe/Paris")
GP_SPECIALTY = "SM54"
GP_COUNT = 12
CPTS_PREMISES = "Locaux de la CPTS (soins non programmés)"
IMAGING_CENTRE = "Centre d'imagerie médicale de l'Yon"
LABORATORY = "Laboratoire de biologie médicale de l'Yon"
CPTS_LINE = ("+33261919900", "Du lundi au vendredi 8h-20h, le samedi 8h-12h")

REGULATION = [BookingAudience.SAS, BookingAudience.LINE_116117, BookingAudience.CPTS_LINE, BookingAudience.SOS]
AUDIENCE_MIXES = [
    [*REGULATION, BookingAudience.PHARMACISTS, BookingAudience.NURSES],
    [BookingAudience.SAS, BookingAudience.CPTS_LINE, BookingAudience.PHARMACISTS],
    [BookingAudience.SAS, BookingAudience.LINE_116117, BookingAudience.GPS],
    REGULATION,
]
# (weekdays, wall-clock times, minutes): what a GP keeps for non-scheduled care each week.
WEEKLY_HABITS = [
    ([1, 2, 3, 4, 5], ["11:30", "17:45"], 20),
    ([1, 3, 5], ["12:00", "18:30"], 15),
    ([2, 4], ["08:30", "13:30", "19:00"], 20),
    ([1, 2, 4, 5], ["17:00"], 30),
]

PATIENTS = [
    ("ROBIN", "Camille", datetime.date(1991, 3, 12), "F", "85191"),
    ("FAURE", "Jules", datetime.date(2016, 9, 4), "M", "85155"),
    ("ANDRÉ", "Monique", datetime.date(1946, 1, 28), "F", "85003"),
    ("MERLE", "Sacha", datetime.date(1984, 7, 19), "X", "85300"),
    ("LAMBERT", "Paul", datetime.date(1969, 11, 2), "M", "85178"),
    ("ROUSSEL", "Emma", datetime.date(2001, 5, 23), "F", "85089"),
    ("PERRIN", "Lucien", datetime.date(1957, 2, 9), "M", "85081"),
    ("BARBIER", "Nina", datetime.date(2019, 12, 1), "F", "85191"),
    ("COLIN", "Hugo", datetime.date(1978, 8, 30), "M", "85160"),
    ("HUET", "Adèle", datetime.date(1939, 4, 15), "F", "85046"),
]
REASONS = itertools.cycle(
    [
        ReasonCategory.FEVER_INFECTION,
        ReasonCategory.PAIN,
        ReasonCategory.CHILD,
        ReasonCategory.RESPIRATORY,
        ReasonCategory.URINARY,
        ReasonCategory.INJURY,
    ]
)
# Calls that ended without a booking over the past week: (days ago, hour, outcome, commune).
CALLS = [
    (1, 9, RegulatedCall.Outcome.ADVICE, "85191"),
    (1, 18, RegulatedCall.Outcome.NO_SLOT, "85084"),
    (2, 10, RegulatedCall.Outcome.EMERGENCY, "85003"),
    (2, 19, RegulatedCall.Outcome.ON_CALL, "85178"),
    (3, 8, RegulatedCall.Outcome.ADVICE, "85155"),
    (4, 12, RegulatedCall.Outcome.NO_SLOT, "85019"),
    (5, 11, RegulatedCall.Outcome.ADVICE, "85300"),
    (6, 17, RegulatedCall.Outcome.EMERGENCY, "85191"),
]
# The nurses' weekend sectors: communes (INSEE) covered together by one nurse.
NURSE_SECTORS = [
    ("Cabinet infirmier du Bourg", ["85191", "85155"]),
    ("Cabinet infirmier de Nesmy", ["85160", "85213", "85046"]),
    ("Cabinet infirmier de Venansault", ["85300", "85003", "85118", "85016"]),
    ("Cabinet infirmier de La Ferrière", ["85089", "85081", "85084", "85019", "85178"]),
]


@dataclass
class SnpDemoPeople:
    gp: User  # the demo GP: their own slots, some booked, some in the past with an outcome
    gp2: User
    regulator: User  # the SAS
    pharmacist: User
    coordinator: User


def _at(day: datetime.date, wall_time: str) -> datetime.datetime:
    hour, minute = (int(part) for part in wall_time.split(":"))
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=PARIS)


def _patient(index: int, *, has_gp: bool, gp: Practitioner | None = None) -> services.PatientDetails:
    family_name, given_names, birth_date, sex, commune = PATIENTS[index % len(PATIENTS)]
    return services.PatientDetails(
        family_name=family_name,
        given_names=given_names,
        birth_date=birth_date,
        sex=sex,
        commune_insee=commune,
        has_gp=has_gp,
        phone=f"+336123456{index % 100:02d}",  # invented, as in the referrals demo
        email=f"{given_names.lower()}.{family_name.lower()}@patient.example".replace("é", "e").replace("è", "e"),
        gp_practitioner=gp,
    )


def _gps(territory: Territory, people: SnpDemoPeople) -> list[Practitioner]:
    """The demo GPs first, then the territory's other GPs with a practice (a dozen in all)."""
    own = [people.gp.practitioner, people.gp2.practitioner]
    others = (
        Practitioner.objects.filter(territory=territory, specialties__code=GP_SPECIALTY, activities__isnull=False)
        .exclude(pk__in=[entry.pk for entry in own])
        .distinct()
        .order_by("rpps")[: GP_COUNT - len(own)]
    )
    return own + list(others)


def _first_site(practitioner: Practitioner) -> Practice:
    return (
        Practice.objects.filter(activities__practitioner=practitioner)
        .exclude(name=CPTS_PREMISES)
        .order_by("pk")
        .first()
    )


def _pattern(practitioner, site, weekdays, times, minutes, audiences, kind, coordinator, today) -> SlotPattern:
    """A weekly pattern the coordinator entered for a practitioner without an account, written out by the same
    expansion as every pattern."""
    pattern = SlotPattern.objects.create(
        practitioner=practitioner,
        site=site,
        kind=kind,
        weekdays=weekdays,
        times=[datetime.time(*(int(part) for part in time.split(":"))) for time in times],
        duration_minutes=minutes,
        audiences=audiences,
        starts_on=today,
        ends_on=today + datetime.timedelta(days=120),
        created_by=coordinator,
    )
    services.pattern_expand(pattern=pattern, today=today)
    return pattern


def _move_back(booking: Booking, start: datetime.datetime) -> None:
    """A visit booked for the future, moved to a past day (the services refuse the past), with its call."""
    slot = booking.slot
    length = slot.ends_at - slot.starts_at
    shift = slot.starts_at - start
    Slot.objects.filter(pk=slot.pk).update(starts_at=start, ends_at=start + length)
    Booking.objects.filter(pk=booking.pk).update(created_at=booking.created_at - shift)
    RegulatedCall.objects.filter(booking=booking).update(received_at=start - datetime.timedelta(hours=3))


def _weekend_starts(today: datetime.date) -> list[datetime.date]:
    """Last Saturday (or today's weekend) and the two coming ones."""
    saturday = today - datetime.timedelta(days=(today.isoweekday() - 6) % 7)
    return [saturday + datetime.timedelta(weeks=offset) for offset in (0, 1, 2)]


@transaction.atomic
def seed_snp_demo(territory: Territory, people: SnpDemoPeople) -> int:
    if not Slot.objects.filter(territory=territory).exists():
        _seed(territory, people)
    return Slot.objects.filter(territory=territory).count()


def _seed(territory: Territory, people: SnpDemoPeople) -> None:
    today = timezone.localdate()
    TerritoryLine.objects.get_or_create(territory=territory, defaults={"phone": CPTS_LINE[0], "hours": CPTS_LINE[1]})
    UnfilledSlotTariff.objects.get_or_create(
        territory=territory, valid_from=datetime.date(today.year, 1, 1), defaults={"amount_cents": 1500}
    )
    # A neighbouring CPTS whose regulators may book this territory's slots too.
    neighbour, _created = Territory.objects.get_or_create(
        slug="demo-marais", defaults={"name": "CPTS du Marais (démonstration, voisine)"}
    )
    SharedOffer.objects.get_or_create(territory=territory, shares_with=neighbour)

    gps = _gps(territory, people)
    # The demo GPs publish their own through the services; the coordinator entered the others' habits.
    services.pattern_create(
        acting_user=people.gp,
        weekdays=[1, 2, 3, 4, 5],
        times=[datetime.time(11, 30), datetime.time(17, 45)],
        duration_minutes=20,
        audiences=AUDIENCE_MIXES[0],
        starts_on=today,
        ends_on=today + datetime.timedelta(days=120),
    )
    services.pattern_create(
        acting_user=people.gp2,
        weekdays=[1, 3, 5],
        times=[datetime.time(12, 15)],
        duration_minutes=20,
        audiences=AUDIENCE_MIXES[1],
        starts_on=today,
        ends_on=today + datetime.timedelta(days=120),
    )
    for index, practitioner in enumerate(gps[2:]):
        site = _first_site(practitioner)
        if site is None:
            continue
        weekdays, times, minutes = WEEKLY_HABITS[index % len(WEEKLY_HABITS)]
        kind = SlotKind.HOME_VISIT if index == 3 else SlotKind.TELECONSULTATION if index == 6 else SlotKind.IN_PRACTICE
        _pattern(
            practitioner,
            site,
            weekdays,
            times,
            minutes,
            AUDIENCE_MIXES[index % len(AUDIENCE_MIXES)],
            kind,
            people.coordinator,
            today,
        )
    # The CPTS's premises on Saturday mornings: each GP who takes turns there keeps two hours.
    premises = Practice.objects.filter(territory=territory, name=CPTS_PREMISES).first()
    if premises is not None:
        turns = Practitioner.objects.filter(activities__practice=premises).order_by("rpps")
        for index, practitioner in enumerate(turns):
            hour = 8 + 2 * (index % 2)
            times = [f"{hour:02d}:{minute:02d}" for minute in (0, 30)] + [f"{hour + 1:02d}:{m:02d}" for m in (0, 30)]
            _pattern(
                practitioner, premises, [6], times, 30, REGULATION, SlotKind.IN_PRACTICE, people.coordinator, today
            )
    # The imaging centre and the laboratory keep examinations within 48 h for the CPTS's GPs.
    for name, times, minutes in ((IMAGING_CENTRE, ["12:30", "18:00"], 15), (LABORATORY, ["07:45", "11:45"], 10)):
        site = Practice.objects.filter(territory=territory, name=name).first()
        practitioner = site and Practitioner.objects.filter(activities__practice=site).order_by("rpps").first()
        if practitioner is not None:
            _pattern(
                practitioner,
                site,
                [1, 2, 3, 4, 5],
                times,
                minutes,
                [BookingAudience.GPS],
                SlotKind.IN_PRACTICE,
                people.coordinator,
                today,
            )

    _bookings(territory, people, gps, today)
    _calls(people, today)
    _nurse_rota(territory, today)


def _free_slot(practitioner: Practitioner, *, audience: str, after: datetime.datetime, skip: int = 0) -> Slot | None:
    return (
        Slot.objects.filter(
            practitioner=practitioner, status=Slot.Status.FREE, starts_at__gt=after, audiences__contains=[audience]
        )
        .order_by("starts_at")[skip : skip + 1]
        .first()
    )


def _bookings(territory: Territory, people: SnpDemoPeople, gps: list[Practitioner], today: datetime.date) -> None:
    now = timezone.now()
    gp_entry, gp2_entry = people.gp.practitioner, people.gp2.practitioner
    number = itertools.count()

    def book(user, slot, *, has_gp=True, gp=None):
        index = next(number)
        return services.booking_create(
            acting_user=user,
            slot=slot,
            patient=_patient(index, has_gp=has_gp, gp=gp),
            reason_category=next(REASONS),
            contact_consent=True,
        )

    # Coming visits booked by the SAS, one by the pharmacist, one patient without a GP.
    for skip, practitioner in enumerate(gps[1:6]):
        if slot := _free_slot(practitioner, audience=BookingAudience.SAS, after=now, skip=skip):
            book(people.regulator, slot, gp=gp_entry if skip % 2 else None, has_gp=skip != 2)
    if slot := _free_slot(gp_entry, audience=BookingAudience.SAS, after=now):
        book(people.regulator, slot, gp=gp2_entry)
    if slot := _free_slot(gp_entry, audience=BookingAudience.PHARMACISTS, after=now, skip=1):
        book(people.pharmacist, slot, has_gp=False)
    # Cancelled: one by the practice (the slot is withdrawn), one by the SAS (the slot is free again).
    if slot := _free_slot(gp_entry, audience=BookingAudience.SAS, after=now, skip=3):
        services.booking_cancel(acting_user=people.gp, booking=book(people.regulator, slot), reason="Cabinet fermé")
    if slot := _free_slot(gps[2], audience=BookingAudience.SAS, after=now, skip=4):
        services.booking_cancel(
            acting_user=people.regulator, booking=book(people.regulator, slot), reason="Patient orienté ailleurs"
        )

    # The past days' visits of the demo GP: three honoured (one told to the patient's GP), two no-shows, one to
    # be recorded still. Booked ahead, moved back, then their outcome recorded as the practice would.
    past = [
        (1, "16:00", Booking.Status.HONOURED, "Otite traitée ; à revoir si fièvre persistante."),
        (1, "16:30", Booking.Status.NO_SHOW, ""),
        (2, "16:00", Booking.Status.HONOURED, ""),
        (3, "16:00", Booking.Status.NO_SHOW, ""),
        (4, "16:00", Booking.Status.HONOURED, ""),
        (1, "15:00", None, ""),
    ]
    far = now + datetime.timedelta(days=200)
    for offset, (days_ago, wall_time, outcome, note) in enumerate(past):
        start = far + datetime.timedelta(hours=2 * offset)
        slot = services.slot_publish(
            acting_user=people.gp, start=start, duration_minutes=20, audiences=AUDIENCE_MIXES[0]
        )
        booking = book(people.regulator, slot, gp=gp2_entry if note else None)
        _move_back(booking, _at(today - datetime.timedelta(days=days_ago), wall_time))
        if outcome:
            services.booking_outcome_record(acting_user=people.gp, booking=booking, outcome=outcome, note=note)
    # A past slot that nobody booked: the unfilled-slot report counts it.
    for days_ago in (1, 2):
        slot = services.slot_publish(
            acting_user=people.gp,
            start=far + datetime.timedelta(days=1, hours=days_ago),
            duration_minutes=20,
            audiences=AUDIENCE_MIXES[0],
        )
        start = _at(today - datetime.timedelta(days=days_ago), "11:00")
        Slot.objects.filter(pk=slot.pk).update(starts_at=start, ends_at=start + datetime.timedelta(minutes=20))


def _calls(people: SnpDemoPeople, today: datetime.date) -> None:
    for days_ago, hour, outcome, commune in CALLS:
        services.call_record(
            acting_user=people.regulator,
            outcome=outcome,
            commune_insee=commune,
            reason_category=next(REASONS),
            received_at=_at(today - datetime.timedelta(days=days_ago), f"{hour:02d}:10"),
        )


def _nurse_rota(territory: Territory, today: datetime.date) -> None:
    """Each sector's nurse from Saturday 8:00 to Monday 8:00, the nurses of a practice taking turns."""
    for week, saturday in enumerate(_weekend_starts(today)):
        for practice_name, communes in NURSE_SECTORS:
            nurses = list(
                Practitioner.objects.filter(
                    Q(activities__practice__name=practice_name), territory=territory, profession__code="60"
                ).order_by("rpps")
            )
            if not nurses:
                continue
            on_call = NurseOnCall.objects.create(
                territory=territory,
                nurse=nurses[week % len(nurses)],
                starts_at=_at(saturday, "08:00"),
                ends_at=_at(saturday + datetime.timedelta(days=2), "08:00"),
            )
            on_call.communes.set(Commune.objects.filter(insee_code__in=communes))

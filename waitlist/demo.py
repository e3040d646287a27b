"""The demo waiting list of the demo territory (``seed_demo`` calls ``seed_waitlist_demo``): a few hundred
sign-ups over the territory's communes in every state (waiting the most, some households, a few unverified,
proposed, matched, withdrawn, inactive, one merged duplicate and one erased), an open duplicate pair for the
coordinator, pledges of the two demo GPs (Karim Benali's discreet) and of two other GPs of the territory, and a
departing GP whose patients are handed over over six months, with fewer in July and August.

Rows are written in bulk (the priority computed by ``waitlist.priority`` as the services do), so that loading
the demo stays quick. Running it again changes nothing (the list's entries are looked for first). People are
invented; their phone numbers are in the range reserved for fiction (06 39 98), their addresses on a test domain.
"""

import datetime
import random
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from directory.models import Practitioner, Territory
from directory.scale import FIRST_NAMES, LAST_NAMES
from waitlist.models import (
    ConsentRecord,
    DuplicateSuspicion,
    Entry,
    EntryEvent,
    EntryNote,
    HandoverPlan,
    HouseholdMember,
    Pledge,
    Proposal,
    SignupSource,
    Situation,
)
from waitlist.priority import PersonFacts, priority_of
from waitlist.services.common import rules_of, waiting_list_of_territory
from waitlist.services.handover import handover_allocations_spread

ENTRIES = 320
HANDOVER_PATIENTS = 48
HANDOVER_MONTHS = 6
DEMO_CONSENT_VERSION = "demo"
DEMO_CONSENT_TEXT = (
    "J'accepte que la CPTS enregistre les informations de cette inscription, y compris les informations de santé "
    "que j'ai cochées, pour me proposer un médecin traitant. (Texte de démonstration.)"
)
# (status, share of the entries): what a list of a few months looks like.
STATUS_MIX = [
    (Entry.Status.WAITING, 0.70),
    (Entry.Status.UNVERIFIED, 0.04),
    (Entry.Status.PROPOSED, 0.04),
    (Entry.Status.MATCHED, 0.12),
    (Entry.Status.WITHDRAWN, 0.05),
    (Entry.Status.INACTIVE, 0.05),
]


@dataclass(frozen=True)
class WaitlistDemoPeople:
    gp: User  # pledges 30 new patients within 10 km; a dozen households await their answer
    gp2: User  # pledges discreetly
    coordinator: User


def _member(rng: random.Random, family_name: str, today: datetime.date, *, age: int | None = None) -> dict:
    age = age if age is not None else rng.choice([rng.randint(18, 45), rng.randint(45, 69), rng.randint(70, 92)])
    birth_date = today - datetime.timedelta(days=age * 365 + rng.randint(0, 360))
    sex = rng.choice(["F", "M"])
    return {
        "family_name": family_name,
        "given_names": rng.choice(FIRST_NAMES).title(),
        "birth_date": birth_date,
        "sex": sex,
        "ald": rng.random() < (0.45 if age >= 60 else 0.12),
        "pregnancy": sex == "F" and 20 <= age <= 40 and rng.random() < 0.08,
        "disability": rng.random() < 0.06,
        "precarity": rng.random() < 0.15,
        "treatment_renewal": rng.random() < 0.35,
    }


def _household(rng: random.Random, today: datetime.date) -> list[dict]:
    family_name = rng.choice(LAST_NAMES).upper()
    size = rng.choices([1, 2, 3, 4, 5], weights=[62, 18, 9, 8, 3])[0]
    members = [_member(rng, family_name, today)]
    if size >= 2:
        members.append(_member(rng, family_name, today, age=rng.randint(25, 75)))
    for _child in range(size - 2):
        members.append(_member(rng, family_name, today, age=rng.randint(0, 16)))
    return members


def _gp_pledge(practitioner: Practitioner, waiting_list, user: User | None, **values) -> Pledge:
    pledge = Pledge.objects.filter(practitioner=practitioner, waiting_list=waiting_list).first()
    return pledge or Pledge.objects.create(
        practitioner=practitioner, waiting_list=waiting_list, created_by=user, **values
    )


def _phone(index: int) -> str:
    return f"+3363998{index % 10000:04d}"


@transaction.atomic
def seed_waitlist_demo(territory: Territory, people: WaitlistDemoPeople) -> int:
    waiting_list = waiting_list_of_territory(territory)
    existing = Entry.objects.filter(waiting_list=waiting_list).count()
    if existing:
        return existing
    communes = list(territory.communes.exclude(latitude=None).order_by("-population")[:40])
    if not communes:  # a database emptied by a test flush has no communes
        return 0
    rng = random.Random(13)
    now = timezone.now()
    today = timezone.localdate()
    rules = rules_of(waiting_list)
    gp_entry = people.gp.practitioner
    gp2_entry = people.gp2.practitioner
    others = list(
        Practitioner.objects.filter(territory=territory, specialties__code="SM54", user=None).order_by("last_name")[:3]
    )
    pledge = _gp_pledge(
        gp_entry,
        waiting_list,
        people.gp,
        capacity=30,  # the batch proposed to them below leaves a few places for the next draw
        radius_km=10,
        starts_on=today - datetime.timedelta(days=20),
        until=today + datetime.timedelta(days=70),
        families_welcome=True,
    )
    _gp_pledge(
        gp2_entry,
        waiting_list,
        people.gp2,
        capacity=6,
        radius_km=8,
        starts_on=today,
        until=today + datetime.timedelta(days=120),
        families_welcome=False,
        discreet=True,
    )
    for practitioner in others[1:]:  # two GPs of the territory who take some of the departing GP's patients
        _gp_pledge(
            practitioner,
            waiting_list,
            None,
            capacity=rng.choice([25, 30]),
            radius_km=rng.choice([10, 15]),
            starts_on=today,
            until=today + datetime.timedelta(days=210),
            families_welcome=True,
        )
    # Last year's pledge of the demo GP, closed: the patients matched so far were taken through it.
    past_pledge = Pledge.objects.create(
        practitioner=gp_entry,
        waiting_list=waiting_list,
        created_by=people.gp,
        capacity=60,
        radius_km=15,
        starts_on=today - datetime.timedelta(days=330),
        until=today - datetime.timedelta(days=25),
        status=Pledge.Status.CLOSED,
    )
    statuses = [status for status, share in STATUS_MIX for _ in range(round(share * ENTRIES))]
    plan = None
    if others:
        first_month = (today.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
        plan = HandoverPlan.objects.create(
            waiting_list=waiting_list,
            departing_practitioner=others[0],
            departure_on=first_month + datetime.timedelta(days=14),
            first_month=first_month,
            months=HANDOVER_MONTHS,
            status=HandoverPlan.Status.ACTIVE,
            notes="Départ en retraite : patientèle répartie sur six mois, moins en juillet et août.",
            created_by=people.coordinator,
        )
        statuses += [Entry.Status.WAITING] * HANDOVER_PATIENTS
    entries, households = [], []
    for index, status in enumerate(statuses):
        handover = plan is not None and index >= len(statuses) - HANDOVER_PATIENTS
        members = _household(rng, today)
        commune = communes[min(int(rng.expovariate(0.12)), len(communes) - 1)]
        signed_up = now - datetime.timedelta(days=rng.randint(1, 300), minutes=rng.randint(0, 1440))
        facts = [
            PersonFacts(**{k: v for k, v in m.items() if k not in ("family_name", "given_names", "sex")})
            for m in members
        ]
        flagged = "professional" if rng.random() < 0.05 else ""
        priority = priority_of(facts, flagged=bool(flagged), rules=rules, today=today)
        verified = status != Entry.Status.UNVERIFIED
        with_email = rng.random() < 0.6
        entry = Entry(
            public_id=uuid.uuid4(),
            waiting_list=waiting_list,
            status=status,
            commune=commune,
            phone=_phone(index),
            email=f"{members[0]['given_names'].lower()}.{index}@patients.demo.cpts.test" if with_email else "",
            phone_verified_at=signed_up if verified else None,
            situation=rng.choice(list(Situation.values)),
            max_distance_km=rng.choice([5, 10, 15, 20, 30]),
            source=SignupSource.HANDOVER
            if handover
            else rng.choice([SignupSource.SELF] * 6 + [SignupSource.RELATIVE, SignupSource.PROFESSIONAL]),
            flagged_by=flagged,
            household_size=len(members),
            priority_level=priority.level,
            priority_score=priority.score,
            priority_reasons=list(priority.reasons),
            waiting_since=signed_up if verified else None,
            confirmed_at=signed_up if verified else None,
            handover_plan=plan if handover else None,
        )
        if status in (Entry.Status.MATCHED, Entry.Status.WITHDRAWN, Entry.Status.INACTIVE):
            entry.closed_at = signed_up + datetime.timedelta(days=rng.randint(5, 60))
            entry.closed_reason = {
                Entry.Status.MATCHED: "Accueilli par un médecin de la CPTS",
                Entry.Status.WITHDRAWN: "J'ai trouvé un médecin",
                Entry.Status.INACTIVE: "Sans réponse aux deux relances de reconfirmation",
            }[status]
        entries.append(entry)
        households.append(members)
    Entry.objects.bulk_create(entries)
    HouseholdMember.objects.bulk_create(
        [
            HouseholdMember(entry=entry, position=position, **member)
            for entry, members in zip(entries, households, strict=True)
            for position, member in enumerate(members)
        ]
    )
    ConsentRecord.objects.bulk_create(
        [
            ConsentRecord(
                entry=entry,
                version=DEMO_CONSENT_VERSION,
                text=DEMO_CONSENT_TEXT,
                given_at=entry.waiting_since or now,
                given_by=entry.source,
                recorded_by=people.coordinator if entry.source == SignupSource.HANDOVER else None,
            )
            for entry in entries
        ]
    )
    events = [
        EntryEvent(entry=entry, kind=EntryEvent.Kind.SIGNED_UP, details={"source": entry.source}) for entry in entries
    ]
    events += [EntryEvent(entry=entry, kind=EntryEvent.Kind.VERIFIED) for entry in entries if entry.waiting_since]
    # A batch proposed to the demo GP (the proposed ones) and accepted ones behind the matched.
    batch = uuid.uuid4()
    proposals = []
    for entry in entries:
        if entry.status == Entry.Status.PROPOSED:
            proposals.append(
                Proposal(
                    pledge=pledge,
                    entry=entry,
                    batch=batch,
                    distance_km=round(rng.uniform(0.5, 9.5), 1),
                    priority_level=entry.priority_level,
                    household_size=entry.household_size,
                    expires_at=now + datetime.timedelta(days=rng.randint(1, 6)),
                )
            )
            events.append(EntryEvent(entry=entry, kind=EntryEvent.Kind.PROPOSED))
        elif entry.status == Entry.Status.MATCHED:
            proposals.append(
                Proposal(
                    pledge=past_pledge,
                    entry=entry,
                    batch=uuid.uuid4(),
                    status=Proposal.Status.ACCEPTED,
                    distance_km=round(rng.uniform(0.5, 9.5), 1),
                    priority_level=entry.priority_level,
                    household_size=entry.household_size,
                    expires_at=entry.closed_at + datetime.timedelta(days=7),
                    answered_at=entry.closed_at,
                )
            )
            events.append(EntryEvent(entry=entry, kind=EntryEvent.Kind.ACCEPTED))
    Proposal.objects.bulk_create(proposals)
    EntryEvent.objects.bulk_create(events)
    waiting = [entry for entry in entries if entry.status == Entry.Status.WAITING and entry.handover_plan is None]
    EntryNote.objects.create(
        entry=waiting[0], text="Appel de la mairie : personne isolée, sans véhicule.", author=people.coordinator
    )
    # A duplicate: the same person signed up twice (once by a relative, with a typo); one pair merged already.
    original = next(
        entry for entry, members in zip(entries, households, strict=True) if entry in waiting[1:] and len(members) == 1
    )
    first = original.members.get()
    twin = _twin(waiting_list, original, first, index=len(entries), now=now)
    DuplicateSuspicion.objects.create(entry=twin, other=original, similarity=0.82)
    Entry.objects.filter(pk__in=[twin.pk, original.pk]).update(duplicate_suspected=True)
    merged_source = waiting[-1]
    merged_source.status = Entry.Status.MERGED
    merged_source.merged_into = waiting[-2]
    merged_source.save(update_fields=["status", "merged_into", "updated_at"])
    EntryEvent.objects.create(entry=merged_source, kind=EntryEvent.Kind.MERGED, actor=people.coordinator)
    # An erased entry keeps its commune and dates only (the anonymous count).
    erased = waiting[-3]
    erased.members.all().delete()
    erased.notes.all().delete()
    Entry.objects.filter(pk=erased.pk).update(
        status=Entry.Status.ERASED,
        phone="",
        email="",
        phone_verified_at=None,
        email_verified_at=None,
        link_version=erased.link_version + 1,
        closed_at=now,
        closed_reason="Effacement à la demande de la personne",
    )
    EntryEvent.objects.create(entry=erased, kind=EntryEvent.Kind.ERASED, by_patient=True)
    if plan is not None:
        handover_allocations_spread(acting_user=people.coordinator, plan=plan)  # the summer rule applies
    return Entry.objects.filter(waiting_list=waiting_list).count()


def _twin(waiting_list, original: Entry, first: HouseholdMember, *, index: int, now) -> Entry:
    """The same person, signed up again by a relative, the given name mistyped (an accent dropped, a letter
    doubled)."""
    twin = Entry.objects.create(
        waiting_list=waiting_list,
        status=Entry.Status.WAITING,
        commune=original.commune,
        phone=_phone(index),
        phone_verified_at=now,
        situation=original.situation,
        max_distance_km=original.max_distance_km,
        source=SignupSource.RELATIVE,
        priority_level=original.priority_level,
        priority_score=original.priority_score,
        priority_reasons=original.priority_reasons,
        waiting_since=now - datetime.timedelta(days=3),
        confirmed_at=now - datetime.timedelta(days=3),
    )
    given = first.given_names
    HouseholdMember.objects.create(
        entry=twin,
        position=0,
        family_name=first.family_name.title(),
        given_names=given[:-1] + given[-1] * 2,
        birth_date=first.birth_date,
        sex=first.sex,
        ald=first.ald,
    )
    ConsentRecord.objects.create(
        entry=twin, version=DEMO_CONSENT_VERSION, text=DEMO_CONSENT_TEXT, given_at=now, given_by=SignupSource.RELATIVE
    )
    EntryEvent.objects.create(entry=twin, kind=EntryEvent.Kind.SIGNED_UP, details={"source": "relative"})
    return twin

"""What the statistics tests share: sign-ups made in bulk (one entry and its main member per row, as the public
sign-up leaves them once verified), a GP's pledge and the proposals accepted, declined or expired on it."""

import datetime
import uuid

from django.utils import timezone

from waitlist.models import Entry, HouseholdMember, Pledge, Proposal


def at(year: int, month: int, day: int = 15, hour: int = 12) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, tzinfo=datetime.UTC)


def entries_bulk(
    waiting_list,
    commune,
    count: int,
    *,
    waiting_since: datetime.datetime,
    status: str = Entry.Status.WAITING,
    level: int = 0,
    household_size: int = 1,
    closed_at: datetime.datetime | None = None,
) -> list[Entry]:
    """``count`` verified sign-ups of ``commune`` at ``level``, written with two bulk inserts."""
    entries = Entry.objects.bulk_create(
        [
            Entry(
                waiting_list=waiting_list,
                commune=commune,
                status=status,
                phone=f"+3361{index:08d}",
                phone_verified_at=waiting_since,
                situation="never_had",
                max_distance_km=15,
                household_size=household_size,
                priority_level=level,
                waiting_since=waiting_since,
                confirmed_at=waiting_since,
                closed_at=closed_at,
            )
            for index in range(count)
        ],
        batch_size=1000,
    )
    HouseholdMember.objects.bulk_create(
        [
            HouseholdMember(
                entry=entry,
                position=position,
                family_name="Mesure",
                given_names=f"Personne {position}",
                birth_date=datetime.date(1980, 1, 1),
                sex="X",
            )
            for entry in entries
            for position in range(household_size)
        ],
        batch_size=1000,
    )
    return entries


def pledge_of(practitioner, waiting_list) -> Pledge:
    today = timezone.localdate()
    return Pledge.objects.create(
        practitioner=practitioner,
        waiting_list=waiting_list,
        capacity=50,
        radius_km=20,
        starts_on=today - datetime.timedelta(days=400),
        until=today + datetime.timedelta(days=90),
    )


def proposals_answered(pledge, entries, *, status: str, answered_at: datetime.datetime) -> list[Proposal]:
    """One proposal per entry, answered (or expired) at ``answered_at``; accepted ones close their entry."""
    rows = Proposal.objects.bulk_create(
        [
            Proposal(
                pledge=pledge,
                entry=entry,
                status=status,
                batch=uuid.uuid4(),
                distance_km=3.0,
                priority_level=entry.priority_level,
                household_size=entry.household_size,
                expires_at=answered_at,
                answered_at=None if status == Proposal.Status.EXPIRED else answered_at,
            )
            for entry in entries
        ]
    )
    if status == Proposal.Status.ACCEPTED:
        Entry.objects.filter(pk__in=[e.pk for e in entries]).update(status=Entry.Status.MATCHED, closed_at=answered_at)
    return rows

"""The directory's change events (arrivals, departures, retirements, moves, new CPTS members) read by the
newsletter: public facts about professionals, never a patient."""

import datetime

from django.db.models import Prefetch, QuerySet

from directory.models import Activity, ChangeEvent, Practitioner, Territory
from directory.permissions import coordinated_territory_ids


def change_events_of_month(*, territory: Territory, month: datetime.date) -> QuerySet[ChangeEvent]:
    """The territory's events that happened in ``month`` (any day of it), oldest first, with the practitioner,
    their profession and their practices (two queries)."""
    start = month.replace(day=1)
    end = (start + datetime.timedelta(days=32)).replace(day=1)
    return change_events_between(territory=territory, start=start, end=end)


def change_events_between(*, territory: Territory, start: datetime.date, end: datetime.date) -> QuerySet[ChangeEvent]:
    """The territory's events from ``start`` (included) to ``end`` (excluded), oldest first, as above (the
    weekly digest reads a week)."""
    return (
        ChangeEvent.objects.filter(territory=territory, happened_on__gte=start, happened_on__lt=end)
        .select_related("practitioner__profession", "successor__profession", "practice")
        .prefetch_related(
            Prefetch(
                "practitioner__activities",
                queryset=Activity.objects.select_related("practice").order_by("id"),
            )
        )
        .order_by("happened_on", "id")
    )


SUCCESSION_KINDS = (ChangeEvent.Kind.DEPARTURE, ChangeEvent.Kind.RETIREMENT)


def change_events_for_coordinator(user, *, since: datetime.date) -> QuerySet[ChangeEvent]:
    """The events of the territories ``user`` coordinates since ``since``, newest first (the page where the
    coordination names who takes over a departure)."""
    return (
        ChangeEvent.objects.filter(territory_id__in=coordinated_territory_ids(user), happened_on__gte=since)
        .select_related("practitioner__profession", "successor", "territory", "practice")
        .order_by("-happened_on", "-id")
    )


def successor_candidates(*, territory_id: int, profession_id: int | None) -> QuerySet[Practitioner]:
    """Who may take over a departure: the entries of the territory with the same profession, by name."""
    return (
        Practitioner.objects.filter(territory_id=territory_id, profession_id=profession_id)
        .only("id", "first_name", "last_name", "territory_id")
        .order_by("last_name", "first_name")
    )

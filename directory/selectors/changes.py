"""The directory's change events (arrivals, departures, retirements, moves, new CPTS members) read by the
newsletter: public facts about professionals, never a patient."""

import datetime

from django.db.models import Prefetch, QuerySet

from directory.models import Activity, ChangeEvent, Territory


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
        .select_related("practitioner__profession")
        .prefetch_related(
            Prefetch(
                "practitioner__activities",
                queryset=Activity.objects.select_related("practice").order_by("id"),
            )
        )
        .order_by("happened_on", "id")
    )

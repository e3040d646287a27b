"""The statistics of non-scheduled care for one month, for coordinators and observers (ARS, CPAM): slots offered
and filled by day, by audience and by commune of the site, the median delay from the call (the booking's
creation) to the consultation, the no-show rate, the calls of each day and their outcome. Aggregates only: no
patient, no reason, nothing that names a booking leaves these functions.

The totals are those of ``selectors.month_figures`` (the API and the newsletter read it): each breakdown below
uses the same definitions, so the days add up to the month's figures.
"""

import datetime
import statistics
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from snp.models import BookingAudience, RegulatedCall, Slot
from snp.selectors import month_bounds, month_figures

# A booking that took its slot: booked, then honoured or not (cancelled ones gave it back).
FILLED_STATUSES = ("booked", "honoured", "no_show")
# A slot offered: published and not withdrawn, or withdrawn after someone had booked it (as month_figures).
_OFFERED = ~Q(status=Slot.Status.WITHDRAWN) | Q(bookings__isnull=False)
_FILLED = Q(bookings__status__in=FILLED_STATUSES)


@dataclass
class Breakdown:
    label: str
    offered: int = 0
    filled: int = 0

    @property
    def fill_percent(self) -> str:
        return f"{self.filled * 100 / self.offered:.0f}" if self.offered else ""


@dataclass
class CallDay:
    day: datetime.date
    by_outcome: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_outcome.values())

    @property
    def counts(self) -> list[int]:
        """In the order of ``RegulatedCall.Outcome`` (the table's columns)."""
        return [self.by_outcome[value] for value in RegulatedCall.Outcome.values]


@dataclass
class MonthStatistics:
    month: datetime.date
    figures: dict  # month_figures, unchanged
    days: list[tuple[datetime.date, Breakdown]] = field(default_factory=list)
    audiences: list[Breakdown] = field(default_factory=list)
    communes: list[Breakdown] = field(default_factory=list)
    calls: list[CallDay] = field(default_factory=list)
    outcomes: list[tuple[str, str]] = field(default_factory=list)  # (value, label), the table's columns
    median_delay: datetime.timedelta | None = None

    @property
    def no_show_rate(self) -> float | None:
        """No-shows among the visits whose outcome was recorded."""
        seen = self.figures["honoured"] + self.figures["no_show"]
        return self.figures["no_show"] / seen if seen else None

    @property
    def no_show_percent(self) -> str:
        rate = self.no_show_rate
        return "" if rate is None else f"{rate * 100:.0f}"

    @property
    def median_delay_hours(self) -> str:
        """Hours with one decimal, French style ("5,5")."""
        if self.median_delay is None:
            return ""
        return f"{self.median_delay.total_seconds() / 3600:.1f}".replace(".", ",")

    @property
    def day_rows(self) -> list[tuple[datetime.date, Breakdown, CallDay]]:
        return [(day, row, call_day) for (day, row), call_day in zip(self.days, self.calls, strict=True)]

    @property
    def outcome_totals(self) -> list[int]:
        return [self.figures["calls_by_outcome"][value] for value in RegulatedCall.Outcome.values]

    @property
    def has_data(self) -> bool:
        return bool(self.figures["slots_offered"] or self.figures["calls"])


def _local_day():
    return TruncDate("starts_at", tzinfo=timezone.get_current_timezone())


def month_statistics(*, territory_ids, month: datetime.date) -> MonthStatistics:
    """The month's statistics of the territories (``month``: any day of it). Six queries whatever the volume."""
    month = month.replace(day=1)
    start, end = month_bounds(month)
    territory_ids = sorted(territory_ids)
    result = MonthStatistics(month=month, figures=month_figures(territory_ids=territory_ids, month=month))
    slots = Slot.objects.filter(territory_id__in=territory_ids, starts_at__gte=start, starts_at__lt=end)

    by_day = {
        row["day"]: row
        for row in slots.annotate(day=_local_day())
        .values("day")
        .annotate(
            offered=Count("pk", distinct=True, filter=_OFFERED), filled=Count("pk", distinct=True, filter=_FILLED)
        )
        .order_by("day")
    }
    day = month
    while day < end.date():
        row = by_day.get(day, {})
        result.days.append((day, Breakdown(label="", offered=row.get("offered", 0), filled=row.get("filled", 0))))
        day += datetime.timedelta(days=1)

    # A slot open to several audiences is offered to each; it is filled through the audience that booked it.
    audiences = {value: Breakdown(label=str(label)) for value, label in BookingAudience.choices}
    for (opened,) in Slot.objects.filter(pk__in=slots.filter(_OFFERED).values("pk")).values_list("audiences"):
        for audience in opened:
            if audience in audiences:
                audiences[audience].offered += 1
    for audience, count in (
        slots.filter(bookings__status__in=FILLED_STATUSES)
        .values("bookings__audience")
        .annotate(count=Count("pk", distinct=True))
        .values_list("bookings__audience", "count")
        .order_by()
    ):
        if audience in audiences:
            audiences[audience].filled += count
    result.audiences = [row for row in audiences.values() if row.offered or row.filled]

    communes = (
        slots.values("site__commune__name")
        .annotate(
            offered=Count("pk", distinct=True, filter=_OFFERED), filled=Count("pk", distinct=True, filter=_FILLED)
        )
        .order_by("-offered", "site__commune__name")
    )
    result.communes = [
        Breakdown(
            label=row["site__commune__name"] or _("Commune non précisée"), offered=row["offered"], filled=row["filled"]
        )
        for row in communes
        if row["offered"] or row["filled"]
    ]

    delays = [
        starts_at - created_at
        for created_at, starts_at in slots.filter(bookings__status__in=FILLED_STATUSES).values_list(
            "bookings__created_at", "starts_at"
        )
    ]
    result.median_delay = statistics.median(delays) if delays else None

    calls = (
        RegulatedCall.objects.filter(territory_id__in=territory_ids, received_at__gte=start, received_at__lt=end)
        .annotate(day=TruncDate("received_at", tzinfo=timezone.get_current_timezone()))
        .values("day", "outcome")
        .annotate(count=Count("pk"))
        .order_by("day")
    )
    result.outcomes = [(value, str(label)) for value, label in RegulatedCall.Outcome.choices]
    by_call_day: dict[datetime.date, dict[str, int]] = {}
    for row in calls:
        by_call_day.setdefault(row["day"], dict.fromkeys(RegulatedCall.Outcome.values, 0))[row["outcome"]] = row[
            "count"
        ]
    result.calls = [
        CallDay(day=day, by_outcome=by_call_day.get(day) or dict.fromkeys(RegulatedCall.Outcome.values, 0))
        for day, _breakdown in result.days
    ]
    return result


def statistics_chart_data(stats: MonthStatistics) -> dict:
    """What the charts draw, for ``json_script``: the figures of the tables beside them (their text alternative).
    Labels are translated here, so the script holds no French."""
    return {
        "days": [date_format(day, "j") for day, _row in stats.days],
        "offered": [row.offered for _day, row in stats.days],
        "filled": [row.filled for _day, row in stats.days],
        "audiences": [row.label for row in stats.audiences],
        "audience_offered": [row.offered for row in stats.audiences],
        "audience_filled": [row.filled for row in stats.audiences],
        "communes": [row.label for row in stats.communes],
        "commune_offered": [row.offered for row in stats.communes],
        "commune_filled": [row.filled for row in stats.communes],
        "outcomes": [
            {"label": label, "data": [call_day.by_outcome[value] for call_day in stats.calls]}
            for value, label in stats.outcomes
        ],
        "series": {"offered": _("Offerts"), "filled": _("Pourvus")},
    }

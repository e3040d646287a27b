"""The waiting list's figures: aggregates, never an entry. Read by the coordination's and the observers' statistics
page and its API (``list_statistics``), the public monthly report (``public_report``, every small cell suppressed,
see ``suppressed_table``), the coordinator's exports (``export_rows_by_month``, ``export_rows_queue``) and the
newsletter (``waitlist_monthly_figures``).

Definitions, the same everywhere:
- a sign-up counts from its verification (``waiting_since``: an unverified one never entered the queue); a merged
  one is the duplicate of another and never counts; an erased one keeps its commune, level and dates (anonymous);
- someone is *in the queue* at an instant when their sign-up was verified before it and was not closed yet
  (waiting or proposed now, or closed afterwards: matched, withdrawn, inactive, erased);
- a *match* is a proposal accepted by a GP (the month of the answer), its waiting time from ``waiting_since`` to
  the answer;
- counts are of **people** (a household of three counts three) unless the name says ``entries`` (sign-ups);
- the priority level is the entry's current one (a level is not kept in history).

Every function runs a fixed number of aggregate queries, whatever the number of entries.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import (
    Aggregate,
    BooleanField,
    Case,
    CharField,
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from directory.models import Commune, Territory
from waitlist.models import Entry, PriorityRules, Proposal, WaitingList, WaitingListTerritory
from waitlist.priority import DEFAULT_LEVELS

# A published cell under this many people is suppressed ("< 10").
SUPPRESSION_THRESHOLD = 10
MONTHS_IN_SERIES = 12
IN_QUEUE = (Entry.Status.WAITING, Entry.Status.PROPOSED)
NEVER_COUNTED = (Entry.Status.UNVERIFIED, Entry.Status.MERGED)
PROPOSAL_OUTCOMES = (Proposal.Status.ACCEPTED, Proposal.Status.DECLINED, Proposal.Status.EXPIRED)
# The map's circles: people waiting at the month's end, by band (the first band is the suppressed one).
BANDS = (0, 10, 50, 100, 250)


# --- Months ------------------------------------------------------------------------------------------------------


def first_of_month(day: datetime.date, months_back: int = 0) -> datetime.date:
    index = day.year * 12 + day.month - 1 - months_back
    return datetime.date(index // 12, index % 12 + 1, 1)


def month_bounds(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """Local midnight of the month's first day and of the next month's first day (aware)."""
    tz = timezone.get_current_timezone()
    first = month.replace(day=1)
    following = first_of_month(first, -1)
    return (
        datetime.datetime.combine(first, datetime.time(), tzinfo=tz),
        datetime.datetime.combine(following, datetime.time(), tzinfo=tz),
    )


def month_end(month: datetime.date) -> datetime.datetime:
    """The instant the month's figures are taken at: its end, or now for the current month."""
    return min(month_bounds(month)[1], timezone.now())


# --- Building blocks (one query each) ----------------------------------------------------------------------------


class Percentile(Aggregate):
    """PostgreSQL's ``percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)`` over an interval."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()
    allow_distinct = False

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=f"{float(fraction):.2f}", **extra)


def _counted_entries(list_ids) -> "QuerySet[Entry]":  # noqa: F821
    return (
        Entry.objects.filter(waiting_list_id__in=sorted(list_ids), waiting_since__isnull=False)
        .exclude(status__in=NEVER_COUNTED)
        .order_by()
    )


def _closed_on():
    """When the entry left the queue (None while it is in it); ``updated_at`` when a closing left no date."""
    return Case(
        When(status__in=IN_QUEUE, then=Value(None, output_field=DateTimeField())),
        default=Coalesce("closed_at", "updated_at"),
        output_field=DateTimeField(),
    )


def _in_queue_at(moment: datetime.datetime) -> Q:
    return Q(waiting_since__lt=moment) & (Q(status__in=IN_QUEUE) | Q(left_queue_on__gte=moment))


def _queue_at(list_ids, moment, *, territory_ids=None):
    entries = _counted_entries(list_ids).annotate(left_queue_on=_closed_on()).filter(_in_queue_at(moment))
    if territory_ids is not None:
        entries = entries.filter(commune_id__in=_communes_of(territory_ids))
    return entries


def _communes_of(territory_ids):
    return Subquery(
        Territory.communes.through.objects.filter(territory_id__in=sorted(territory_ids)).values("commune_id")
    )


def _days(duration: datetime.timedelta | None) -> float | None:
    return None if duration is None else round(duration.total_seconds() / 86400, 1)


def _waits(list_ids, moment, *, territory_ids=None) -> dict:
    """Households in the queue at ``moment``, and the median and 90th percentile of how long they had waited."""
    waited = ExpressionWrapper(Value(moment) - F("waiting_since"), output_field=DurationField())
    row = _queue_at(list_ids, moment, territory_ids=territory_ids).aggregate(
        entries=Count("pk"), median=Percentile(waited, 0.5), p90=Percentile(waited, 0.9)
    )
    return {"entries": row["entries"], "median_days": _days(row["median"]), "p90_days": _days(row["p90"])}


def _queue_by_commune_and_level(list_ids, moment) -> list[dict]:
    return list(
        _queue_at(list_ids, moment)
        .values("commune_id", "priority_level")
        .annotate(entries=Count("pk"), people=Sum("household_size"))
    )


def _local_month(field_name: str):
    return TruncMonth(field_name, tzinfo=timezone.get_current_timezone())


def _proposals(list_ids):
    return (
        Proposal.objects.filter(entry__waiting_list_id__in=sorted(list_ids), status__in=PROPOSAL_OUTCOMES)
        .annotate(outcome_on=Coalesce("answered_at", "expires_at"))
        .order_by()
    )


SIGNED_UP = "signed_up"


def _flows_by_month(list_ids, since, until) -> list[dict]:
    """What came in and went out in the months, in one query (a UNION): sign-ups (``kind`` "signed_up", the month
    of their verification) and proposals answered or expired (``kind`` their status, the month of the answer),
    by month, commune and level: ``{kind, month, place (the commune's code), level, entries, people}``."""
    signups = (
        _counted_entries(list_ids)
        .filter(waiting_since__gte=since, waiting_since__lt=until)
        .annotate(
            kind=Value(SIGNED_UP, output_field=CharField()),
            month=_local_month("waiting_since"),
            place=F("commune_id"),
            level=F("priority_level"),
        )
        .values("kind", "month", "place", "level")
        .annotate(entries=Count("pk"), people=Sum("household_size"))
    )
    answers = (
        _proposals(list_ids)
        .filter(outcome_on__gte=since, outcome_on__lt=until)
        .annotate(
            kind=F("status"),
            month=_local_month("outcome_on"),
            place=F("entry__commune_id"),
            level=F("entry__priority_level"),
        )
        .values("kind", "month", "place", "level")
        .annotate(entries=Count("pk"), people=Sum("household_size"))
    )
    return list(signups.union(answers, all=True))


@dataclass(frozen=True)
class Place:
    insee_code: str
    name: str
    latitude: float | None
    longitude: float | None


LIST_COMMUNES_CACHE_SECONDS = 600


def _both_waits(list_ids, moment, start, end) -> tuple[dict, dict]:
    """``_waits`` at ``moment`` and ``_matched_waits`` of the month, in one query (two scalar subqueries each)."""
    waited = ExpressionWrapper(Value(moment) - F("waiting_since"), output_field=DurationField())
    queue = _queue_at(list_ids, moment).values("waiting_list_id")
    answered = ExpressionWrapper(F("answered_at") - F("entry__waiting_since"), output_field=DurationField())
    matched = (
        _proposals(list_ids)
        .filter(status=Proposal.Status.ACCEPTED, answered_at__gte=start, answered_at__lt=end)
        .values("entry__waiting_list_id")
    )

    def scalar(rows, aggregate, output):
        return Subquery(rows.annotate(value=aggregate).values("value")[:1], output_field=output)

    row = (
        WaitingList.objects.filter(pk__in=sorted(list_ids)[:1])
        .values("pk")
        .annotate(
            w_entries=scalar(queue, Count("pk"), IntegerField()),
            w_median=scalar(queue, Percentile(waited, 0.5), DurationField()),
            w_p90=scalar(queue, Percentile(waited, 0.9), DurationField()),
            m_entries=scalar(matched, Count("pk"), IntegerField()),
            m_median=scalar(matched, Percentile(answered, 0.5), DurationField()),
            m_p90=scalar(matched, Percentile(answered, 0.9), DurationField()),
        )
        .first()
    ) or {}

    def waits(prefix):
        return {
            "entries": row.get(f"{prefix}_entries") or 0,
            "median_days": _days(row.get(f"{prefix}_median")),
            "p90_days": _days(row.get(f"{prefix}_p90")),
        }

    return waits("w"), waits("m")


def _list_communes(list_ids) -> dict[str, Place]:
    """The communes of the lists' territories (the map's background, the table's names). Cached for ten minutes,
    as the directory's map background: a territory's communes change a few times a year."""
    key = "waitlist:list-communes:" + ",".join(str(pk) for pk in sorted(list_ids))
    places = cache.get(key)
    if places is None:
        places = [
            Place(*row)
            for row in Commune.objects.filter(
                territories__waiting_list_membership__waiting_list_id__in=sorted(list_ids)
            )
            .distinct()
            .order_by("insee_code")
            .values_list("insee_code", "name", "latitude", "longitude")
        ]
        cache.set(key, places, timeout=LIST_COMMUNES_CACHE_SECONDS)
    return {place.insee_code: place for place in places}


def _level_labels(waiting_list: WaitingList | None) -> list[str]:
    """The labels of the list's levels, the lowest first (no query when the rules came with the list, as
    ``statistics_lists_for`` and ``public_lists`` select them)."""
    if waiting_list is None:
        return [str(step["label"]) for step in DEFAULT_LEVELS]
    try:
        rules = waiting_list.priority_rules
    except PriorityRules.DoesNotExist:
        rules = None
    return [str(step["label"]) for step in ((rules.levels if rules else None) or DEFAULT_LEVELS)]


def _clamp(level: int, levels: int) -> int:
    return min(max(int(level or 0), 0), levels - 1)


def _series_months(month: datetime.date) -> list[datetime.date]:
    return [first_of_month(month, back) for back in reversed(range(MONTHS_IN_SERIES))]


def _month_key(value) -> datetime.date:
    return timezone.localtime(value).date().replace(day=1) if isinstance(value, datetime.datetime) else value


# --- The statistics page and its API ------------------------------------------------------------------------------


@dataclass
class CommuneFigures:
    insee_code: str
    name: str
    latitude: float | None
    longitude: float | None
    waiting_by_level: list[int]  # people waiting at the month's end, by level
    signed_up: int = 0  # people signed up in the month
    matched: int = 0  # people matched in the month

    @property
    def waiting(self) -> int:
        return sum(self.waiting_by_level)


@dataclass
class MonthPoint:
    month: datetime.date
    signed_up: int = 0  # people
    signed_up_entries: int = 0
    matched: int = 0  # people
    matched_entries: int = 0


@dataclass
class StatusRow:
    status: str
    label: str
    by_level: list[int]  # people now

    @property
    def total(self) -> int:
        return sum(self.by_level)


@dataclass
class ListStatistics:
    waiting_list: WaitingList
    month: datetime.date
    taken_at: datetime.datetime
    levels: list[str]
    statuses: list[StatusRow] = field(default_factory=list)  # the queue now
    communes: list[CommuneFigures] = field(default_factory=list)
    series: list[MonthPoint] = field(default_factory=list)  # the 12 months up to ``month``
    waiting: dict = field(default_factory=dict)  # households at the month's end: entries, median_days, p90_days
    matched_waits: dict = field(default_factory=dict)  # matched in the month: entries, median_days, p90_days
    proposals: dict = field(default_factory=dict)  # accepted/declined/expired in the month (proposals)
    background: list[Place] = field(default_factory=list)

    @property
    def waiting_people(self) -> int:
        return sum(row.waiting for row in self.communes)

    @property
    def waiting_by_level(self) -> list[int]:
        return [sum(row.waiting_by_level[index] for row in self.communes) for index in range(len(self.levels))]

    @property
    def this_month(self) -> MonthPoint:
        return self.series[-1]

    @property
    def has_data(self) -> bool:
        return bool(self.communes or any(point.signed_up or point.matched for point in self.series))


def list_statistics(*, waiting_list: WaitingList, month: datetime.date) -> ListStatistics:
    """The figures of one list for a month (any day of it): three queries whatever the number of entries (four
    when the list's communes are not in the cache, five when its rules did not come with it)."""
    month = month.replace(day=1)
    list_ids = [waiting_list.pk]
    start, end = month_bounds(month)
    moment = month_end(month)
    levels = _level_labels(waiting_list)
    stats = ListStatistics(waiting_list=waiting_list, month=month, taken_at=moment, levels=levels)

    communes = _list_communes(list_ids)
    by_commune: dict[str, CommuneFigures] = {}

    def figures_of(insee: str) -> CommuneFigures:
        if insee not in by_commune:
            commune = communes.get(insee)
            by_commune[insee] = CommuneFigures(
                insee_code=insee,
                name=commune.name if commune else insee,
                latitude=commune.latitude if commune else None,
                longitude=commune.longitude if commune else None,
                waiting_by_level=[0] * len(levels),
            )
        return by_commune[insee]

    # One pass over the list's entries: the queue now by status and level, and who was in it at the month's end
    # by commune and level.
    at_end = Case(
        When(Q(waiting_since__isnull=False) & ~Q(status__in=NEVER_COUNTED) & _in_queue_at(moment), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )
    now_by_status: dict[str, list[int]] = {}
    for row in (
        Entry.objects.filter(waiting_list_id__in=list_ids)
        .order_by()
        .annotate(left_queue_on=_closed_on())
        .annotate(at_end=at_end)
        .values("status", "priority_level", "commune_id", "at_end")
        .annotate(people=Sum("household_size"))
    ):
        level = _clamp(row["priority_level"], len(levels))
        now_by_status.setdefault(row["status"], [0] * len(levels))[level] += row["people"] or 0
        if row["at_end"]:
            figures_of(row["commune_id"]).waiting_by_level[level] += row["people"] or 0
    stats.statuses = [
        StatusRow(status=value, label=str(label), by_level=now_by_status[value])
        for value, label in Entry.Status.choices
        if value in now_by_status
    ]

    months = _series_months(month)
    series = {m: MonthPoint(month=m) for m in months}
    since = month_bounds(months[0])[0]
    proposals = dict.fromkeys(PROPOSAL_OUTCOMES, 0)
    for row in _flows_by_month(list_ids, since, end):
        point = series.get(_month_key(row["month"]))
        if point is None:
            continue
        if row["kind"] == SIGNED_UP:
            point.signed_up += row["people"]
            point.signed_up_entries += row["entries"]
            if point.month == month:
                figures_of(row["place"]).signed_up += row["people"]
            continue
        if row["kind"] == Proposal.Status.ACCEPTED:
            point.matched += row["people"]
            point.matched_entries += row["entries"]
            if point.month == month:
                figures_of(row["place"]).matched += row["people"]
        if point.month == month:
            proposals[row["kind"]] += row["entries"]
    stats.series = list(series.values())
    stats.proposals = {str(key): value for key, value in proposals.items()}
    stats.communes = sorted(by_commune.values(), key=lambda row: (-row.waiting, -row.signed_up, row.name))
    stats.waiting, stats.matched_waits = _both_waits(list_ids, moment, start, end)
    stats.background = list(communes.values())
    return stats


# --- Suppression ------------------------------------------------------------------------------------------------


@dataclass
class Cell:
    value: int
    suppressed: str = ""  # "" (shown), "small" (under the threshold) or "complement" (hides another by subtraction)

    @property
    def shown(self) -> bool:
        return not self.suppressed

    @property
    def display(self) -> str:
        if self.suppressed == "small":
            return f"< {SUPPRESSION_THRESHOLD}"
        if self.suppressed:
            return _("masqué")
        return f"{self.value:,}".replace(",", "\u202f")  # 1 234, French style


def _on_a_cycle(cell: tuple[int, int], suppressed: set[tuple[int, int]]) -> bool:
    """Whether the suppressed ``cell`` lies on a cycle of suppressed cells (rows and columns as the two sides of a
    bipartite graph, totals included): then no sum of rows and columns gives its value; otherwise one does."""
    row, column = cell
    edges = suppressed - {cell}
    rows_of: dict[int, list[int]] = defaultdict(list)
    columns_of: dict[int, list[int]] = defaultdict(list)
    for r, c in edges:
        rows_of[c].append(r)
        columns_of[r].append(c)
    seen_rows, seen_columns = {row}, set()
    frontier = [("row", row)]
    while frontier:
        side, index = frontier.pop()
        if side == "row":
            for c in columns_of[index]:
                if c == column:
                    return True
                if c not in seen_columns:
                    seen_columns.add(c)
                    frontier.append(("column", c))
        else:
            for r in rows_of[index]:
                if r not in seen_rows:
                    seen_rows.add(r)
                    frontier.append(("row", r))
    return False


def suppressed_table(inner: list[list[int]]) -> list[list[Cell]]:
    """The table of counts with a total row and a total column, each cell under ``SUPPRESSION_THRESHOLD``
    suppressed, then, so that no suppressed cell can be found again by subtracting the shown cells from a total
    (nor by combining several rows and columns), more cells suppressed: the smallest ones that put every
    suppressed cell on a rectangle of suppressed cells (a cycle, in the rows by columns graph, totals included).
    Returns ``len(inner) + 1`` rows of ``columns + 1`` cells, the totals last."""
    if not inner:
        return []
    columns = len(inner[0])
    values = [[*row, sum(row)] for row in inner]
    values.append([sum(row[c] for row in values) for c in range(columns + 1)])
    height, width = len(values), columns + 1
    small = {(r, c) for r in range(height) for c in range(width) if values[r][c] < SUPPRESSION_THRESHOLD}
    suppressed = set(small)
    while True:
        exposed = next((cell for cell in sorted(suppressed) if not _on_a_cycle(cell, suppressed)), None)
        if exposed is None:
            break
        row, column = exposed
        best = None
        for other_row in range(height):
            for other_column in range(width):
                if other_row == row or other_column == column:
                    continue
                added = {(row, other_column), (other_row, column), (other_row, other_column)} - suppressed
                cost = (sum(values[r][c] for r, c in added), len(added), other_row, other_column)
                if best is None or cost < best[0]:
                    best = (cost, added)
        suppressed |= best[1]
    return [
        [
            Cell(
                value=values[r][c],
                suppressed="small" if (r, c) in small else ("complement" if (r, c) in suppressed else ""),
            )
            for c in range(width)
        ]
        for r in range(height)
    ]


def shown_count(value: int) -> Cell:
    """One count published on its own (no total it adds up to): suppressed under the threshold."""
    return Cell(value=value, suppressed="small" if value < SUPPRESSION_THRESHOLD else "")


# --- The public monthly report ------------------------------------------------------------------------------------


@dataclass
class ReportRow:
    label: str
    cells: list[Cell]  # by level, then the row's total
    communes: list[CommuneFigures] = field(default_factory=list)  # one for a commune, several for "the others"

    @property
    def total(self) -> Cell:
        return self.cells[-1]


@dataclass
class PublicReport:
    waiting_list_name: str
    month: datetime.date
    taken_at: datetime.datetime
    levels: list[str]
    rows: list[ReportRow]  # communes of 10 people or more, then the others together
    totals: list[Cell]  # by level, then the grand total (people waiting at the month's end)
    signed_up: Cell
    matched: Cell
    median_wait_days: float | None  # of the households waiting at the month's end, when there are 10 or more
    series: list[tuple[datetime.date, Cell, Cell]]  # (month, signed up, matched), 12 months
    background: list[Place]
    other_communes: int = 0  # how many communes the "others" row gathers

    @property
    def waiting(self) -> Cell:
        return self.totals[-1]


def public_report(*, waiting_list: WaitingList, month: datetime.date) -> PublicReport:
    """The month's public report of a list: people waiting at the month's end by commune and level (communes
    under 10 people gathered in one row), sign-ups and matches of the last 12 months, each suppressed under 10."""
    month = month.replace(day=1)
    list_ids = [waiting_list.pk]
    moment = month_end(month)
    levels = _level_labels(waiting_list)
    communes = _list_communes(list_ids)
    by_commune: dict[str, list[int]] = {}
    for row in _queue_by_commune_and_level(list_ids, moment):
        counts = by_commune.setdefault(row["commune_id"], [0] * len(levels))
        counts[_clamp(row["priority_level"], len(levels))] += row["people"]

    def figures(insee: str) -> CommuneFigures:
        commune = communes.get(insee)
        return CommuneFigures(
            insee_code=insee,
            name=commune.name if commune else insee,
            latitude=commune.latitude if commune else None,
            longitude=commune.longitude if commune else None,
            waiting_by_level=by_commune.get(insee, [0] * len(levels)),
        )

    everyone = [figures(insee) for insee in sorted(set(communes) | set(by_commune))]
    large = sorted(
        (row for row in everyone if row.waiting >= SUPPRESSION_THRESHOLD), key=lambda r: (-r.waiting, r.name)
    )
    others = [row for row in everyone if row.waiting < SUPPRESSION_THRESHOLD]
    groups = [(row.name, [row]) for row in large]
    if others:
        groups.append((_("Autres communes (moins de 10 personnes chacune)"), others))
    inner = [
        [sum(row.waiting_by_level[level] for row in group) for level in range(len(levels))] for _l, group in groups
    ]
    table = suppressed_table(inner)
    rows = [
        ReportRow(label=label, cells=cells, communes=group)
        for (label, group), cells in zip(groups, table, strict=False)
    ]
    totals = table[-1] if table else [Cell(0, "small") for _level in range(len(levels) + 1)]

    months = _series_months(month)
    since, end = month_bounds(months[0])[0], month_bounds(month)[1]
    signed = dict.fromkeys(months, 0)
    matched = dict.fromkeys(months, 0)
    for row in _flows_by_month(list_ids, since, end):
        key = _month_key(row["month"])
        if key not in signed:
            continue
        if row["kind"] == SIGNED_UP:
            signed[key] += row["people"]
        elif row["kind"] == Proposal.Status.ACCEPTED:
            matched[key] += row["people"]
    waits = _waits(list_ids, moment)
    return PublicReport(
        waiting_list_name=waiting_list.name,
        month=month,
        taken_at=moment,
        levels=levels,
        rows=rows,
        totals=totals,
        signed_up=shown_count(signed[month]),
        matched=shown_count(matched[month]),
        median_wait_days=waits["median_days"] if waits["entries"] >= SUPPRESSION_THRESHOLD else None,
        series=[(m, shown_count(signed[m]), shown_count(matched[m])) for m in months],
        background=list(communes.values()),
        other_communes=len(others),
    )


# --- Exports (the coordinator's; aggregated rows only) ----------------------------------------------------------


def export_rows_by_month(*, waiting_list: WaitingList, month: datetime.date) -> list[list]:
    """One row per month by commune by level over the 12 months up to ``month``: people signed up, matched, and
    waiting at the month's end. Two queries plus one per month for the queue at its end (12)."""
    list_ids = [waiting_list.pk]
    levels = _level_labels(waiting_list)
    months = _series_months(month.replace(day=1))
    since, end = month_bounds(months[0])[0], month_bounds(months[-1])[1]
    communes = _list_communes(list_ids)
    cells: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in _flows_by_month(list_ids, since, end):
        key = (_month_key(row["month"]), row["place"], _clamp(row["level"], len(levels)))
        if row["kind"] == SIGNED_UP:
            cells[key][0] += row["people"]
        elif row["kind"] == Proposal.Status.ACCEPTED:
            cells[key][1] += row["people"]
    for each in months:
        for row in _queue_by_commune_and_level(list_ids, month_end(each)):
            cells[(each, row["commune_id"], _clamp(row["priority_level"], len(levels)))][2] += row["people"]
    header = [
        _("Mois"),
        _("Code INSEE"),
        _("Commune"),
        _("Niveau de priorité"),
        _("Personnes inscrites dans le mois"),
        _("Personnes ayant trouvé un médecin dans le mois"),
        _("Personnes en attente en fin de mois"),
    ]
    rows = [header]
    for (each, insee, level), (signed, matched, waiting) in sorted(cells.items()):
        commune = communes.get(insee)
        rows.append(
            [f"{each:%Y-%m}", insee, commune.name if commune else insee, levels[level], signed, matched, waiting]
        )
    return rows


def export_rows_queue(*, waiting_list: WaitingList) -> list[list]:
    """The queue now, aggregated: one row per commune by level by status, sign-ups and people (no entry)."""
    levels = _level_labels(waiting_list)
    communes = _list_communes([waiting_list.pk])
    labels = dict(Entry.Status.choices)
    header = [_("Code INSEE"), _("Commune"), _("Niveau de priorité"), _("Statut"), _("Inscriptions"), _("Personnes")]
    rows = [header]
    grouped = (
        Entry.objects.filter(waiting_list=waiting_list)
        .exclude(status=Entry.Status.MERGED)
        .order_by()
        .values("commune_id", "priority_level", "status")
        .annotate(entries=Count("pk"), people=Sum("household_size"))
    )
    merged: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for row in grouped:
        key = (row["commune_id"], _clamp(row["priority_level"], len(levels)), row["status"])
        merged[key][0] += row["entries"]
        merged[key][1] += row["people"]
    for (insee, level, status), (entries, people) in sorted(merged.items()):
        commune = communes.get(insee)
        rows.append([insee, commune.name if commune else insee, levels[level], str(labels[status]), entries, people])
    return rows


# --- The newsletter's figures -----------------------------------------------------------------------------------


def waitlist_monthly_figures(*, territory_ids, month: datetime.date) -> dict:
    """The month's figures of the waiting list for the newsletter of these territories: the people of their
    communes who signed up in the month, who found a GP through it (a proposal accepted), who were waiting at
    its end, and the median waiting time (days) of those households. No patient data; four queries.

    ``{"month": "2026-11-01", "signed_up": int, "matched": int, "waiting": int, "median_wait_days": float|None}``.
    A public edition should publish a count under 10 as "moins de 10" (``shown_count``), as the public report."""
    territory_ids = sorted(territory_ids)
    month = month.replace(day=1)
    start, end = month_bounds(month)
    moment = month_end(month)
    list_ids = list(
        WaitingListTerritory.objects.filter(territory_id__in=territory_ids).values_list("waiting_list_id", flat=True)
    )
    if not list_ids or not Territory.objects.filter(pk__in=territory_ids).exists():
        return {"month": month.isoformat(), "signed_up": 0, "matched": 0, "waiting": 0, "median_wait_days": None}
    communes = _communes_of(territory_ids)
    signed_up = (
        _counted_entries(list_ids)
        .filter(commune_id__in=communes, waiting_since__gte=start, waiting_since__lt=end)
        .aggregate(people=Coalesce(Sum("household_size"), 0))["people"]
    )
    matched = (
        _proposals(list_ids)
        .filter(
            entry__commune_id__in=communes,
            status=Proposal.Status.ACCEPTED,
            answered_at__gte=start,
            answered_at__lt=end,
        )
        .aggregate(people=Coalesce(Sum("household_size"), 0))["people"]
    )
    waited = ExpressionWrapper(Value(moment) - F("waiting_since"), output_field=DurationField())
    queue = _queue_at(list_ids, moment, territory_ids=territory_ids).aggregate(
        people=Coalesce(Sum("household_size"), 0), median=Percentile(waited, 0.5)
    )
    return {
        "month": month.isoformat(),
        "signed_up": signed_up,
        "matched": matched,
        "waiting": queue["people"],
        "median_wait_days": _days(queue["median"]),
    }


# --- Who sees which list ---------------------------------------------------------------------------------------


def statistics_lists_for(actor) -> list[WaitingList]:
    """The lists whose figures the user reads (``WaitlistActor.statistics_list_ids``), by name."""
    ids = sorted(actor.statistics_list_ids)
    return list(WaitingList.objects.filter(pk__in=ids).select_related("priority_rules").order_by("name")) if ids else []


def public_lists() -> list[WaitingList]:
    """The lists a public report is published for: those kept by at least one territory."""
    return list(
        WaitingList.objects.filter(memberships__isnull=False)
        .select_related("priority_rules")
        .distinct()
        .order_by("name")
    )


def map_band(value: int) -> int:
    """The index of the map's band a count falls in (0: under 10)."""
    band = 0
    for index, lower in enumerate(BANDS):
        if value >= lower:
            band = index
    return band

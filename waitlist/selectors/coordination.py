"""What the coordination reads, scoped to the lists the user coordinates (``WaitlistActor.coordinated_list_ids``):
territories that share a list see one queue; an entry of another list is "not found", as if it did not exist.

- the queue (``coordination_queue``): the entries of the lists, filtered, in the draw's order (highest level
  first, then the oldest sign-up), each row read recorded in the access log (``queue_reads_record``);
- one entry with its household, consent, audit, notes and proposals (``entry_detail_for_coordinator``);
- the open duplicate suspicions, side by side with only what tells two people apart;
- the handover plans, their allocations against the territory's open pledges and what came of them.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, TextField, Value
from django.db.models.functions import Concat
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.services import access_log_record, access_log_record_many
from core.errors import ApplicationError
from directory.models import Practitioner, SearchText
from directory.selectors import practices_served_by
from waitlist.models import (
    ConsentRecord,
    DuplicateSuspicion,
    Entry,
    EntryEvent,
    EntryNote,
    HandoverAllocation,
    HandoverPlan,
    HouseholdMember,
    Pledge,
    PriorityRules,
    Proposal,
    WaitingList,
    WaitingListTerritory,
)
from waitlist.priority import DEFAULT_RULES, Rules, age_on, level_label
from waitlist.scope import WaitlistActor

ENTRY_SUBJECT = "waitlist_entry"
HANDOVER_SUBJECT = "waitlist_handover_plan"
# A pledge's places still free: its capacity less the proposals waiting for an answer or accepted.
TAKEN_PROPOSALS = (Proposal.Status.PENDING, Proposal.Status.ACCEPTED)


def _not_found() -> ApplicationError:
    return ApplicationError(
        _("Cette inscription n'existe pas ou ne relève pas de votre coordination."), code="not_found"
    )


def coordinated_entries(actor: WaitlistActor) -> QuerySet[Entry]:
    """Every entry of the lists the actor coordinates (none for anyone else)."""
    return Entry.objects.filter(waiting_list_id__in=sorted(actor.coordinated_list_ids))


RULES_CACHE_SECONDS = 300


def rules_cache_key(list_id: int) -> str:
    return f"waitlist:rules:{list_id}"


def rules_by_list(list_ids) -> dict[int, Rules]:
    """Each list's rules (the defaults for a list that kept them), from the cache, else in one query. The
    cache is emptied when the rules are saved (``priority_rules_save``, the admin) and kept five minutes at most,
    so that the queue page costs no query for them."""
    list_ids = sorted(list_ids)
    cached = cache.get_many([rules_cache_key(list_id) for list_id in list_ids])
    rules = {}
    missing = []
    for list_id in list_ids:
        found = cached.get(rules_cache_key(list_id))
        if found is None:
            missing.append(list_id)
        else:
            rules[list_id] = Rules(weights=found[0], levels=found[1])
    if missing:
        fetched = dict.fromkeys(missing, DEFAULT_RULES)
        for row in PriorityRules.objects.filter(waiting_list_id__in=missing):
            fetched[row.waiting_list_id] = Rules(
                weights=row.weights or DEFAULT_RULES.weights, levels=row.levels or DEFAULT_RULES.levels
            )
        cache.set_many(
            {rules_cache_key(k): (dict(v.weights), list(v.levels)) for k, v in fetched.items()}, RULES_CACHE_SECONDS
        )
        rules.update(fetched)
    return rules


def priority_rules_row(waiting_list: WaitingList) -> PriorityRules | None:
    """The list's stored rules (version, who changed them last), None while it keeps the defaults."""
    return PriorityRules.objects.filter(waiting_list=waiting_list).select_related("updated_by").first()


def coordinated_lists(actor: WaitlistActor) -> QuerySet[WaitingList]:
    return WaitingList.objects.filter(pk__in=sorted(actor.coordinated_list_ids)).order_by("name")


# --- The queue --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilters:
    status: str = Entry.Status.WAITING  # "" for every status
    level: int | None = None
    commune_id: str = ""
    duplicate: bool = False  # only the entries flagged as possible duplicates
    handover: str = ""  # "yes" (any plan), "no", or a plan's public id
    search: str = ""  # names, whatever the accents and the case


def _main_member(column: str) -> Subquery:
    return Subquery(HouseholdMember.objects.filter(entry=OuterRef("pk"), position=0).values(column)[:1])


def members_named(entries: QuerySet[Entry], text: str) -> QuerySet[Entry]:
    """The entries with a member whose names hold every word typed, through the directory's normalisation
    (``SearchText``: « heloise », « HÉLOÏSE » and « Héloïse » are one search)."""
    words = text.split()
    if not words:
        return entries
    members = HouseholdMember.objects.filter(entry=OuterRef("pk")).annotate(
        names=SearchText(Concat(F("family_name"), Value(" "), F("given_names"), output_field=TextField()))
    )
    for word in words[:6]:
        members = members.filter(names__contains=SearchText(Value(word)))
    return entries.filter(Exists(members))


def coordination_queue(actor: WaitlistActor, filters: QueueFilters = QueueFilters()) -> QuerySet[Entry]:
    """The queue as the draw orders it: highest level first, then the oldest sign-up. Each row carries its main
    member's names and birth date (``main_family_name``, ``main_given_names``, ``main_birth_date``) from the same
    query. The caller records the rows it shows (``queue_reads_record``)."""
    entries = coordinated_entries(actor)
    if filters.status:
        entries = entries.filter(status=filters.status)
    if filters.level is not None:
        entries = entries.filter(priority_level=filters.level)
    if filters.commune_id:
        entries = entries.filter(commune_id=filters.commune_id)
    if filters.duplicate:
        entries = entries.filter(duplicate_suspected=True)
    if filters.handover == "yes":
        entries = entries.filter(handover_plan__isnull=False)
    elif filters.handover == "no":
        entries = entries.filter(handover_plan__isnull=True)
    elif filters.handover:
        entries = entries.filter(handover_plan__public_id=filters.handover)
    entries = members_named(entries, filters.search)
    return (
        entries.select_related("commune")
        .annotate(
            main_family_name=_main_member("family_name"),
            main_given_names=_main_member("given_names"),
            main_birth_date=_main_member("birth_date"),
        )
        .only(
            "public_id",
            "waiting_list_id",
            "status",
            "commune__name",
            "commune__insee_code",
            "household_size",
            "priority_level",
            "level_override",
            "waiting_since",
            "duplicate_suspected",
            "handover_plan_id",
            "source",
        )
        .order_by(F("priority_level").desc(), F("waiting_since").asc(nulls_last=True), "id")
    )


def queue_rows_labelled(entries, rules: dict[int, Rules], *, today: datetime.date | None = None) -> None:
    """Adds to each row of a page what the page shows beside the stored columns: its level's label and its main
    member's age."""
    today = today or timezone.localdate()
    for entry in entries:
        entry.level_label = level_label(rules.get(entry.waiting_list_id, DEFAULT_RULES), entry.priority_level)
        entry.main_age = age_on(entry.main_birth_date, today) if entry.main_birth_date else None


def queue_reads_record(actor: WaitlistActor, entries, *, request: HttpRequest) -> None:
    """One access-log row per entry shown, in one query."""
    subjects = [(str(entry.public_id), str(entry.public_id)) for entry in entries]
    if subjects:
        access_log_record_many(
            user=actor.user, action="read", subject_type=ENTRY_SUBJECT, subjects=subjects, request=request
        )


# --- One entry --------------------------------------------------------------------------------------------------


def entry_for_coordinator(actor: WaitlistActor, public_id) -> Entry:
    """One entry of a coordinated list, to act on (the service records the change); anything else: not found."""
    entry = (
        coordinated_entries(actor)
        .select_related("waiting_list", "commune", "handover_plan")
        .filter(public_id=public_id)
        .first()
    )
    if entry is None:
        raise _not_found()
    return entry


@dataclass
class EntryDetail:
    entry: Entry
    rules: Rules
    members: list[HouseholdMember]
    consent: ConsentRecord | None
    events: list[EntryEvent]
    notes: list[EntryNote]
    proposals: list[Proposal]
    level_label: str
    computed_label: str
    merged_into: Entry | None = None
    ages: dict[int, int] = field(default_factory=dict)


def entry_detail_for_coordinator(actor: WaitlistActor, public_id, *, request: HttpRequest | None = None) -> EntryDetail:
    """The entry with everything the coordination may read about it; the read is recorded in the access log."""
    entry = entry_for_coordinator(actor, public_id)
    rules = rules_by_list([entry.waiting_list_id])[entry.waiting_list_id]
    members = list(entry.members.order_by("position"))
    consent = ConsentRecord.objects.filter(entry=entry).first()
    events = list(entry.events.select_related("actor").order_by("-at", "-id"))
    notes = list(entry.notes.select_related("author").order_by("-at", "-id"))
    proposals = list(entry.proposals.select_related("pledge__practitioner").order_by("-created_at"))
    computed_level = _computed_level(entry, rules)
    today = timezone.localdate()
    detail = EntryDetail(
        entry=entry,
        rules=rules,
        members=members,
        consent=consent,
        events=events,
        notes=notes,
        proposals=proposals,
        level_label=level_label(rules, entry.priority_level),
        computed_label=level_label(rules, computed_level),
        merged_into=entry.merged_into if entry.merged_into_id else None,
        ages={member.pk: age_on(member.birth_date, today) for member in members},
    )
    access_log_record(
        user=actor.user,
        action="read",
        subject_type=ENTRY_SUBJECT,
        subject_id=str(entry.public_id),
        patient_ref=str(entry.public_id),
        request=request,
        via="" if request is not None else "waitlist.selectors.entry_detail_for_coordinator",
    )
    return detail


def _computed_level(entry: Entry, rules: Rules) -> int:
    """The level the rules give from the stored score (what the entry falls back to without its override)."""
    level = 0
    for index, step in enumerate(rules.levels):
        if entry.priority_score >= int(step["min_score"]):
            level = index
    return level


# --- Duplicates -------------------------------------------------------------------------------------------------


@dataclass
class DuplicateSide:
    entry: Entry
    member: HouseholdMember | None
    contact: str  # masked: enough to recognise a number or an address read out on the phone


@dataclass
class DuplicatePair:
    suspicion: DuplicateSuspicion
    first: DuplicateSide  # the older sign-up: the one a merge keeps by default
    second: DuplicateSide


MASK = "••"
# A suspicion about an entry merged or erased since has nothing left to decide.
CLOSED_FOR_GOOD = (Entry.Status.MERGED, Entry.Status.ERASED)


def masked_contact(entry: Entry) -> str:
    parts = []
    if entry.phone:
        start = "0" + entry.phone[3] if entry.phone.startswith("+33") else entry.phone[:3]
        parts.append(f"{start} {MASK} {MASK} {MASK} {entry.phone[-2:]}")
    if entry.email:
        parts.append(f"{entry.email[:1]}•••@{entry.email.rsplit('@', 1)[-1]}")
    return " · ".join(parts)


def duplicate_pairs(
    actor: WaitlistActor, *, request: HttpRequest | None = None, limit: int = 50
) -> list[DuplicatePair]:
    """The open suspicions between entries of the coordinated lists, oldest first, each pair with the main
    members side by side; each entry shown is recorded in the access log."""
    lists = sorted(actor.coordinated_list_ids)
    suspicions = list(
        DuplicateSuspicion.objects.filter(
            status=DuplicateSuspicion.Status.OPEN,
            entry__waiting_list_id__in=lists,
            other__waiting_list_id__in=lists,
        )
        .exclude(entry__status__in=CLOSED_FOR_GOOD)
        .exclude(other__status__in=CLOSED_FOR_GOOD)
        .select_related("entry__commune", "other__commune")
        .order_by("created_at", "id")[:limit]
    )
    entry_ids = {s.entry_id for s in suspicions} | {s.other_id for s in suspicions}
    members = {m.entry_id: m for m in HouseholdMember.objects.filter(entry_id__in=sorted(entry_ids), position=0)}
    pairs = []
    for suspicion in suspicions:
        sides = sorted(
            [suspicion.entry, suspicion.other],
            key=lambda e: (e.waiting_since or e.created_at, e.pk),
        )
        first, second = (DuplicateSide(e, members.get(e.pk), masked_contact(e)) for e in sides)
        pairs.append(DuplicatePair(suspicion=suspicion, first=first, second=second))
    if request is not None and pairs:
        seen = {str(side.entry.public_id) for pair in pairs for side in (pair.first, pair.second)}
        access_log_record_many(
            user=actor.user,
            action="read",
            subject_type=ENTRY_SUBJECT,
            subjects=[(public_id, public_id) for public_id in sorted(seen)],
            request=request,
        )
    return pairs


def coordinated_territory_ids_of_lists(actor: WaitlistActor) -> list[int]:
    return list(
        WaitingListTerritory.objects.filter(waiting_list_id__in=sorted(actor.coordinated_list_ids))
        .order_by("territory_id")
        .values_list("territory_id", flat=True)
    )


def departing_practitioner_choices(actor: WaitlistActor) -> QuerySet[Practitioner]:
    """The practitioners of the territories of the coordinated lists (whose patients a plan may hand over)."""
    return Practitioner.objects.filter(territory_id__in=coordinated_territory_ids_of_lists(actor)).order_by(
        "last_name", "first_name"
    )


def handover_plans_of(actor: WaitlistActor) -> QuerySet[HandoverPlan]:
    return (
        HandoverPlan.objects.filter(waiting_list_id__in=sorted(actor.coordinated_list_ids))
        .select_related("departing_practitioner", "waiting_list")
        .annotate(entries_count=Count("entries"))
        .order_by("-created_at")
    )


def handover_plan_for_coordinator(actor: WaitlistActor, public_id) -> HandoverPlan:
    plan = handover_plans_of(actor).filter(public_id=public_id).first()
    if plan is None:
        raise ApplicationError(
            _("Ce plan de reprise n'existe pas ou ne relève pas de votre coordination."), code="not_found"
        )
    return plan


def handover_plans_uploadable_by(actor: WaitlistActor) -> QuerySet[HandoverPlan]:
    """The plans whose patients the user may send in a CSV: those of the lists they coordinate, and those of a
    departing GP working at a practice they serve (its secretaries, its practitioners, the GP themselves)."""
    served = practices_served_by(actor.user).values("pk")
    return (
        HandoverPlan.objects.filter(
            Q(waiting_list_id__in=sorted(actor.coordinated_list_ids))
            | Q(departing_practitioner__activities__practice__in=served)
            | Q(departing_practitioner_id=actor.entry_id or 0)
        )
        .select_related("departing_practitioner", "waiting_list")
        .distinct()
    )


def handover_plan_for_uploader(actor: WaitlistActor, public_id) -> HandoverPlan:
    plan = handover_plans_uploadable_by(actor).filter(public_id=public_id).first()
    if plan is None:
        raise ApplicationError(
            _("Ce plan de reprise n'existe pas ou ne relève pas de votre coordination."), code="not_found"
        )
    return plan


def plan_months(plan: HandoverPlan) -> list[datetime.date]:
    months, day = [], plan.first_month.replace(day=1)
    for _index in range(plan.months):
        months.append(day)
        day = (day + datetime.timedelta(days=32)).replace(day=1)
    return months


def month_end(month: datetime.date) -> datetime.date:
    return (month + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)


def receiving_pledges(plan: HandoverPlan) -> list[Pledge]:
    """The open pledges of the plan's list that run during the plan, the departing GP's own excepted, each with
    ``taken`` (proposals pending or accepted) and ``remaining`` places."""
    months = plan_months(plan)
    pledges = list(
        Pledge.objects.filter(
            waiting_list_id=plan.waiting_list_id,
            status=Pledge.Status.OPEN,
            until__gte=months[0],
            starts_on__lte=month_end(months[-1]),
        )
        .exclude(practitioner_id=plan.departing_practitioner_id)
        .select_related("practitioner")
        .annotate(taken=Count("proposals", filter=Q(proposals__status__in=TAKEN_PROPOSALS)))
        .order_by("practitioner__last_name", "starts_on", "pk")
    )
    for pledge in pledges:
        pledge.remaining = max(pledge.capacity - pledge.taken, 0)
    return pledges


def pledge_runs_in(pledge: Pledge, month: datetime.date) -> bool:
    return pledge.starts_on <= month_end(month) and pledge.until >= month


@dataclass
class MonthRow:
    month: datetime.date
    planned: int = 0
    proposed: int = 0
    accepted: int = 0
    cells: dict[int, "AllocationCell"] = field(default_factory=dict)  # by pledge id


@dataclass
class AllocationCell:
    planned: int = 0
    proposed: int = 0
    accepted: int = 0
    runs: bool = True  # the pledge runs that month


@dataclass
class PlanBoard:
    plan: HandoverPlan
    months: list[MonthRow]
    pledges: list[Pledge]
    entries_total: int
    entries_waiting: int
    entries_proposed: int
    entries_matched: int
    planned_total: int
    unplanned: int  # waiting entries of the plan that no allocation covers yet


def handover_plan_board(plan: HandoverPlan) -> PlanBoard:
    """Per month and receiving pledge: planned, proposed and accepted (four queries whatever the plan's size)."""
    pledges = receiving_pledges(plan)
    months = [MonthRow(month=month) for month in plan_months(plan)]
    by_month = {row.month: row for row in months}
    for row in months:
        for pledge in pledges:
            row.cells[pledge.pk] = AllocationCell(runs=pledge_runs_in(pledge, row.month))
    allocations = HandoverAllocation.objects.filter(plan=plan).annotate(
        proposed_count=Count("proposals"),
        accepted_count=Count("proposals", filter=Q(proposals__proposal__status=Proposal.Status.ACCEPTED)),
    )
    for allocation in allocations:
        row = by_month.get(allocation.month)
        if row is None:
            continue
        cell = row.cells.setdefault(allocation.pledge_id, AllocationCell(runs=False))
        cell.planned, cell.proposed, cell.accepted = (
            allocation.planned,
            allocation.proposed_count,
            allocation.accepted_count,
        )
        row.planned += allocation.planned
        row.proposed += allocation.proposed_count
        row.accepted += allocation.accepted_count
    counts = defaultdict(int)
    for status, number in (
        Entry.objects.filter(handover_plan=plan).values_list("status").annotate(n=Count("id")).order_by()
    ):
        counts[status] = number
    planned_total = sum(row.planned for row in months)
    proposed_total = sum(row.proposed for row in months)
    waiting = counts[Entry.Status.WAITING]
    return PlanBoard(
        plan=plan,
        months=months,
        pledges=pledges,
        entries_total=sum(counts.values()),
        entries_waiting=waiting,
        entries_proposed=counts[Entry.Status.PROPOSED],
        entries_matched=counts[Entry.Status.MATCHED],
        planned_total=planned_total,
        unplanned=max(waiting - (planned_total - proposed_total), 0),
    )

"""What a GP reads of their pledges and of the entries proposed to them, and which GPs take new patients.

A GP sees only the proposals made to their own pledges (anything else is "not found"), and of each only what is
needed to decide: the main member's age, the commune and its distance, the household's size, the priority level
and its reasons, the time waited. The name and the contact appear once the GP accepted (they then call the
patient, who was also sent the GP's booking channel). Every proposal shown is written to the access log by the
caller (``proposal_reads_record``) or by ``proposal_for_user``.

``accepting_gps`` answers the pharmacists, midwives and nurses (and the coordination): the GPs of their territories
who flag in the directory that they take new patients, and the pledges that are not discreet. No patient in it.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Case, Exists, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AccessLog, User
from accounts.services import access_log_record_many
from core.errors import ApplicationError
from directory.models import Activity, Practitioner, RoleGrant
from waitlist.models import HouseholdMember, Pledge, Proposal, WaitingList
from waitlist.priority import CRITERIA, age_on, level_label
from waitlist.scope import GENERAL_PRACTICE_SPECIALTIES, WaitlistActor
from waitlist.services.common import rules_of

ACCESS_SUBJECT = "waitlist_entry"
TAKEN_STATUSES = (Proposal.Status.ACCEPTED, Proposal.Status.PENDING)


def _persons_taken():
    """Persons in a pledge's accepted and pending proposals, as a subquery on ``OuterRef("pk")``."""
    taken = (
        Proposal.objects.filter(pledge_id=OuterRef("pk"), status__in=TAKEN_STATUSES)
        .order_by()
        .values("pledge_id")
        .annotate(persons=Sum("household_size"))
        .values("persons")
    )
    return Coalesce(Subquery(taken, output_field=IntegerField()), Value(0))


def _pending_count():
    pending = (
        Proposal.objects.filter(pledge_id=OuterRef("pk"), status=Proposal.Status.PENDING)
        .order_by()
        .values("pledge_id")
        .annotate(count=Sum(Value(1)))
        .values("count")
    )
    return Coalesce(Subquery(pending, output_field=IntegerField()), Value(0))


def _with_figures(pledges: QuerySet[Pledge]) -> QuerySet[Pledge]:
    """Each pledge with ``persons_taken``, ``remaining`` and ``pending_count`` (in the same query)."""
    return pledges.annotate(persons_taken=_persons_taken(), pending_count=_pending_count()).annotate(
        remaining=F("capacity") - F("persons_taken")
    )


def pledges_of(actor: WaitlistActor) -> QuerySet[Pledge]:
    """The GP's own pledges, open ones first, the latest first; one query whatever their number."""
    if actor.entry_id is None:
        return Pledge.objects.none()
    return _with_figures(Pledge.objects.filter(practitioner_id=actor.entry_id)).order_by(
        Case(When(status=Pledge.Status.OPEN, then=Value(0)), default=Value(1)), "-created_at", "-pk"
    )


def pledge_for_user(actor: WaitlistActor, public_id) -> Pledge:
    """One of the GP's own pledges, else "not found" (another GP's, a coordinator's curiosity)."""
    pledge = pledges_of(actor).filter(public_id=public_id).select_related("practitioner").first()
    if pledge is None:
        raise ApplicationError(_("Cet engagement n'existe pas ou ne vous est pas accessible."), code="not_found")
    return pledge


# --- Proposals --------------------------------------------------------------------------------------------------


def _main_member(column: str):
    return Subquery(HouseholdMember.objects.filter(entry_id=OuterRef("entry_id"), position=0).values(column)[:1])


def _once_accepted(column: str):
    """The main member's ``column``, read only for an accepted proposal: the name never leaves the database before."""
    return Case(When(status=Proposal.Status.ACCEPTED, then=_main_member(column)), default=Value(""))


def proposals_for_gp(actor: WaitlistActor, *, pledge: Pledge | None = None, status: str = "") -> QuerySet[Proposal]:
    """The proposals made to the GP's pledges (one pledge's, or of one status): those awaiting an answer first, the
    most urgent then the oldest, then the answered ones, the latest first; each with the main member's
    ``main_birth_date`` and, once accepted, ``main_family_name`` and ``main_given_names``. One query.
    The caller logs the rows it shows (``proposal_reads_record``)."""
    if actor.entry_id is None:
        return Proposal.objects.none()
    proposals = Proposal.objects.filter(pledge__practitioner_id=actor.entry_id)
    if pledge is not None:
        proposals = proposals.filter(pledge=pledge)
    if status:
        if status not in Proposal.Status.values:
            raise ApplicationError(_("Statut inconnu : « %(status)s ».") % {"status": status}, field="status")
        proposals = proposals.filter(status=status)
    return (
        proposals.select_related("entry__commune", "pledge")
        .annotate(
            main_birth_date=_main_member("birth_date"),
            main_family_name=_once_accepted("family_name"),
            main_given_names=_once_accepted("given_names"),
        )
        .order_by(
            Case(When(status=Proposal.Status.PENDING, then=Value(0)), default=Value(1)),
            F("answered_at").desc(nulls_first=True),
            "-priority_level",
            "entry__waiting_since",
            "pk",
        )
    )


def proposal_reads_record(actor: WaitlistActor, proposals, *, request: HttpRequest | None) -> None:
    """One access-log row per proposal shown: the GP read what the waiting list says of that entry."""
    subjects = [(proposal.entry.public_id, proposal.entry.public_id) for proposal in proposals]
    if subjects:
        access_log_record_many(
            user=actor.user,
            action=AccessLog.Action.READ,
            subject_type=ACCESS_SUBJECT,
            subjects=subjects,
            request=request,
            via="waitlist.selectors.pledges",
        )


def proposal_of_gp(actor: WaitlistActor, public_id) -> Proposal:
    """One proposal made to the GP's pledges, to answer it (the answer's service logs it), else "not found"."""
    proposal = proposals_for_gp(actor).filter(public_id=public_id).first()
    if proposal is None:
        raise ApplicationError(_("Cette proposition n'existe pas ou ne vous est pas accessible."), code="not_found")
    return proposal


def proposal_for_user(actor: WaitlistActor, public_id, *, request: HttpRequest | None = None) -> Proposal:
    """One proposal made to the GP's pledges, read (logged), else "not found": another GP's, an entry never
    proposed to them."""
    proposal = proposal_of_gp(actor, public_id)
    proposal_reads_record(actor, [proposal], request=request)
    return proposal


@dataclass(frozen=True)
class ProposalFacts:
    """What the GP reads of a proposal (the page and the API show the same), the name only once accepted."""

    proposal: Proposal
    age: int | None
    commune: str
    commune_insee: str
    distance_km: float
    household_size: int
    priority_level: int
    priority_label: str
    priority_reasons: list[str]  # criteria keys
    reason_labels: list[str]
    waiting_since: datetime.datetime | None
    waiting_days: int
    name: str = ""
    phone: str = ""
    email: str = ""
    expires_at: datetime.datetime | None = None
    extra: dict = field(default_factory=dict)

    @property
    def accepted(self) -> bool:
        return self.proposal.status == Proposal.Status.ACCEPTED

    @property
    def pending(self) -> bool:
        return self.proposal.status == Proposal.Status.PENDING


def proposal_facts(proposals) -> list[ProposalFacts]:
    """``ProposalFacts`` of proposals read by ``proposals_for_gp`` (no query but one per list for its rules)."""
    today = timezone.localdate()
    now = timezone.now()
    rules_by_list: dict[int, object] = {}
    facts = []
    for proposal in proposals:
        entry = proposal.entry
        list_id = proposal.pledge.waiting_list_id
        if list_id not in rules_by_list:
            rules_by_list[list_id] = rules_of(WaitingList(pk=list_id))
        reasons = [key for key in entry.priority_reasons if key in CRITERIA]
        accepted = proposal.status == Proposal.Status.ACCEPTED
        facts.append(
            ProposalFacts(
                proposal=proposal,
                age=age_on(proposal.main_birth_date, today) if proposal.main_birth_date else None,
                commune=entry.commune.name,
                commune_insee=entry.commune_id,
                distance_km=proposal.distance_km,
                household_size=proposal.household_size,
                priority_level=proposal.priority_level,
                priority_label=level_label(rules_by_list[list_id], proposal.priority_level),
                priority_reasons=reasons,
                reason_labels=[str(CRITERIA[key]) for key in reasons],
                waiting_since=entry.waiting_since,
                waiting_days=(now - entry.waiting_since).days if entry.waiting_since else 0,
                name=f"{proposal.main_given_names} {proposal.main_family_name.upper()}".strip() if accepted else "",
                phone=entry.phone if accepted else "",
                email=entry.email if accepted else "",
                expires_at=proposal.expires_at,
            )
        )
    return facts


# --- Who accepts new patients -----------------------------------------------------------------------------------


@dataclass
class AcceptingGp:
    practitioner: Practitioner
    flagged: bool  # the directory says "accepte de nouveaux patients"
    pledges: list[Pledge]
    practices: list = field(default_factory=list)


def _territories_of(user: User) -> list[int]:
    rows = RoleGrant.objects.filter(user=user).values_list(
        "territory_id", "practitioner__territory_id", "practices__territory_id"
    )
    return sorted({territory for row in rows for territory in row if territory is not None})


def open_public_pledges(*, today: datetime.date | None = None) -> QuerySet[Pledge]:
    """Pledges that may be shown to other professionals: open, under way, not discreet, with room left."""
    today = today or timezone.localdate()
    return _with_figures(
        Pledge.objects.filter(status=Pledge.Status.OPEN, discreet=False, starts_on__lte=today, until__gte=today)
    ).filter(remaining__gt=0)


def accepting_gps(user: User) -> list[AcceptingGp]:
    """The GPs of the user's territories who take new patients: the directory's flag, or an open pledge that is
    not discreet (with its capacity left, radius and end). A discreet pledge is never read here. Three queries."""
    territories = _territories_of(user)
    if not territories:
        return []
    public_pledges = open_public_pledges()
    gps = (
        Practitioner.objects.filter(
            territory_id__in=territories, specialties__code__in=sorted(GENERAL_PRACTICE_SPECIALTIES)
        )
        .filter(Q(accepting_new_patients=True) | Exists(public_pledges.filter(practitioner_id=OuterRef("pk"))))
        .distinct()
        .prefetch_related(
            Prefetch(
                "waitlist_pledges",
                queryset=public_pledges.order_by("until", "pk"),
                to_attr="public_pledges",
            ),
            Prefetch(
                "activities",
                queryset=Activity.objects.select_related("practice__commune").order_by("pk"),
                to_attr="listed_activities",
            ),
        )
        .order_by("last_name", "first_name", "pk")
    )
    found = []
    for gp in gps:
        found.append(
            AcceptingGp(
                practitioner=gp,
                flagged=bool(gp.accepting_new_patients),
                pledges=list(gp.public_pledges),
                practices=[activity.practice for activity in gp.listed_activities],
            )
        )
    return found

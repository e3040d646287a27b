"""Who is on the recipient's side of a request, in one place: for a user, which requests reach them (``Actor``);
for a request, which practices, practitioners and e-mail addresses are on its recipient's side
(``recipient_side``). The inbox, the request pages, the services, the digests and the reminders all ask here.

A professional receives the requests addressed to them, to a practice they work at (the practice as a pool), to
a pathway they answer (themselves or through their practice), and to a colleague they replace today. A
secretary receives the requests of the practices they work for: addressed to the practice, to one of its
practitioners, or to a pathway it answers. Nobody else: a GP of a health centre does not see a request
addressed by name to the centre's physiotherapist.
"""

import datetime
from dataclasses import dataclass, field
from functools import cached_property

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from directory.models import Absence, Activity, Practice, Practitioner
from referrals.models import Referral

_CACHE_ATTRIBUTE = "_referrals_actor"


# The acting user's whole scope in one statement (one round trip, no ORM composition, instead of five queries
# composed at each page): their directory entry (the professional grant's, one per account), the practices of
# that entry's activities, the practices they work for as a secretary, the colleagues they replace on
# ``today``, the practitioners of those secretary practices, and the pathways answered by one of their practices
# or by their entry. Each part is the ORM condition it replaces, on the same indexed columns.
_SCOPE_SQL = """
WITH entry AS (
    SELECT practitioner_id AS id FROM directory_rolegrant
    WHERE user_id = %(user)s AND role = %(professional)s AND practitioner_id IS NOT NULL
    ORDER BY id LIMIT 1
),
secretary AS (
    SELECT DISTINCT gp.practice_id FROM directory_rolegrant g
    JOIN directory_rolegrant_practices gp ON gp.rolegrant_id = g.id
    WHERE g.user_id = %(user)s AND g.role = %(secretary)s
),
own AS (
    SELECT DISTINCT a.practice_id FROM directory_activity a JOIN entry ON a.practitioner_id = entry.id
)
SELECT
    (SELECT id FROM entry),
    ARRAY(SELECT practice_id FROM own),
    ARRAY(SELECT practice_id FROM secretary),
    ARRAY(
        SELECT DISTINCT b.practitioner_id FROM directory_absence b JOIN entry ON b.replacement_id = entry.id
        WHERE b.starts_on <= %(today)s AND b.ends_on >= %(today)s
    ),
    ARRAY(
        SELECT DISTINCT a.practitioner_id FROM directory_activity a
        WHERE a.practice_id IN (SELECT practice_id FROM secretary)
    ),
    ARRAY(
        SELECT rp.pathway_id FROM referrals_pathway_responder_practices rp
        WHERE rp.practice_id IN (SELECT practice_id FROM own UNION SELECT practice_id FROM secretary)
        UNION
        SELECT rr.pathway_id FROM referrals_pathway_responder_practitioners rr
        JOIN entry ON rr.practitioner_id = entry.id
    )
"""


@dataclass(frozen=True)
class _Scope:
    entry_id: int | None
    own_practice_ids: frozenset[int]
    secretary_practice_ids: frozenset[int]
    replaced_ids: frozenset[int]
    secretary_practitioner_ids: frozenset[int]
    pathway_ids: frozenset[int]


_NOBODY = _Scope(None, frozenset(), frozenset(), frozenset(), frozenset(), frozenset())


@dataclass
class Actor:
    """The acting user as the referrals see them, resolved once per request: their directory entry, the
    practices they work at as a professional and as a secretary, the pathways they answer and the colleagues
    they replace today. The lists are short ids, read in one statement (``_SCOPE_SQL``): the conditions on
    requests are plain ``IN`` on indexed columns (with subqueries inlined, a million requests were scanned for
    every inbox, see docs/scaling.md)."""

    user: User
    today: datetime.date = field(default_factory=timezone.localdate)

    @cached_property
    def _scope(self) -> _Scope:
        if not getattr(self.user, "is_authenticated", False):
            return _NOBODY
        parameters = {
            "user": self.user.pk,
            "professional": Role.PROFESSIONAL.value,
            "secretary": Role.SECRETARY.value,
            "today": self.today,
        }
        with connection.cursor() as cursor:
            cursor.execute(_SCOPE_SQL, parameters)
            entry_id, *id_lists = cursor.fetchone()
        return _Scope(entry_id, *(frozenset(ids) for ids in id_lists))

    @property
    def entry_id(self) -> int | None:
        """The pk of the directory entry the user acts for as a professional (no query once the scope is read)."""
        return self._scope.entry_id

    @cached_property
    def entry(self) -> Practitioner | None:
        """The directory entry itself, read when a caller needs more than its pk."""
        if self.entry_id is None:
            return None
        return Practitioner.objects.filter(pk=self.entry_id).first()

    @property
    def own_practice_ids(self) -> frozenset[int]:
        """Where the professional works (their entry's activities)."""
        return self._scope.own_practice_ids

    @property
    def secretary_practice_ids(self) -> frozenset[int]:
        """The practices the user works for as a secretary."""
        return self._scope.secretary_practice_ids

    @property
    def replaced_ids(self) -> frozenset[int]:
        """The colleagues the professional replaces today (an absence naming them as the replacement)."""
        return self._scope.replaced_ids

    @cached_property
    def practitioner_ids(self) -> frozenset[int]:
        """Requests addressed by name to one of these reach the user: their own entry, the colleagues they
        replace today, and for a secretary the practitioners of their practices."""
        ids = set(self.replaced_ids) | self._scope.secretary_practitioner_ids
        if self.entry_id is not None:
            ids.add(self.entry_id)
        return frozenset(ids)

    @cached_property
    def practice_ids(self) -> frozenset[int]:
        """Requests addressed to one of these practices (as a pool) reach the user."""
        return self.own_practice_ids | self.secretary_practice_ids

    @property
    def pathway_ids(self) -> frozenset[int]:
        """The pathways the user answers: as a responder, through a practice they work at, or for a practice
        they work for as a secretary."""
        return self._scope.pathway_ids

    @cached_property
    def recipient_condition(self) -> Q:
        """The requests on the user's recipient's side, as a condition on ``Referral``."""
        return (
            Q(recipient_practice__in=sorted(self.practice_ids))
            | Q(recipient_practitioner__in=sorted(self.practitioner_ids))
            | Q(pathway__in=sorted(self.pathway_ids))
        )

    def is_sender(self, referral: Referral) -> bool:
        return self.entry_id is not None and referral.sender_id == self.entry_id

    def is_recipient_side(self, referral: Referral) -> bool:
        """Read from the request's own columns: no query once the scope is known."""
        return (
            referral.recipient_practice_id in self.practice_ids
            or referral.recipient_practitioner_id in self.practitioner_ids
            or referral.pathway_id in self.pathway_ids
        )

    def is_party(self, referral: Referral) -> bool:
        return self.is_sender(referral) or self.is_recipient_side(referral)


def actor_for(user: User | Actor) -> Actor:
    """The user's ``Actor``: the one the page resolved for this request (``request_actor``), else a fresh one
    (a task, a test, a script: directory changes between two calls are then seen)."""
    if isinstance(user, Actor):
        return user
    cached = getattr(user, _CACHE_ATTRIBUTE, None)
    if cached is not None:
        return cached
    return Actor(user=user)


def request_actor(request) -> Actor:
    """The signed-in user's ``Actor``, resolved once for the request: kept on ``request.user`` (the object the
    services receive as ``acting_user``), so the page, the selectors and the services share it."""
    actor = actor_for(request.user)
    if getattr(request.user, "is_authenticated", False):
        setattr(request.user, _CACHE_ATTRIBUTE, actor)
    return actor


def forget_actor(user: User) -> None:
    """Drops the request's actor after the user's grants, activities or absences changed during it."""
    if hasattr(user, _CACHE_ATTRIBUTE):
        delattr(user, _CACHE_ATTRIBUTE)


def user_of(actor: User | Actor) -> User:
    return actor.user if isinstance(actor, Actor) else actor


# --- A request's recipient's side ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecipientSide:
    """Who is on a request's recipient's side: the practitioners it reaches by name or as a pathway's
    responders (with whoever replaces them today), and the practices whose staff receive it."""

    practitioner_ids: tuple[int, ...]
    practice_ids: tuple[int, ...]

    def practitioners(self) -> QuerySet[Practitioner]:
        return Practitioner.objects.filter(pk__in=self.practitioner_ids)

    def practices(self) -> QuerySet[Practice]:
        return Practice.objects.filter(pk__in=self.practice_ids)

    def users(self) -> QuerySet[User]:
        """The accounts that see the request in their inbox: professionals of these practitioners and of these
        practices (a practice addressed as a pool), secretaries of these practices."""
        return User.objects.filter(
            Q(role_grants__role=Role.PROFESSIONAL, role_grants__practitioner__in=self.practitioner_ids)
            | Q(role_grants__role=Role.SECRETARY, role_grants__practices__in=self.practice_ids)
        ).distinct()

    def emails(self) -> list[str]:
        """The e-mail addresses of the active accounts of ``users()``, sorted, once each."""
        return sorted(set(self.users().filter(is_active=True).exclude(email="").values_list("email", flat=True)))


def recipient_side(referral: Referral, *, today: datetime.date | None = None) -> RecipientSide:
    """The recipient's side of a request, by the same rule as ``Actor``: the practitioner addressed (and their
    replacement today) and the practices where they work; the practice addressed and its practitioners; for a
    pathway, its responding practitioners and practices and the practitioners of those practices."""
    today = today or timezone.localdate()
    practitioners: set[int] = set()
    practices: set[int] = set()
    if referral.recipient_practitioner_id:
        practitioners.add(referral.recipient_practitioner_id)
        practices.update(
            Activity.objects.filter(practitioner_id=referral.recipient_practitioner_id).values_list(
                "practice_id", flat=True
            )
        )
    elif referral.recipient_practice_id:
        practices.add(referral.recipient_practice_id)
        practitioners.update(
            Activity.objects.filter(practice_id=referral.recipient_practice_id).values_list(
                "practitioner_id", flat=True
            )
        )
    elif referral.pathway_id:
        pathway = referral.pathway
        practitioners.update(pathway.responder_practitioners.values_list("pk", flat=True))
        practices.update(pathway.responder_practices.values_list("pk", flat=True))
        practitioners.update(Activity.objects.filter(practice__in=practices).values_list("practitioner_id", flat=True))
    if referral.recipient_practitioner_id:
        practitioners.update(
            Absence.objects.filter(
                practitioner_id=referral.recipient_practitioner_id,
                starts_on__lte=today,
                ends_on__gte=today,
                replacement__isnull=False,
            ).values_list("replacement_id", flat=True)
        )
    return RecipientSide(practitioner_ids=tuple(sorted(practitioners)), practice_ids=tuple(sorted(practices)))


def appointment_sites(referral: Referral, actor: Actor) -> QuerySet[Practice]:
    """Where the recipient's side receives patients for this request: the practice addressed; the practices of
    the practitioner addressed or of the one who took it; for a pathway, also its responding practices that the
    actor works at or for."""
    if referral.recipient_practice_id:
        return Practice.objects.filter(pk=referral.recipient_practice_id)
    practitioner_id = referral.recipient_practitioner_id or referral.handled_by_id
    sites = Q(pk__in=Activity.objects.filter(practitioner_id=practitioner_id).values("practice"))
    if referral.pathway_id:
        sites |= Q(pk__in=referral.pathway.responder_practices.filter(pk__in=actor.practice_ids).values("pk"))
    return Practice.objects.filter(sites)


def recipient_practices(referral: Referral, actor: User | Actor) -> QuerySet[Practice]:
    """The practices of the request's recipient's side from which ``actor`` may hand it on (the colleagues there
    are who it may be forwarded to): those of ``recipient_side``; for a pathway, also the practices of its
    responding practitioners, and only those the actor works at or for."""
    side = recipient_side(referral)
    if not referral.pathway_id:
        return Practice.objects.filter(pk__in=side.practice_ids)
    of_responders = Activity.objects.filter(
        practitioner__in=referral.pathway.responder_practitioners.values("pk")
    ).values("practice")
    return Practice.objects.filter(
        Q(pk__in=side.practice_ids) | Q(pk__in=of_responders), pk__in=sorted(actor_for(actor).practice_ids)
    )

"""A GP's capacity and what comes of it: the pledge ("12 nouveaux patients sur 3 mois, dans un rayon de 10 km"),
the fair draw of a batch of proposals, the GP's answer to each, and the proposals left unanswered, given back.

The draw (``pledge_draw``) takes the waiting entries of the pledge's list within reach (the distance from the GP's
practice to the entry's commune is at most the pledge's radius and the entry's own ``max_distance_km``), the
highest level first, then the oldest; a household is proposed whole or not at all (it must fit the capacity left;
a pledge without families takes people alone). An entry is never proposed to two GPs at once: the candidate rows
are read ``FOR UPDATE SKIP LOCKED`` (a concurrent draw skips what another is proposing), and the partial unique
index ``waitlist_one_pending_proposal_per_entry`` is the last word. The draw's reads (the pledge locked with its
seats taken and the GP's position, the communes in reach, the candidates through the ``waitlist_entry_queue``
index) are three SQL statements written once here; its writes (proposals, statuses, events, access log) go
through the ORM. About 15 ms at a million sign-ups (``manage.py benchmark waitlist``).

What a GP reads of an entry is logged (``accounts.services.access_log_record``); what the patient is sent names no
health fact, only the GP and how to book."""

import datetime
import uuid
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AccessLog, User
from accounts.services import access_log_record, access_log_record_many
from core.errors import ApplicationError
from directory.contact_values import display_value
from directory.models import Audience, Practice, Practitioner
from directory.selectors import channels_for_audience
from notifications.models import OutboundMessage
from notifications.services import message_enqueue
from waitlist.models import (
    MAX_PLEDGE_CAPACITY,
    MAX_PLEDGE_MONTHS,
    MAX_RADIUS_KM,
    PROPOSAL_TIMEOUT_DAYS,
    Entry,
    EntryEvent,
    EntryNote,
    Pledge,
    Proposal,
)
from waitlist.scope import waitlist_actor_for
from waitlist.services.common import entry_event_record

# At most this many proposals per draw: a GP answers a handful at a time, the rest stays in the queue for others.
DRAW_BATCH = 5
MAX_REASON_LENGTH = 300
CONFLICT = "conflict"


def _no_pledge() -> ApplicationError:
    return ApplicationError(_("Cet engagement n'existe pas ou ne vous est pas accessible."), code="not_found")


def _no_proposal() -> ApplicationError:
    return ApplicationError(_("Cette proposition n'existe pas ou ne vous est pas accessible."), code="not_found")


def _gp_checked(acting_user: User):
    actor = waitlist_actor_for(acting_user)
    if not actor.is_gp or actor.entry_id is None:
        raise ApplicationError(
            _("Seul un médecin généraliste dont la fiche est liée à son compte peut s'engager."), code="forbidden"
        )
    if actor.gp_list_id is None:
        raise ApplicationError(
            _("Votre territoire ne tient pas encore de liste d'attente : la coordination de la CPTS l'ouvre."),
            code="forbidden",
        )
    return actor


def months_after(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later (the last of the month when it has fewer days)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return datetime.date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError(day)


def pledge_checked(*, capacity, radius_km, until, starts_on: datetime.date | None = None) -> datetime.date:
    """The pledge's figures, checked with a French message on the field at fault; returns its first day."""
    today = timezone.localdate()
    starts_on = starts_on or today
    if not isinstance(capacity, int) or not 1 <= capacity <= MAX_PLEDGE_CAPACITY:
        raise ApplicationError(
            _("Indiquez un nombre de nouveaux patients entre 1 et %(max)d.") % {"max": MAX_PLEDGE_CAPACITY},
            field="capacity",
        )
    if not isinstance(radius_km, int) or not 1 <= radius_km <= MAX_RADIUS_KM:
        raise ApplicationError(
            _("Le rayon va de 1 à %(max)d km autour de votre cabinet.") % {"max": MAX_RADIUS_KM}, field="radius_km"
        )
    if starts_on < today:
        raise ApplicationError(_("Un engagement ne peut pas commencer dans le passé."), field="starts_on")
    if until is None:
        raise ApplicationError(_("Indiquez jusqu'à quand vous prenez de nouveaux patients."), field="until")
    if until < today:
        raise ApplicationError(_("La date de fin est déjà passée."), field="until")
    if until < starts_on:
        raise ApplicationError(_("La date de fin doit venir après le début."), field="until")
    if until > months_after(starts_on, MAX_PLEDGE_MONTHS):
        raise ApplicationError(
            _("Un engagement dure au plus %(months)d mois : fixez une date de fin plus proche.")
            % {"months": MAX_PLEDGE_MONTHS},
            field="until",
        )
    return starts_on


@transaction.atomic
def pledge_create(
    *,
    acting_user: User,
    capacity: int,
    radius_km: int,
    until: datetime.date,
    families_welcome: bool = True,
    discreet: bool = False,
    starts_on: datetime.date | None = None,
) -> Pledge:
    """The GP's own pledge, on the list of their entry's territory."""
    actor = _gp_checked(acting_user)
    starts_on = pledge_checked(capacity=capacity, radius_km=radius_km, until=until, starts_on=starts_on)
    return Pledge.objects.create(
        practitioner_id=actor.entry_id,
        waiting_list_id=actor.gp_list_id,
        capacity=capacity,
        radius_km=radius_km,
        starts_on=starts_on,
        until=until,
        families_welcome=bool(families_welcome),
        discreet=bool(discreet),
        created_by=acting_user,
    )


def _own_pledge_locked(acting_user: User, pledge: Pledge) -> Pledge:
    """The user's own pledge, locked; anyone else's is "not found"."""
    actor = waitlist_actor_for(acting_user)
    locked = (
        Pledge.objects.select_for_update(of=("self",))
        .select_related("practitioner")
        .filter(pk=pledge.pk, practitioner_id=actor.entry_id)
        .first()
        if actor.entry_id is not None
        else None
    )
    if locked is None:
        raise _no_pledge()
    return locked


@transaction.atomic
def pledge_close(*, pledge: Pledge, acting_user: User) -> Pledge:
    """The GP stops taking new patients through this pledge; proposals still unanswered go back to the queue."""
    pledge = _own_pledge_locked(acting_user, pledge)
    if pledge.status == Pledge.Status.CLOSED:
        return pledge
    pledge.status = Pledge.Status.CLOSED
    pledge.save(update_fields=["status", "updated_at"])
    for proposal in Proposal.objects.filter(pledge=pledge, status=Proposal.Status.PENDING).select_related("entry"):
        _give_back(proposal, note=_("Engagement clos par le médecin : inscription remise dans la file."))
    return pledge


def seats_taken(pledge: Pledge) -> int:
    """Persons in the pledge's accepted and pending proposals."""
    return Proposal.objects.filter(
        pledge=pledge, status__in=[Proposal.Status.ACCEPTED, Proposal.Status.PENDING]
    ).aggregate(persons=Coalesce(Sum("household_size"), 0))["persons"]


# --- The draw ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    latitude: float
    longitude: float


# Where a GP receives: their first practice with a position of its own, else the first at its commune's town hall.
# The one rule, written once in SQL, read by ``practice_position`` and by the draw's first statement.
_POSITION_OF = """(
    SELECT ARRAY[COALESCE(s.latitude, c.latitude), COALESCE(s.longitude, c.longitude)]
      FROM directory_practice s
      JOIN directory_activity a ON a.practice_id = s.id
      LEFT JOIN directory_commune c ON c.insee_code = s.commune_id
     WHERE a.practitioner_id = {practitioner} AND (s.latitude IS NOT NULL OR c.latitude IS NOT NULL)
     ORDER BY s.latitude NULLS LAST, s.id
     LIMIT 1
)"""


_PRACTICE_POSITION_SQL = "SELECT {position}".replace(
    "{position}", _POSITION_OF.replace("{practitioner}", "%(practitioner)s")
)


def _position(value) -> Position | None:
    return Position(*value) if value and None not in value else None


def practice_position(practitioner_id: int) -> Position | None:
    """Where the GP receives (``_POSITION_OF``), or None when none of their practices is placed."""
    with connection.cursor() as cursor:
        cursor.execute(_PRACTICE_POSITION_SQL, {"practitioner": practitioner_id})
        return _position(cursor.fetchone()[0])


# The communes whose town hall lies within a radius: the GiST index on the communes' positions
# (``commune_position_earth_gist``) answers the box, ``earth_distance`` keeps the circle. As
# ``directory.selectors.communes_within``, from a point rather than a commune, in SQL (a statement of each draw).
_COMMUNES_IN_REACH_SQL = """
SELECT insee_code FROM directory_commune
WHERE earth_box(ll_to_earth(%(latitude)s, %(longitude)s), %(radius_m)s) @> ll_to_earth(latitude, longitude)
  AND earth_distance(ll_to_earth(%(latitude)s, %(longitude)s), ll_to_earth(latitude, longitude)) <= %(radius_m)s
ORDER BY insee_code
"""


def communes_in_reach(position: Position, radius_km: float) -> list[str]:
    """The INSEE codes of the communes whose town hall lies within ``radius_km`` of ``position``."""
    with connection.cursor() as cursor:
        cursor.execute(
            _COMMUNES_IN_REACH_SQL,
            {"latitude": position.latitude, "longitude": position.longitude, "radius_m": radius_km * 1000.0},
        )
        return [code for (code,) in cursor.fetchall()]


@dataclass(frozen=True)
class Candidate:
    """A waiting entry the draw may propose, as its query reads it."""

    pk: int
    public_id: uuid.UUID
    priority_level: int
    household_size: int
    distance_m: float


# The draw's one hot query, written in SQL once rather than composed by the ORM at each draw: it is the whole of
# the fairness rule (see the module's docstring) and the ORM's composition cost more than PostgreSQL's answer.
# It reads the queue through ``waitlist_entry_queue`` (the list's waiting entries, highest level first, then
# oldest) and stops after ``limit`` rows in reach: 0.6 ms at a million sign-ups.
_CANDIDATES_SQL = """
SELECT e.id, e.public_id, e.priority_level, e.household_size,
       earth_distance(ll_to_earth(%(latitude)s, %(longitude)s), ll_to_earth(c.latitude, c.longitude)) AS distance_m
FROM waitlist_entry e
JOIN directory_commune c ON c.insee_code = e.commune_id
WHERE e.waiting_list_id = %(waiting_list)s
  AND e.status = %(waiting)s
  AND e.commune_id = ANY(%(communes)s)
  AND e.household_size <= %(largest)s
  AND earth_distance(ll_to_earth(%(latitude)s, %(longitude)s), ll_to_earth(c.latitude, c.longitude))
      <= e.max_distance_km * 1000.0
  AND e.id NOT IN (
      SELECT p.entry_id FROM waitlist_proposal p JOIN waitlist_pledge g ON g.id = p.pledge_id
      WHERE g.practitioner_id = %(practitioner)s AND p.status = %(declined)s
  )
ORDER BY e.priority_level DESC, e.waiting_since, e.id
LIMIT %(limit)s
FOR UPDATE OF e SKIP LOCKED
"""


def draw_candidates(
    *, pledge: Pledge, position: Position, communes: list[str], remaining: int, limit: int
) -> list[Candidate]:
    """The waiting entries the draw may propose, best first, locked (``SKIP LOCKED``: those another draw holds are
    passed over): of the pledge's list, in the communes in reach, no farther than each accepts to travel, small
    enough for what is left (alone when the pledge takes no families), never one this GP already declined."""
    parameters = {
        "latitude": position.latitude,
        "longitude": position.longitude,
        "waiting_list": pledge.waiting_list_id,
        "waiting": Entry.Status.WAITING.value,
        "communes": list(communes),
        "largest": remaining if pledge.families_welcome else 1,
        "practitioner": pledge.practitioner_id,
        "declined": Proposal.Status.DECLINED.value,
        "limit": limit,
    }
    with connection.cursor() as cursor:
        cursor.execute(_CANDIDATES_SQL, parameters)
        return [Candidate(*row) for row in cursor.fetchall()]


ACCESS_SUBJECT = "waitlist_entry"


def _log(acting_user: User, action: str, entry: Entry, request=None) -> None:
    access_log_record(
        user=acting_user,
        action=action,
        subject_type=ACCESS_SUBJECT,
        subject_id=entry.public_id,
        patient_ref=entry.public_id,
        request=request,
        via="" if request is not None else "waitlist.services.pledges",
    )


def _log_many(acting_user: User, action: str, entries, request=None) -> None:
    """What the GP is shown of each entry drawn (age, commune, household, level): one row each, one query."""
    access_log_record_many(
        user=acting_user,
        action=action,
        subject_type=ACCESS_SUBJECT,
        subjects=[(entry.public_id, entry.public_id) for entry in entries],
        request=request,
        via="waitlist.services.pledges",
    )


# The pledge a draw works on, locked (two draws of one pledge take turns), with what the draw needs of it: the
# persons already in its accepted and pending proposals, where the GP receives (``practice_position``'s rule: a
# practice's own position first, else its commune's town hall) and the GP's public id. One statement written in
# SQL: composing its two subqueries with the ORM took longer than PostgreSQL's answer.
_PLEDGE_TO_DRAW_SQL = """
SELECT g.id, g.public_id, g.status, g.capacity, g.radius_km, g.starts_on, g.until, g.families_welcome,
       g.waiting_list_id, g.practitioner_id, gp.public_id,
       COALESCE((SELECT SUM(p.household_size) FROM waitlist_proposal p
                 WHERE p.pledge_id = g.id AND p.status IN (%(accepted)s, %(pending)s)), 0),
       {position}
FROM waitlist_pledge g
JOIN directory_practitioner gp ON gp.id = g.practitioner_id
WHERE g.id = %(pledge)s AND g.practitioner_id = %(practitioner)s
FOR UPDATE OF g
""".replace("{position}", _POSITION_OF.replace("{practitioner}", "g.practitioner_id"))


def _pledge_to_draw(acting_user: User, pledge: Pledge) -> Pledge:
    """The user's own pledge, locked, with ``persons_taken``, ``gp_position`` (a ``Position`` or None) and
    ``practitioner_public_id``; anyone else's is "not found"."""
    actor = waitlist_actor_for(acting_user)
    row = None
    if actor.entry_id is not None:
        with connection.cursor() as cursor:
            cursor.execute(
                _PLEDGE_TO_DRAW_SQL,
                {
                    "pledge": pledge.pk,
                    "practitioner": actor.entry_id,
                    "accepted": Proposal.Status.ACCEPTED.value,
                    "pending": Proposal.Status.PENDING.value,
                },
            )
            row = cursor.fetchone()
    if row is None:
        raise _no_pledge()
    (pk, public_id, status, capacity, radius_km, starts_on, until, families_welcome, list_id, practitioner_id) = row[
        :10
    ]
    drawn = Pledge(
        pk=pk,
        public_id=public_id,
        status=status,
        capacity=capacity,
        radius_km=radius_km,
        starts_on=starts_on,
        until=until,
        families_welcome=families_welcome,
        waiting_list_id=list_id,
        practitioner_id=practitioner_id,
    )
    drawn.practitioner_public_id, drawn.persons_taken, position = row[10:]
    drawn.gp_position = _position(position)
    return drawn


@transaction.atomic
def pledge_draw(*, pledge: Pledge, acting_user: User, request=None) -> list[Proposal]:
    """A batch of at most ``DRAW_BATCH`` proposals for the GP's own pledge (another's answers "not found"). Each
    proposed entry leaves the queue (status ``proposed``) until the GP answers or ``PROPOSAL_TIMEOUT_DAYS`` pass.
    An empty batch is no error: nobody in reach is waiting."""
    pledge = _pledge_to_draw(acting_user, pledge)  # two draws of one pledge (a double click) take turns
    today = timezone.localdate()
    if pledge.status != Pledge.Status.OPEN:
        raise ApplicationError(_("Cet engagement est clos : créez-en un nouveau pour recevoir des propositions."))
    if pledge.until < today:
        raise ApplicationError(_("Cet engagement a pris fin le %(day)s.") % {"day": pledge.until.strftime("%d/%m/%Y")})
    if pledge.starts_on > today:
        raise ApplicationError(
            _("Cet engagement commence le %(day)s : le tirage sera possible ce jour-là.")
            % {"day": pledge.starts_on.strftime("%d/%m/%Y")}
        )
    remaining = pledge.capacity - pledge.persons_taken
    if remaining <= 0:
        raise ApplicationError(
            _("Votre engagement est complet : répondez aux propositions en cours ou créez un nouvel engagement.")
        )
    position = pledge.gp_position
    if position is None:
        raise ApplicationError(
            _("Votre cabinet n'a pas d'adresse localisée dans l'annuaire : complétez votre fiche pour le tirage.")
        )
    communes = communes_in_reach(position, pledge.radius_km)
    if not communes:
        return []
    candidates = draw_candidates(
        pledge=pledge, position=position, communes=communes, remaining=remaining, limit=DRAW_BATCH
    )
    # Only the batch is read and locked: a concurrent draw takes the next ones. Each candidate fits what is left on
    # its own (SQL); together they may not, and a household is proposed whole or not at all.
    chosen, left = [], remaining
    for entry in candidates:
        if entry.household_size <= left:
            chosen.append(entry)
            left -= entry.household_size
    if not chosen:
        return []
    now = timezone.now()
    batch = uuid.uuid4()
    proposals = [
        Proposal(
            pledge=pledge,
            entry_id=entry.pk,
            batch=batch,
            distance_km=round(entry.distance_m / 1000, 1),
            priority_level=entry.priority_level,
            household_size=entry.household_size,
            expires_at=now + datetime.timedelta(days=PROPOSAL_TIMEOUT_DAYS),
        )
        for entry in chosen
    ]
    try:  # no savepoint: a refusal rolls the whole draw back
        Proposal.objects.bulk_create(proposals)
    except IntegrityError:  # the unique index: another draw proposed one of them meanwhile (never seen: locked)
        raise ApplicationError(
            _("Un autre médecin vient de recevoir une partie de ces inscriptions : relancez le tirage."), code=CONFLICT
        ) from None
    Entry.objects.filter(pk__in=[entry.pk for entry in chosen]).update(status=Entry.Status.PROPOSED, updated_at=now)
    EntryEvent.objects.bulk_create(
        EntryEvent(
            entry_id=entry.pk,
            kind=EntryEvent.Kind.PROPOSED,
            actor=acting_user,
            details={
                "proposal": str(proposal.public_id),
                "pledge": str(pledge.public_id),
                "practitioner": str(pledge.practitioner_public_id),
                "distance_km": proposal.distance_km,
            },
        )
        for entry, proposal in zip(chosen, proposals, strict=True)
    )
    _log_many(acting_user, AccessLog.Action.READ, chosen, request)
    return proposals


# --- Answers ----------------------------------------------------------------------------------------------------


def _own_proposal_locked(acting_user: User, proposal: Proposal) -> Proposal:
    actor = waitlist_actor_for(acting_user)
    locked = (
        Proposal.objects.select_for_update(of=("self",))
        .select_related("pledge__practitioner", "entry")
        .filter(pk=proposal.pk, pledge__practitioner_id=actor.entry_id)
        .first()
        if actor.entry_id is not None
        else None
    )
    if locked is None:
        raise _no_proposal()
    if locked.status != Proposal.Status.PENDING:
        raise ApplicationError(
            _("Cette proposition a déjà sa réponse : %(status)s.") % {"status": locked.get_status_display().lower()},
            code=CONFLICT,
        )
    return locked


def booking_channel(practitioner: Practitioner) -> dict:
    """How the patient books with the GP: their preferred public channel in the directory (a phone, an online
    booking link…), with its kind's label and the value as shown; empty when the entry has none."""
    channels = channels_for_audience(practitioner, Audience.PUBLIC)
    if not channels:
        return {}
    channel = channels[0]
    return {
        "kind": channel.kind,
        "label": str(channel.get_kind_display()),
        "value": display_value(channel.kind, channel.value),
        "raw": channel.value,
    }


def gp_name(practitioner: Practitioner) -> str:
    """« Dr Alice Martin »: how the patient's message and the pages name the GP."""
    return f"{practitioner.civility or _('Dr')} {practitioner.first_name} {practitioner.last_name}"


def _tell_patient_accepted(proposal: Proposal) -> None:
    """An SMS and/or an e-mail to the contact the patient verified: the GP's name, practice and how to book.
    Nothing about the priority or a health fact (the message may be read by someone else)."""
    entry, practitioner = proposal.entry, proposal.pledge.practitioner
    practice = (
        Practice.objects.filter(activities__practitioner=practitioner).select_related("commune").order_by("pk").first()
    )
    channel = booking_channel(practitioner)
    context = {
        "practitioner": gp_name(practitioner),
        "practice": practice.name if practice else "",
        "address": ", ".join(
            part for part in (practice.address, f"{practice.postal_code} {practice.city}".strip()) if part
        )
        if practice
        else "",
        "channel_label": channel.get("label", ""),
        "channel_value": channel.get("value", ""),
    }
    for kind, recipient, verified in (
        (OutboundMessage.Channel.SMS, entry.phone, entry.phone_verified_at),
        (OutboundMessage.Channel.EMAIL, entry.email, entry.email_verified_at),
    ):
        if recipient and verified:
            message_enqueue(
                channel=kind,
                recipient=recipient,
                template="waitlist_proposal_accepted",
                context=context,
                idempotency_key=f"waitlist-accepted:{proposal.public_id}:{kind}",
                recipient_kind=OutboundMessage.RecipientKind.PATIENT,
                territory_id=practitioner.territory_id,
            )


@transaction.atomic
def proposal_accept(*, proposal: Proposal, acting_user: User, request=None) -> Proposal:
    """The GP takes the household: the entry is matched (closed), the patient is told how to book with them."""
    proposal = _own_proposal_locked(acting_user, proposal)
    now = timezone.now()
    entry = Entry.objects.select_for_update().get(pk=proposal.entry_id)
    if entry.status != Entry.Status.PROPOSED:  # withdrawn or erased meanwhile (the expiry task then clears it)
        raise ApplicationError(
            _("Cette inscription n'est plus en attente : la personne l'a retirée entre-temps."), code=CONFLICT
        )
    proposal.status = Proposal.Status.ACCEPTED
    proposal.answered_at, proposal.answered_by = now, acting_user
    proposal.save(update_fields=["status", "answered_at", "answered_by", "updated_at"])
    entry.status = Entry.Status.MATCHED
    entry.closed_at = now
    entry.closed_reason = _("Pris en charge par un médecin de la CPTS (proposition acceptée).")
    entry.save(update_fields=["status", "closed_at", "closed_reason", "updated_at"])
    proposal.entry = entry
    entry_event_record(
        entry=entry,
        kind=EntryEvent.Kind.ACCEPTED,
        actor=acting_user,
        details={"proposal": str(proposal.public_id), "practitioner": str(proposal.pledge.practitioner.public_id)},
    )
    _log(acting_user, AccessLog.Action.UPDATE, entry, request)
    _tell_patient_accepted(proposal)
    return proposal


def _reason_checked(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Indiquez la raison du refus : elle aide la coordination."), field="reason")
    if len(reason) > MAX_REASON_LENGTH:
        raise ApplicationError(
            _("La raison tient en %(max)d caractères au plus.") % {"max": MAX_REASON_LENGTH}, field="reason"
        )
    return reason


def _give_back(proposal: Proposal, *, note: str, kind: str = EntryEvent.Kind.EXPIRED, actor: User | None = None):
    """The entry goes back to the queue where it was (its ``waiting_since`` is kept), with a note and an event."""
    returned = Entry.objects.filter(pk=proposal.entry_id, status=Entry.Status.PROPOSED).update(
        status=Entry.Status.WAITING, updated_at=timezone.now()
    )
    if proposal.status == Proposal.Status.PENDING:
        Proposal.objects.filter(pk=proposal.pk, status=Proposal.Status.PENDING).update(
            status=Proposal.Status.EXPIRED, answered_at=timezone.now(), updated_at=timezone.now()
        )
    EntryNote.objects.create(entry_id=proposal.entry_id, text=note, author=actor)
    entry_event_record(
        entry=proposal.entry,
        kind=kind,
        actor=actor,
        details={"proposal": str(proposal.public_id), "back_in_queue": bool(returned)},
    )


@transaction.atomic
def proposal_decline(*, proposal: Proposal, acting_user: User, reason: str, request=None) -> Proposal:
    """The GP does not take the household, with a reason (for the coordination): the entry goes back to the queue
    at its place, and will not be proposed to this GP again."""
    reason = _reason_checked(reason)
    proposal = _own_proposal_locked(acting_user, proposal)
    now = timezone.now()
    proposal.status = Proposal.Status.DECLINED
    proposal.answered_at, proposal.answered_by = now, acting_user
    proposal.decline_reason = reason
    proposal.save(update_fields=["status", "answered_at", "answered_by", "decline_reason", "updated_at"])
    _give_back(
        proposal,
        note=_("Refusée par %(gp)s : %(reason)s") % {"gp": gp_name(proposal.pledge.practitioner), "reason": reason},
        kind=EntryEvent.Kind.DECLINED,
        actor=acting_user,
    )
    _log(acting_user, AccessLog.Action.UPDATE, proposal.entry, request)
    return proposal


def proposals_expire(*, now: datetime.datetime | None = None) -> int:
    """Proposals unanswered past their ``expires_at`` go back to the queue with a note; each is claimed by a
    conditional update in its own transaction, so a rerun (or two workers) gives each back once."""
    now = now or timezone.now()
    expired = 0
    due = Proposal.objects.filter(status=Proposal.Status.PENDING, expires_at__lte=now).values_list("pk", flat=True)
    for proposal_id in list(due[:10_000]):
        with transaction.atomic():
            claimed = Proposal.objects.filter(pk=proposal_id, status=Proposal.Status.PENDING).update(
                status=Proposal.Status.EXPIRED, answered_at=now, updated_at=now
            )
            if not claimed:
                continue
            proposal = Proposal.objects.select_related("entry").get(pk=proposal_id)
            _give_back(
                proposal,
                note=_("Proposition restée sans réponse %(days)d jours : inscription remise dans la file.")
                % {"days": PROPOSAL_TIMEOUT_DAYS},
            )
            expired += 1
    return expired

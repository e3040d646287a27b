"""What the coordination changes in its lists: an entry's level fixed by hand (with its reason) or given back to
the rules, the rules themselves (each save recomputes the waiting entries' levels), notes, and duplicates merged
or dismissed. Each service checks that the acting user coordinates the entry's list (else "not found"), writes
an ``EntryEvent`` (never a name in it) and records the change in the access log."""

import logging
import unicodedata
from collections.abc import Mapping, Sequence

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import access_log_record
from core.errors import ApplicationError
from waitlist.models import (
    MAX_HOUSEHOLD_SIZE,
    DuplicateSuspicion,
    Entry,
    EntryEvent,
    EntryNote,
    HouseholdMember,
    PriorityRules,
    Proposal,
    WaitingList,
)
from waitlist.priority import PersonFacts, Rules, priority_of, rules_checked
from waitlist.scope import waitlist_actor_for
from waitlist.selectors.coordination import ENTRY_SUBJECT, rules_cache_key
from waitlist.services.common import entry_event_record, entry_priority, entry_priority_refresh, rules_of

MAX_REASON_LENGTH = 300
MAX_NOTE_LENGTH = 2000
RECOMPUTE_BATCH = 2000
RECOMPUTE_INLINE_LIMIT = 20_000  # about 10 s of recompute: beyond, the save returns and a task recomputes
logger = logging.getLogger(__name__)
# Entries a merge may involve: not those closed for good (merged, erased) nor those matched with a GP.
MERGEABLE = (Entry.Status.UNVERIFIED, Entry.Status.WAITING, Entry.Status.PROPOSED, Entry.Status.INACTIVE)


def _not_found() -> ApplicationError:
    return ApplicationError(
        _("Cette inscription n'existe pas ou ne relève pas de votre coordination."), code="not_found"
    )


def coordination_checked(acting_user: User, waiting_list_id: int) -> None:
    if waiting_list_id not in waitlist_actor_for(acting_user).coordinated_list_ids:
        raise _not_found()


def _locked(entry: Entry) -> Entry:
    return Entry.objects.select_for_update().select_related("waiting_list").get(pk=entry.pk)


def _change_logged(acting_user: User, entry: Entry, via: str) -> None:
    access_log_record(
        user=acting_user,
        action="update",
        subject_type=ENTRY_SUBJECT,
        subject_id=str(entry.public_id),
        patient_ref=str(entry.public_id),
        via=via,
    )


# --- Level override ---------------------------------------------------------------------------------------------


@transaction.atomic
def entry_level_override(*, acting_user: User, entry: Entry, level: int | None, reason: str = "") -> Entry:
    """Fixes the entry's level whatever its facts say (``level``, with a reason the coordination can read out
    later), or, with ``level=None``, gives it back to the rules. The queue orders by the fixed level."""
    coordination_checked(acting_user, entry.waiting_list_id)
    entry = _locked(entry)
    rules = rules_of(entry.waiting_list)
    before = entry.priority_level
    if level is None:
        if entry.level_override is None:
            raise ApplicationError(_("Le niveau de cette inscription n'est pas fixé à la main."), field="level")
        priority = entry_priority(entry, rules=rules)
        entry.level_override = None
        entry.level_override_reason = ""
        entry.priority_level, entry.priority_score = priority.level, priority.score
        entry.priority_reasons = list(priority.reasons)
        entry.save(
            update_fields=["level_override", "level_override_reason", "priority_level", "priority_score",
                           "priority_reasons", "updated_at"]
        )  # fmt: skip
        details = {"from": before, "to": priority.level, "override": None, "explanation": priority.explanation}
    else:
        reason = (reason or "").strip()
        if not 0 <= level < len(rules.levels):
            raise ApplicationError(
                _("Choisissez un niveau entre 0 et %(max)d.") % {"max": len(rules.levels) - 1}, field="level"
            )
        if len(reason) < 3:
            raise ApplicationError(_("Indiquez la raison de ce niveau (elle reste dans l'historique)."), field="reason")
        if len(reason) > MAX_REASON_LENGTH:
            raise ApplicationError(
                _("La raison tient en %(max)d caractères au plus.") % {"max": MAX_REASON_LENGTH}, field="reason"
            )
        entry.level_override = level
        entry.level_override_reason = reason
        entry.priority_level = level
        entry.save(update_fields=["level_override", "level_override_reason", "priority_level", "updated_at"])
        # The reason stays on the entry (wiped with it); the event keeps the levels only (it survives erasure).
        details = {"from": before, "to": level, "override": level}
    entry_event_record(entry=entry, kind=EntryEvent.Kind.LEVEL_OVERRIDDEN, actor=acting_user, details=details)
    _change_logged(acting_user, entry, "waitlist.services.coordination.entry_level_override")
    return entry


# --- Priority rules ---------------------------------------------------------------------------------------------


@transaction.atomic
def priority_rules_save(
    *, acting_user: User, waiting_list: WaitingList, weights: Mapping[str, object], levels: Sequence[Mapping]
) -> tuple[PriorityRules, int]:
    """Checks and stores the list's rules (the version goes up by one: the defaults are version 1), then
    recomputes the levels of its waiting entries; returns the row and how many entries changed level, or None
    when the list is too large to wait for (over ``RECOMPUTE_INLINE_LIMIT``): a task does it after the commit."""
    coordination_checked(acting_user, waiting_list.pk)
    rules = rules_checked(weights=weights, levels=levels)
    row, _created = PriorityRules.objects.select_for_update().get_or_create(waiting_list=waiting_list)
    row.weights = dict(rules.weights)
    row.levels = list(rules.levels)
    row.version += 1
    row.updated_by = acting_user
    row.save()
    key = rules_cache_key(waiting_list.pk)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))
    waiting = Entry.objects.filter(waiting_list=waiting_list, status=Entry.Status.WAITING).count()
    if waiting <= RECOMPUTE_INLINE_LIMIT:
        return row, waiting_entries_recompute(waiting_list=waiting_list, rules=rules, actor=acting_user)
    version = row.version
    transaction.on_commit(lambda: _recompute_queue(waiting_list.pk, version))
    return row, None


def _recompute_queue(waiting_list_id: int, version: int) -> None:
    from waitlist.tasks import recompute_levels

    try:
        recompute_levels.delay(waiting_list_id, version)
    except Exception:  # the broker is down: the levels follow at the next save
        logger.exception("Recalcul des niveaux de la liste %s non lancé", waiting_list_id)


def rules_version_recompute(*, waiting_list_id: int, version: int) -> int:
    """The background recompute of a large list (``recompute_levels``): only while the rules are still at
    ``version`` (a later save queued its own). Safe to run twice: the second run changes nothing."""
    row = (
        PriorityRules.objects.filter(waiting_list_id=waiting_list_id, version=version)
        .select_related("waiting_list", "updated_by")
        .first()
    )
    if row is None:
        return 0
    rules = Rules(weights=row.weights, levels=row.levels)
    return waiting_entries_recompute(waiting_list=row.waiting_list, rules=rules, actor=row.updated_by)


def waiting_entries_recompute(*, waiting_list: WaitingList, rules: Rules, actor: User | None = None) -> int:
    """The levels, scores and reasons of the list's waiting entries under ``rules``, by batches of
    ``RECOMPUTE_BATCH`` (three queries each: the entries, their members, the update; plus the events of the
    entries whose level moved). A level fixed by the coordination stays."""
    today = timezone.localdate()
    changed_levels = 0
    last_pk = 0
    while True:
        batch = list(
            Entry.objects.filter(waiting_list=waiting_list, status=Entry.Status.WAITING, pk__gt=last_pk)
            .only("pk", "flagged_by", "priority_level", "priority_score", "priority_reasons", "level_override")
            .order_by("pk")[:RECOMPUTE_BATCH]
        )
        if not batch:
            return changed_levels
        last_pk = batch[-1].pk
        facts: dict[int, list[PersonFacts]] = {entry.pk: [] for entry in batch}
        for member in HouseholdMember.objects.filter(entry_id__in=list(facts)).order_by("entry_id", "position"):
            facts[member.entry_id].append(
                PersonFacts(
                    birth_date=member.birth_date,
                    ald=member.ald,
                    pregnancy=member.pregnancy,
                    disability=member.disability,
                    precarity=member.precarity,
                    treatment_renewal=member.treatment_renewal,
                )
            )
        updated, events = [], []
        for entry in batch:
            priority = priority_of(facts[entry.pk], flagged=bool(entry.flagged_by), rules=rules, today=today)
            # A level fixed by hand stays, within the levels the rules still have.
            top = len(rules.levels) - 1
            level = priority.level if entry.level_override is None else min(entry.level_override, top)
            if (entry.priority_level, entry.priority_score, list(entry.priority_reasons)) == (
                level,
                priority.score,
                list(priority.reasons),
            ):
                continue
            if entry.priority_level != level:
                events.append(
                    EntryEvent(
                        entry=entry,
                        kind=EntryEvent.Kind.LEVEL_CHANGED,
                        actor=actor,
                        details={"from": entry.priority_level, "to": level, "explanation": priority.explanation},
                    )
                )
            entry.priority_level, entry.priority_score = level, priority.score
            entry.priority_reasons = list(priority.reasons)
            entry.updated_at = timezone.now()
            updated.append(entry)
        if updated:
            Entry.objects.bulk_update(
                updated, ["priority_level", "priority_score", "priority_reasons", "updated_at"], batch_size=1000
            )
        if events:
            EntryEvent.objects.bulk_create(events, batch_size=1000)
            changed_levels += len(events)


# --- Notes ------------------------------------------------------------------------------------------------------


@transaction.atomic
def entry_note_add(*, acting_user: User, entry: Entry, text: str) -> EntryNote:
    coordination_checked(acting_user, entry.waiting_list_id)
    text = (text or "").strip()
    if not text:
        raise ApplicationError(_("La note est vide."), field="text")
    if len(text) > MAX_NOTE_LENGTH:
        raise ApplicationError(
            _("Une note tient en %(max)d caractères au plus.") % {"max": MAX_NOTE_LENGTH}, field="text"
        )
    note = EntryNote.objects.create(entry=entry, text=text, author=acting_user)
    _change_logged(acting_user, entry, "waitlist.services.coordination.entry_note_add")
    return note


# --- Duplicates -------------------------------------------------------------------------------------------------


def _same_person_key(member: HouseholdMember) -> tuple:
    """Two members are one person when born the same day with the same first given name: the family name is
    where the typos of a duplicate are (« Durand », « Durant »)."""
    text = unicodedata.normalize("NFKD", member.given_names).encode("ascii", "ignore").decode().lower()
    words = "".join(c if c.isalnum() else " " for c in text).split()
    return (words[0] if words else ""), member.birth_date


def _open_suspicions_of(entry: Entry):
    return DuplicateSuspicion.objects.filter(Q(entry=entry) | Q(other=entry), status=DuplicateSuspicion.Status.OPEN)


def _refresh_duplicate_flag(entry: Entry) -> None:
    flagged = _open_suspicions_of(entry).exists()
    if entry.duplicate_suspected != flagged:
        entry.duplicate_suspected = flagged
        entry.save(update_fields=["duplicate_suspected", "updated_at"])


@transaction.atomic
def entries_merge(*, acting_user: User, keep: Entry, drop: Entry) -> Entry:
    """``drop`` is the same household as ``keep``: ``keep`` takes the older place in the queue (the earlier
    ``waiting_since``), the members it lacks, a contact it lacks and a flag it lacks; ``drop`` becomes
    "merged" into it, its pending proposal cancelled; the suspicion between them is closed. Events on both."""
    coordination_checked(acting_user, keep.waiting_list_id)
    coordination_checked(acting_user, drop.waiting_list_id)
    if keep.pk == drop.pk:
        raise ApplicationError(_("Une inscription ne se fusionne pas avec elle-même."), field="into")
    if keep.waiting_list_id != drop.waiting_list_id:
        raise ApplicationError(_("Ces deux inscriptions sont dans deux listes différentes."), field="into")
    first, second = sorted([keep, drop], key=lambda e: e.pk)
    locked = {e.pk: e for e in Entry.objects.select_for_update().filter(pk__in=[first.pk, second.pk]).order_by("pk")}
    keep, drop = locked[keep.pk], locked[drop.pk]
    for entry in (keep, drop):
        if entry.status not in MERGEABLE:
            raise ApplicationError(
                _("L'inscription %(id)s est « %(status)s » : elle ne se fusionne plus.")
                % {"id": str(entry.public_id)[:8], "status": entry.get_status_display()},
                field="into",
                code="conflict",
            )
    now = timezone.now()
    kept_members = list(keep.members.order_by("position"))
    known = {_same_person_key(member) for member in kept_members}
    # The main members are the one person the suspicion is about; the others move unless already there.
    incoming = [
        member
        for member in drop.members.order_by("position")
        if member.position != 0 and _same_person_key(member) not in known
    ]
    if len(kept_members) + len(incoming) > MAX_HOUSEHOLD_SIZE:
        raise ApplicationError(
            _("Le foyer fusionné compterait plus de %(max)d personnes.") % {"max": MAX_HOUSEHOLD_SIZE}, field="into"
        )
    next_position = max((member.position for member in kept_members), default=-1) + 1
    for offset, member in enumerate(incoming):
        member.entry = keep
        member.position = next_position + offset
        member.save(update_fields=["entry", "position"])

    fields = ["household_size", "updated_at"]
    keep.household_size = len(kept_members) + len(incoming)
    if drop.waiting_since and (keep.waiting_since is None or drop.waiting_since < keep.waiting_since):
        keep.waiting_since = drop.waiting_since
        fields.append("waiting_since")
    if keep.status == Entry.Status.UNVERIFIED and drop.status == Entry.Status.WAITING:
        keep.status = Entry.Status.WAITING
        fields.append("status")
    if not keep.phone and drop.phone:
        keep.phone, keep.phone_verified_at = drop.phone, drop.phone_verified_at
        fields += ["phone", "phone_verified_at"]
    if not keep.email and drop.email:
        keep.email, keep.email_verified_at = drop.email, drop.email_verified_at
        fields += ["email", "email_verified_at"]
    if not keep.flagged_by and drop.flagged_by:
        keep.flagged_by = drop.flagged_by
        fields.append("flagged_by")
    keep.save(update_fields=fields)

    cancelled = Proposal.objects.filter(entry=drop, status=Proposal.Status.PENDING).update(
        status=Proposal.Status.CANCELLED, answered_at=now, answered_by=acting_user, updated_at=now
    )
    drop.status = Entry.Status.MERGED
    drop.merged_into = keep
    drop.closed_at = now
    drop.closed_reason = _("Fusionnée avec une autre inscription de la même personne.")
    drop.duplicate_suspected = False
    drop.household_size = max(drop.household_size - len(incoming), 1)
    drop.save(
        update_fields=["status", "merged_into", "closed_at", "closed_reason", "duplicate_suspected", "household_size",
                       "updated_at"]
    )  # fmt: skip
    DuplicateSuspicion.objects.filter(
        Q(entry=keep, other=drop) | Q(entry=drop, other=keep), status=DuplicateSuspicion.Status.OPEN
    ).update(status=DuplicateSuspicion.Status.MERGED, resolved_at=now, resolved_by=acting_user)
    # The dropped entry's other suspicions now concern the kept one, which the coordination sees in the queue.
    _open_suspicions_of(drop).update(status=DuplicateSuspicion.Status.MERGED, resolved_at=now, resolved_by=acting_user)
    _refresh_duplicate_flag(keep)
    entry_priority_refresh(keep, actor=acting_user)
    entry_event_record(
        entry=keep,
        kind=EntryEvent.Kind.MERGED,
        actor=acting_user,
        details={"absorbed": str(drop.public_id), "members_moved": len(incoming)},
    )
    entry_event_record(
        entry=drop,
        kind=EntryEvent.Kind.MERGED,
        actor=acting_user,
        details={"into": str(keep.public_id), "proposals_cancelled": cancelled},
    )
    for entry in (keep, drop):
        _change_logged(acting_user, entry, "waitlist.services.coordination.entries_merge")
    return keep


@transaction.atomic
def duplicate_dismiss(*, acting_user: User, first: Entry, second: Entry) -> int:
    """« Personnes différentes »: the open suspicion between the two entries is closed, their flags cleared
    when nothing else is suspected. Returns how many suspicions were closed (0: none was open)."""
    coordination_checked(acting_user, first.waiting_list_id)
    coordination_checked(acting_user, second.waiting_list_id)
    closed = DuplicateSuspicion.objects.filter(
        Q(entry=first, other=second) | Q(entry=second, other=first), status=DuplicateSuspicion.Status.OPEN
    ).update(status=DuplicateSuspicion.Status.DISMISSED, resolved_at=timezone.now(), resolved_by=acting_user)
    if not closed:
        raise ApplicationError(_("Ce doublon possible a déjà été traité."), code="conflict")
    for entry, other in ((first, second), (second, first)):
        _refresh_duplicate_flag(entry)
        entry_event_record(
            entry=entry,
            kind=EntryEvent.Kind.UPDATED,
            actor=acting_user,
            details={"duplicate_dismissed": str(other.public_id)},
        )
        _change_logged(acting_user, entry, "waitlist.services.coordination.duplicate_dismiss")
    return closed

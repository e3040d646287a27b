"""What several waiting-list service modules use: the list a commune or a territory belongs to, the list's
rules, an entry's priority recomputed and the audit row of a change."""

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.signed_links import patient_link_url
from core.errors import ApplicationError
from directory.models import Commune, Territory
from waitlist.models import Entry, EntryEvent, PriorityRules, WaitingList, WaitingListTerritory
from waitlist.priority import DEFAULT_LEVELS, DEFAULT_WEIGHTS, PersonFacts, Priority, Rules, priority_of


@transaction.atomic
def waiting_list_of_territory(territory: Territory) -> WaitingList:
    """The territory's list, created on first use (one per territory until a coordinator shares one)."""
    membership = WaitingListTerritory.objects.select_related("waiting_list").filter(territory=territory).first()
    if membership is not None:
        return membership.waiting_list
    slug = slugify(territory.slug)[:70] or str(territory.pk)
    waiting_list, _created = WaitingList.objects.get_or_create(
        slug=slug, defaults={"name": _("Liste d'attente — %(name)s") % {"name": territory.name}}
    )
    WaitingListTerritory.objects.get_or_create(territory=territory, defaults={"waiting_list": waiting_list})
    return waiting_list


def waiting_list_for_commune(commune: Commune) -> WaitingList:
    """The list of the territory the commune belongs to; a commune outside every territory is refused."""
    territory = Territory.objects.filter(communes=commune).order_by("pk").first()
    if territory is None:
        raise ApplicationError(
            _(
                "%(commune)s n'est dans le territoire d'aucune CPTS de ce portail : adressez-vous à la CPAM "
                "de votre département."
            )
            % {"commune": commune.name},
            field="commune",
        )
    return waiting_list_of_territory(territory)


def rules_of(waiting_list: WaitingList) -> Rules:
    row = PriorityRules.objects.filter(waiting_list=waiting_list).first()
    if row is None:
        return Rules(weights=DEFAULT_WEIGHTS, levels=DEFAULT_LEVELS)
    return Rules(weights=row.weights or DEFAULT_WEIGHTS, levels=row.levels or DEFAULT_LEVELS)


def entry_priority(entry: Entry, *, rules: Rules | None = None) -> Priority:
    members = [
        PersonFacts(
            birth_date=member.birth_date,
            ald=member.ald,
            pregnancy=member.pregnancy,
            disability=member.disability,
            precarity=member.precarity,
            treatment_renewal=member.treatment_renewal,
        )
        for member in entry.members.all()
    ]
    return priority_of(
        members,
        flagged=bool(entry.flagged_by),
        rules=rules or rules_of(entry.waiting_list),
        today=timezone.localdate(),
    )


def entry_priority_refresh(entry: Entry, *, rules: Rules | None = None, actor: User | None = None) -> Priority:
    """Stores the entry's computed level, score and reasons (an override stays as the coordinator set it, in
    ``level_override``; the queue orders by ``priority_level``, which then holds the override)."""
    priority = entry_priority(entry, rules=rules)
    level = priority.level if entry.level_override is None else entry.level_override
    changed = (entry.priority_level, entry.priority_score, list(entry.priority_reasons)) != (
        level,
        priority.score,
        list(priority.reasons),
    )
    if changed:
        before = entry.priority_level
        entry.priority_level = level
        entry.priority_score = priority.score
        entry.priority_reasons = list(priority.reasons)
        entry.save(update_fields=["priority_level", "priority_score", "priority_reasons", "updated_at"])
        if before != level and entry.status != Entry.Status.UNVERIFIED:
            entry_event_record(
                entry=entry,
                kind=EntryEvent.Kind.LEVEL_CHANGED,
                actor=actor,
                details={"from": before, "to": level, "explanation": priority.explanation},
            )
    return priority


def entry_event_record(
    *, entry: Entry, kind: str, actor: User | None = None, by_patient: bool = False, details: dict | None = None
) -> EntryEvent:
    """The audit row of a change. ``details`` must hold no name, birth date or contact (it survives erasure)."""
    return EntryEvent.objects.create(
        entry=entry,
        kind=kind,
        actor=actor if actor is not None and actor.is_authenticated else None,
        by_patient=by_patient,
        details=details or {},
    )


# The patient's own link (status, update, withdraw, erase, re-confirm): sent at verification and in each reminder.
FOLLOW_LINK_PURPOSE = "waitlist"
FOLLOW_LINK_PATH = "/liste-attente/suivi/"


def entry_follow_link(entry: Entry) -> str:
    return patient_link_url(
        purpose=FOLLOW_LINK_PURPOSE, subject_id=str(entry.public_id), path=FOLLOW_LINK_PATH, version=entry.link_version
    )

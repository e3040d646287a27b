"""Suspected duplicates: two sign-ups of the same list holding a person with the same birth date and sex, whose
names read alike once accents, case and punctuation are set aside (``directory_search_text``, the project's one
SQL normalisation) and typos forgiven (``pg_trgm``'s similarity of the whole name, word order aside: "Lefèvre
Jean" and "Jean Lefebvre" are one name).

A suspicion never stops a sign-up and is never told to the person: the entry is kept, flagged
(``duplicate_suspected``) and a ``DuplicateSuspicion`` row per earlier entry waits for the coordinator, who merges
or dismisses it (``waitlist.services.coordination``). ``duplicate_candidates_for`` is the read the others reuse
(after an update, a handover import).
"""

from dataclasses import dataclass

from django.db import connection

from waitlist.models import DuplicateSuspicion, Entry, EntryEvent
from waitlist.services.common import entry_event_record

# Same birth date and sex already: 0.55 keeps "Dupont Marie-Hélène" / "Dupond Marie Helene" (0.82), "Durand
# Jeanne" / "Durand Jeannette" (0.72), and leaves out twins "Martin Camille" / "Martin Louise" (0.32).
SIMILARITY_THRESHOLD = 0.55
# The entries a new sign-up may duplicate: those still in the queue or just out of it. A withdrawn or erased one
# is a person who left; an unverified one may never be confirmed.
COMPARED_STATUSES = (Entry.Status.WAITING, Entry.Status.PROPOSED, Entry.Status.MATCHED, Entry.Status.INACTIVE)
MAX_CANDIDATES = 20

# The birth date index (waitlist_member_birth_date) finds the few people born that day; the similarity is then
# computed on those rows only.
_CANDIDATES_SQL = """
SELECT other.entry_id, max(similarity(
    directory_search_text(member.family_name || ' ' || member.given_names),
    directory_search_text(other.family_name || ' ' || other.given_names)
)) AS score
FROM waitlist_householdmember member
JOIN waitlist_householdmember other
  ON other.birth_date = member.birth_date AND other.sex = member.sex AND other.entry_id <> member.entry_id
JOIN waitlist_entry candidate ON candidate.id = other.entry_id
WHERE member.entry_id = %(entry)s
  AND candidate.waiting_list_id = %(waiting_list)s
  AND candidate.status = ANY(%(statuses)s)
GROUP BY other.entry_id
HAVING max(similarity(
    directory_search_text(member.family_name || ' ' || member.given_names),
    directory_search_text(other.family_name || ' ' || other.given_names)
)) >= %(threshold)s
ORDER BY score DESC, other.entry_id
LIMIT %(limit)s
"""


@dataclass(frozen=True)
class DuplicateCandidate:
    entry: Entry
    similarity: float


def duplicate_candidates_for(entry: Entry) -> list[DuplicateCandidate]:
    """The other entries of ``entry``'s list that hold one of its people (same birth date and sex, a name close
    enough), most alike first. A read for services (no scope, no access log): pages reach it through a scoped
    selector of their own."""
    with connection.cursor() as cursor:
        cursor.execute(
            _CANDIDATES_SQL,
            {
                "entry": entry.pk,
                "waiting_list": entry.waiting_list_id,
                "statuses": list(COMPARED_STATUSES),
                "threshold": SIMILARITY_THRESHOLD,
                "limit": MAX_CANDIDATES,
            },
        )
        scores = dict(cursor.fetchall())
    entries = Entry.objects.in_bulk(list(scores))
    return [DuplicateCandidate(entries[pk], float(score)) for pk, score in scores.items() if pk in entries]


def entry_duplicates_flag(*, entry: Entry) -> list[DuplicateCandidate]:
    """Writes a suspicion for each earlier entry ``entry`` may duplicate and flags it; the person is not told.
    Safe to run twice (one row per pair)."""
    candidates = duplicate_candidates_for(entry)
    if not candidates:
        return []
    DuplicateSuspicion.objects.bulk_create(
        [
            DuplicateSuspicion(entry=entry, other=candidate.entry, similarity=round(candidate.similarity, 3))
            for candidate in candidates
        ],
        ignore_conflicts=True,
    )
    if not entry.duplicate_suspected:
        entry.duplicate_suspected = True
        entry.save(update_fields=["duplicate_suspected", "updated_at"])
    entry_event_record(
        entry=entry,
        kind=EntryEvent.Kind.DUPLICATE_FLAGGED,
        details={"suspicions": len(candidates), "best_similarity": round(candidates[0].similarity, 2)},
    )
    return candidates

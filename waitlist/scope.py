"""Who is the user for the waiting list, resolved once per request (``waitlist_actor_for``): the GP's own
directory entry and the list of its territory (whose entries they may be proposed), the lists the user
coordinates (their entries, rules, duplicates, handovers), the lists they observe (figures only), and whether
their profession may see which GPs take new patients (no patient data in it).

A list is reached through its territories: a coordinator of any one of a shared list's territories works the
whole list (one queue for the département).
"""

from dataclasses import dataclass

from accounts.models import User
from accounts.roles import Role
from directory.models import RoleGrant, Territory
from waitlist.models import WaitingListTerritory
from waitlist.services.common import waiting_list_of_territory

GENERAL_PRACTICE_SPECIALTIES = frozenset({"SM54"})
# Pharmacists, midwives and nurses: they point patients to GPs who take new ones (RPPS professions 21, 50, 60).
ORIENTING_PROFESSIONS = frozenset({"21", "50", "60"})
_CACHE_ATTRIBUTE = "_waitlist_actor"


@dataclass(frozen=True)
class WaitlistActor:
    user: User
    entry_id: int | None  # the user's own directory entry
    is_gp: bool  # their entry is a general practitioner's: they pledge and draw
    gp_list_id: int | None  # the list of their entry's territory
    coordinated_list_ids: frozenset[int]
    observed_list_ids: frozenset[int]
    orients_patients: bool  # a pharmacist, midwife or nurse (or any professional): sees who accepts patients

    @property
    def coordinates(self) -> bool:
        return bool(self.coordinated_list_ids)

    @property
    def sees_statistics(self) -> bool:
        return bool(self.coordinated_list_ids or self.observed_list_ids)

    @property
    def statistics_list_ids(self) -> frozenset[int]:
        return self.coordinated_list_ids | self.observed_list_ids


def waitlist_actor_for(user: User) -> WaitlistActor:
    """Two queries (the grants with their entry, the lists of those territories), memoised on the user object
    for the request."""
    cached = getattr(user, _CACHE_ATTRIBUTE, None)
    if cached is not None:
        return cached
    entry_id = None
    is_gp = False
    orients = False
    entry_territory = None
    coordinated: set[int] = set()
    observed: set[int] = set()
    if user.is_authenticated:
        grants = (
            RoleGrant.objects.filter(user=user)
            .select_related("practitioner__profession")
            .prefetch_related("practitioner__specialties")
        )
        for grant in grants:
            if grant.role == Role.PROFESSIONAL and grant.practitioner is not None:
                entry = grant.practitioner
                entry_id = entry.pk
                entry_territory = entry.territory_id
                is_gp = any(s.code in GENERAL_PRACTICE_SPECIALTIES for s in entry.specialties.all())
                orients = True
            elif grant.role == Role.COORDINATOR and grant.territory_id:
                coordinated.add(grant.territory_id)
            elif grant.role == Role.OBSERVER and grant.territory_id:
                observed.add(grant.territory_id)
    wanted = coordinated | observed | ({entry_territory} if entry_territory else set())
    list_of = dict(
        WaitingListTerritory.objects.filter(territory_id__in=sorted(wanted)).values_list(
            "territory_id", "waiting_list_id"
        )
        if wanted
        else []
    )
    missing = wanted - set(list_of)
    if missing:
        # A territory's own list is created on first use (``waiting_list_of_territory``): its coordinator's menu
        # leads to it before anyone has signed up there.
        for territory in Territory.objects.filter(pk__in=sorted(missing)):
            list_of[territory.pk] = waiting_list_of_territory(territory).pk
    actor = WaitlistActor(
        user=user,
        entry_id=entry_id,
        is_gp=is_gp,
        gp_list_id=list_of.get(entry_territory) if is_gp else None,
        coordinated_list_ids=frozenset(list_of[t] for t in coordinated if t in list_of),
        observed_list_ids=frozenset(list_of[t] for t in observed if t in list_of),
        orients_patients=orients,
    )
    if user.is_authenticated:
        setattr(user, _CACHE_ATTRIBUTE, actor)
    return actor


def forget_waitlist_actor(user: User) -> None:
    """After a grant changes within one request (tests, the accounts page)."""
    if hasattr(user, _CACHE_ATTRIBUTE):
        delattr(user, _CACHE_ATTRIBUTE)

"""Who is the user for non-scheduled care: through which audiences they book, in which territories, and whose
slots they manage. Resolved once (``snp_actor_for``) and used by the selectors, the services and the pages.

- A regulator books for their grant's service (SAS / 15, 116 117, SOS Médecins, the CPTS line), in the grant's
  territory; a pharmacist or a nurse for their profession, a GP for the CPTS's GPs, in their entry's territory.
- A territory's slots are also open to the neighbouring territories it shares its offer with (``SharedOffer``).
- A slot is managed by its practitioner and by the secretaries of its site.
"""

from dataclasses import dataclass

from accounts.models import User
from accounts.roles import Role
from directory.models import RoleGrant
from snp.models import BookingAudience, SharedOffer

PHARMACIST_PROFESSIONS = frozenset({"21"})
NURSE_PROFESSIONS = frozenset({"60"})
GENERAL_PRACTICE_SPECIALTIES = frozenset({"SM54"})


@dataclass(frozen=True)
class SnpActor:
    user: User
    # What the user books through, and where: {audience: territory ids (their own and those sharing with it)}.
    booking: dict[str, frozenset[int]]
    entry_id: int | None  # their own directory entry (whose slots they publish)
    secretary_practice_ids: frozenset[int]  # the sites whose slots they manage as a secretary
    coordinated_territory_ids: frozenset[int]
    observed_territory_ids: frozenset[int]

    @property
    def books(self) -> bool:
        return bool(self.booking)

    def may_book(self, slot) -> bool:
        """The slot is open to one of the user's audiences, in a territory that audience reaches."""
        return self.booking_audience(slot) is not None

    def booking_audience(self, slot) -> str | None:
        """The first of the user's audiences the slot is open to, in a territory that audience reaches."""
        for audience, territory_ids in self.booking.items():
            if audience in slot.audiences and slot.territory_id in territory_ids:
                return audience
        return None

    def manages(self, slot) -> bool:
        return slot.practitioner_id == self.entry_id or slot.site_id in self.secretary_practice_ids


def _reach(own: dict[str, set[int]]) -> dict[str, frozenset[int]]:
    """Each audience's own territories plus those sharing their offer with one of them (one query)."""
    if not own:
        return {}
    shares = list(
        SharedOffer.objects.filter(shares_with_id__in=set().union(*own.values())).values_list(
            "territory_id", "shares_with_id"
        )
    )
    return {
        audience: frozenset(ids) | frozenset(giver for giver, taker in shares if taker in ids)
        for audience, ids in own.items()
    }


def snp_actor_for(user: User) -> SnpActor:
    """One query for the grants (with their entry's profession and specialties), one for the shared offers."""
    own: dict[str, set[int]] = {}
    entry_id = None
    secretary_practices: set[int] = set()
    coordinated: set[int] = set()
    observed: set[int] = set()
    if user.is_authenticated:
        grants = (
            RoleGrant.objects.filter(user=user)
            .select_related("practitioner__profession")
            .prefetch_related("practitioner__specialties", "practices")
        )
        for grant in grants:
            if grant.role == Role.REGULATOR and grant.territory_id:
                own.setdefault(grant.service or BookingAudience.SAS, set()).add(grant.territory_id)
            elif grant.role == Role.PROFESSIONAL and grant.practitioner is not None:
                entry = grant.practitioner
                entry_id = entry.pk
                profession = entry.profession.code if entry.profession else ""
                audience = None
                if profession in PHARMACIST_PROFESSIONS:
                    audience = BookingAudience.PHARMACISTS
                elif profession in NURSE_PROFESSIONS:
                    audience = BookingAudience.NURSES
                elif any(s.code in GENERAL_PRACTICE_SPECIALTIES for s in entry.specialties.all()):
                    audience = BookingAudience.GPS
                if audience and entry.territory_id:
                    own.setdefault(audience, set()).add(entry.territory_id)
            elif grant.role == Role.SECRETARY:
                secretary_practices.update(practice.pk for practice in grant.practices.all())
            elif grant.role == Role.COORDINATOR and grant.territory_id:
                coordinated.add(grant.territory_id)
            elif grant.role == Role.OBSERVER and grant.territory_id:
                observed.add(grant.territory_id)
    booking = _reach(own)
    return SnpActor(
        user=user,
        booking=booking,
        entry_id=entry_id,
        secretary_practice_ids=frozenset(secretary_practices),
        coordinated_territory_ids=frozenset(coordinated),
        observed_territory_ids=frozenset(observed),
    )

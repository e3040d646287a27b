"""Who may open which SNP page: named predicates for the views' ``permission_required`` and the menu (roles are
memoised for the request, so these cost no query). Which slots and bookings a user sees is decided by
``snp.scope`` and the selectors; each action's rules live in ``snp.services``."""

from accounts.models import User
from accounts.roles import Role, has_role
from directory.permissions import coordinated_territory_ids

# Aggregated figures, never a patient: the territory's coordinators and its observers (ARS, CPAM).
STATISTICS_ROLES = (Role.COORDINATOR, Role.OBSERVER)


def can_publish_snp_slots(user: User) -> bool:
    """A professional publishes their own slots; a secretary those of their practices' sites (the services check
    which)."""
    return has_role(user, Role.PROFESSIONAL, Role.SECRETARY)


def can_book_snp_slots(user: User) -> bool:
    """Regulators book for their service; pharmacists, nurses and GPs for their profession (the board of a
    professional whose profession books nothing is empty)."""
    return has_role(user, Role.REGULATOR, Role.PROFESSIONAL)


def can_see_nurses_on_call(user: User) -> bool:
    """Regulators, professionals and coordinators see who covers a commune now, with the nurse's number."""
    return has_role(user, Role.REGULATOR, Role.PROFESSIONAL) or bool(coordinated_territory_ids(user))


def can_coordinate_snp(user: User) -> bool:
    """Coordinators of at least one territory: the recall list, the unfilled-slot report, the rota, the tariffs."""
    return bool(coordinated_territory_ids(user))


def can_see_snp_statistics(user: User) -> bool:
    """Coordinators and observers of a territory: aggregated figures, never a patient."""
    return has_role(user, *STATISTICS_ROLES)

"""Who may open which referral page: named predicates for the views' ``permission_required`` and the menu.
Roles are memoised for the request, so most of these cost no query. Which requests a user sees is decided
elsewhere, by the selectors (``referrals.selectors``)."""

from accounts.models import User
from accounts.roles import Role, has_role
from directory.permissions import coordinated_territory_ids

# Aggregated figures, never a patient: the territory's coordinators and its observers (ARS, CPAM).
DASHBOARD_ROLES = (Role.COORDINATOR, Role.OBSERVER)


def can_send_referrals(user: User) -> bool:
    """A professional acting for their directory entry writes requests (``referral_send`` checks the entry)."""
    return has_role(user, Role.PROFESSIONAL)


def can_work_referral_inbox(user: User) -> bool:
    """Professionals and secretaries have a referral inbox (empty until a request reaches them)."""
    return has_role(user, Role.PROFESSIONAL, Role.SECRETARY)


def can_list_teleexpertise_acts(user: User) -> bool:
    """Every professional: each sees only their own acts (a professional without acts sees an empty month)."""
    return has_role(user, Role.PROFESSIONAL)


def can_manage_tariffs(user: User) -> bool:
    """Coordinators keep the tariff table (national prices: any coordinator, as for the directory's exports)."""
    return bool(coordinated_territory_ids(user))


def can_see_dashboard(user: User) -> bool:
    """Coordinators and observers of a territory (both roles always have one): the figures are aggregated,
    never a patient."""
    return has_role(user, *DASHBOARD_ROLES)


def can_follow_overdue_referrals(user: User) -> bool:
    """Coordinators of at least one territory follow its late requests (status and delays only)."""
    return bool(coordinated_territory_ids(user))

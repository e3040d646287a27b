"""Named predicates on the directory's role grants: who may open accounts and grant or revoke roles.

A coordinator manages the accounts of the territories they coordinate. A grant belongs to a territory through
its scope: its territory (coordination, regulation, observation), the territory of its practices
(secretariat) or of the practitioner's entry (professional).
"""

from accounts.roles import Role, has_role
from directory.models import ROLES_SCOPED_TO_TERRITORY, RoleGrant

_CACHE_ATTRIBUTE = "_cpts_coordinated_territory_ids"


def coordinated_territory_ids(user) -> frozenset[int]:
    """Ids of the territories the user coordinates; memoised on the user object for one request."""
    if not getattr(user, "is_authenticated", False) or not has_role(user, Role.COORDINATOR):
        return frozenset()
    cached = getattr(user, _CACHE_ATTRIBUTE, None)
    if cached is None:
        cached = frozenset(
            RoleGrant.objects.filter(user=user, role=Role.COORDINATOR).values_list("territory_id", flat=True)
        )
        setattr(user, _CACHE_ATTRIBUTE, cached)
    return cached


def grant_territory_ids(grant: RoleGrant) -> frozenset[int]:
    """The territories a grant's scope lies in (uses prefetched practices when there are some)."""
    if grant.role in ROLES_SCOPED_TO_TERRITORY:
        return frozenset({grant.territory_id})
    if grant.role == Role.SECRETARY:
        return frozenset(practice.territory_id for practice in grant.practices.all())
    if grant.role == Role.PROFESSIONAL and grant.practitioner is not None:
        return frozenset({grant.practitioner.territory_id}) if grant.practitioner.territory_id else frozenset()
    return frozenset()


def can_manage_accounts(user) -> bool:
    """Coordinators of at least one territory open accounts and grant roles there."""
    return bool(coordinated_territory_ids(user))


def can_manage_grant(user, grant: RoleGrant) -> bool:
    """The whole scope of the grant lies in territories the user coordinates."""
    territories = grant_territory_ids(grant)
    return bool(territories) and territories <= coordinated_territory_ids(user)

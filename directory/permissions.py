"""Named predicates of the directory: who may open accounts and grant or revoke roles, who may edit an entry.

A coordinator manages the accounts of the territories they coordinate. A grant belongs to a territory through
its scope: its territory (coordination, regulation, observation), the territory of its practices
(secretariat) or of the practitioner's entry (professional).

An entry (a practitioner, their channels and absences) is edited by the professional it describes, by a
secretary of a practice where they work, and by a coordinator of its territory.
"""

from accounts.roles import Role, has_role
from directory.models import ROLES_SCOPED_TO_TERRITORY, Activity, Practice, Practitioner, RoleGrant

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


def can_export_directory(user) -> bool:
    """Coordinators export search results (CSV, XLSX) to work on them outside the portal."""
    return bool(coordinated_territory_ids(user))


def can_manage_grant(user, grant: RoleGrant) -> bool:
    """The whole scope of the grant lies in territories the user coordinates."""
    territories = grant_territory_ids(grant)
    return bool(territories) and territories <= coordinated_territory_ids(user)


def can_edit_practitioner(user, practitioner: Practitioner) -> bool:
    """The professional for their own entry, a secretary of one of the practices where the practitioner works
    (an ``Activity``), a coordinator of the practitioner's territory (or of a practice where they work)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if (
        has_role(user, Role.PROFESSIONAL)
        and RoleGrant.objects.filter(user=user, role=Role.PROFESSIONAL, practitioner=practitioner).exists()
    ):
        return True
    if (
        has_role(user, Role.SECRETARY)
        and RoleGrant.objects.filter(
            user=user, role=Role.SECRETARY, practices__activities__practitioner=practitioner
        ).exists()
    ):
        return True
    territories = coordinated_territory_ids(user)
    if not territories:
        return False
    return practitioner.territory_id in territories or (
        Activity.objects.filter(practitioner=practitioner, practice__territory__in=territories).exists()
    )


def can_edit_practice(user, practice: Practice) -> bool:
    """A secretary of the practice, a professional who works there, a coordinator of its territory."""
    if not getattr(user, "is_authenticated", False):
        return False
    if practice.territory_id in coordinated_territory_ids(user):
        return True
    if (
        has_role(user, Role.SECRETARY)
        and RoleGrant.objects.filter(user=user, role=Role.SECRETARY, practices=practice).exists()
    ):
        return True
    return (
        has_role(user, Role.PROFESSIONAL)
        and Activity.objects.filter(
            practice=practice, practitioner__role_grants__user=user, practitioner__role_grants__role=Role.PROFESSIONAL
        ).exists()
    )


def can_follow_directory(user) -> bool:
    """Coordinators of at least one territory follow its directory: changes, claims, error reports, duplicates."""
    return bool(coordinated_territory_ids(user))


def coordinates_practitioner(user, practitioner: Practitioner) -> bool:
    """The user coordinates the entry's territory, or that of a practice where the practitioner works."""
    territories = coordinated_territory_ids(user)
    if not territories:
        return False
    return practitioner.territory_id in territories or (
        Activity.objects.filter(practitioner=practitioner, practice__territory__in=territories).exists()
    )

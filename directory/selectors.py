"""Reads of the directory scoped to a user, starting with the scopes of their role grants."""

from django.db.models import Q, QuerySet

from accounts.models import User
from accounts.roles import Role
from directory.models import Activity, Practice, Practitioner, RoleGrant, Territory


def role_grants_of(user: User) -> QuerySet[RoleGrant]:
    return (
        RoleGrant.objects.filter(user=user)
        .select_related("territory", "practitioner")
        .prefetch_related("practices")
        .order_by("role", "created_at")
    )


def practitioner_of(user: User) -> Practitioner | None:
    """The directory entry the user acts for as a professional, if any."""
    grant = RoleGrant.objects.filter(user=user, role=Role.PROFESSIONAL).select_related("practitioner").first()
    return grant.practitioner if grant else None


def practices_served_by(user: User) -> QuerySet[Practice]:
    """Practices whose inbox the user works: as a secretary of the practice, or as one of its practitioners."""
    as_secretary = RoleGrant.objects.filter(user=user, role=Role.SECRETARY).values("practices")
    as_practitioner = Activity.objects.filter(
        practitioner__role_grants__user=user, practitioner__role_grants__role=Role.PROFESSIONAL
    ).values("practice")
    return Practice.objects.filter(Q(pk__in=as_secretary) | Q(pk__in=as_practitioner)).order_by("name")


def territories_of(user: User, *roles: str) -> QuerySet[Territory]:
    """Territories where the user holds one of ``roles`` (coordination, regulation, observation)."""
    return Territory.objects.filter(role_grants__user=user, role_grants__role__in=roles).distinct()

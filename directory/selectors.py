"""Reads of the directory scoped to a user, starting with the scopes of their role grants."""

from django.db.models import Prefetch, Q, QuerySet

from accounts.models import User
from accounts.roles import Role
from directory.models import Activity, Practice, Practitioner, RoleGrant, RoleGrantEvent, Territory
from directory.permissions import coordinated_territory_ids


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


def _grants_prefetch() -> Prefetch:
    grants = (
        RoleGrant.objects.select_related("territory", "practitioner")
        .prefetch_related(Prefetch("practices", queryset=Practice.objects.order_by("name")))
        .order_by("role", "created_at")
    )
    return Prefetch("role_grants", queryset=grants)


def _accounts_in_scope(user: User) -> QuerySet[User]:
    territories = coordinated_territory_ids(user)
    if not territories:
        return User.objects.none()
    in_territory = RoleGrant.objects.filter(
        Q(territory__in=territories)
        | Q(role=Role.SECRETARY, practices__territory__in=territories)
        | Q(role=Role.PROFESSIONAL, practitioner__territory__in=territories)
    ).values("user")
    # Accounts without any grant were just opened (by an invitation) and wait for a role. Technical
    # administrators are left to the technical admin.
    return User.objects.filter(Q(pk__in=in_territory) | Q(role_grants__isnull=True)).exclude(is_superuser=True)


def accounts_managed_by(user: User, query: str = "") -> QuerySet[User]:
    """Accounts a coordinator manages: a grant in their territories, or no grant yet; searched by name, e-mail."""
    accounts = _accounts_in_scope(user)
    for word in query.split():
        accounts = accounts.filter(
            Q(email__icontains=word) | Q(first_name__icontains=word) | Q(last_name__icontains=word)
        )
    # The filters above join grants: the ids go through a subquery so that each account comes once.
    return (
        User.objects.filter(pk__in=accounts.values("pk"))
        .prefetch_related(_grants_prefetch())
        .order_by("last_name", "first_name", "email")
    )


def account_managed_by(user: User, account_public_id) -> User | None:
    """One account the coordinator manages, with its grants; None when it does not exist or is out of scope."""
    return accounts_managed_by(user).filter(public_id=account_public_id).first()


def practices_grantable_by(user: User) -> QuerySet[Practice]:
    return Practice.objects.filter(territory__in=coordinated_territory_ids(user)).order_by("name")


def practitioners_grantable_by(user: User) -> QuerySet[Practitioner]:
    """Directory entries of the coordinator's territories that no account acts for yet."""
    return Practitioner.objects.filter(territory__in=coordinated_territory_ids(user), user__isnull=True).order_by(
        "last_name", "first_name"
    )


def territories_coordinated_by(user: User) -> QuerySet[Territory]:
    return Territory.objects.filter(pk__in=coordinated_territory_ids(user)).order_by("name")


def role_grant_history(user: User, account: User) -> QuerySet[RoleGrantEvent]:
    """Role changes of ``account`` that the coordinator may read: those of their territories."""
    return RoleGrantEvent.objects.filter(user=account, territory__in=coordinated_territory_ids(user)).order_by(
        "-at", "-id"
    )

"""Reads of the accounts app, scoped to the user who asks."""

from datetime import date, datetime, time, timedelta

from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import AccessLog, ApiToken, User
from accounts.roles import Role, has_role


def territory_ids_coordinated_by(user) -> frozenset[int]:
    """Ids of the directory territories the user coordinates (read through ``user.role_grants``, without
    importing ``directory``)."""
    if not has_role(user, Role.COORDINATOR):
        return frozenset()
    return frozenset(user.role_grants.filter(role=Role.COORDINATOR).values_list("territory_id", flat=True))


def accounts_of_territories(territory_ids) -> QuerySet[User]:
    """Accounts holding a role scoped in one of these territories: by the grant's territory, the territory of
    its practices (secretariat) or of its directory entry (professional)."""
    return User.objects.filter(
        Q(role_grants__territory_id__in=territory_ids)
        | Q(role_grants__practices__territory_id__in=territory_ids)
        | Q(role_grants__practitioner__territory_id__in=territory_ids)
    ).distinct()


def territory_ids_of_roles(user: User) -> ArraySubquery:
    """The territories where ``user``'s roles lie, as an SQL expression: ``access_log_record`` stores it with
    each row in the same INSERT, so a logged read costs no extra query."""
    grant_model = user.role_grants.model  # directory.RoleGrant, reached without importing directory
    territory_model = grant_model._meta.get_field("territory").related_model
    in_scope = grant_model.objects.filter(user_id=user.pk).filter(
        Q(territory_id=OuterRef("pk"))
        | Q(practices__territory_id=OuterRef("pk"))
        | Q(practitioner__territory_id=OuterRef("pk"))
    )
    return ArraySubquery(territory_model.objects.filter(Exists(in_scope)).order_by("pk").values("pk"))


def api_tokens_of(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("revoked_at", "-created_at")


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def access_log_search(
    *,
    user: User,
    email: str = "",
    subject_type: str = "",
    subject_id: str = "",
    patient_ref: str = "",
    action: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[AccessLog]:
    """The access log as a coordinator searches it: the rows of readers whose roles lay, when they read, in a
    territory the coordinator coordinates. Nobody else reads it."""
    territory_ids = territory_ids_coordinated_by(user)
    if not territory_ids:
        raise PermissionDenied
    rows = AccessLog.objects.filter(territory_ids__overlap=sorted(territory_ids))
    if email:
        rows = rows.filter(user_email__icontains=email.strip())
    if subject_type:
        rows = rows.filter(subject_type=subject_type)
    if subject_id:
        rows = rows.filter(subject_id=subject_id.strip())
    if patient_ref:
        rows = rows.filter(patient_ref=patient_ref.strip())
    if action:
        rows = rows.filter(action=action)
    if date_from:
        rows = rows.filter(at__gte=_day_start(date_from))
    if date_to:
        rows = rows.filter(at__lt=_day_start(date_to) + timedelta(days=1))
    return rows.order_by("-at", "-id")

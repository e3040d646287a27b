"""Reads of the accounts app, scoped to the user who asks."""

from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import AccessLog, ApiToken, User
from accounts.roles import Role, has_role


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
    """The access log as a coordinator searches it. Nobody else reads it."""
    if not has_role(user, Role.COORDINATOR):
        raise PermissionDenied
    rows = AccessLog.objects.all()
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

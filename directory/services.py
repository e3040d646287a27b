"""Writes of the directory that this foundation needs: entries, practices and role grants."""

from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Role, forget_roles
from cpts_portal.lib.errors import ApplicationError
from directory.models import ROLES_SCOPED_TO_TERRITORY, Practice, Practitioner, RoleGrant, Territory


@transaction.atomic
def role_grant_create(
    *,
    user: User,
    role: str,
    territory: Territory | None = None,
    practitioner: Practitioner | None = None,
    practices: Iterable[Practice] = (),
    granted_by: User | None = None,
) -> RoleGrant:
    """Gives ``user`` a role with the scope that role needs; refuses an incomplete or duplicate scope."""
    practices = list(practices)
    if role not in Role.values:
        raise ApplicationError(_("Rôle inconnu."), field="role")
    if role == Role.PROFESSIONAL:
        if practitioner is None:
            raise ApplicationError(_("Un rôle de professionnel se rattache à une fiche de l'annuaire."))
        if practitioner.user_id not in (None, user.pk):
            raise ApplicationError(_("Cette fiche de l'annuaire est déjà rattachée à un autre compte."))
    if role == Role.SECRETARY and not practices:
        raise ApplicationError(_("Un rôle de secrétariat se rattache à au moins un cabinet."))
    if role in ROLES_SCOPED_TO_TERRITORY and territory is None:
        raise ApplicationError(_("Ce rôle se rattache à un territoire."))
    existing = RoleGrant.objects.filter(user=user, role=role)
    if role in ROLES_SCOPED_TO_TERRITORY:
        existing = existing.filter(territory=territory)
    if existing.exists():
        raise ApplicationError(_("Ce compte a déjà ce rôle."))
    grant = RoleGrant.objects.create(
        user=user,
        role=role,
        territory=territory,
        practitioner=practitioner if role == Role.PROFESSIONAL else None,
        granted_by=granted_by,
    )
    if practices:
        grant.practices.set(practices)
    if role == Role.PROFESSIONAL and practitioner.user_id is None:
        practitioner.user = user
        practitioner.save(update_fields=["user", "updated_at"])
    forget_roles(user)
    return grant

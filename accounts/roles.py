"""The roles a person can hold, and which of them can reach patient data.

A role is granted with a scope (a territory, practices, the person's own directory entry). The grant model,
``directory.RoleGrant``, lives in ``directory`` because those scopes point at directory objects and imports
point one way (accounts <- directory). This module reads only the role names, through the reverse relation
``user.role_grants``, so that ``accounts`` never imports ``directory``.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PROFESSIONAL = "professional", _("Professionnel de santé")
    SECRETARY = "secretary", _("Secrétariat")
    REGULATOR = "regulator", _("Régulation")
    COORDINATOR = "coordinator", _("Coordination CPTS")
    OBSERVER = "observer", _("Observation (ARS, CPAM)")


# Holding one of these means reaching patient data: multi-factor authentication is required first.
PATIENT_DATA_ROLES = frozenset({Role.PROFESSIONAL, Role.SECRETARY, Role.REGULATOR, Role.COORDINATOR})

_CACHE_ATTRIBUTE = "_cpts_roles"


def roles_of(user) -> frozenset[str]:
    """The roles the user holds, whatever their scope; memoised on the user object for one request."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, _CACHE_ATTRIBUTE, None)
    if cached is None:
        cached = frozenset(user.role_grants.values_list("role", flat=True))
        setattr(user, _CACHE_ATTRIBUTE, cached)
    return cached


def forget_roles(user) -> None:
    """Drops the memoised roles after a grant changed during the request."""
    if hasattr(user, _CACHE_ATTRIBUTE):
        delattr(user, _CACHE_ATTRIBUTE)


def has_role(user, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def reaches_patient_data(user) -> bool:
    return bool(roles_of(user) & PATIENT_DATA_ROLES)

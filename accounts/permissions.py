"""Named predicates on accounts and roles, shared by pages, the API and templates."""

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from accounts.roles import Role, has_role, reaches_patient_data

_MFA_ENABLED_ATTRIBUTE = "_cpts_mfa_enabled"


def mfa_required_but_missing(user) -> bool:
    """True when the user's roles reach patient data and they have not enrolled a second factor yet.

    Demo mode waives it so that the demo accounts can be tried at once.
    """
    if settings.DEMO_MODE or not getattr(user, "is_authenticated", False):
        return False
    if not reaches_patient_data(user):
        return False
    # Asked by the middleware, the API's permission and the directory's audience in one request: a factor found
    # is remembered on the user object, like the roles, so it costs one query per request. A missing one is asked
    # again, so a factor added during the request counts at once.
    if getattr(user, _MFA_ENABLED_ATTRIBUTE, False):
        return False
    enabled = is_mfa_enabled(user)
    if enabled:
        setattr(user, _MFA_ENABLED_ATTRIBUTE, True)
    return not enabled


def can_search_access_log(user) -> bool:
    return has_role(user, Role.COORDINATOR)


def can_see_outbox_failures(user) -> bool:
    return has_role(user, Role.COORDINATOR)


class IsAuthenticatedWithRequiredMfa(BasePermission):
    """The API's default: signed in (token or session), and MFA enrolled when the roles reach patient data."""

    message = _(
        "Activez la double authentification sur votre compte avant d'utiliser l'API : "
        "vos rôles donnent accès à des données de patients."
    )

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return not mfa_required_but_missing(user)


class IsCoordinator(BasePermission):
    message = _("Réservé à la coordination de la CPTS.")

    def has_permission(self, request, view):
        return has_role(request.user, Role.COORDINATOR)

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from accounts.permissions import mfa_required_but_missing

# Pages reachable before enrolment: allauth (sign-out, MFA set-up, password), language switch, health,
# static files. The API answers for itself (its permission class refuses with a JSON message).
_ALLOWED_PREFIXES = ("/accounts/", "/i18n/", "/healthz", "/static/", "/api/", "/favicon")


class RequireMfaForPatientDataMiddleware:
    """Sends a user whose roles reach patient data to the TOTP enrolment page until they have a second factor."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(_ALLOWED_PREFIXES) and mfa_required_but_missing(request.user):
            messages.warning(
                request,
                _(
                    "Vos rôles donnent accès à des données de patients : activez la double "
                    "authentification (application d'authentification) pour continuer."
                ),
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)

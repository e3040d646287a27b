from datetime import timedelta

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PortalAccountAdapter(DefaultAccountAdapter):
    """Accounts are opened by the CPTS (coordination, directory claims), never by public sign-up.

    allauth's e-mails (verification, password reset, MFA notices) need nothing here: Django's EMAIL_BACKEND
    is the outbox (``notifications.email.OutboxEmailBackend``), so they are rows first like every message.
    """

    error_messages = {
        **DefaultAccountAdapter.error_messages,
        # Say how long the lock lasts and what to do instead (see ACCOUNT_RATE_LIMITS["login_failed"]).
        "too_many_login_attempts": _(
            "Trop de tentatives de connexion échouées : ce compte est bloqué pendant 5 minutes. "
            "Réessayez ensuite, ou choisissez « Mot de passe oublié ? »."
        ),
    }

    def is_open_for_signup(self, request):
        return False

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        # A professional is sent to enrol a second factor right after typing their password, then shown
        # their recovery codes: asking for the password again would only be in the way. Changing or removing
        # a factor set up earlier still needs it.
        user = getattr(context.request, "user", None)
        if app == "allauth.mfa" and user is not None and user.is_authenticated and _is_enrolling(user):
            return False
        return super().is_reauthentication_required(app=app, **kwargs)


def _is_enrolling(user) -> bool:
    """No second factor yet, or the first one set up within the re-authentication period."""
    if not is_mfa_enabled(user):
        return True
    first = Authenticator.objects.filter(user=user).order_by("created_at").values_list("created_at", flat=True)[0]
    return timezone.now() - first < timedelta(seconds=account_settings.REAUTHENTICATION_TIMEOUT)

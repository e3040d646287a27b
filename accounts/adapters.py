from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from allauth.mfa.utils import is_mfa_enabled


class PortalAccountAdapter(DefaultAccountAdapter):
    """Accounts are opened by the CPTS (coordination, directory claims), never by public sign-up.

    allauth's e-mails (verification, password reset, MFA notices) need nothing here: Django's EMAIL_BACKEND
    is the outbox (``notifications.email.OutboxEmailBackend``), so they are rows first like every message.
    """

    def is_open_for_signup(self, request):
        return False

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        # A professional is sent to enrol a second factor right after typing their password: asking for it
        # again would only be in the way. Changing or removing an existing factor still needs it.
        user = getattr(context.request, "user", None)
        if app == "allauth.mfa" and user is not None and user.is_authenticated and not is_mfa_enabled(user):
            return False
        return super().is_reauthentication_required(app=app, **kwargs)

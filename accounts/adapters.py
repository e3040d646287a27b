from allauth.account.adapter import DefaultAccountAdapter


class PortalAccountAdapter(DefaultAccountAdapter):
    """Accounts are opened by the CPTS (coordination, directory claims), never by public sign-up.

    allauth's e-mails (verification, password reset, MFA notices) need nothing here: Django's EMAIL_BACKEND
    is the outbox (``notifications.email.OutboxEmailBackend``), so they are rows first like every message.
    """

    def is_open_for_signup(self, request):
        return False

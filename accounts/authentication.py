from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from accounts.services import api_token_authenticate


class PersonalTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Token <key>`` with a personal token created on the profile page or by
    ``manage.py issue_api_token``."""

    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("En-tête Authorization mal formé : « Token <clé> » attendu."))
        try:
            raw_key = header[1].decode()
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Jeton illisible.")) from None
        token = api_token_authenticate(raw_key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Jeton inconnu, révoqué ou compte désactivé."))
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword

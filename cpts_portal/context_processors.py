from django.conf import settings

from accounts.roles import Role, roles_of
from cpts_portal.demo_accounts import DEMO_ACCOUNTS, DEMO_PASSWORD
from cpts_portal.navigation import navigation_for


def portal(request):
    user = getattr(request, "user", None)
    held = roles_of(user) if user is not None else frozenset()
    context = {
        "DEMO_MODE": settings.DEMO_MODE,
        "site_url": settings.SITE_URL,
        "navigation": navigation_for(user) if user is not None else [],
        "user_role_labels": [label for value, label in Role.choices if value in held],
    }
    if settings.DEMO_MODE:  # listed on the login page, in demo mode only
        context["demo_accounts"] = DEMO_ACCOUNTS
        context["demo_password"] = DEMO_PASSWORD
    return context

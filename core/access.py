"""Deny by default: every page view of the project says who may open it with one of these decorators.

``tests/test_access_rules.py`` walks every URL pattern of the project's apps and fails when a view carries
none, so a page cannot be published by forgetting its check.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

ACCESS_RULE_ATTRIBUTE = "access_rule"


def _mark(view, rule: str):
    setattr(view, ACCESS_RULE_ATTRIBUTE, rule)
    return view


def public(view):
    """Anyone, signed in or not (patient self-service, public directory, health)."""
    return _mark(view, "public")


def authenticated(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return _mark(wrapper, "authenticated")


def permission_required(predicate: Callable[..., bool]):
    """Signed in and ``predicate(user)`` true (a named predicate from an app's permissions.py); else 403."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not predicate(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return _mark(wrapper, f"permission:{predicate.__name__}")

    return decorator

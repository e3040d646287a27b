"""The Content-Security-Policy of every response: scripts, styles and everything else come from the portal only.

Django 5.2 has no CSP of its own (6.0 adds one); this small middleware stands in until then, rather than one more
dependency to pin and audit for a single header. No page runs an inline script or an inline handler (their code
is in ``static/js/``), HTMX is told not to evaluate strings (``allowEval``) nor to inject its indicator
``<style>`` (``includeIndicatorStyles``, see ``templates/base.html``). A view that truly needs more says so with
``csp_override`` on that view alone.
"""

from collections.abc import Callable
from functools import wraps

HEADER = "Content-Security-Policy"

POLICY: dict[str, tuple[str, ...]] = {
    "default-src": ("'self'",),
    "script-src": ("'self'",),
    "style-src": ("'self'",),
    "img-src": ("'self'", "data:"),
    "frame-ancestors": ("'none'",),
    "form-action": ("'self'",),
    "base-uri": ("'none'",),
    "object-src": ("'none'",),
}


def policy_header(overrides: dict[str, tuple[str, ...]] | None = None) -> str:
    directives = {**POLICY, **(overrides or {})}
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


DEFAULT_HEADER = policy_header()


def csp_override(**directives: tuple[str, ...]) -> Callable:
    """Replaces some directives for one view (``script_src=("'self'", "'unsafe-inline'")``): the exception stays
    next to the view that needs it, and every other page keeps the strict policy."""
    header = policy_header({name.replace("_", "-"): sources for name, sources in directives.items()})

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            response.headers[HEADER] = header
            return response

        return wrapped

    return decorate


class ContentSecurityPolicyMiddleware:
    """Sets the policy on every response that has none yet (a ``csp_override`` view has set its own)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if HEADER not in response:
            response[HEADER] = DEFAULT_HEADER
        return response

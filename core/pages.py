"""The page layer's one way to do each thing: fetch an object for the user, put a refusal on a form, answer HTMX
with a fragment and everyone else with the page.

One rule for refusals, on the pages and in the API (``core.api``): what a user may not see answers **404**, as
if it did not exist (an outsider learns nothing, not even that it exists); what they may see but not change
answers **403**. Services and selectors say which with ``ApplicationError(code="not_found" | "forbidden")``.
"""

from collections.abc import Callable
from typing import TypeVar

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from core.errors import ApplicationError

T = TypeVar("T")

NOT_FOUND = "not_found"
FORBIDDEN = "forbidden"
CONFLICT = "conflict"  # someone else was first (a slot just booked): 409, with what is still possible


def raise_for_access(error: ApplicationError) -> None:
    """Turns an access refusal into 404 (may not see) or 403 (sees, may not change); other refusals pass."""
    if error.code == NOT_FOUND:
        raise Http404(error.message)
    if error.code == FORBIDDEN:
        raise PermissionDenied(error.message)


def fetch_or_404(getter: Callable[..., T | None], *args, **kwargs) -> T:
    """``getter(*args, **kwargs)`` (a selector such as ``practitioner_for_user(user, id, write=True)``), with its
    access refusals as 404/403 and a ``None`` answer as 404."""
    try:
        found = getter(*args, **kwargs)
    except ApplicationError as error:
        raise_for_access(error)
        raise
    if found is None:
        raise Http404
    return found


def refuse_on_form(form, error: ApplicationError) -> None:
    """A service's refusal on the form: on its field when the form has one, above the form otherwise. A form
    whose fields are named differently from the service's arguments maps them in ``SERVICE_FIELDS`` (service
    argument -> form field). An access refusal is not a form error: it becomes the 404/403 of the rule above."""
    raise_for_access(error)
    field = getattr(form, "SERVICE_FIELDS", {}).get(error.field, error.field)
    form.add_error(field if field in form.fields else None, error.message)


def with_vary(response: HttpResponse) -> HttpResponse:
    """Caches must keep the page and its HTMX fragment apart: both come from the same URL."""
    patch_vary_headers(response, ["HX-Request"])
    return response


def is_fragment_request(request: HttpRequest) -> bool:
    # An HTMX request asking for a whole page (hx-boost, history restore) wants the page.
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def page_or_fragment(
    request: HttpRequest, *, page: str, fragment: str, context: dict, status: int = 200
) -> HttpResponse:
    """One view, two answers: the fragment template for HTMX, the full page for everyone else, with ``Vary``."""
    template = fragment if is_fragment_request(request) else page
    return with_vary(render(request, template, context, status=status))

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors, services
from accounts.forms import AccessLogSearchForm, ApiTokenCreateForm
from accounts.permissions import can_search_access_log
from core.access import authenticated, permission_required
from core.errors import ApplicationError


@authenticated
@require_http_methods(["GET", "POST"])
def profile(request):
    """The user's own page: identity, roles, second factor, personal API tokens."""
    new_key = None
    form = ApiTokenCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, new_key = services.api_token_create(user=request.user, name=form.cleaned_data["name"])
        except ApplicationError as error:
            form.add_error(error.field, error.message)
        else:
            messages.success(request, _("Jeton « %(name)s » créé.") % {"name": token.name})
            form = ApiTokenCreateForm()
    status = 400 if request.method == "POST" and form.errors else 200
    return render(
        request,
        "accounts/profile.html",
        {"form": form, "tokens": selectors.api_tokens_of(request.user), "new_key": new_key},
        status=status,
    )


@authenticated
@require_POST
def api_token_revoke(request, token_id):
    try:
        token = services.api_token_revoke(user=request.user, token_public_id=token_id)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("accounts:profile")
    messages.success(request, _("Jeton « %(name)s » révoqué.") % {"name": token.name})
    return redirect("accounts:profile")


@permission_required(can_search_access_log)
def access_log(request):
    form = AccessLogSearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = selectors.access_log_search(user=request.user, **filters)
    page = Paginator(rows.select_related("user"), 50).get_page(request.GET.get("page"))
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "accounts/access_log.html", {"form": form, "page": page}, status=status)

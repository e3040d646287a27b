"""Directory pages: the search of the territory's professionals; for coordinators, the accounts of their
territories, invitations, role grants."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.access import permission_required, public
from core.errors import ApplicationError
from core.pages import fetch_or_404, is_fragment_request, page_or_fragment, raise_for_access, refuse_on_form
from directory import exports, selectors, services
from directory.forms import (
    RADIUS_CHOICES_KM,
    AccountInviteForm,
    AccountSearchForm,
    GrantScopeSearchForm,
    PractitionerSearchForm,
    RoleGrantForm,
)
from directory.maps import results_map
from directory.permissions import can_export_directory, can_manage_accounts


@permission_required(can_manage_accounts)
def account_list(request):
    """Accounts of the coordinator's territories and accounts still without a role; HTMX gets the results only."""
    form = AccountSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    page = Paginator(selectors.accounts_managed_by(request.user, query), 50).get_page(request.GET.get("page"))
    return page_or_fragment(
        request,
        page="directory/account_list.html",
        fragment="directory/_account_results.html",
        context={"form": form, "page": page, "query": query},
        status=400 if form.is_bound and form.errors else 200,
    )


@permission_required(can_manage_accounts)
@require_http_methods(["GET", "POST"])
def account_invite(request):
    form = AccountInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account = services.account_invite(acting_user=request.user, **form.cleaned_data)
        except ApplicationError as error:
            refuse_on_form(form, error)
        else:
            messages.success(
                request,
                _("Compte ouvert : %(email)s va recevoir un lien pour choisir son mot de passe.")
                % {"email": account.email},
            )
            return redirect("directory:account_detail", account_id=account.public_id)
    status = 400 if form.errors else 200
    return render(request, "directory/account_invite.html", {"form": form}, status=status)


def _grant_scope(request, data) -> selectors.GrantScope:
    search = GrantScopeSearchForm(data).scope()
    return selectors.grant_scope_for(
        request.user,
        role=search["role"],
        practice_q=search["practice_q"],
        practitioner_q=search["practitioner_q"],
        practices_picked=search["practices"],
        practitioner_picked=search["practitioner"],
    )


@permission_required(can_manage_accounts)
@require_http_methods(["GET", "POST"])
def account_detail(request, account_id):
    """An account's roles, each with a way to revoke it, and the form to grant one more.

    The form shows the scope of the role chosen only, and finds practices and entries by a search: HTMX asks this
    page (GET, ``role`` and what was typed) for the scope's fragment; without JavaScript, the form's "Afficher" and
    "Chercher" buttons post it back with ``step`` and the page comes back with the scope or the matches, nothing
    granted."""
    account = fetch_or_404(selectors.account_managed_by, request.user, account_id)
    step = request.POST.get("step") if request.method == "POST" else None
    data = request.POST if request.method == "POST" else request.GET
    if step in ("role", "search") or request.method == "GET":
        form = RoleGrantForm(acting_user=request.user, initial={k: data.get(k) for k in ("role", "territory")})
    else:
        form = RoleGrantForm(request.POST, acting_user=request.user)
    if request.method == "POST" and step is None and form.is_valid():
        try:
            grant = services.role_grant_give(acting_user=request.user, account=account, **form.cleaned_data)
        except ApplicationError as error:
            refuse_on_form(form, error)
        else:
            messages.success(
                request,
                _("Rôle « %(role)s » attribué à %(name)s.") % {"role": grant.get_role_display(), "name": account},
            )
            return redirect("directory:account_detail", account_id=account.public_id)
    scope = _grant_scope(request, data)
    context = {"account": account, "form": form, "scope": scope, "search": data}
    if request.method == "GET" and is_fragment_request(request):
        fragment = "directory/_grant_scope_fields.html"
        return page_or_fragment(request, page="directory/account_detail.html", fragment=fragment, context=context)
    grants, other_grants_count = selectors.account_grants_for(request.user, account)
    context.update(
        grants=grants,
        other_grants_count=other_grants_count,
        history=selectors.role_grant_history(request.user, account)[:50],
    )
    return render(request, "directory/account_detail.html", context, status=400 if form.errors else 200)


@permission_required(can_manage_accounts)
@require_http_methods(["GET", "POST"])
def role_grant_revoke(request, account_id, grant_id):
    """GET asks for confirmation; POST revokes."""
    account = selectors.account_managed_by(request.user, account_id)
    managed = selectors.account_grants_for(request.user, account)[0] if account else []
    grant = next((grant for grant in managed if grant.public_id == grant_id), None)
    if grant is None:
        raise Http404
    if request.method == "POST":
        try:
            services.role_grant_revoke(acting_user=request.user, grant_public_id=grant.public_id)
        except ApplicationError as error:
            raise_for_access(error)
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("Rôle « %(role)s » retiré à %(name)s.") % {"role": grant.get_role_display(), "name": account},
            )
        return redirect("directory:account_detail", account_id=account.public_id)
    return render(request, "directory/role_grant_revoke.html", {"account": account, "grant": grant})


SEARCH_PAGE_SIZE = 20
# An export is a working list for a coordinator, not a copy of the national directory.
EXPORT_LIMIT = 5000


@public
@require_http_methods(["GET"])
def practitioner_search(request):
    """The directory search: the whole page, or the results only for HTMX; a refused input is a 400 that keeps
    what was typed and says what is wrong, in French. Anyone may search; each sees the channels of their
    audience (the public, the public ones only)."""
    form = PractitionerSearchForm(request.GET or None)
    results, page_asked = None, None
    map_background = selectors.territory_commune_positions()  # cached: the map's faint communes

    def search(page):
        return selectors.practitioners_search(
            viewer=request.user,
            **form.search_arguments(),
            sort=_sort_of(request),
            limit=SEARCH_PAGE_SIZE,
            offset=(page - 1) * SEARCH_PAGE_SIZE,
        )

    if form.is_valid() and form.has_criteria():
        page = form.cleaned_data["page"] or 1
        try:
            results = search(page)
            if results.total and page > results.page_count:
                # "?page=999" of 8 pages (an old link, fewer matches since): the last page, saying so.
                page_asked, results = page, search(results.page_count)
        except ApplicationError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
    radius = request.GET.get("radius_km", "") if form.is_bound else ""
    context = {
        "form": form,
        "results": results,
        "page_asked": page_asked,
        "radius_choices": [str(km) for km in RADIUS_CHOICES_KM],
        "radius": radius or str(selectors.DEFAULT_RADIUS_KM),
        "can_export": can_export_directory(request.user),
        "query_without_page": _query_without_page(request),
        "sort": _sort_of(request),
        # The profile's "← Annuaire" comes back to these very results.
        "back_to_results": request.get_full_path(),
        "other_communes": _other_communes(request, results),
        "results_map": (
            results_map(
                centre=results.commune,
                radius_km=results.radius_km,
                practitioners=results.practitioners,
                first_number=results.offset + 1,
                background=map_background,
            )
            if results is not None and results.practitioners
            else None
        ),
    }
    refused = bool(form.errors) or (results is not None and results.unknown_place)
    return page_or_fragment(
        request,
        page="directory/search.html",
        fragment="directory/_search_results.html",
        context=context,
        status=400 if refused else 200,
    )


def _sort_of(request) -> str:
    """The order asked for (``?sort=response``: shortest measured first response first); an unknown value is
    passed on for ``practitioners_search`` to refuse in French."""
    return request.GET.get("sort", "").strip()


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _other_communes(request, results) -> list[tuple[object, str]]:
    """What else the place typed may mean, each with the query string of the same search around it."""
    if results is None or results.commune is None:
        return []
    offered = []
    for commune in results.other_communes:
        query = request.GET.copy()
        query.pop("page", None)
        query["place"] = selectors.commune_label(commune)
        offered.append((commune, query.urlencode()))
    return offered


@permission_required(can_export_directory)
@require_http_methods(["GET"])
def practitioner_search_export(request, file_format):
    """The results of a search (same query string as the page) as CSV or XLSX, up to ``EXPORT_LIMIT`` rows."""
    if file_format not in exports.FORMATS:
        raise Http404
    form = PractitionerSearchForm(request.GET or None)
    if not (form.is_valid() and form.has_criteria()):
        message = " ".join(error for errors in form.errors.values() for error in errors) if form.errors else ""
        return HttpResponse(
            message or _("Faites d'abord une recherche : l'export reprend ses résultats."),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    try:
        results = selectors.practitioners_search(
            viewer=request.user, **form.search_arguments(), sort=_sort_of(request), limit=EXPORT_LIMIT
        )
    except ApplicationError as error:
        return HttpResponse(error.message, status=400, content_type="text/plain; charset=utf-8")
    if results.unknown_place:
        return HttpResponse(
            _("Aucune commune ne correspond à « %(place)s ».") % {"place": form.cleaned_data["place"]},
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    return exports.search_results_response(results, file_format)

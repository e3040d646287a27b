"""Pages of tele-expertise billing and of the coordinator's dashboard: the tariff table (coordinators), each
professional's acts by month and their CSV, the closing survey of a tele-expertise, the dashboard and its CSV.

Thin: parse with the small forms below, call one service or selector, render. ``billing_context`` gives the
request page what its ``_billing.html`` and ``_survey.html`` partials need.
"""

import re

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.access import authenticated, permission_required
from core.errors import ApplicationError
from core.exports import csv_response
from core.pages import page_or_fragment, refuse_on_form, with_vary
from referrals import dashboard as dashboard_selectors
from referrals.forms import DashboardFilterForm, SurveyForm, TariffForm
from referrals.models import Referral, Tariff
from referrals.permissions import can_list_teleexpertise_acts, can_manage_tariffs, can_see_dashboard
from referrals.services import billing
from referrals.views import referral_or_404

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _parse_month(value: str) -> tuple[int, int] | None:
    match = _MONTH.match(value or "")
    if match is None:
        return None
    year, month = int(match[1]), int(match[2])
    return (year, month) if 2000 <= year <= 2100 and 1 <= month <= 12 else None


# --- Helpers ---------------------------------------------------------------------------------------------------


# --- Tariffs ---------------------------------------------------------------------------------------------------


@permission_required(can_manage_tariffs)
@require_http_methods(["GET", "POST"])
def tariff_list(request):
    """The tariffs of each side with their validity, and the form to add a price from a date. Rows are never
    edited: a new price is a new row."""
    form = TariffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            tariff = billing.tariff_create(acting_user=request.user, **form.cleaned_data)
        except ApplicationError as error:
            refuse_on_form(form, error)
        else:
            messages.success(
                request,
                _("Tarif ajouté : %(code)s à %(amount)s à partir du %(date)s.")
                % {
                    "code": tariff.code,
                    "amount": billing.amount_label(tariff.amount),
                    "date": tariff.valid_from.strftime("%d/%m/%Y"),
                },
            )
            return redirect("referrals:tariff_list")
    sides = billing.tariffs_by_side()
    context = {
        "form": form,
        "sides": [(label, sides[value]) for value, label in Tariff.Side.choices],
        "today": timezone.localdate(),
    }
    return render(request, "referrals/tariff_list.html", context, status=400 if form.errors else 200)


# --- Mes actes de télé-expertise -------------------------------------------------------------------------------


@permission_required(can_list_teleexpertise_acts)
@require_http_methods(["GET"])
def billing_acts(request):
    """The user's own acts of one month (``?mois=AAAA-MM``, the current month by default), both sides, totals."""
    months = dashboard_selectors.teleexpertise_act_months(request.user)
    today = timezone.localdate()
    chosen = request.GET.get("mois", "")
    parsed = _parse_month(chosen) if chosen else (today.year, today.month)
    if parsed is None:
        context = {"months": months, "month": None, "error": _("Choisissez un mois au format AAAA-MM.")}
        return with_vary(render(request, "referrals/billing_acts.html", context, status=400))
    year, month = parsed
    acts = dashboard_selectors.teleexpertise_acts_of_month(request.user, year=year, month=month, request=request)
    context = {"months": months, "month": acts, "chosen": f"{year:04d}-{month:02d}"}
    template = "referrals/billing_acts_table.html" if request.htmx else "referrals/billing_acts.html"
    return with_vary(render(request, template, context))


@permission_required(can_list_teleexpertise_acts)
@require_http_methods(["GET"])
def billing_acts_csv(request, year: str, month: str):
    parsed = _parse_month(f"{year}-{month}")
    if parsed is None:
        raise Http404
    acts = dashboard_selectors.teleexpertise_acts_of_month(
        request.user, year=parsed[0], month=parsed[1], request=request, export=True
    )
    return csv_response(
        dashboard_selectors.teleexpertise_acts_csv_rows(acts), filename=f"actes-teleexpertise-{year}-{month}.csv"
    )


# --- Closing survey --------------------------------------------------------------------------------------------


def billing_context(request, referral: Referral) -> dict:
    """What ``_billing.html`` and ``_survey.html`` need on the request page, besides ``referral``, ``request``
    and ``user``: the user's side of the billing and its record or reason, and the survey's form when the user
    may answer it."""
    outcome = billing.billing_outcome_for(request.user, referral)
    may_answer = outcome["side"] == Tariff.Side.REQUESTER and billing.survey_is_open(referral)
    return {
        "billing_side": outcome["side"],
        "billing_record": outcome["record"],
        "billing_reason": outcome["reason"],
        "billing_amount": billing.amount_label(outcome["record"].amount) if outcome["record"] else "",
        "survey_form": SurveyForm() if may_answer else None,
        "survey_url": reverse("referrals:survey_answer", args=[referral.public_id]),
        "survey_next": request.get_full_path(),
    }


@authenticated
@require_http_methods(["GET", "POST"])
def survey_answer(request, public_id):
    """GET: the survey on its own page. POST: the requesting GP answers it; HTMX gets the partial back, a normal
    form goes back to ``next`` (the request page) or to this page."""
    referral = referral_or_404(request, public_id)
    if referral.kind != Referral.Kind.TELEEXPERTISE:
        raise Http404
    form = None
    if request.method == "POST":
        if not billing.is_requesting_gp(request.user, referral):
            raise PermissionDenied(_("Seul le médecin qui a posé la question répond au questionnaire."))
        form = SurveyForm(request.POST)
        if form.is_valid():
            try:
                referral = billing.survey_answer(
                    acting_user=request.user,
                    referral=referral,
                    avoided_visit=form.cleaned_data["avoided_visit"],
                    avoided_emergency=form.cleaned_data["avoided_emergency"],
                )
            except ApplicationError as error:
                refuse_on_form(form, error)
            else:
                if not request.htmx:
                    messages.success(request, _("Merci : vos réponses au questionnaire sont enregistrées."))
                    target = request.POST.get("next", "")
                    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
                        target = reverse("referrals:survey_answer", args=[referral.public_id])
                    return redirect(target)
                form = None
    context = {"referral": referral, **billing_context(request, referral)}
    if form is not None:
        context["survey_form"] = form
    context["referral_url"] = reverse("referrals:detail", args=[referral.public_id])
    template = "referrals/_survey.html" if request.htmx else "referrals/billing_survey.html"
    status = 400 if form is not None and form.errors else 200
    return with_vary(render(request, template, context, status=status))


# --- Dashboard -------------------------------------------------------------------------------------------------


def _dashboard_for(request):
    form = DashboardFilterForm(request.GET or None, user=request.user)
    filters = form.cleaned_data if form.is_valid() else {}
    dashboard = dashboard_selectors.referral_dashboard(
        request.user, territory=filters.get("territory"), specialty=filters.get("specialty")
    )
    return form, dashboard


@permission_required(can_see_dashboard)
@require_http_methods(["GET"])
def dashboard(request):
    """Per specialty and month over the last 12 months, for the territories the user coordinates or observes."""
    form, figures = _dashboard_for(request)
    context = {
        "form": form,
        "dashboard": figures,
        "chart_data": dashboard_selectors.dashboard_chart_data(figures),
        "export_query": request.GET.urlencode(),
        "several_territories": len(form.fields["territory"].queryset) > 1,
    }
    # Back after a filter's swap asks for the whole page (a history restore): the page keeps no HTMX snapshot.
    return page_or_fragment(
        request,
        page="referrals/dashboard.html",
        fragment="referrals/dashboard_table.html",
        context=context,
        status=400 if form.errors else 200,
    )


@permission_required(can_see_dashboard)
@require_http_methods(["GET"])
def dashboard_csv(request):
    form, figures = _dashboard_for(request)
    if form.errors:
        message = " ".join(error for errors in form.errors.values() for error in errors)
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
    stamp = timezone.localdate().strftime("%Y-%m")
    return csv_response(dashboard_selectors.dashboard_csv_rows(figures), filename=f"tableau-de-bord-{stamp}.csv")

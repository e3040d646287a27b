"""The coordinator's SNP pages: the no-shows to call back, the monthly report of unfilled slots per professional
(CSV, XLSX) with its tariff table, the neighbouring territories the offer is shared with, and the month's
statistics (coordinators and observers: aggregates, never a patient).

Thin: parse with ``snp.forms``, call one service or selector, render. Coordinators only, except the statistics;
anyone else gets 403, and another territory's recall 404.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.access import permission_required
from core.errors import ApplicationError
from core.exports import csv_response, xlsx_response
from core.pages import fetch_or_404, raise_for_access, refuse_on_form
from directory.contact_values import display_value
from snp import selectors, services
from snp.forms import (
    MonthForm,
    NurseOnCallForm,
    RecallForm,
    SharedOfferForm,
    SharedOfferRemoveForm,
    StatisticsForm,
    UnfilledTariffForm,
)
from snp.permissions import can_coordinate_snp, can_see_snp_statistics
from snp.scope import snp_actor_for
from snp.statistics import month_statistics, statistics_chart_data

RECALLS_PAGE_SIZE = 50


# --- Recalls ---------------------------------------------------------------------------------------------------


def _recalls_page(request, *, error: str = "", status: int = 200):
    actor = snp_actor_for(request.user)
    done = request.GET.get("traites") == "1"
    page = Paginator(selectors.recalls_for_coordinator(actor, done=done), RECALLS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    selectors.booking_list_reads_record(actor, page, request=request)  # names and phones are on the page
    for booking in page:
        booking.phone_display = display_value("phone", booking.patient_phone) if booking.patient_phone else ""
    context = {
        "page": page,
        "done": done,
        "to_do_count": page.paginator.count if not done else selectors.recalls_to_do_count(actor),
        "error": error,
    }
    return render(request, "snp/coordination_recalls.html", context, status=status)


@permission_required(can_coordinate_snp)
@require_GET
@never_cache
def recalls(request):
    """The no-shows to call back in the coordinated territories (``?traites=1``: those already called)."""
    return _recalls_page(request)


@permission_required(can_coordinate_snp)
@require_POST
def recall_record(request, public_id):
    booking = fetch_or_404(selectors.recall_for_coordinator, snp_actor_for(request.user), public_id)
    form = RecallForm(request.POST)
    if not form.is_valid():
        return _recalls_page(request, error=_("Indiquez si le patient a été joint."), status=400)
    try:
        booking = services.booking_recall_record(
            acting_user=request.user, booking=booking, recall=form.cleaned_data["recall"]
        )
    except ApplicationError as error:
        raise_for_access(error)
        return _recalls_page(request, error=error.message, status=400)
    messages.success(
        request,
        _("Rappel enregistré : %(outcome)s.") % {"outcome": booking.get_recall_display().lower()},
    )
    return redirect("snp:recalls")


# --- Unfilled slots --------------------------------------------------------------------------------------------


def _unfilled_report(request, month):
    territories = snp_actor_for(request.user).coordinated_territory_ids
    return selectors.unfilled_report(territory_ids=territories, month=month)


@permission_required(can_coordinate_snp)
@require_GET
@never_cache
def unfilled_report(request):
    """Each professional's slots left unfilled in a month (``?mois=AAAA-MM``) and what they come to."""
    form = MonthForm(request.GET or None)
    report = _unfilled_report(request, form.month)
    context = {"form": form, "report": report, "export_stamp": f"{report.month:%Y-%m}"}
    return render(request, "snp/coordination_unfilled.html", context, status=400 if form.errors else 200)


def _export_month(year: str, month: str):
    form = MonthForm({"mois": f"{year}-{month}"})
    if not form.is_valid():
        raise Http404
    return form.cleaned_data["mois"]


@permission_required(can_coordinate_snp)
@require_GET
@never_cache
def unfilled_report_csv(request, year, month):
    report = _unfilled_report(request, _export_month(year, month))
    return csv_response(selectors.unfilled_report_rows(report), filename=f"creneaux-non-pourvus-{year}-{month}.csv")


@permission_required(can_coordinate_snp)
@require_GET
@never_cache
def unfilled_report_xlsx(request, year, month):
    report = _unfilled_report(request, _export_month(year, month))
    return xlsx_response(
        selectors.unfilled_report_rows(report),
        filename=f"creneaux-non-pourvus-{year}-{month}.xlsx",
        sheet_title=_("Créneaux non pourvus"),
    )


@permission_required(can_coordinate_snp)
@require_http_methods(["GET", "POST"])
def unfilled_tariffs(request):
    """The amounts per unfilled slot with their validity, and the form to add one from a date. Rows are never
    edited: a new amount is a new row."""
    territories = snp_actor_for(request.user).coordinated_territory_ids
    form = UnfilledTariffForm(request.POST or None, territory_ids=territories)
    if request.method == "POST" and form.is_valid():
        try:
            tariff = services.unfilled_tariff_create(acting_user=request.user, **form.cleaned_data)
        except ApplicationError as error:
            refuse_on_form(form, error)
        else:
            messages.success(
                request,
                _("Tarif ajouté : %(amount)s € par créneau non pourvu à partir du %(date)s (%(territory)s).")
                % {
                    "amount": f"{tariff.amount_cents / 100:.2f}".replace(".", ","),
                    "date": tariff.valid_from.strftime("%d/%m/%Y"),
                    "territory": tariff.territory.name,
                },
            )
            return redirect("snp:unfilled_tariffs")
    context = {"form": form, "rows": selectors.unfilled_tariffs(territories), "today": timezone.localdate()}
    return render(request, "snp/coordination_tariffs.html", context, status=400 if form.errors else 200)


# --- Shared offer ----------------------------------------------------------------------------------------------


@permission_required(can_coordinate_snp)
@require_http_methods(["GET", "POST"])
def shared_offers(request):
    """The neighbouring territories each coordinated territory shares its slots with, those sharing theirs with
    it, and the form to share with one more."""
    territories = snp_actor_for(request.user).coordinated_territory_ids
    form = SharedOfferForm(request.POST or None, territory_ids=territories)
    if request.method == "POST" and form.is_valid():
        try:
            offer = services.shared_offer_add(acting_user=request.user, **form.cleaned_data)
        except ApplicationError as error:
            refuse_on_form(form, error)
        else:
            messages.success(
                request,
                _("%(territory)s partage désormais ses créneaux avec %(neighbour)s.")
                % {"territory": offer.territory.name, "neighbour": offer.shares_with.name},
            )
            return redirect("snp:shared_offers")
    context = {"form": form, "offers": list(selectors.shared_offers_of(territories).values())}
    return render(request, "snp/coordination_shared.html", context, status=400 if form.errors else 200)


@permission_required(can_coordinate_snp)
@require_POST
def shared_offer_remove(request):
    form = SharedOfferRemoveForm(request.POST, territory_ids=snp_actor_for(request.user).coordinated_territory_ids)
    if not form.is_valid():  # a territory the user does not coordinate, or no such territory
        raise Http404
    try:
        services.shared_offer_remove(acting_user=request.user, **form.cleaned_data)
    except ApplicationError as error:
        raise_for_access(error)
        raise
    messages.success(
        request,
        _("%(territory)s ne partage plus ses créneaux avec %(neighbour)s.")
        % {"territory": form.cleaned_data["territory"].name, "neighbour": form.cleaned_data["shares_with"].name},
    )
    return redirect("snp:shared_offers")


# --- Statistics ------------------------------------------------------------------------------------------------


@permission_required(can_see_snp_statistics)
@require_GET
@never_cache
def statistics(request):
    """The month's figures of the territories the user coordinates or observes: aggregates, never a patient."""
    actor = snp_actor_for(request.user)
    form = StatisticsForm(
        request.GET or None, territory_ids=actor.coordinated_territory_ids | actor.observed_territory_ids
    )
    stats = month_statistics(territory_ids=form.chosen_territory_ids, month=form.month)
    context = {
        "form": form,
        "stats": stats,
        "chart_data": statistics_chart_data(stats),
        "coordinates": can_coordinate_snp(request.user),
    }
    return render(request, "snp/statistics.html", context, status=400 if form.errors else 200)


# --- The nurses' on-call rota ----------------------------------------------------------------------------------


@permission_required(can_coordinate_snp)
@require_http_methods(["GET", "POST"])
def nurse_rota(request):
    """The current and coming shifts of the nurses' rota, and the form to publish one more."""
    territories = snp_actor_for(request.user).coordinated_territory_ids
    form = NurseOnCallForm(request.POST or None, territory_ids=territories)
    if request.method == "POST" and form.is_valid():
        try:
            services.nurse_on_call_add(acting_user=request.user, **form.cleaned_data)
        except ApplicationError as error:
            refuse_on_form(form, error)
        else:
            messages.success(request, _("L'astreinte est publiée."))
            return redirect("snp:nurse_rota")
    context = {"form": form, "rota": selectors.nurse_rota_of(territories)}
    return render(request, "snp/coordination_rota.html", context, status=400 if form.errors else 200)


@permission_required(can_coordinate_snp)
@require_POST
def nurse_rota_remove(request, public_id):
    territories = snp_actor_for(request.user).coordinated_territory_ids
    on_call = selectors.nurse_rota_of(territories, now=timezone.now()).filter(public_id=public_id).first()
    if on_call is None:
        raise Http404
    services.nurse_on_call_remove(acting_user=request.user, on_call=on_call)
    messages.success(request, _("L'astreinte est retirée."))
    return redirect("snp:nurse_rota")

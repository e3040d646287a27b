"""The handover plans of departing GPs under /liste-attente/coordination/reprises/: the list, a new plan, one
plan (month by month against the pledges: planned, proposed, accepted; the numbers to edit; a month turned into
proposals), and the CSV upload of the departing GP's patients with its report. Coordinators only."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.access import permission_required
from core.errors import ApplicationError
from core.pages import fetch_or_404, raise_for_access, refuse_on_form
from waitlist.coordination_forms import (
    AllocationsForm,
    HandoverImportForm,
    HandoverPlanForm,
    MonthProposeForm,
    allocation_field_name,
)
from waitlist.permissions import can_coordinate_waitlist, can_upload_handover_patients
from waitlist.scope import waitlist_actor_for
from waitlist.selectors import coordination as selectors
from waitlist.services import handover as services


def _plan(request, public_id):
    return fetch_or_404(selectors.handover_plan_for_coordinator, waitlist_actor_for(request.user), public_id)


@permission_required(can_coordinate_waitlist)
@require_GET
@never_cache
def plan_list(request):
    plans = selectors.handover_plans_of(waitlist_actor_for(request.user))
    return render(request, "waitlist/coordination_handover_list.html", {"plans": plans})


@permission_required(can_coordinate_waitlist)
@require_http_methods(["GET", "POST"])
def plan_new(request):
    actor = waitlist_actor_for(request.user)
    form = HandoverPlanForm(request.POST or None, practitioners=selectors.departing_practitioner_choices(actor))
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.handover_plan_create(acting_user=request.user, **form.cleaned_data)
        except ApplicationError as error:
            refuse_on_form(form, error)
        else:
            messages.success(request, _("Plan créé : envoyez maintenant le fichier des patients."))
            return redirect("waitlist:coordination_handover_import", public_id=plan.public_id)
    return render(
        request, "waitlist/coordination_handover_new.html", {"form": form}, status=400 if form.errors else 200
    )


def _plan_page(request, plan, *, form=None, status=200):
    board = selectors.handover_plan_board(plan)
    form = form or AllocationsForm(board=board)
    rows = [
        {
            "row": row,
            "cells": [
                {
                    "pledge": pledge,
                    "cell": row.cells.get(pledge.pk),
                    "field": form[allocation_field_name(row.month, pledge)],
                }
                for pledge in board.pledges
            ],
            "summer": row.month.month in services.MONTH_WEIGHTS,
        }
        for row in board.months
    ]
    context = {
        "plan": plan,
        "board": board,
        "form": form,
        "rows": rows,
        "summer_weight": services.MONTH_WEIGHTS[7],
        "upload_url": request.build_absolute_uri(
            reverse("waitlist:coordination_handover_import", kwargs={"public_id": plan.public_id})
        ),
    }
    return render(request, "waitlist/coordination_handover_detail.html", context, status=status)


@permission_required(can_coordinate_waitlist)
@require_http_methods(["GET", "POST"])
def plan_detail(request, public_id):
    """The plan month by month; POST saves the numbers typed in its table."""
    plan = _plan(request, public_id)
    if request.method == "GET":
        return _plan_page(request, plan)
    form = AllocationsForm(request.POST, board=selectors.handover_plan_board(plan))
    if form.is_valid():
        try:
            services.handover_allocations_save(acting_user=request.user, plan=plan, planned=form.planned())
        except ApplicationError as error:
            refuse_on_form(form, error)
        else:
            messages.success(request, _("Répartition enregistrée."))
            return redirect("waitlist:coordination_handover_detail", public_id=plan.public_id)
    return _plan_page(request, plan, form=form, status=400)


@permission_required(can_coordinate_waitlist)
@require_POST
def plan_spread(request, public_id):
    plan = _plan(request, public_id)
    try:
        result = services.handover_allocations_spread(acting_user=request.user, plan=plan)
    except ApplicationError as error:
        raise_for_access(error)
        messages.error(request, error.message)
    else:
        message = _("%(planned)d patients répartis sur les mois à venir.") % {"planned": result.planned}
        if result.unplaced:
            message += " " + _("%(unplaced)d restent sans place : les engagements ouverts n'en offrent pas assez.") % {
                "unplaced": result.unplaced
            }
        messages.success(request, message)
    return redirect("waitlist:coordination_handover_detail", public_id=plan.public_id)


@permission_required(can_coordinate_waitlist)
@require_POST
def plan_propose(request, public_id):
    plan = _plan(request, public_id)
    form = MonthProposeForm(request.POST)
    if not form.is_valid() or form.cleaned_data["month"] is None:
        messages.error(request, _("Mois illisible."))
        return redirect("waitlist:coordination_handover_detail", public_id=plan.public_id)
    month = form.cleaned_data["month"]
    try:
        made = services.handover_month_propose(acting_user=request.user, plan=plan, month=month)
    except ApplicationError as error:
        raise_for_access(error)
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("%(count)d propositions faites pour %(month)s : les médecins les voient dans leurs propositions.")
            % {"count": len(made), "month": month.strftime("%m/%Y")},
        )
    return redirect("waitlist:coordination_handover_detail", public_id=plan.public_id)


@permission_required(can_upload_handover_patients)
@require_http_methods(["GET", "POST"])
def plan_import(request, public_id):
    """The upload page, for the coordination and the departing GP's practice: the columns expected, the consent
    text the practice confirms, and after an upload the report (how many signed up, each rejected line with its
    reason)."""
    actor = waitlist_actor_for(request.user)
    plan = fetch_or_404(selectors.handover_plan_for_uploader, actor, public_id)
    form = HandoverImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > services.MAX_IMPORT_BYTES:
                raise ApplicationError(
                    _("Le fichier dépasse %(max)d Mo : découpez-le en plusieurs envois.")
                    % {"max": services.MAX_IMPORT_BYTES // 2**20},
                    field="file",
                )
            report = services.handover_import(
                acting_user=request.user,
                plan=plan,
                content=upload.read(),
                consent_confirmed=form.cleaned_data["consent_confirmed"],
            )
        except ApplicationError as error:
            refuse_on_form(form, error)
    context = {
        "plan": plan,
        "form": form,
        "report": report,
        "consent_text": services.HANDOVER_CONSENT_TEXT,
        "columns": services.COLUMNS,
        "coordinates": plan.waiting_list_id in actor.coordinated_list_ids,
    }
    return render(request, "waitlist/coordination_handover_import.html", context, status=400 if form.errors else 200)

"""The coordination's pages of the waiting list under /liste-attente/coordination/: the queue, one entry (its
level fixed by hand, its notes), the priority rules, the duplicates to merge or dismiss. Coordinators of a
territory that keeps a list only (anyone else: 403); an entry of another list answers 404.

Thin: parse with ``waitlist.coordination_forms``, call one service or selector, render.
"""

import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.access import permission_required
from core.errors import ApplicationError
from core.pages import fetch_or_404, raise_for_access, refuse_on_form
from directory.contact_values import display_value
from waitlist.coordination_forms import (
    DismissForm,
    EntryNoteForm,
    LevelOverrideForm,
    MergeForm,
    PriorityRulesForm,
    QueueFilterForm,
)
from waitlist.models import Entry
from waitlist.permissions import can_coordinate_waitlist
from waitlist.priority import CRITERIA, PersonFacts, Rules, priority_of, rules_checked
from waitlist.scope import waitlist_actor_for
from waitlist.selectors import coordination as selectors
from waitlist.services import coordination as services

QUEUE_PAGE_SIZE = 50


def _first_rules(rules: dict) -> Rules:
    return rules[min(rules)] if rules else selectors.DEFAULT_RULES


# --- The queue --------------------------------------------------------------------------------------------------


@permission_required(can_coordinate_waitlist)
@require_GET
@never_cache
def queue(request):
    """The entries of the coordinated lists in the draw's order, filtered (the waiting ones by default)."""
    actor = waitlist_actor_for(request.user)
    rules = selectors.rules_by_list(actor.coordinated_list_ids)
    data = request.GET.copy()
    data.setdefault("statut", Entry.Status.WAITING)  # the waiting entries unless asked otherwise
    form = QueueFilterForm(data, rules=_first_rules(rules))
    filters = form.filters()
    page = Paginator(selectors.coordination_queue(actor, filters), QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    selectors.queue_rows_labelled(page, rules)
    selectors.queue_reads_record(actor, page, request=request)
    context = {"form": form, "page": page, "filters": filters, "several_lists": len(rules) > 1}
    return render(request, "waitlist/coordination_queue.html", context, status=400 if form.errors else 200)


# --- One entry --------------------------------------------------------------------------------------------------


def _entry_page(request, public_id, *, override_form=None, note_form=None, status=200):
    actor = waitlist_actor_for(request.user)
    detail = fetch_or_404(selectors.entry_detail_for_coordinator, actor, public_id, request=request)
    entry = detail.entry
    context = {
        "detail": detail,
        "entry": entry,
        "override_form": override_form
        or LevelOverrideForm(
            rules=detail.rules,
            initial={"level": str(entry.priority_level), "reason": entry.level_override_reason},
        ),
        "phone_display": display_value("phone", entry.phone) if entry.phone else "",
        "note_form": note_form or EntryNoteForm(),
        "criteria": CRITERIA,
        "reasons": [CRITERIA.get(key, key) for key in entry.priority_reasons],
    }
    return render(request, "waitlist/coordination_entry.html", context, status=status)


@permission_required(can_coordinate_waitlist)
@require_GET
@never_cache
def entry_detail(request, public_id):
    return _entry_page(request, public_id)


@permission_required(can_coordinate_waitlist)
@require_POST
def entry_override(request, public_id):
    """Fixes the entry's level (``level`` and ``reason``), or gives it back to the rules (``remove``)."""
    actor = waitlist_actor_for(request.user)
    entry = fetch_or_404(selectors.entry_for_coordinator, actor, public_id)
    if "remove" in request.POST:
        try:
            services.entry_level_override(acting_user=request.user, entry=entry, level=None)
        except ApplicationError as error:
            raise_for_access(error)
            messages.error(request, error.message)
        else:
            messages.success(request, _("Le niveau suit de nouveau les règles de priorité."))
        return redirect("waitlist:coordination_entry", public_id=entry.public_id)
    rules = selectors.rules_by_list([entry.waiting_list_id])[entry.waiting_list_id]
    form = LevelOverrideForm(request.POST, rules=rules)
    if form.is_valid():
        try:
            entry = services.entry_level_override(
                acting_user=request.user,
                entry=entry,
                level=int(form.cleaned_data["level"]),
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as error:
            refuse_on_form(form, error)
        else:
            messages.success(
                request,
                _("Niveau fixé : %(label)s.") % {"label": rules.levels[entry.priority_level]["label"]},
            )
            return redirect("waitlist:coordination_entry", public_id=entry.public_id)
    return _entry_page(request, public_id, override_form=form, status=400)


@permission_required(can_coordinate_waitlist)
@require_POST
def entry_note(request, public_id):
    actor = waitlist_actor_for(request.user)
    entry = fetch_or_404(selectors.entry_for_coordinator, actor, public_id)
    form = EntryNoteForm(request.POST)
    if form.is_valid():
        try:
            services.entry_note_add(acting_user=request.user, entry=entry, text=form.cleaned_data["text"])
        except ApplicationError as error:
            refuse_on_form(form, error)
        else:
            messages.success(request, _("Note ajoutée."))
            return redirect("waitlist:coordination_entry", public_id=entry.public_id)
    return _entry_page(request, public_id, note_form=form, status=400)


# --- The rules --------------------------------------------------------------------------------------------------

# The households the rules page explains, so that a coordinator sees what a change does before saving it.
_TODAY = datetime.date(2026, 1, 1)


def _years_ago(years: int) -> datetime.date:
    return datetime.date(_TODAY.year - years, 6, 1)


RULE_EXAMPLES = [
    (_("ALD et 72 ans"), [PersonFacts(birth_date=_years_ago(72), ald=True)], False),
    (_("Enceinte, 30 ans"), [PersonFacts(birth_date=_years_ago(30), pregnancy=True)], False),
    (
        _("Famille : un parent bénéficiaire de la CSS et un bébé de 1 an"),
        [PersonFacts(birth_date=_years_ago(35), precarity=True), PersonFacts(birth_date=_years_ago(1))],
        False,
    ),
    (_("Handicap, signalé par un élu"), [PersonFacts(birth_date=_years_ago(50), disability=True)], True),
    (_("Traitement à renouveler, 45 ans"), [PersonFacts(birth_date=_years_ago(45), treatment_renewal=True)], False),
    (_("Aucun critère, 40 ans"), [PersonFacts(birth_date=_years_ago(40))], False),
]


def rule_examples(rules: Rules) -> list[tuple[str, str]]:
    return [
        (str(label), priority_of(people, flagged=flagged, rules=rules, today=_TODAY).explanation)
        for label, people, flagged in RULE_EXAMPLES
    ]


def _chosen_list(request, actor):
    lists = list(selectors.coordinated_lists(actor))
    wanted = request.GET.get("liste") or request.POST.get("liste")
    chosen = next((wl for wl in lists if wl.slug == wanted), None) if wanted else lists[0]
    if chosen is None:
        raise Http404
    return lists, chosen


@permission_required(can_coordinate_waitlist)
@require_http_methods(["GET", "POST"])
def rules(request):
    """The list's weights and levels, the explanation of a few households under them; « Aperçu » shows the
    explanations under the rules typed without saving; saving recomputes the waiting entries' levels."""
    actor = waitlist_actor_for(request.user)
    lists, waiting_list = _chosen_list(request, actor)
    current = selectors.rules_by_list([waiting_list.pk])[waiting_list.pk]
    row = selectors.priority_rules_row(waiting_list)
    form = PriorityRulesForm(request.POST or None, rules=current)
    shown_rules, preview = current, False
    if request.method == "POST" and form.is_valid():
        weights, levels = form.rules_input()
        try:
            if "apercu" in request.POST:
                shown_rules, preview = rules_checked(weights=weights, levels=levels), True
            else:
                row, changed = services.priority_rules_save(
                    acting_user=request.user, waiting_list=waiting_list, weights=weights, levels=levels
                )
                if changed is None:
                    message = _(
                        "Règles enregistrées (version %(version)d) : les niveaux des inscriptions en attente sont "
                        "recalculés en arrière-plan, en quelques minutes."
                    ) % {"version": row.version}
                else:
                    message = _(
                        "Règles enregistrées (version %(version)d) : %(changed)d inscriptions ont changé de niveau."
                    ) % {"version": row.version, "changed": changed}
                messages.success(request, message)
                url = reverse("waitlist:coordination_rules")
                return redirect(f"{url}?liste={waiting_list.slug}" if len(lists) > 1 else url)
        except ApplicationError as error:
            refuse_on_form(form, error)
    context = {
        "form": form,
        "lists": lists,
        "waiting_list": waiting_list,
        "row": row,
        "examples": rule_examples(shown_rules),
        "preview": preview,
        "shown_rules": shown_rules,
    }
    return render(request, "waitlist/coordination_rules.html", context, status=400 if form.errors else 200)


# --- Duplicates -------------------------------------------------------------------------------------------------


@permission_required(can_coordinate_waitlist)
@require_GET
@never_cache
def duplicates(request):
    actor = waitlist_actor_for(request.user)
    pairs = selectors.duplicate_pairs(actor, request=request)
    return render(request, "waitlist/coordination_duplicates.html", {"pairs": pairs})


def _pair(request, first_id, second_id):
    actor = waitlist_actor_for(request.user)
    return (
        fetch_or_404(selectors.entry_for_coordinator, actor, first_id),
        fetch_or_404(selectors.entry_for_coordinator, actor, second_id),
    )


@permission_required(can_coordinate_waitlist)
@require_POST
def duplicate_merge(request):
    form = MergeForm(request.POST)
    if not form.is_valid():
        raise Http404
    keep, drop = _pair(request, form.cleaned_data["keep"], form.cleaned_data["drop"])
    try:
        keep = services.entries_merge(acting_user=request.user, keep=keep, drop=drop)
    except ApplicationError as error:
        raise_for_access(error)
        messages.error(request, error.message)
        return redirect("waitlist:coordination_duplicates")
    messages.success(request, _("Inscriptions fusionnées : la plus ancienne place dans la file est gardée."))
    return redirect("waitlist:coordination_entry", public_id=keep.public_id)


@permission_required(can_coordinate_waitlist)
@require_POST
def duplicate_dismiss(request):
    form = DismissForm(request.POST)
    if not form.is_valid():
        raise Http404
    first, second = _pair(request, form.cleaned_data["entry"], form.cleaned_data["other"])
    try:
        services.duplicate_dismiss(acting_user=request.user, first=first, second=second)
    except ApplicationError as error:
        raise_for_access(error)
        messages.error(request, error.message)
    else:
        messages.success(request, _("C'étaient deux personnes différentes : les deux inscriptions restent."))
    return redirect("waitlist:coordination_duplicates")

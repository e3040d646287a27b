"""The coordination's list of the territory's arrivals, departures and moves (the last four months), where it
names who takes over a departure or a retirement: the newsletter says so."""

import datetime

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.access import permission_required
from core.errors import ApplicationError
from core.pages import raise_for_access
from directory.models import Practitioner
from directory.permissions import can_follow_directory
from directory.selectors.changes import SUCCESSION_KINDS, change_events_for_coordinator, successor_candidates
from directory.services.changes import change_event_successor_set

SHOWN_DAYS = 120


@permission_required(can_follow_directory)
@require_http_methods(["GET", "POST"])
def territory_changes(request):
    since = timezone.localdate() - datetime.timedelta(days=SHOWN_DAYS)
    events = change_events_for_coordinator(request.user, since=since)
    if request.method == "POST":
        event = events.filter(pk=_int(request.POST.get("event"))).first()
        if event is None:
            raise Http404
        chosen = request.POST.get("successor") or ""
        successor = None
        if chosen and event.practitioner is not None:
            candidates = successor_candidates(
                territory_id=event.territory_id, profession_id=event.practitioner.profession_id
            )
            successor = candidates.filter(pk=_int(chosen)).first()
        try:
            if chosen and successor is None:
                raise ApplicationError(_("Ce professionnel ne peut pas prendre la suite."), field="successor")
            change_event_successor_set(acting_user=request.user, event=event, successor=successor)
        except ApplicationError as error:
            raise_for_access(error)
            messages.error(request, error.message)
            return render(request, "directory/territory_changes.html", _context(events, since), status=400)
        messages.success(request, _("Enregistré : la lettre le dira."))
        return redirect("directory:territory_changes")
    return render(request, "directory/territory_changes.html", _context(events, since))


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _context(events, since):
    rows = []
    # One query per territory and profession, not per row.
    candidates_of: dict[tuple[int, int], list[Practitioner]] = {}
    for event in events[:300]:
        candidates: list[Practitioner] = []
        if event.kind in SUCCESSION_KINDS and event.practitioner is not None:
            key = (event.territory_id, event.practitioner.profession_id)
            if key not in candidates_of:
                candidates_of[key] = list(successor_candidates(territory_id=key[0], profession_id=key[1]))
            candidates = [entry for entry in candidates_of[key] if entry.pk != event.practitioner_id]
        rows.append({"event": event, "candidates": candidates})
    return {"rows": rows, "since": since, "succession_kinds": [str(kind) for kind in SUCCESSION_KINDS]}

"""The coordinator's sending of an issue under /lettre/coordination/<id>/: a test to themselves, send now or at a
set time, the progress bar (refreshed by HTMX while it sends), the deliveries, bounces and unsubscribes, and the
retry of the failures by hand. Coordinators only (403); another territory's issue is 404."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.access import permission_required
from core.errors import ApplicationError
from core.pages import fetch_or_404, page_or_fragment, raise_for_access
from newsletter.forms import ScheduleForm, SendForm
from newsletter.models import Delivery
from newsletter.permissions import can_edit_newsletter
from newsletter.selectors.issues import issue_for_coordinator
from newsletter.selectors.sending import issue_bounces, issue_deliveries, issue_progress, issue_unsubscribes
from newsletter.services import sending

DELIVERIES_PER_PAGE = 100


def _back(issue):
    return redirect("newsletter:coordination_issue", public_id=issue.public_id)


def _refused(request, issue, error: ApplicationError, status: int):
    """A refusal keeps the coordinator on the issue's page with the French reason (nothing was sent)."""
    from newsletter.views.coordination import issue_page

    messages.error(request, error.message)
    return issue_page(request, issue, status=status)


def _status_of(error: ApplicationError) -> int:
    return {"conflict": 409, "forbidden": 403, "not_found": 404}.get(error.code, 400)


@permission_required(can_edit_newsletter)
@require_POST
def coordination_send(request, public_id):
    issue = fetch_or_404(issue_for_coordinator, request.user, public_id)
    action = request.POST.get("action", "")
    try:
        if action == "test":
            sending.issue_send_test(acting_user=request.user, issue=issue)
            messages.success(request, _("Un e-mail de test part vers %(email)s.") % {"email": request.user.email})
        elif action == "send":
            if not SendForm(request.POST).is_valid():
                raise ApplicationError(_("Cochez la confirmation avant d'envoyer le numéro."), field="confirm")
            sending.issue_send(acting_user=request.user, issue=issue)
            messages.success(request, _("L'envoi a commencé."))
        elif action == "schedule":
            form = ScheduleForm(request.POST)
            if not form.is_valid():
                raise ApplicationError(_("Date et heure d'envoi illisibles."), field="scheduled_for")
            sending.issue_schedule(acting_user=request.user, issue=issue, at=form.cleaned_data["scheduled_for"])
            messages.success(request, _("L'envoi est programmé."))
        elif action == "unschedule":
            sending.issue_unschedule(acting_user=request.user, issue=issue)
            messages.success(request, _("La programmation est annulée : le numéro redevient un brouillon."))
        elif action == "retry":
            count = sending.deliveries_retry_failed(acting_user=request.user, issue=issue)
            messages.success(request, _("%(count)s envoi(s) en échec relancé(s).") % {"count": count})
        else:
            raise ApplicationError(_("Action inconnue."))
    except ApplicationError as error:
        raise_for_access(error)
        return _refused(request, issue, error, _status_of(error))
    return _back(issue)


@permission_required(can_edit_newsletter)
@require_GET
def coordination_progress(request, public_id):
    """The progress bar alone (HTMX polls it every 2 s while the issue sends), or the issue's page."""
    issue = fetch_or_404(issue_for_coordinator, request.user, public_id)
    context = {"issue": issue, "progress": issue_progress(issue)}
    return page_or_fragment(
        request, page="newsletter/coordination_progress.html", fragment="newsletter/_progress.html", context=context
    )


@permission_required(can_edit_newsletter)
@require_GET
def coordination_deliveries(request, public_id):
    issue = fetch_or_404(issue_for_coordinator, request.user, public_id)
    state = request.GET.get("etat", "")
    page = Paginator(issue_deliveries(issue, state=state), DELIVERIES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "newsletter/coordination_deliveries.html",
        {
            "issue": issue,
            "progress": issue_progress(issue),
            "page": page,
            "state": state if state in Delivery.Status.values else "",
            "states": Delivery.Status.choices,
            "bounces": issue_bounces(issue)[:100],
            "unsubscribes": issue_unsubscribes(issue)[:100],
        },
    )

"""The coordination erases an entry on the person's request (a phone call, a letter): a confirmation page showing
who it is (a logged read), the request's origin required, then nothing that names the person is left. Another
territory's entry, or anyone but a coordinator of its list (a GP, an observer), answers 404."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from core.access import authenticated
from core.errors import ApplicationError
from core.pages import fetch_or_404, refuse_on_form
from waitlist.patient_forms import CoordinatorEraseForm
from waitlist.permissions import can_coordinate_waitlist
from waitlist.services import selfservice


@authenticated
@require_http_methods(["GET", "POST"])
def coordination_entry_erase(request, public_id):
    # Signed in as anyone but a coordinator of a list (a GP, an observer): 404, as for an entry of another
    # territory. The page names a patient: it must not even be told apart from a missing one.
    if not can_coordinate_waitlist(request.user):
        raise Http404
    entry = fetch_or_404(selfservice.entry_for_erasure, request.user, public_id, request=request)
    form = CoordinatorEraseForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                selfservice.entry_erase(
                    entry=entry, acting_user=request.user, reason=form.cleaned_data["reason"], request=request
                )
            except ApplicationError as error:
                refuse_on_form(form, error)
            else:
                return render(request, "waitlist/coordination_entry_erased.html", {"entry": entry})
        status = 400
    members = list(entry.members.all())
    context = {"entry": entry, "members": members, "form": form}
    return render(request, "waitlist/coordination_entry_erase.html", context, status=status)

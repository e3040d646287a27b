"""Documents to take away from a request, as PDFs: the appointment slip the GP prints for the patient, and the
expert's written answer of a tele-expertise to file in the patient's record; and the page where a practice
chooses how it hears of new requests.

Thin: fetch the request the user may see (``referral_or_404``: 404 for anyone else, the read logged as the
letter's is), render the document. A document that does not exist yet (no appointment, no written answer)
answers 404 too. The request page links to them through ``referrals/_takeaway_documents.html``.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from core.access import authenticated, permission_required
from core.errors import ApplicationError
from core.pages import raise_for_access
from referrals import takeaway
from referrals.forms import NoticesForm
from referrals.permissions import can_choose_new_request_notices
from referrals.selectors import notice_practices_for, notices_choice_of
from referrals.services.notices import new_request_notices_set
from referrals.views import referral_or_404


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@authenticated
@require_GET
@never_cache
def appointment_slip(request, public_id):
    """The appointment slip, once an appointment is given, for whoever may see the request."""
    referral = referral_or_404(request, public_id)
    if not takeaway.has_appointment(referral):
        raise Http404(_("Aucun rendez-vous n'est encore fixé pour cette demande."))
    return _pdf(takeaway.appointment_slip_pdf(referral), f"rendez-vous-{referral.public_id}.pdf")


@authenticated
@require_GET
@never_cache
def written_answer(request, public_id):
    """The expert's written answer of a tele-expertise, once given, for whoever may see the request."""
    referral = referral_or_404(request, public_id)
    if not takeaway.has_written_answer(referral):
        raise Http404(_("Cette demande n'a pas encore de réponse écrite."))
    return _pdf(takeaway.written_answer_pdf(referral), f"reponse-tele-expertise-{referral.public_id}.pdf")


# --- How a practice hears of new requests ------------------------------------------------------------------------


PRACTICES_PER_PAGE = 25


@permission_required(can_choose_new_request_notices)
@require_http_methods(["GET", "POST"])
def new_request_notices(request):
    """Each practice the user works at or for (or coordinates): how its members hear of a new request, a page of
    practices at a time."""
    practices = notice_practices_for(request.user)
    bound_form, bound_practice, status = None, None, 200
    if request.method == "POST":
        posted = request.POST.get("practice", "")
        bound_form = NoticesForm(request.POST, auto_id=f"id_{posted}_%s")
        if not bound_form.is_valid() and "practice" in bound_form.errors:
            raise Http404(_("Ce cabinet n'existe pas ou ne vous est pas accessible."))
        bound_practice = practices.filter(public_id=bound_form.cleaned_data.get("practice") or posted).first()
        if bound_practice is None:
            raise Http404(_("Ce cabinet n'existe pas ou ne vous est pas accessible."))
        if bound_form.is_valid():
            try:
                new_request_notices_set(
                    acting_user=request.user, practice=bound_practice, when=bound_form.cleaned_data["when"]
                )
            except ApplicationError as error:
                raise_for_access(error)
                bound_form.add_error("when", error.message)
            else:
                messages.success(request, _("Choix enregistré pour %(practice)s.") % {"practice": bound_practice.name})
                return redirect("referrals:new_request_notices")
        status = 400
    page = Paginator(practices, PRACTICES_PER_PAGE).get_page(request.GET.get("page"))
    shown = [bound_practice] if bound_practice is not None else list(page.object_list)
    rows = [
        {
            "practice": practice,
            "form": bound_form
            if bound_practice is not None
            else NoticesForm(
                initial={"practice": practice.public_id, "when": notices_choice_of(practice)},
                auto_id=f"id_{practice.public_id}_%s",
            ),
        }
        for practice in shown
    ]
    context = {"rows": rows, "page": page if bound_practice is None else None}
    return render(request, "referrals/new_request_notices.html", context, status=status)

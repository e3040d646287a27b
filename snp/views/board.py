"""The booker's pages: the board of the free slots they may book (regulators, pharmacists, nurses, GPs), the
booking of one for a patient and its confirmation, a call recorded without a booking, and "Mes réservations".

Thin: parse with ``snp.board_forms``, call one selector or service, render. The board is a GET form that works without
JavaScript; HTMX swaps the results region when a filter changes and refreshes it every 30 s, so that a slot
booked by someone else disappears. A slot the user may not book answers 404; bad input a French 400 with what was
typed; a slot taken meanwhile a 409 offering the next free ones, the patient's details kept.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from core.access import permission_required
from core.errors import ApplicationError
from core.pages import fetch_or_404, page_or_fragment, refuse_on_form
from directory.contact_values import display_value
from directory.models import Audience, ContactChannel
from snp import selectors, services
from snp.board_forms import DEFAULT_RADIUS_KM, RADIUS_CHOICES_KM, BoardFilterForm, BookingForm, CallForm, When
from snp.models import REGULATOR_SERVICES, BookingAudience
from snp.permissions import can_book_snp_slots
from snp.scope import snp_actor_for

BOOKINGS_PAGE_SIZE = 25


def _is_regulator(actor) -> bool:
    return any(audience in REGULATOR_SERVICES for audience in actor.booking)


@permission_required(can_book_snp_slots)
@require_GET
@never_cache
def board(request):
    """The free slots the user may book, soonest (or nearest) first; HTMX gets the results region only."""
    actor = snp_actor_for(request.user)
    data = request.GET.copy()
    data.setdefault("when", When.WEEK)
    data.setdefault("radius_km", str(DEFAULT_RADIUS_KM))
    data.setdefault("sort", "nearest" if data.get("place") else "soonest")  # what the select then shows
    audiences = [(audience, BookingAudience(audience).label) for audience in sorted(actor.booking)]
    form = BoardFilterForm(data, disciplines=selectors.board_disciplines(actor), audiences=audiences)
    slots, more, on_call, commune = [], False, [], None
    if form.is_valid():
        commune = form.cleaned_data.get("place")
        try:
            slots, more = selectors.board_page(actor, **form.selector_arguments())
        except ApplicationError as error:
            refuse_on_form(form, error)
        if commune is not None and not form.errors:
            audience = Audience.REGULATORS if _is_regulator(actor) else Audience.PROFESSIONALS
            on_call = list(selectors.nurses_on_call(commune=commune, at=timezone.now(), audience=audience))
            for shift in on_call:
                shift.phone_display = display_value(ContactChannel.Kind.PHONE, shift.phone) if shift.phone else ""
    context = {
        "form": form,
        "slots": slots,
        "more": more,
        "limit": selectors.BOARD_LIMIT,
        "commune": commune,
        "on_call": on_call,
        "books": actor.books,
        "records_calls": _is_regulator(actor),
        "several_audiences": len(audiences) > 1,
        "radius_choices": RADIUS_CHOICES_KM,
        "results_url": f"{reverse('snp:board')}?{request.GET.urlencode()}",
    }
    return page_or_fragment(
        request,
        page="snp/board.html",
        fragment="snp/_board_results.html",
        context=context,
        status=400 if form.errors else 200,
    )


@permission_required(can_book_snp_slots)
@require_http_methods(["GET", "POST"])
@never_cache
def booking_new(request, public_id):
    """The slot, then the patient; POST books. ``choose`` (the button of a slot offered after a 409) brings the
    details typed for the slot just taken to this one's form, without booking yet."""
    actor = snp_actor_for(request.user)
    slot = fetch_or_404(selectors.slot_to_book, actor, public_id)
    gps = selectors.territory_gps(actor, slot.territory_id)
    choosing = request.method == "POST" and "choose" in request.POST
    if request.method == "POST" and not choosing:
        form = BookingForm(request.POST, gps=gps)
    else:
        form = BookingForm(gps=gps, initial=_typed(request.POST) if choosing else None)
    status, next_slots, taken = 200, [], ""
    if request.method == "POST" and not choosing:
        if form.is_valid():
            try:
                booking = services.booking_create(acting_user=request.user, slot=slot, **form.service_arguments())
            except services.SlotTaken as error:
                status, next_slots, taken = 409, error.next_slots, error.message
            except ApplicationError as error:
                refuse_on_form(form, error)
            else:
                return redirect("snp:booking_confirmed", public_id=booking.public_id)
        if form.errors:
            status = 400
    context = {
        "slot": slot,
        "visit": services.slot_summary(slot),
        "form": form,
        "taken": taken,
        "next_slots": [(other, services.slot_summary(other)) for other in next_slots],
        "page_errors": _page_errors(form),
    }
    return render(request, "snp/booking_form.html", context, status=status)


def _typed(data) -> dict:
    return {name: data.get(name) for name in BookingForm.base_fields if name in data}


def _page_errors(form) -> list[dict]:
    errors = []
    for name, messages_ in form.errors.items():
        target = form[name].auto_id if name in form.fields else "booking-form"
        if name in ("sex", "has_gp"):
            target = f"{form[name].auto_id}_0"
        errors.extend({"message": message, "target": target} for message in messages_)
    return errors


@permission_required(can_book_snp_slots)
@require_GET
@never_cache
def booking_confirmed(request, public_id):
    """What was booked and what the patient receives (the read is logged)."""
    booking = fetch_or_404(selectors.booking_for_user, snp_actor_for(request.user), public_id, request=request)
    context = {
        "booking": booking,
        "visit": services.visit_summary(booking),
        "waitlist_url": services.waitlist_link() if not booking.has_gp else "",
        "patient_phone": display_value(ContactChannel.Kind.PHONE, booking.patient_phone),
    }
    return render(request, "snp/booking_confirmed.html", context)


@permission_required(can_book_snp_slots)
@require_http_methods(["GET", "POST"])
@never_cache
def call_new(request):
    """A call that ended without a booking (advice, emergency department, on-call doctor, no slot): regulators
    only (the service refuses the others, 403)."""
    form = CallForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.call_record(acting_user=request.user, **form.service_arguments())
        except ApplicationError as error:
            refuse_on_form(form, error)
        else:
            messages.success(request, _("Appel enregistré : il compte dans la demande du territoire."))
            return redirect("snp:board")
    elif request.method == "GET" and not _is_regulator(snp_actor_for(request.user)):
        refuse_on_form(form, ApplicationError(_("Seule une régulation enregistre des appels."), code="forbidden"))
    return render(request, "snp/call_form.html", {"form": form}, status=400 if form.errors else 200)


@permission_required(can_book_snp_slots)
@require_GET
@never_cache
def booking_list(request):
    """The bookings the user may read, soonest visit first; each row shown is logged as a read."""
    actor = snp_actor_for(request.user)
    page = Paginator(selectors.bookings_visible_to(actor, request=request), BOOKINGS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    selectors.booking_list_reads_record(actor, page.object_list, request=request)
    return render(request, "snp/booking_list.html", {"page": page})

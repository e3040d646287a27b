"""The public pages. "Soins non programmés près de chez vous": for a commune, where and when the territory's offer
is open this week, the CPTS line to call, and when to call 15 instead (no account, no patient data). And the
booking of a slot its practitioner opened to the public, once the patient's mobile number is proven by a code."""

from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from core.access import public
from core.errors import ApplicationError
from directory.contact_values import display_value
from directory.selectors import commune_label
from snp import selectors, services
from snp.forms import PublicBookingForm, PublicOfferForm, PublicPhoneForm


@public
@require_http_methods(["GET"])
def public_offer(request):
    form = PublicOfferForm(request.GET or None)
    offer = None
    status = 200
    typed = request.GET.get("commune", "")
    if form.is_bound:
        if form.is_valid():
            offer = selectors.public_offer_near(commune=form.cleaned_data["commune"])
            typed = commune_label(offer.commune)  # "La Roche-sur-Yon (85000)" rather than what was typed
        else:
            status = 400
    context = {
        "form": form,
        "offer": offer,
        "typed": typed,
        "candidates": [commune_label(commune) for commune in form.commune_candidates] if form.is_bound else [],
    }
    return render(request, "snp/public_offer.html", context, status=status)


def _booking_page(request, slot, *, step, phone_form=None, booking_form=None, message="", next_slots=(), status=200):
    context = {
        "slot": slot,
        "visit": services.slot_summary(slot),
        "step": step,
        "phone_form": phone_form or PublicPhoneForm(),
        "booking_form": booking_form,
        "message": message,
        "next_slots": next_slots,
        "candidates": [commune_label(c) for c in getattr(booking_form, "commune_candidates", [])],
        "phone_display": display_value("phone", booking_form["phone"].value() or "") if booking_form else "",
    }
    return render(request, "snp/public_booking.html", context, status=status)


@public
@require_http_methods(["GET", "POST"])
def public_booking(request, public_id):
    """A patient books a slot open to the public: their mobile number, the code it receives, who they are."""
    try:
        slot = services.public_slot(public_id)
    except ApplicationError as error:
        return render(request, "snp/public_booking_gone.html", {"message": error.message}, status=404)
    if request.method == "GET":
        return _booking_page(request, slot, step="phone")
    if request.POST.get("step") == "code":
        phone_form = PublicPhoneForm(request.POST)
        if not phone_form.is_valid():
            return _booking_page(request, slot, step="phone", phone_form=phone_form, status=400)
        try:
            phone = services.public_booking_code_send(slot=slot, phone=phone_form.cleaned_data["phone"])
        except ApplicationError as error:
            phone_form.add_error("phone", error.message)
            return _booking_page(request, slot, step="phone", phone_form=phone_form, status=400)
        return _booking_page(request, slot, step="details", booking_form=PublicBookingForm(initial={"phone": phone}))
    booking_form = PublicBookingForm(request.POST)
    if not booking_form.is_valid():
        return _booking_page(request, slot, step="details", booking_form=booking_form, status=400)
    try:
        booking = services.booking_create_by_patient(
            slot=slot,
            patient=booking_form.patient(),
            phone_code=booking_form.cleaned_data["code"],
            reason_category=booking_form.cleaned_data["reason_category"],
        )
    except services.SlotTaken as taken:
        return _booking_page(
            request, slot, step="taken", message=taken.message, next_slots=taken.next_slots, status=409
        )
    except ApplicationError as error:
        if error.field in booking_form.fields:
            booking_form.add_error(error.field, error.message)
        else:
            booking_form.add_error(None, error.message)
        return _booking_page(request, slot, step="details", booking_form=booking_form, status=400)
    return render(request, "snp/public_booking_done.html", {"visit": services.visit_summary(booking)})

"""The patient's page (no account): the cancellation link sent in the booking's SMS and e-mail.

Opening the link (GET) never cancels: mail scanners and link previews open every link of a message. The page
shows the visit and one button; only its POST cancels, which frees the slot and tells the practice."""

from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from core.access import public
from core.errors import ApplicationError
from snp import services


@public
@require_http_methods(["GET", "POST"])
def booking_cancel_link(request, token):
    try:
        booking = services.booking_from_link(token)
        cancelled = False
        if request.method == "POST":
            booking = services.booking_cancel_by_patient(token=token)
            cancelled = True
        elif booking.status != booking.Status.BOOKED:
            raise ApplicationError(services.already_over_message())
    except ApplicationError as error:
        return render(request, "snp/cancel_link_error.html", {"message": error.message}, status=400)
    context = {"visit": services.visit_summary(booking), "cancelled": cancelled}
    return render(request, "snp/cancel_link.html", context)

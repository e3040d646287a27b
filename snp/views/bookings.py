"""A booking's page for the professionals who may read it: the practice, the booker, and the patient's own GP
once the visit was honoured (the e-mail "votre patient a été vu" links here). The read is logged."""

from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.access import authenticated
from core.pages import fetch_or_404
from snp.scope import snp_actor_for
from snp.selectors import booking_for_user
from snp.services import visit_summary


@authenticated
@require_GET
@never_cache
def booking_detail(request, public_id):
    booking = fetch_or_404(booking_for_user, snp_actor_for(request.user), public_id, request=request)
    return render(request, "snp/booking_detail.html", {"booking": booking, "visit": visit_summary(booking)})

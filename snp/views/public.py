"""The public page "Soins non programmés près de chez vous": for a commune, where and when the territory's offer
is open this week, the CPTS line to call, and when to call 15 instead. No account, no patient data."""

from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from core.access import public
from directory.selectors import commune_label
from snp import selectors
from snp.forms import PublicOfferForm


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

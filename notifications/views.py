from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.permissions import can_see_outbox_failures
from core.access import permission_required
from core.errors import ApplicationError
from core.pages import raise_for_access
from notifications import selectors, services
from notifications.forms import DeliveryCheckForm


@permission_required(can_see_outbox_failures)
@require_http_methods(["GET", "POST"])
def outbox(request):
    """Coordinators: messages that could not be delivered, and a test message to check the configuration."""
    form = DeliveryCheckForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.delivery_check_send(acting_user=request.user, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error("recipient", error.message)
        else:
            messages.success(request, _("Message de test enregistré : il part dans quelques secondes."))
            return redirect("notifications:outbox")
    page = selectors.failed_messages_page(user=request.user, page_number=request.GET.get("page"), request=request)
    context = {"form": form, "page": page, "counts": selectors.outbox_counts_for(request.user)}
    return render(request, "notifications/outbox.html", context, status=400 if form.errors else 200)


@permission_required(can_see_outbox_failures)
@require_POST
def retry(request, message_id):
    try:
        services.message_retry(acting_user=request.user, message_public_id=message_id)
    except ApplicationError as error:
        raise_for_access(error)  # another territory's message: 404
        messages.error(request, error.message)
    else:
        messages.success(request, _("Message remis dans la file d'envoi."))
    return redirect("notifications:outbox")

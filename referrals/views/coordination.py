"""The coordinators' follow-up of late requests: every open request past its target date in the territories
they coordinate, with its parties, status, delays and escalation step; never the patient nor the clinical text
(the selector loads only ``COORDINATOR_FIELDS``). As a page and as CSV.

Coordinators only: anyone else gets 403, as the directory's coordination pages do.
"""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.models import User
from core.access import permission_required
from core.exports import csv_response
from referrals.permissions import can_follow_overdue_referrals
from referrals.selectors import referrals_overdue_in_territories
from referrals.services.deadlines import escalation_step_label, with_last_escalation

OVERDUE_PAGE_SIZE = 50
# A working list for the coordination, not an export of the territory's activity.
OVERDUE_CSV_LIMIT = 5000


def _overdue(user: User, now):
    return with_last_escalation(referrals_overdue_in_territories(user, now=now))


def _described(referral, now) -> None:
    """What each row shows beyond the fields: how late, the escalation step, the recipient."""
    referral.days_late = (now - referral.due_at).days
    referral.escalation_label = escalation_step_label(referral.last_escalation)
    referral.recipient_label = str(referral.recipient_practitioner or referral.recipient_practice or referral.pathway)


@permission_required(can_follow_overdue_referrals)
@require_GET
@never_cache
def coordination_overdue(request):
    now = timezone.now()
    page = Paginator(_overdue(request.user, now), OVERDUE_PAGE_SIZE).get_page(request.GET.get("page"))
    for referral in page:
        _described(referral, now)
    return render(request, "referrals/coordination_overdue.html", {"page": page, "now": now})


@permission_required(can_follow_overdue_referrals)
@require_GET
@never_cache
def coordination_overdue_csv(request):
    """The same list as a spreadsheet, through the portal's one formula-safe writer: a practice named like a
    formula opens as text."""
    now = timezone.now()
    header = [
        _("Type"),
        _("Urgence"),
        _("Expéditeur"),
        _("Destinataire"),
        _("Statut"),
        _("Envoyée le"),
        _("Date cible"),
        _("Jours de retard"),
        _("Relance"),
    ]

    def rows():
        yield header
        for referral in _overdue(request.user, now)[:OVERDUE_CSV_LIMIT]:
            _described(referral, now)
            yield [
                referral.get_kind_display(),
                referral.get_urgency_display(),
                str(referral.sender),
                referral.recipient_label,
                referral.get_status_display(),
                referral.sent_at,
                referral.due_at,
                referral.days_late,
                referral.escalation_label,
            ]

    return csv_response(rows(), filename=f"demandes-en-retard-{timezone.localdate():%Y-%m-%d}.csv")

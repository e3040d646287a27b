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
from core.pages import fetch_or_404
from directory.selectors.upkeep import first_phones
from referrals.models import Referral
from referrals.permissions import can_follow_overdue_referrals
from referrals.scope import recipient_side
from referrals.selectors import (
    OPEN_STATUSES,
    referral_status_for_coordinator,
    referral_status_timeline,
    referrals_overdue_in_territories,
)
from referrals.services.deadlines import escalation_step_label, with_last_escalation
from referrals.timeline import event_actor, event_label

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


def _with_recipient_phones(referrals) -> None:
    """Each request gets ``recipient_phone``: the number the coordinator calls about it (the practitioner
    addressed, else the practice addressed), in two queries for the whole page. A pathway's number is on the
    request's status page, which lists its responders."""
    referrals = list(referrals)
    by_practitioner, by_practice = first_phones(
        practitioner_ids={r.recipient_practitioner_id for r in referrals if r.recipient_practitioner_id},
        practice_ids={r.recipient_practice_id for r in referrals if r.recipient_practice_id},
    )
    for referral in referrals:
        referral.recipient_phone = by_practitioner.get(referral.recipient_practitioner_id) or by_practice.get(
            referral.recipient_practice_id
        )


@permission_required(can_follow_overdue_referrals)
@require_GET
@never_cache
def coordination_overdue(request):
    now = timezone.now()
    page = Paginator(_overdue(request.user, now), OVERDUE_PAGE_SIZE).get_page(request.GET.get("page"))
    for referral in page:
        _described(referral, now)
    _with_recipient_phones(page)
    return render(request, "referrals/coordination_overdue.html", {"page": page, "now": now})


@permission_required(can_follow_overdue_referrals)
@require_GET
@never_cache
def coordination_referral_status(request, public_id):
    """One request of the coordinator's territories: its status, parties, dates and steps, and the phones of the
    recipient's side to call about it; never the patient nor the clinical text. Another territory's: 404."""
    referral = fetch_or_404(referral_status_for_coordinator, request.user, public_id)
    now = timezone.now()
    referral.last_escalation = with_last_escalation(Referral.objects.filter(pk=referral.pk)).values_list(
        "last_escalation", flat=True
    )[0]
    _described(referral, now)
    side = recipient_side(referral)
    by_practitioner, by_practice = first_phones(practitioner_ids=side.practitioner_ids, practice_ids=side.practice_ids)
    addressed = by_practitioner.get(referral.recipient_practitioner_id) or by_practice.get(
        referral.recipient_practice_id
    )
    # The party addressed first, then each other number of the recipient's side once.
    phones = [addressed] if addressed is not None else []
    for channel in [*by_practitioner.values(), *by_practice.values()]:
        if all(channel.pk != known.pk for known in phones):
            phones.append(channel)
    events = list(referral_status_timeline(referral))
    for event in events:
        event.label, event.who = event_label(event), event_actor(event)
    context = {
        "referral": referral,
        "is_overdue": referral.due_at is not None and referral.due_at < now and referral.status in OPEN_STATUSES,
        "phones": phones,
        "events": events,
    }
    return render(request, "referrals/coordination_referral_status.html", context)


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

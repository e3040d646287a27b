"""Reads of requests, always scoped to the user: a request is visible to its sender and to the people who
handle it (the recipient practitioner, the staff of the recipient practice or of a practice where the recipient
practitioner works, the responders of a pathway). Every read of one request writes the access log."""

from django.db.models import BooleanField, Case, F, Q, QuerySet, Value, When
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import AccessLog, User
from accounts.services import access_log_record
from directory.models import Activity
from directory.selectors import practices_served_by, practitioner_of, territories_coordinated_by
from referrals.models import Pathway, Referral


def _handled_by(user: User) -> Q:
    """Requests on the recipient's side for ``user``: addressed to their own entry, to a practice they serve,
    to a practitioner working at a practice they serve, or to a pathway they or their practices answer."""
    own_entry = practitioner_of(user)
    served = practices_served_by(user).values("pk")
    colleagues = Activity.objects.filter(practice__in=served).values("practitioner")
    condition = (
        Q(recipient_practice__in=served)
        | Q(recipient_practitioner__in=colleagues)
        | Q(pathway__responder_practices__in=served)
    )
    if own_entry is not None:
        condition |= Q(recipient_practitioner=own_entry) | Q(pathway__responder_practitioners=own_entry)
    return condition


def referrals_visible_to(user: User) -> QuerySet[Referral]:
    if not getattr(user, "is_authenticated", False):
        return Referral.objects.none()
    own_entry = practitioner_of(user)
    condition = _handled_by(user)
    if own_entry is not None:
        condition |= Q(sender=own_entry)
    visible = Referral.objects.filter(pk__in=Referral.objects.filter(condition).values("pk"))
    return visible.select_related("sender", "recipient_practitioner", "recipient_practice", "pathway")


def referrals_handled_by(user: User) -> QuerySet[Referral]:
    """The inbox side only (what the user may act on as a recipient)."""
    if not getattr(user, "is_authenticated", False):
        return Referral.objects.none()
    return Referral.objects.filter(pk__in=Referral.objects.filter(_handled_by(user)).values("pk"))


def get_referral_for_user(user: User, public_id, *, request: HttpRequest | None = None) -> Referral | None:
    """One request the user may see, or None (the caller answers 404); the read is logged."""
    referral = referrals_visible_to(user).filter(public_id=public_id).first()
    if referral is not None:
        access_log_record(
            user=user,
            action=AccessLog.Action.READ,
            subject_type="referral",
            subject_id=referral.public_id,
            patient_ref=referral.public_id,
            request=request,
            via="" if request is not None else "referrals.selectors.get_referral_for_user",
        )
    return referral


def pathway_by_public_id(public_id) -> Pathway | None:
    """An open or closed pathway a request names (``referral_send`` refuses a closed one)."""
    return Pathway.objects.filter(public_id=public_id).first()


# --- Lists ------------------------------------------------------------------------------------------------------

OPEN_STATUSES = (Referral.Status.SENT, Referral.Status.ACKNOWLEDGED, Referral.Status.NEEDS_INFO)


def _overdue_first(referrals: QuerySet[Referral], now) -> QuerySet[Referral]:
    """Open requests past their target date first (the oldest target first), then the rest by target date."""
    overdue = Q(status__in=OPEN_STATUSES, due_at__lt=now)
    return referrals.annotate(
        is_overdue=Case(When(overdue, then=Value(True)), default=Value(False), output_field=BooleanField())
    ).order_by("-is_overdue", F("due_at").asc(nulls_last=True), "-created_at")


def referrals_inbox(
    user: User, *, status: str = "", urgency: str = "", overdue: bool = False, now=None
) -> QuerySet[Referral]:
    """The shared inbox of the recipient's side: what the user's practices and own entry receive, overdue
    first. ``status`` empty means every open request."""
    now = now or timezone.now()
    referrals = referrals_handled_by(user).select_related(
        "sender", "recipient_practitioner", "recipient_practice", "pathway", "handled_by"
    )
    referrals = referrals.filter(status=status) if status else referrals.filter(status__in=OPEN_STATUSES)
    if urgency:
        referrals = referrals.filter(urgency=urgency)
    if overdue:
        referrals = referrals.filter(status__in=OPEN_STATUSES, due_at__lt=now)
    return _overdue_first(referrals, now)


def referrals_sent_by(user: User, *, status: str = "", now=None) -> QuerySet[Referral]:
    """The GP's own requests, overdue first."""
    own_entry = practitioner_of(user)
    if own_entry is None:
        return Referral.objects.none()
    referrals = Referral.objects.filter(sender=own_entry).select_related(
        "recipient_practitioner", "recipient_practice", "pathway", "handled_by", "appointment_site"
    )
    if status:
        referrals = referrals.filter(status=status)
    return _overdue_first(referrals, now or timezone.now())


def referrals_overdue_in_territories(user: User, *, now=None) -> QuerySet[Referral]:
    """Every open request past its target date in the territories the user coordinates. Callers show status,
    parties and delays only: the coordinator does not need the clinical text (use ``.only()``-style fields)."""
    now = now or timezone.now()
    territories = territories_coordinated_by(user).values("pk")
    return (
        Referral.objects.filter(territory__in=territories, status__in=OPEN_STATUSES, due_at__lt=now)
        .select_related("sender", "recipient_practitioner", "recipient_practice", "pathway")
        .only(*COORDINATOR_FIELDS)
        .order_by("due_at")
    )


# What a coordinator may read of a request: parties, status and dates, never the patient or the clinical text.
COORDINATOR_FIELDS = (
    "public_id",
    "kind",
    "status",
    "urgency",
    "sent_at",
    "due_at",
    "first_response_at",
    "closed_at",
    "territory",
    "sender__first_name",
    "sender__last_name",
    "recipient_practitioner__first_name",
    "recipient_practitioner__last_name",
    "recipient_practice__name",
    "pathway__name",
)

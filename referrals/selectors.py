"""Reads of requests, always scoped to the user: a request is visible to its sender and to the people who
handle it (the recipient practitioner, the staff of the recipient practice or of a practice where the recipient
practitioner works, the responders of a pathway). Every read of one request writes the access log."""

from django.db.models import Q, QuerySet
from django.http import HttpRequest

from accounts.models import AccessLog, User
from accounts.services import access_log_record
from directory.models import Activity
from directory.selectors import practices_served_by, practitioner_of
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

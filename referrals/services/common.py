"""What every write of a request does: lock its row, write its timeline event, post in its thread, require a
text. Shared by the transitions, the handling of a request and its attachments."""

from accounts.models import AccessLog, User
from accounts.services import access_log_record
from core.errors import ApplicationError
from referrals.models import Referral, ReferralEvent, ReferralMessage


def record_event(
    referral: Referral,
    *,
    actor: User,
    action: str,
    from_status: str = "",
    note: str = "",
    note_code: str = "",
    note_params: dict | None = None,
) -> ReferralEvent:
    """One line of the request's timeline, to its current status: what the portal says happened as a code and its
    values (``referrals.timeline``'s builders), ``note`` what the user typed."""
    return ReferralEvent.objects.create(
        referral=referral,
        actor=actor,
        actor_label=actor.get_full_name() or actor.email,
        action=action,
        from_status=from_status,
        to_status=referral.status,
        note=note,
        note_code=note_code,
        note_params=note_params or {},
    )


def locked(referral: Referral) -> Referral:
    """The request's row again, locked until the transaction ends (two writers never both pass a check)."""
    return Referral.objects.select_for_update().get(pk=referral.pk)


def post_message(referral: Referral, acting_user: User, body: str) -> ReferralMessage:
    return ReferralMessage.objects.create(
        referral=referral, author=acting_user, author_label=acting_user.get_full_name() or acting_user.email, body=body
    )


def required_text(value: str, *, field: str, message: str) -> str:
    """``value`` stripped, or the French ``message`` on ``field`` when nothing is left."""
    value = (value or "").strip()
    if not value:
        raise ApplicationError(message, field=field)
    return value


def write_logged(acting_user: User, referral: Referral, *, service: str, created: bool = False) -> None:
    """A write on a request is in the access log as what it is: a creation for a new request, a change for each
    action taken on it, ``via`` the service that made it (``referrals.services.referral_accept``…)."""
    access_log_record(
        user=acting_user,
        action=AccessLog.Action.CREATE if created else AccessLog.Action.UPDATE,
        subject_type="referral",
        subject_id=referral.public_id,
        patient_ref=referral.public_id,
        via=service,
    )

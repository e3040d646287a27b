"""Working a request besides its main transitions: the thread's messages, forwarding to a colleague of the
recipient's practice, converting between a letter and a tele-expertise, and the requests the GP sent outside the
portal because nobody on the recipient's side uses it (the GP then keeps their status up to date).

Each service checks who acts and from which status, writes a timeline event in the same transaction, and raises
``ApplicationError`` with a French message (``code="not_found"`` for whoever may not see the request: a 404).
"""

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import AccessLog, User
from accounts.services import access_log_record
from core.errors import ApplicationError
from directory.contact_values import normalised_channel_value
from directory.models import ContactChannel, Practitioner
from referrals import timeline
from referrals.models import Referral, ReferralMessage
from referrals.rules import (
    FORWARDABLE_STATUSES,
    OUTSIDE_UPDATES,
    check_side,
    check_state,
    message_refusal,
    status_refusal,
)
from referrals.scope import Actor, actor_for
from referrals.selectors import forward_candidates
from referrals.services.common import locked, post_message, record_event, required_text, write_logged
from referrals.services.notices import new_request_notices_send

Status = Referral.Status

MESSAGE_MAX_CHARS = 20000


class SentOutsideVia(models.TextChoices):
    """How the GP sent a request outside the portal (``Referral.sent_outside_via``)."""

    MSSANTE = "mssante", gettext_lazy("Messagerie sécurisée de santé (MSSanté)")
    FAX = "fax", gettext_lazy("Fax")
    BOOKING_LINK = "booking_link", gettext_lazy("Prise de rendez-vous en ligne")
    PHONE = "phone", gettext_lazy("Téléphone")
    POST = "post", gettext_lazy("Courrier postal")


# The directory's kind of channel whose value each way of sending is checked and normalised as.
_CHANNEL_KIND_OF_VIA = {
    SentOutsideVia.MSSANTE: ContactChannel.Kind.MSSANTE,
    SentOutsideVia.FAX: ContactChannel.Kind.FAX,
    SentOutsideVia.BOOKING_LINK: ContactChannel.Kind.BOOKING_LINK,
    SentOutsideVia.PHONE: ContactChannel.Kind.PHONE,
}
# And back: the way of sending a directory channel stands for (the page offers "sent this way" per channel).
VIA_OF_CHANNEL_KIND = {
    ContactChannel.Kind.MSSANTE: SentOutsideVia.MSSANTE,
    ContactChannel.Kind.FAX: SentOutsideVia.FAX,
    ContactChannel.Kind.BOOKING_LINK: SentOutsideVia.BOOKING_LINK,
    ContactChannel.Kind.SECRETARY: SentOutsideVia.PHONE,
    ContactChannel.Kind.PROFESSIONAL_LINE: SentOutsideVia.PHONE,
    ContactChannel.Kind.PHONE: SentOutsideVia.PHONE,
}


def _side_checked(name: str, acting_user: User, referral: Referral) -> Actor:
    actor = actor_for(acting_user)
    check_side(name, actor, referral)
    return actor


# --- The thread --------------------------------------------------------------------------------------------------


@transaction.atomic
def message_post(*, acting_user: User, referral: Referral, body: str) -> ReferralMessage:
    """The sender or the recipient's side writes in the request's thread, unless it is closed or cancelled."""
    actor = actor_for(acting_user)
    refusal = message_refusal(actor, referral)
    if refusal is not None and refusal.code != "invalid_transition":
        raise refusal
    body = required_text(body, field="body", message=_("Écrivez votre message."))
    if len(body) > MESSAGE_MAX_CHARS:
        raise ApplicationError(
            _("Le message dépasse %(count)d caractères.") % {"count": MESSAGE_MAX_CHARS}, field="body"
        )
    referral = locked(referral)
    refusal = message_refusal(actor, referral)
    if refusal is not None:
        raise refusal
    message = post_message(referral, acting_user, body)
    record_event(referral, actor=acting_user, action="message_posted", from_status=referral.status)
    access_log_record(
        user=acting_user,
        action=AccessLog.Action.CREATE,
        subject_type="referral_message",
        subject_id=referral.public_id,
        patient_ref=referral.public_id,
        via="referrals.services.handling.message_post",
    )
    return message


# --- Forward and convert (the recipient's side) ----------------------------------------------------------------


def _forward_refusal(referral: Referral, to_practitioner: Practitioner) -> ApplicationError:
    """Why ``to_practitioner`` cannot take the request over, in words the secretary can act on."""
    if to_practitioner.pk == referral.recipient_practitioner_id:
        message = _("%(name)s est déjà le destinataire de cette demande.")
    elif to_practitioner.pk == referral.sender_id:
        message = _("%(name)s a envoyé cette demande : transférez-la à un autre confrère.")
    elif referral.kind == Referral.Kind.TELEEXPERTISE and not to_practitioner.answers_teleexpertise:
        message = _("%(name)s ne répond pas aux demandes de télé-expertise.")
    else:
        message = _("%(name)s ne travaille dans aucun des cabinets du destinataire.")
    return ApplicationError(message % {"name": to_practitioner}, field="practitioner")


@transaction.atomic
def referral_forward(
    *, acting_user: User, referral: Referral, to_practitioner: Practitioner | None, note: str = ""
) -> Referral:
    """The recipient's side hands the request to a colleague working at one of the recipient's practices: the
    colleague becomes the one recipient (practice or pathway cleared), the request is "sent" to them again, its
    target date unchanged."""
    actor = _side_checked("forward", acting_user, referral)
    if to_practitioner is None:
        raise ApplicationError(_("Choisissez le confrère à qui transférer la demande."), field="practitioner")
    referral = locked(referral)
    # The rule's "someone to forward to" is this very check, with the reason this colleague is not one.
    if referral.status not in FORWARDABLE_STATUSES:
        raise status_refusal(referral)
    if not forward_candidates(referral, actor).filter(pk=to_practitioner.pk).exists():
        raise _forward_refusal(referral, to_practitioner)
    previous = referral.recipient_practitioner or referral.recipient_practice or referral.pathway
    from_status = referral.status
    referral.recipient_practitioner = to_practitioner
    referral.recipient_practice = None
    referral.pathway = None
    referral.status = Status.SENT
    referral.save(update_fields=["recipient_practitioner", "recipient_practice", "pathway", "status", "updated_at"])
    record_event(
        referral,
        actor=acting_user,
        action="forwarded",
        from_status=from_status,
        note=(note or "").strip(),
        **timeline.forwarded_note(from_name=str(previous), to_name=str(to_practitioner)),
    )
    write_logged(acting_user, referral, service="referrals.services.handling.referral_forward")
    new_request_notices_send(referral=referral, acting_user=acting_user, forwarded=True)
    return referral


@transaction.atomic
def referral_convert(*, acting_user: User, referral: Referral, note: str) -> Referral:
    """The recipient's side changes the kind of a request not yet answered: the expert turns a tele-expertise into
    a letter (the patient needs a consultation), or a letter becomes a tele-expertise when its recipient
    answers those. The request is then "acknowledged"; the note says why, on the timeline."""
    actor = _side_checked("convert", acting_user, referral)
    note = required_text(note, field="note", message=_("Dites pourquoi vous changez le type de la demande."))
    referral = locked(referral)
    check_state("convert", referral, actor)
    is_teleexpertise = referral.kind == Referral.Kind.TELEEXPERTISE
    new_kind = Referral.Kind.LETTER if is_teleexpertise else Referral.Kind.TELEEXPERTISE
    old_kind = referral.kind
    from_status = referral.status
    referral.kind = new_kind
    referral.status = Status.ACKNOWLEDGED
    referral.first_response_at = referral.first_response_at or timezone.now()
    referral.save(update_fields=["kind", "status", "first_response_at", "updated_at"])
    record_event(
        referral,
        actor=acting_user,
        action="converted",
        from_status=from_status,
        note=note,
        **timeline.converted_note(from_kind=old_kind, to_kind=new_kind),
    )
    write_logged(acting_user, referral, service="referrals.services.handling.referral_convert")
    return referral


# --- Sent outside the portal (the sender) ------------------------------------------------------------------------


def _outside_detail(via: str, detail: str) -> str:
    detail = required_text(
        detail, field="detail", message=_("Indiquez l'adresse, le numéro ou le lien utilisé pour l'envoi.")
    )
    kind = _CHANNEL_KIND_OF_VIA.get(via)
    if kind is not None:
        try:
            detail = normalised_channel_value(kind, detail)
        except ValidationError as error:
            raise ApplicationError(error.messages[0], field="detail") from None
    if len(detail) > 255:
        raise ApplicationError(_("255 caractères au plus."), field="detail")
    return detail


@transaction.atomic
def referral_mark_sent_outside(*, acting_user: User, referral: Referral, via: str, detail: str) -> Referral:
    """The sender records how they sent the letter to a recipient who does not use the portal (MSSanté, fax,
    booking link, phone, post) and the address or number used; from then on they update its status themselves
    (``referral_outside_update``). Marking again while nobody answered corrects the way or the address."""
    actor = _side_checked("sent_outside", acting_user, referral)
    if via not in SentOutsideVia.values:
        raise ApplicationError(_("Choisissez comment la demande a été envoyée."), field="via")
    detail = _outside_detail(via, detail)
    referral = locked(referral)
    check_state("sent_outside", referral, actor)
    referral.sent_outside_via = via
    referral.sent_outside_detail = detail
    referral.save(update_fields=["sent_outside_via", "sent_outside_detail", "updated_at"])
    record_event(
        referral,
        actor=acting_user,
        action="sent_outside",
        from_status=referral.status,
        **timeline.sent_outside_note(via=via, detail=detail),
    )
    write_logged(acting_user, referral, service="referrals.services.handling.referral_mark_sent_outside")
    return referral


@transaction.atomic
def referral_outside_update(
    *, acting_user: User, referral: Referral, status: str, appointment_at=None, note: str = ""
) -> Referral:
    """The sender of a request sent outside the portal records what the recipient answered: accepted (with the
    appointment's date), declined (with the reason they gave), or closed."""
    actor = _side_checked("outside_status", acting_user, referral)
    referral = locked(referral)
    check_state("outside_status", referral, actor)
    if status not in OUTSIDE_UPDATES:
        raise ApplicationError(_("Choisissez : acceptée, refusée ou clôturée."), field="status")
    if referral.status not in OUTSIDE_UPDATES[status]:
        raise status_refusal(referral)
    note = (note or "").strip()
    now = timezone.now()
    from_status = referral.status
    fields = ["status", "updated_at"]
    if status == Status.ACCEPTED:
        if appointment_at is None or appointment_at <= now:
            raise ApplicationError(_("Le rendez-vous doit être dans le futur."), field="appointment_at")
        referral.appointment_at = appointment_at
        referral.handled_by = referral.recipient_practitioner
        fields += ["appointment_at", "handled_by"]
    elif status == Status.DECLINED:
        referral.decline_reason = required_text(
            note, field="note", message=_("Indiquez le motif du refus donné par le destinataire.")
        )
        fields.append("decline_reason")
    else:
        referral.closed_at = now
        fields.append("closed_at")
    if status in (Status.ACCEPTED, Status.DECLINED) and referral.first_response_at is None:
        referral.first_response_at = now
        fields.append("first_response_at")
    referral.status = status
    referral.save(update_fields=fields)
    record_event(referral, actor=acting_user, action="outside_updated", from_status=from_status, note=note)
    write_logged(acting_user, referral, service="referrals.services.handling.referral_outside_update")
    return referral

"""Writes of requests: sending, and each status transition. Every transition checks who may make it and from
which status, and writes a timeline event in the same transaction."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from cpts_portal.lib.errors import ApplicationError
from directory.models import Practice, Practitioner
from directory.selectors import practitioner_of
from referrals.models import DEFAULT_TARGET_DELAYS, Pathway, Referral, ReferralEvent, Urgency
from referrals.selectors import referrals_handled_by

Status = Referral.Status

# From which statuses each transition may be made.
TRANSITIONS = {
    "acknowledge": ({Status.SENT}, Status.ACKNOWLEDGED),
    "cancel": ({Status.DRAFT, Status.SENT, Status.ACKNOWLEDGED, Status.NEEDS_INFO}, Status.CANCELLED),
}

PATIENT_FIELDS = (
    "patient_family_name",
    "patient_used_name",
    "patient_given_names",
    "patient_birth_date",
    "patient_sex",
    "patient_ins",
    "patient_phone",
    "patient_email",
    "contact_consent",
)
CLINICAL_FIELDS = ("reason", "question", "history", "treatments", "allergies")


def _event(referral: Referral, *, actor: User, action: str, from_status: str = "", note: str = "") -> ReferralEvent:
    return ReferralEvent.objects.create(
        referral=referral,
        actor=actor,
        actor_label=actor.get_full_name() or actor.email,
        action=action,
        from_status=from_status,
        to_status=referral.status,
        note=note,
    )


@transaction.atomic
def referral_send(
    *,
    acting_user: User,
    kind: str,
    urgency: str = Urgency.ROUTINE,
    recipient_practitioner: Practitioner | None = None,
    recipient_practice: Practice | None = None,
    pathway: Pathway | None = None,
    **fields,
) -> Referral:
    """A GP sends a letter or a tele-expertise question to one practitioner, practice or pathway.

    ``fields`` are the patient's (``PATIENT_FIELDS``) and the clinical text (``CLINICAL_FIELDS``). The target
    date comes from the urgency, or from the pathway's own delay.
    """
    sender = practitioner_of(acting_user)
    if sender is None:
        raise ApplicationError(_("Seul un professionnel rattaché à sa fiche de l'annuaire envoie une demande."))
    unknown = set(fields) - {*PATIENT_FIELDS, *CLINICAL_FIELDS}
    if unknown:
        raise ApplicationError(_("Champ inconnu : « %(field)s ».") % {"field": sorted(unknown)[0]})
    if kind not in Referral.Kind.values:
        raise ApplicationError(_("Type de demande inconnu."), field="kind")
    if urgency not in Urgency.values:
        raise ApplicationError(_("Urgence inconnue."), field="urgency")
    recipients = [recipient for recipient in (recipient_practitioner, recipient_practice, pathway) if recipient]
    if len(recipients) != 1:
        raise ApplicationError(
            _("Choisissez un destinataire : un professionnel, un cabinet ou un parcours prioritaire."),
            field="recipient",
        )
    if recipient_practitioner is not None and recipient_practitioner.pk == sender.pk:
        raise ApplicationError(_("Vous ne pouvez pas vous adresser une demande."), field="recipient")
    if (
        kind == Referral.Kind.TELEEXPERTISE
        and recipient_practitioner is not None
        and not recipient_practitioner.answers_teleexpertise
    ):
        raise ApplicationError(
            _("%(name)s ne répond pas aux demandes de télé-expertise.") % {"name": recipient_practitioner},
            field="recipient",
        )
    if pathway is not None and not pathway.active:
        raise ApplicationError(_("Ce parcours prioritaire est fermé."), field="recipient")
    now = timezone.now()
    delay = pathway.target_delay if pathway is not None and pathway.target_delay else DEFAULT_TARGET_DELAYS[urgency]
    referral = Referral(
        kind=kind,
        urgency=urgency,
        status=Status.SENT,
        sender=sender,
        sender_user=acting_user,
        recipient_practitioner=recipient_practitioner,
        recipient_practice=recipient_practice,
        pathway=pathway,
        sent_at=now,
        due_at=now + delay,
        **{name: value.strip() if isinstance(value, str) else value for name, value in fields.items()},
    )
    try:
        referral.full_clean()
    except ValidationError as error:
        field, errors = next(iter(error.message_dict.items()))
        raise ApplicationError(errors[0], field=field) from None
    referral.save()
    _event(referral, actor=acting_user, action="sent")
    return referral


def _transition(referral: Referral, name: str) -> tuple[str, str]:
    allowed_from, to_status = TRANSITIONS[name]
    if referral.status not in allowed_from:
        raise ApplicationError(
            _("Impossible depuis le statut « %(status)s ».") % {"status": referral.get_status_display()},
            code="invalid_transition",
        )
    return referral.status, to_status


def _locked(referral: Referral) -> Referral:
    return Referral.objects.select_for_update().get(pk=referral.pk)


@transaction.atomic
def referral_acknowledge(*, acting_user: User, referral: Referral) -> Referral:
    """The recipient's side says it has the request in hand (a secretary, often, for the whole practice)."""
    if not referrals_handled_by(acting_user).filter(pk=referral.pk).exists():
        raise ApplicationError(_("Cette demande n'existe pas ou ne vous est pas adressée."), code="not_found")
    referral = _locked(referral)
    from_status, referral.status = _transition(referral, "acknowledge")
    referral.first_response_at = referral.first_response_at or timezone.now()
    referral.save(update_fields=["status", "first_response_at", "updated_at"])
    _event(referral, actor=acting_user, action="acknowledged", from_status=from_status)
    return referral


@transaction.atomic
def referral_cancel(*, acting_user: User, referral: Referral, note: str = "") -> Referral:
    """The sender withdraws a request nobody has answered yet."""
    own_entry = practitioner_of(acting_user)
    if own_entry is None or referral.sender_id != own_entry.pk:
        raise ApplicationError(_("Seul l'expéditeur annule sa demande."), code="not_found")
    referral = _locked(referral)
    from_status, referral.status = _transition(referral, "cancel")
    referral.closed_at = timezone.now()
    referral.save(update_fields=["status", "closed_at", "updated_at"])
    _event(referral, actor=acting_user, action="cancelled", from_status=from_status, note=note.strip())
    return referral

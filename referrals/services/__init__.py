"""Writes of requests: sending, and each status transition. Every transition checks who may make it and from
which status, and writes a timeline event in the same transaction."""

import datetime
import unicodedata
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import ApplicationError
from directory.contact_values import french_phone_e164
from directory.models import Practice, Practitioner
from notifications.models import OutboundMessage
from notifications.services import EmailAttachment, message_enqueue
from referrals import takeaway
from referrals.models import DEFAULT_TARGET_DELAYS, Pathway, Referral, ReferralEvent, Urgency
from referrals.rules import TRANSITIONS, check_side, check_state
from referrals.scope import Actor, actor_for, appointment_sites
from referrals.services.attachments import attachments_add_many
from referrals.services.billing import billing_records_create
from referrals.services.common import locked, post_message, record_event, required_text, write_logged
from referrals.services.notices import new_request_notices_send

Status = Referral.Status

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
# What the GP says around the patient: tele-expertise consent and the médecin traitant.
CONTEXT_FIELDS = ("teleexpertise_consent", "attending_practitioner", "attending_label")
CLINICAL_FIELDS = ("reason", "question", "history", "treatments", "allergies", "no_known_allergies")

# A patient born before this year is a typing error (1800 for 1980), not a patient.
EARLIEST_BIRTH_YEAR = 1900
# The same patient sent to the same recipient within this window asks the sender to confirm.
DUPLICATE_WINDOW = datetime.timedelta(days=30)
# An appointment given further ahead than this is a typing error (2062 for 2026).
APPOINTMENT_HORIZON_DAYS = 548  # 18 months
# An appointment outside these hours (Europe/Paris) is given only once the secretary confirms it.
APPOINTMENT_DAY_STARTS, APPOINTMENT_DAY_ENDS = datetime.time(7, 0), datetime.time(21, 0)


def patient_phone_normalised(phone: str) -> str:
    """A French mobile or landline number as ``+33…`` (or an overseas department's code); refused on the field
    ``patient_phone`` when it is not one ("abcdefghij", "12", a foreign number)."""
    phone = (phone or "").strip()
    if not phone:
        return ""
    try:
        return french_phone_e164(phone)
    except ValidationError:
        raise ApplicationError(
            _(
                "Numéro de téléphone du patient invalide : « %(value)s ». Indiquez un numéro français à 10 "
                "chiffres (06 12 34 56 78) ou au format +33."
            )
            % {"value": phone},
            field="patient_phone",
        ) from None


def _check_birth_date(birth_date) -> None:
    if not isinstance(birth_date, datetime.date):
        return  # missing: full_clean says so
    if birth_date > timezone.localdate():
        raise ApplicationError(_("La date de naissance est dans le futur."), field="patient_birth_date")
    if birth_date.year < EARLIEST_BIRTH_YEAR:
        raise ApplicationError(
            _("La date de naissance est avant %(year)s : vérifiez l'année.") % {"year": EARLIEST_BIRTH_YEAR},
            field="patient_birth_date",
        )


def _name_key(name: str) -> str:
    """A name as compared for the same patient: accents, case, hyphens and extra spaces aside."""
    decomposed = unicodedata.normalize("NFKD", name or "")
    letters = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(letters.casefold().replace("-", " ").replace("'", " ").split())


def earlier_requests_for_same_patient(
    *, sender: Practitioner, recipient_practitioner, recipient_practice, pathway, fields: dict, now
) -> list[Referral]:
    """The requests of the last 30 days, by anyone of the sender's territory, for the same patient (birth name,
    first names and birth date, accents and case aside) to the same recipient (the practitioner, the practice's
    pool or the pathway), latest first. Cancelled requests do not count."""
    birth_date = fields.get("patient_birth_date")
    if not isinstance(birth_date, datetime.date):
        return []
    recipient = {
        "recipient_practitioner": recipient_practitioner,
        "recipient_practice": recipient_practice,
        "pathway": pathway,
    }
    candidates = Referral.objects.filter(
        patient_birth_date=birth_date,
        sent_at__gte=now - DUPLICATE_WINDOW,
        **{name: value for name, value in recipient.items() if value is not None},
    ).exclude(status__in=[Status.DRAFT, Status.CANCELLED])
    if sender.territory_id is not None:
        candidates = candidates.filter(territory_id=sender.territory_id)
    family, given = _name_key(fields.get("patient_family_name", "")), _name_key(fields.get("patient_given_names", ""))
    return [
        referral
        for referral in candidates.order_by("-sent_at").only(
            "id", "sent_at", "status", "sender_id", "patient_family_name", "patient_given_names"
        )
        if _name_key(referral.patient_family_name) == family and _name_key(referral.patient_given_names) == given
    ]


def duplicate_warning(earlier: Referral, *, sender: Practitioner) -> str:
    """What the sender is told of an earlier request for the same patient: its date, its status and whether they
    sent it; nothing of its content (it may be a colleague's)."""
    return _(
        "Une demande existe déjà pour ce patient chez ce destinataire (envoyée le %(date)s %(who)s, statut : "
        "%(status)s) : envoyer quand même ? Cochez « Envoyer quand même » et envoyez de nouveau."
    ) % {
        "date": timezone.localtime(earlier.sent_at).strftime("%d/%m/%Y"),
        "who": _("par vous") if earlier.sender_id == sender.pk else _("par un autre professionnel du territoire"),
        "status": Status(earlier.status).label,
    }


@transaction.atomic
def referral_send(
    *,
    acting_user: User,
    kind: str,
    urgency: str = Urgency.ROUTINE,
    recipient_practitioner: Practitioner | None = None,
    recipient_practice: Practice | None = None,
    pathway: Pathway | None = None,
    attachments: Sequence[UploadedFile] = (),
    confirm_duplicate: bool = False,
    **fields,
) -> Referral:
    """A GP sends a letter or a tele-expertise question to one practitioner, practice or pathway.

    ``fields`` are the patient's (``PATIENT_FIELDS``, ``CONTEXT_FIELDS``) and the clinical text
    (``CLINICAL_FIELDS``). The target date comes from the urgency, or from the pathway's own delay.
    ``attachments`` are joined in the same transaction: all or nothing, a refused document leaves no request
    behind. The creation is in the access log.

    The same patient sent to the same recipient within 30 days by anyone of the sender's territory is refused
    (``field="confirm_duplicate"``, ``code="duplicate"``, the earlier request's date and status in the message)
    until the sender confirms with ``confirm_duplicate``. The patient's phone is stored as ``+33…``.
    """
    sender = actor_for(acting_user).entry
    if sender is None:
        raise ApplicationError(_("Seul un professionnel rattaché à sa fiche de l'annuaire envoie une demande."))
    unknown = set(fields) - {*PATIENT_FIELDS, *CONTEXT_FIELDS, *CLINICAL_FIELDS}
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
    _check_birth_date(fields.get("patient_birth_date"))
    if "patient_phone" in fields:
        fields["patient_phone"] = patient_phone_normalised(fields["patient_phone"])
    if fields.get("no_known_allergies") and (fields.get("allergies") or "").strip():
        raise ApplicationError(
            _("Vous avez coché « Aucune allergie connue » et décrit des allergies : gardez l'un ou l'autre."),
            field="no_known_allergies",
        )
    now = timezone.now()
    if not confirm_duplicate:
        earlier = earlier_requests_for_same_patient(
            sender=sender,
            recipient_practitioner=recipient_practitioner,
            recipient_practice=recipient_practice,
            pathway=pathway,
            fields=fields,
            now=now,
        )
        if earlier:
            raise ApplicationError(
                duplicate_warning(earlier[0], sender=sender), field="confirm_duplicate", code="duplicate"
            )
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
        territory=sender.territory or _recipient_territory(recipient_practitioner, recipient_practice, pathway),
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
    record_event(referral, actor=acting_user, action="sent")
    write_logged(acting_user, referral, service="referrals.services.referral_send", created=True)
    if attachments:
        attachments_add_many(acting_user=acting_user, referral=referral, uploaded_files=list(attachments))
    # The recipient's side hears of it now if urgent, else as each practice chose (the morning digest by default).
    new_request_notices_send(referral=referral, acting_user=acting_user)
    return referral


def _recipient_territory(practitioner, practice, pathway):
    """Whose coordinators follow a request whose sender has no territory: the recipient's."""
    if pathway is not None:
        return pathway.territory
    return (practitioner or practice).territory


def _side_checked(name: str, acting_user: User, referral: Referral) -> Actor:
    """The acting user's ``Actor``, once they are on the side of the request whose action ``name`` is."""
    actor = actor_for(acting_user)
    check_side(name, actor, referral)
    return actor


def _transition(referral: Referral, name: str, actor: Actor) -> tuple[str, str]:
    """(the status now, the status after ``name``) once the locked request's status and kind allow it."""
    check_state(name, referral, actor)
    return referral.status, TRANSITIONS[name][1]


def _notify_patient(referral: Referral, template: str, context: dict) -> None:
    """With the patient's consent: one e-mail and one SMS, never any clinical content (see the templates). Once
    an appointment is given, both say with whom and the number to call if the patient cannot come, and the
    e-mail carries the appointment as an .ics for the patient's calendar."""
    if not referral.contact_consent:
        return
    context = {"sender": str(referral.sender), **context}
    attachments = []
    if takeaway.has_appointment(referral):
        practitioner = takeaway.appointment_practitioner(referral)
        context = {
            "practitioner": str(practitioner) if practitioner else "",
            "phone": takeaway.appointment_phone(referral),
            **context,
        }
        attachments = [
            EmailAttachment(
                filename="rendez-vous.ics",
                content=takeaway.appointment_ics(referral),
                mimetype="text/calendar",
            )
        ]
    if referral.patient_email:
        message_enqueue(
            channel=OutboundMessage.Channel.EMAIL,
            recipient=referral.patient_email,
            template=template,
            context=context,
            idempotency_key=f"{template}:{referral.public_id}:email",
            recipient_kind=OutboundMessage.RecipientKind.PATIENT,
            territory_id=referral.territory_id,
            attachments=attachments,
        )
    if referral.patient_phone:
        message_enqueue(
            channel=OutboundMessage.Channel.SMS,
            recipient=referral.patient_phone,
            template=template,
            context=context,
            idempotency_key=f"{template}:{referral.public_id}:sms",
            recipient_kind=OutboundMessage.RecipientKind.PATIENT,
            territory_id=referral.territory_id,
        )


# What the GP hears by e-mail of their request (the page says the rest): the steps that wait for them or answer
# them. The e-mail names no patient and carries no clinical text: kind, date, recipient, and the link. In French,
# as the e-mail templates are: not in whatever language the secretary who acted happens to use.
SENDER_NEWS = {
    "info_requested": "des précisions vous sont demandées",
    "accepted": "un rendez-vous est donné",
    "declined": "elle ne peut pas être prise en charge",
    "answered": "la réponse écrite est arrivée",
}


# The document the GP takes away after those steps (the slip to print for the patient, the answer to file), and
# the route of its PDF.
SENDER_DOCUMENTS = {
    "accepted": ("la fiche de rendez-vous à remettre au patient", "referrals:appointment_slip"),
    "answered": ("la réponse en PDF, à classer dans le dossier du patient", "referrals:written_answer"),
}


def _notify_sender(referral: Referral, event: ReferralEvent) -> None:
    account = referral.sender_user
    if account is None or not account.is_active or not account.email:
        return
    document, document_route = SENDER_DOCUMENTS.get(event.action, ("", ""))
    message_enqueue(
        channel=OutboundMessage.Channel.EMAIL,
        recipient=account.email,
        template="referral_sender_news",
        context={
            "kind": {Referral.Kind.LETTER: "adressage", Referral.Kind.TELEEXPERTISE: "télé-expertise"}[referral.kind],
            "sent": timezone.localtime(referral.sent_at).strftime("%d/%m/%Y"),
            "recipient": str(referral.recipient_practitioner or referral.recipient_practice or referral.pathway),
            "news": SENDER_NEWS[event.action],
            "path": reverse("referrals:detail", args=[referral.public_id]),
            "document": document,
            "document_path": reverse(document_route, args=[referral.public_id]) if document_route else "",
        },
        idempotency_key=f"referral_sender_news:{referral.public_id}:{event.pk}",
        territory_id=referral.territory_id,
    )


def _only_site_of_recipient(referral: Referral, actor: Actor) -> Practice | None:
    """The site an appointment is at when none is named: the recipient's only one; several must be chosen from."""
    sites = list(appointment_sites(referral, actor)[:2])
    if len(sites) > 1:
        raise ApplicationError(
            _("Le destinataire reçoit dans plusieurs lieux : choisissez celui du rendez-vous."), field="site"
        )
    return sites[0] if sites else None


def check_appointment_time(appointment_at, *, confirm_unusual_hour: bool = False) -> None:
    """An appointment a patient can go to: in the future, within 18 months, and between 07:00 and 21:00 in
    Europe/Paris unless the one who gives it confirms the hour."""
    now = timezone.now()
    if appointment_at is None or appointment_at <= now:
        raise ApplicationError(_("Le rendez-vous doit être dans le futur."), field="appointment_at")
    if timezone.localdate(appointment_at) > timezone.localdate(now) + datetime.timedelta(days=APPOINTMENT_HORIZON_DAYS):
        raise ApplicationError(_("Le rendez-vous est dans plus de 18 mois : vérifiez l'année."), field="appointment_at")
    hour = timezone.localtime(appointment_at).time()
    if not confirm_unusual_hour and not APPOINTMENT_DAY_STARTS <= hour <= APPOINTMENT_DAY_ENDS:
        raise ApplicationError(
            _(
                "Le rendez-vous est à %(time)s, avant 7 h ou après 21 h : vérifiez l'heure, ou cochez « Je confirme "
                "cet horaire inhabituel »."
            )
            % {"time": hour.strftime("%H:%M")},
            field="confirm_unusual_hour",
        )


@transaction.atomic
def referral_acknowledge(*, acting_user: User, referral: Referral) -> Referral:
    """The recipient's side says it has the request in hand (a secretary, often, for the whole practice)."""
    actor = _side_checked("acknowledge", acting_user, referral)
    referral = locked(referral)
    from_status, referral.status = _transition(referral, "acknowledge", actor)
    referral.first_response_at = referral.first_response_at or timezone.now()
    referral.save(update_fields=["status", "first_response_at", "updated_at"])
    record_event(referral, actor=acting_user, action="acknowledged", from_status=from_status)
    write_logged(acting_user, referral, service="referrals.services.referral_acknowledge")
    return referral


@transaction.atomic
def referral_request_info(*, acting_user: User, referral: Referral, message: str) -> Referral:
    """The recipient's side needs more before deciding: the question goes to the GP in the thread."""
    actor = _side_checked("request_info", acting_user, referral)
    body = required_text(message, field="message", message=_("Écrivez ce qu'il vous manque."))
    referral = locked(referral)
    from_status, referral.status = _transition(referral, "request_info", actor)
    referral.first_response_at = referral.first_response_at or timezone.now()
    referral.save(update_fields=["status", "first_response_at", "updated_at"])
    post_message(referral, acting_user, body)
    event = record_event(referral, actor=acting_user, action="info_requested", from_status=from_status)
    _notify_sender(referral, event)
    write_logged(acting_user, referral, service="referrals.services.referral_request_info")
    return referral


@transaction.atomic
def referral_provide_info(*, acting_user: User, referral: Referral, message: str) -> Referral:
    """The GP answers the question: the request goes back to the recipient's inbox."""
    actor = _side_checked("provide_info", acting_user, referral)
    body = required_text(message, field="message", message=_("Écrivez votre réponse."))
    referral = locked(referral)
    from_status, referral.status = _transition(referral, "provide_info", actor)
    referral.save(update_fields=["status", "updated_at"])
    post_message(referral, acting_user, body)
    record_event(referral, actor=acting_user, action="info_provided", from_status=from_status)
    write_logged(acting_user, referral, service="referrals.services.referral_provide_info")
    return referral


@transaction.atomic
def referral_accept(
    *,
    acting_user: User,
    referral: Referral,
    appointment_at,
    site: Practice | None = None,
    instructions: str = "",
    confirm_unusual_hour: bool = False,
) -> Referral:
    """The recipient's side gives an appointment, at ``site`` or, when none is named, at the recipient's only
    site. For a pathway, the first to accept owns the request: the row lock and the status check make a second
    acceptance fail.

    The appointment is in the future and within 18 months; one before 07:00 or after 21:00 (Europe/Paris) is
    given only with ``confirm_unusual_hour`` (a typed 03:00 for 15:00 is a patient sent at night)."""
    actor = _side_checked("accept", acting_user, referral)
    referral = locked(referral)
    from_status, referral.status = _transition(referral, "accept", actor)
    check_appointment_time(appointment_at, confirm_unusual_hour=confirm_unusual_hour)
    referral.handled_by = referral.recipient_practitioner or actor.entry
    if site is None:
        site = _only_site_of_recipient(referral, actor)
    if site is None or not appointment_sites(referral, actor).filter(pk=site.pk).exists():
        raise ApplicationError(_("Choisissez un lieu où le destinataire reçoit."), field="site")
    referral.appointment_at = appointment_at
    referral.appointment_site = site
    referral.appointment_instructions = (instructions or "").strip()
    referral.first_response_at = referral.first_response_at or timezone.now()
    referral.save(
        update_fields=[
            "status",
            "handled_by",
            "appointment_at",
            "appointment_site",
            "appointment_instructions",
            "first_response_at",
            "updated_at",
        ]
    )
    event = record_event(referral, actor=acting_user, action="accepted", from_status=from_status)
    _notify_sender(referral, event)
    local = timezone.localtime(appointment_at)
    _notify_patient(
        referral,
        "referral_patient_accepted",
        {
            "date": local.strftime("%d/%m/%Y"),
            "time": local.strftime("%H:%M"),
            "site": site.name,
            "address": ", ".join(part for part in (site.address, f"{site.postal_code} {site.city}".strip()) if part),
        },
    )
    write_logged(acting_user, referral, service="referrals.services.referral_accept")
    return referral


@transaction.atomic
def referral_decline(
    *, acting_user: User, referral: Referral, reason: str, suggested_practitioner: Practitioner | None = None
) -> Referral:
    """The recipient's side declines, says why, and may suggest a colleague from the directory."""
    actor = _side_checked("decline", acting_user, referral)
    reason = required_text(reason, field="reason", message=_("Indiquez le motif du refus."))
    referral = locked(referral)
    from_status, referral.status = _transition(referral, "decline", actor)
    referral.decline_reason = reason
    referral.suggested_practitioner = suggested_practitioner
    # Who declined counts in the statistics (a practice's or a pathway's request is nobody's otherwise).
    referral.handled_by = referral.recipient_practitioner or actor.entry
    referral.first_response_at = referral.first_response_at or timezone.now()
    referral.save(
        update_fields=[
            "status",
            "decline_reason",
            "suggested_practitioner",
            "handled_by",
            "first_response_at",
            "updated_at",
        ]
    )
    event = record_event(referral, actor=acting_user, action="declined", from_status=from_status, note=reason)
    _notify_sender(referral, event)
    _notify_patient(referral, "referral_patient_declined", {})
    write_logged(acting_user, referral, service="referrals.services.referral_decline")
    return referral


@transaction.atomic
def referral_answer(*, acting_user: User, referral: Referral, answer: str, now=None) -> Referral:
    """The expert answers a tele-expertise question in writing; the billing records of both sides (or the
    timeline's reason why not) are written in the same transaction.

    ``now``: the moment of the answer, the clock unless given (tests and demo data date it); its day in
    Europe/Paris is the act's date, which sets the tariff and the year of the cap."""
    actor = _side_checked("answer", acting_user, referral)
    answer = required_text(answer, field="answer", message=_("Écrivez votre réponse."))
    referral = locked(referral)
    from_status, referral.status = _transition(referral, "answer", actor)
    now = now or timezone.now()
    referral.answer = answer
    referral.handled_by = referral.recipient_practitioner or actor.entry
    referral.first_response_at = referral.first_response_at or now
    referral.save(update_fields=["status", "answer", "handled_by", "first_response_at", "updated_at"])
    event = record_event(referral, actor=acting_user, action="answered", from_status=from_status)
    _notify_sender(referral, event)
    billing_records_create(referral=referral, act_date=timezone.localdate(now))
    write_logged(acting_user, referral, service="referrals.services.referral_answer")
    return referral


@transaction.atomic
def referral_close(*, acting_user: User, referral: Referral, note: str = "", report: str = "") -> Referral:
    """The recipient's side closes a request it has accepted, answered or declined, with its return letter
    (``report``, the compte-rendu, kept on the request; an empty one keeps what was written before). A request
    answered in writing closes without one: nobody saw the patient, the written answer is the return."""
    actor = _side_checked("close", acting_user, referral)
    referral = locked(referral)
    from_status, referral.status = _transition(referral, "close", actor)
    if from_status == Status.ANSWERED and (report or "").strip():
        raise ApplicationError(
            _(
                "Cette demande a reçu une réponse écrite : elle se clôture sans compte-rendu de consultation, "
                "le patient n'a pas été vu. Ce que vous voulez ajouter, écrivez-le dans les échanges avant de clôturer."
            ),
            field="report",
        )
    referral.closed_at = timezone.now()
    referral.closing_report = (report or "").strip() or referral.closing_report
    referral.save(update_fields=["status", "closed_at", "closing_report", "updated_at"])
    record_event(referral, actor=acting_user, action="closed", from_status=from_status, note=(note or "").strip())
    write_logged(acting_user, referral, service="referrals.services.referral_close")
    return referral


@transaction.atomic
def referral_cancel(*, acting_user: User, referral: Referral, note: str = "") -> Referral:
    """The sender withdraws a request nobody has answered yet."""
    actor = _side_checked("cancel", acting_user, referral)
    referral = locked(referral)
    from_status, referral.status = _transition(referral, "cancel", actor)
    referral.closed_at = timezone.now()
    referral.save(update_fields=["status", "closed_at", "updated_at"])
    record_event(referral, actor=acting_user, action="cancelled", from_status=from_status, note=note.strip())
    write_logged(acting_user, referral, service="referrals.services.referral_cancel")
    return referral

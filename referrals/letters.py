"""The referral letter as a PDF (WeasyPrint): what the specialist needs and the coordinated care pathway
expects: sender and recipient with their RPPS, the patient's identity (birth name, first names, birth date, sex,
INS when given) and médecin traitant, the date, the urgency, the reason and question, history, treatments,
allergies, attachments and the signature block, with the number where the recipient calls the GP back.

A field the GP left empty reads "Non renseigné(e)s", never "none": only a ticked "Aucune allergie connue" says
there is no known allergy (an absence of data is not data)."""

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from directory.models import Audience, Practice, Practitioner
from directory.selectors.api import channels_of_owners
from referrals.models import Referral
from referrals.services.attachments import TYPE_LABELS


def _regular_doctor(referral: Referral) -> str:
    """The patient's declared médecin traitant: the directory entry with its RPPS, else as the GP wrote it."""
    doctor = referral.attending_practitioner
    if doctor is not None:
        if doctor.rpps:
            return _("%(name)s — RPPS %(rpps)s") % {"name": doctor, "rpps": doctor.rpps}
        return str(doctor)
    return referral.attending_label or _("Non renseigné")


def _allergies(referral: Referral) -> str:
    if referral.allergies:
        return referral.allergies
    if referral.no_known_allergies:
        return _("Aucune allergie connue (déclaré par le médecin adresseur)")
    return _("Non renseignées")


def _callback_phone(sender: Practitioner, practices: list[Practice]) -> str:
    """The number the recipient calls the GP back on: the GP's own line at one of their practices, else their
    own number, else their practice's (the professionals' line first, as the directory orders them)."""
    practice_ids = [practice.pk for practice in practices]
    owned = channels_of_owners(practitioner_ids=[sender.pk], practice_ids=practice_ids, audience=Audience.PROFESSIONALS)
    candidates = [
        *(
            channel
            for practice_id in practice_ids
            for channel in owned.of_practitioner_at.get((sender.pk, practice_id), [])
        ),
        *owned.of_practitioner.get(sender.pk, []),
        *(channel for pid in practice_ids for channel in owned.of_practice.get(pid, [])),
    ]
    return next((channel.display_value for channel in candidates if channel.is_callable), "")


def _recipient_practices(referral: Referral) -> list[Practice]:
    """Where the recipient practitioner works (their address on the letter); the practice itself for a pool."""
    if referral.recipient_practitioner_id is not None:
        return list(Practice.objects.filter(activities__practitioner=referral.recipient_practitioner).order_by("name"))
    if referral.recipient_practice_id is not None:
        return [referral.recipient_practice]
    return []


def referral_letter_pdf(referral: Referral) -> bytes:
    """The letter of ``referral``; the caller has checked that the reader may see it (and logged the read)."""
    sent = timezone.localtime(referral.sent_at or referral.created_at)
    sender_practices = list(Practice.objects.filter(activities__practitioner=referral.sender).order_by("name"))
    context = {
        "referral": referral,
        "date": sent.strftime("%d/%m/%Y"),
        "due": timezone.localtime(referral.due_at).strftime("%d/%m/%Y") if referral.due_at else "",
        "sender_practices": sender_practices,
        "callback_phone": _callback_phone(referral.sender, sender_practices),
        "recipient_specialties": (
            [specialty.label for specialty in referral.recipient_practitioner.specialties.order_by("label")]
            if referral.recipient_practitioner_id
            else []
        ),
        "recipient_practices": _recipient_practices(referral),
        "regular_doctor": _regular_doctor(referral),
        "allergies": _allergies(referral),
        "attachments": [
            {"name": attachment.original_name, "type": TYPE_LABELS.get(attachment.content_type, "")}
            for attachment in referral.attachments.order_by("uploaded_at", "id")
        ],
    }
    html = render_to_string("referrals/letter.html", context)
    from weasyprint import HTML  # imported on first use: it loads fonts and stylesheets, which web starts skip

    return HTML(string=html).write_pdf()

"""The referral letter as a PDF (WeasyPrint): what the specialist needs and the coordinated care pathway
expects: sender and recipient with their RPPS, the patient's identity (birth name, first names, birth date, sex,
INS when given) and médecin traitant, the date, the urgency, the reason and question, history, treatments,
allergies, attachments and the signature block."""

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from directory.models import Practice
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


def referral_letter_pdf(referral: Referral) -> bytes:
    """The letter of ``referral``; the caller has checked that the reader may see it (and logged the read)."""
    sent = timezone.localtime(referral.sent_at or referral.created_at)
    context = {
        "referral": referral,
        "date": sent.strftime("%d/%m/%Y"),
        "due": timezone.localtime(referral.due_at).strftime("%d/%m/%Y") if referral.due_at else "",
        "sender_practices": list(Practice.objects.filter(activities__practitioner=referral.sender).order_by("name")),
        "regular_doctor": _regular_doctor(referral),
        "attachments": [
            {"name": attachment.original_name, "type": TYPE_LABELS.get(attachment.content_type, "")}
            for attachment in referral.attachments.order_by("uploaded_at", "id")
        ],
    }
    html = render_to_string("referrals/letter.html", context)
    from weasyprint import HTML  # imported on first use: it loads fonts and stylesheets, which web starts skip

    return HTML(string=html).write_pdf()

"""What the patient and the GP take away from a request: the number the patient calls if they cannot come, the
appointment as a calendar file (.ics, RFC 5545) joined to the patient's e-mail, the appointment slip the GP
prints for the patient, and the expert's written answer of a tele-expertise as a PDF to file in the patient's
record. The PDFs are rendered with WeasyPrint, as the letter is; the caller has checked that the reader may see
the request (``referral_for_user``, which logs the read)."""

import datetime

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from directory.models import Audience, Practice, Practitioner
from directory.selectors.api import channels_of_owners
from referrals.models import Referral

# How long the calendar entry lasts: the recipient gives a start time only.
APPOINTMENT_LENGTH = datetime.timedelta(minutes=30)
# What every patient brings to a specialist's appointment, whatever the recipient's own instructions add.
WHAT_TO_BRING = (
    gettext_lazy("votre carte Vitale et une pièce d'identité"),
    gettext_lazy("le courrier de votre médecin"),
    gettext_lazy("vos ordonnances en cours"),
    gettext_lazy("vos examens récents (analyses, imagerie, comptes-rendus)"),
)


def has_appointment(referral: Referral) -> bool:
    """An appointment was given (the slip and the calendar file exist only then)."""
    return referral.appointment_at is not None and referral.appointment_site_id is not None


def has_written_answer(referral: Referral) -> bool:
    """The expert answered a tele-expertise in writing (the answer's PDF exists only then)."""
    return referral.kind == Referral.Kind.TELEEXPERTISE and bool(referral.answer)


def appointment_practitioner(referral: Referral) -> Practitioner | None:
    """Who the patient sees: the practitioner addressed, or whoever took the request for a practice or pathway."""
    return referral.recipient_practitioner or referral.handled_by


def appointment_phone(referral: Referral) -> str:
    """The public number the patient calls about the appointment (to cancel or move it), formatted for reading:
    the practitioner's own line at the appointment's site, else the site's (its switchboard, its secretariat),
    else the practitioner's own public number. Empty when the directory has none."""
    site_id = referral.appointment_site_id or referral.recipient_practice_id
    practitioner = appointment_practitioner(referral)
    if site_id is None and practitioner is None:
        return ""
    owned = channels_of_owners(
        practitioner_ids=[practitioner.pk] if practitioner else [],
        practice_ids=[site_id] if site_id else [],
        audience=Audience.PUBLIC,
    )
    candidates = [
        *(owned.of_practitioner_at.get((practitioner.pk, site_id), []) if practitioner and site_id else []),
        *owned.of_practice.get(site_id, []),
        *(owned.of_practitioner.get(practitioner.pk, []) if practitioner else []),
    ]
    return next((channel.display_value for channel in candidates if channel.is_callable), "")


def _site_address(site: Practice) -> str:
    return ", ".join(part for part in (site.address, f"{site.postal_code} {site.city}".strip()) if part)


def appointment_ics(referral: Referral) -> bytes:
    """The appointment as an iCalendar file (RFC 5545: CRLF line ends, long lines folded, a VTIMEZONE for
    Europe/Paris), for the patient's calendar. No clinical content and no patient name: the file is about where
    and when, with whom, and the number to call."""
    from icalendar import Calendar, Event

    site = referral.appointment_site
    practitioner = appointment_practitioner(referral)
    start = timezone.localtime(referral.appointment_at)
    phone = appointment_phone(referral)
    calendar = Calendar()
    calendar.add("prodid", "-//CPTS//Portail CPTS//FR")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    host = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0] or "cpts"
    event.add("uid", f"rendez-vous-{referral.public_id}@{host}")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", start)
    event.add("dtend", start + APPOINTMENT_LENGTH)
    if practitioner is not None:
        event.add("summary", _("Rendez-vous avec %(name)s") % {"name": practitioner})
    else:
        event.add("summary", _("Rendez-vous : %(site)s") % {"site": site.name})
    event.add("location", ", ".join(part for part in (site.name, _site_address(site)) if part))
    lines = [_("Rendez-vous fixé à la demande de votre médecin, %(sender)s.") % {"sender": referral.sender}]
    if referral.appointment_instructions:
        lines.append(referral.appointment_instructions)
    if phone:
        lines.append(_("Si vous ne pouvez pas venir, appelez le %(phone)s.") % {"phone": phone})
    event.add("description", "\n".join(lines))
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _render_pdf(template: str, context: dict) -> bytes:
    html = render_to_string(template, context)
    from weasyprint import HTML  # imported on first use, as for the letter

    return HTML(string=html).write_pdf()


def appointment_slip_pdf(referral: Referral) -> bytes:
    """The slip the GP hands the patient: where, when, with whom, the number to call, what to bring."""
    site = referral.appointment_site
    start = timezone.localtime(referral.appointment_at)
    practitioner = appointment_practitioner(referral)
    context = {
        "referral": referral,
        "date": start.strftime("%d/%m/%Y"),
        "time": start.strftime("%H:%M"),
        "long_date": date_format(start, "l j F Y"),
        "practitioner": practitioner,
        "specialties": list(practitioner.specialties.values_list("label", flat=True)) if practitioner else [],
        "site": site,
        "address": _site_address(site),
        "phone": appointment_phone(referral),
        "what_to_bring": WHAT_TO_BRING,
        "printed": timezone.localtime().strftime("%d/%m/%Y"),
    }
    return _render_pdf("referrals/appointment_slip.html", context)


def written_answer_pdf(referral: Referral) -> bytes:
    """The expert's written answer, with the patient's identity, the question and both professionals, to file in
    the patient's record."""
    expert = referral.handled_by or referral.recipient_practitioner
    answered = referral.events.filter(action="answered").order_by("-at").values_list("at", flat=True).first()
    context = {
        "referral": referral,
        "expert": expert,
        "expert_specialties": list(expert.specialties.values_list("label", flat=True)) if expert else [],
        "asked": timezone.localtime(referral.sent_at or referral.created_at).strftime("%d/%m/%Y"),
        "answered": timezone.localtime(answered).strftime("%d/%m/%Y") if answered else "",
    }
    return _render_pdf("referrals/written_answer.html", context)

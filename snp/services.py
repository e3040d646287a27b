"""Every change to non-scheduled care: publishing, withdrawing, booking, cancelling, the visit's outcome, the
calls that did not end in a booking. Each service is keyword-only and atomic, checks who may act through
``snp.scope``, locks the slot it changes, writes the outbox rows of its messages and the access-log row of a
patient's booking. No message carries the reason or anything clinical.
"""

import dataclasses
import datetime
import itertools
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import AccessLog, User
from accounts.roles import Role
from accounts.services import access_log_record
from accounts.signed_links import patient_link_read, patient_link_token
from core.amounts import euros_checked
from core.errors import ApplicationError
from directory.contact_values import french_phone_e164
from directory.models import Commune, Practice, Practitioner, RoleGrant, Territory
from notifications.models import OutboundMessage
from notifications.services import message_enqueue
from notifications.verification import verification_code_check, verification_code_consume, verification_code_send
from snp.models import (
    MAX_SLOT_MINUTES,
    MIN_SLOT_MINUTES,
    PATTERN_HORIZON,
    REGULATOR_SERVICES,
    Booking,
    BookingAudience,
    NurseOnCall,
    ReasonCategory,
    RegulatedCall,
    Sex,
    SharedOffer,
    Slot,
    SlotKind,
    SlotPattern,
    UnfilledSlotTariff,
)
from snp.scope import SnpActor, snp_actor_for

PARIS = ZoneInfo("Europe/Paris")
CONFLICT = "conflict"
LINK_PURPOSE = "snp-booking"
# The patient's cancellation link works until the visit; this bounds a link leaked long after.
LINK_MAX_AGE = datetime.timedelta(days=60)
NEXT_SLOTS_OFFERED = 5


def _no_slot() -> str:
    return _("Ce créneau n'existe pas ou ne vous est pas ouvert.")


@dataclass(frozen=True)
class PatientDetails:
    """Who the booking is for, as the regulator took it down on the phone."""

    family_name: str
    given_names: str
    birth_date: datetime.date
    sex: str
    commune_insee: str
    has_gp: bool
    phone: str = ""
    email: str = ""
    gp_practitioner: Practitioner | None = None


# --- Publishing ------------------------------------------------------------------------------------------------


def _publisher_checked(actor: SnpActor, practitioner: Practitioner | None, site: Practice | None):
    """The practitioner whose slots these are and the site, once the user may publish for them there."""
    if practitioner is None:
        if actor.entry_id is None:
            raise ApplicationError(_("Choisissez le professionnel dont ce sont les créneaux."), field="practitioner")
        practitioner = Practitioner.objects.get(pk=actor.entry_id)
    sites = Practice.objects.filter(activities__practitioner=practitioner, territory__isnull=False).distinct()
    if practitioner.pk != actor.entry_id:
        # A secretary publishes for the practitioners of the sites they serve, at those sites only.
        sites = sites.filter(pk__in=actor.secretary_practice_ids)
        if not sites.exists():
            raise ApplicationError(_("Ce professionnel n'existe pas ou ne vous est pas accessible."), code="not_found")
    if site is None:
        only = list(sites[:2])
        if len(only) != 1:
            raise ApplicationError(_("Choisissez le lieu du créneau."), field="site")
        site = only[0]
    elif not sites.filter(pk=site.pk).exists():
        raise ApplicationError(_("Ce lieu n'est pas l'un de ceux où exerce ce professionnel."), field="site")
    return practitioner, site


def _audiences_checked(audiences) -> list[str]:
    chosen = []
    for audience in audiences or ():
        if audience not in BookingAudience.values:
            raise ApplicationError(_("Public inconnu : %(value)s.") % {"value": audience}, field="audiences")
        if audience not in chosen:
            chosen.append(audience)
    if not chosen:
        raise ApplicationError(_("Choisissez qui peut réserver ce créneau."), field="audiences")
    return chosen


def _duration_checked(duration_minutes) -> datetime.timedelta:
    if not isinstance(duration_minutes, int) or not MIN_SLOT_MINUTES <= duration_minutes <= MAX_SLOT_MINUTES:
        raise ApplicationError(
            _("Un créneau dure entre %(min)s et %(max)s minutes.") % {"min": MIN_SLOT_MINUTES, "max": MAX_SLOT_MINUTES},
            field="duration_minutes",
        )
    return datetime.timedelta(minutes=duration_minutes)


def _kind_checked(kind: str) -> str:
    if kind not in SlotKind.values:
        raise ApplicationError(_("Type de créneau inconnu."), field="kind")
    return kind


def _overlapping(practitioner: Practitioner, start: datetime.datetime, end: datetime.datetime) -> Slot | None:
    return (
        Slot.objects.filter(practitioner=practitioner, starts_at__lt=end, ends_at__gt=start)
        .exclude(status=Slot.Status.WITHDRAWN)
        .order_by("starts_at")
        .first()
    )


def _overlap_error(slot: Slot) -> ApplicationError:
    local = timezone.localtime(slot.starts_at, PARIS)
    return ApplicationError(
        _("Ce créneau chevauche celui du %(date)s à %(time)s.")
        % {"date": date_format(local, "l j F"), "time": local.strftime("%H:%M")},
        field="start",
    )


@transaction.atomic
def slot_publish(
    *,
    acting_user: User,
    start: datetime.datetime,
    duration_minutes: int,
    audiences,
    kind: str = SlotKind.IN_PRACTICE,
    practitioner: Practitioner | None = None,
    site: Practice | None = None,
) -> Slot:
    """A professional (or a secretary of the site, for a practitioner there) publishes one slot, open to the
    audiences chosen. Refused in the past, outside 5 to 240 minutes, overlapping another live slot of the same
    practitioner, at a site that is not theirs, or with nobody allowed to book it."""
    actor = snp_actor_for(acting_user)
    practitioner, site = _publisher_checked(actor, practitioner, site)
    if start is None or timezone.is_naive(start):
        raise ApplicationError(_("Indiquez la date et l'heure du créneau."), field="start")
    if start <= timezone.now():
        raise ApplicationError(_("Un créneau ne peut pas commencer dans le passé."), field="start")
    end = start + _duration_checked(duration_minutes)
    audiences = _audiences_checked(audiences)
    kind = _kind_checked(kind)
    if overlapping := _overlapping(practitioner, start, end):
        raise _overlap_error(overlapping)
    try:
        with transaction.atomic():  # the exclusion constraint settles a race the check above let through
            return Slot.objects.create(
                practitioner=practitioner,
                site=site,
                territory_id=site.territory_id,
                kind=kind,
                starts_at=start,
                ends_at=end,
                audiences=audiences,
                created_by=acting_user,
            )
    except IntegrityError:
        overlapping = _overlapping(practitioner, start, end)
        raise (
            _overlap_error(overlapping)
            if overlapping
            else ApplicationError(_("Ce créneau n'a pas pu être publié."), field="start")
        ) from None


@transaction.atomic
def pattern_create(
    *,
    acting_user: User,
    weekdays,
    times,
    duration_minutes: int,
    audiences,
    starts_on: datetime.date,
    ends_on: datetime.date,
    kind: str = SlotKind.IN_PRACTICE,
    practitioner: Practitioner | None = None,
    site: Practice | None = None,
) -> tuple[SlotPattern, int]:
    """A weekly pattern ("Mon-Fri 11:30 and 17:45, 20 min, until 31 March"), written out 8 weeks ahead at once.
    Returns the pattern and how many slots it wrote (a time that overlaps an existing slot is left out)."""
    actor = snp_actor_for(acting_user)
    practitioner, site = _publisher_checked(actor, practitioner, site)
    weekdays = sorted({int(day) for day in weekdays or ()})
    if not weekdays or any(day < 1 or day > 7 for day in weekdays):
        raise ApplicationError(_("Choisissez au moins un jour de la semaine."), field="weekdays")
    times = sorted(set(times or ()))
    if not times:
        raise ApplicationError(_("Indiquez au moins une heure."), field="times")
    length = _duration_checked(duration_minutes)
    if starts_on is None or ends_on is None or ends_on < starts_on:
        raise ApplicationError(_("La fin de la série doit venir après son début."), field="ends_on")
    if ends_on < timezone.localdate():
        raise ApplicationError(_("Cette série se termine dans le passé."), field="ends_on")
    if ends_on > timezone.localdate() + datetime.timedelta(days=366):
        raise ApplicationError(_("Une série dure au plus un an : publiez la suite plus tard."), field="ends_on")
    day_times = [datetime.datetime.combine(starts_on, t) for t in times]
    for first, second in itertools.pairwise(day_times):
        if second - first < length:
            raise ApplicationError(_("Deux heures de la série se chevauchent pour cette durée."), field="times")
    pattern = SlotPattern.objects.create(
        practitioner=practitioner,
        site=site,
        kind=_kind_checked(kind),
        weekdays=weekdays,
        times=times,
        duration_minutes=duration_minutes,
        audiences=_audiences_checked(audiences),
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=acting_user,
    )
    return pattern, pattern_expand(pattern=pattern)


def _pattern_starts(pattern: SlotPattern, first: datetime.date, last: datetime.date):
    """Each start of the pattern from ``first`` to ``last``, at its wall-clock time in Paris (so 11:30 stays
    11:30 when the clocks change)."""
    day = first
    while day <= last:
        if day.isoweekday() in pattern.weekdays:
            for wall_time in pattern.times:
                yield datetime.datetime.combine(day, wall_time, tzinfo=PARIS)
        day += datetime.timedelta(days=1)


@transaction.atomic
def pattern_expand(*, pattern: SlotPattern, today: datetime.date | None = None) -> int:
    """Writes the pattern's slots up to ``PATTERN_HORIZON`` ahead, once each: a rerun writes nothing new, a
    time overlapping another live slot of the practitioner is skipped (the exclusion constraint answers
    ``ON CONFLICT DO NOTHING``). Returns how many slots were written."""
    pattern = SlotPattern.objects.select_for_update().select_related("site").get(pk=pattern.pk)
    today = today or timezone.localdate()
    first = max(pattern.starts_on, today)
    if pattern.expanded_until is not None:  # written up to there already (a withdrawn slot is not written again)
        first = max(first, pattern.expanded_until + datetime.timedelta(days=1))
    last = min(pattern.ends_on, today + PATTERN_HORIZON)
    if not pattern.active or last < first:
        return 0
    length = datetime.timedelta(minutes=pattern.duration_minutes)
    now = timezone.now()
    slots = [
        Slot(
            practitioner_id=pattern.practitioner_id,
            site_id=pattern.site_id,
            territory_id=pattern.site.territory_id,
            pattern=pattern,
            kind=pattern.kind,
            starts_at=start,
            ends_at=start + length,
            audiences=pattern.audiences,
            created_by_id=pattern.created_by_id,
        )
        for start in _pattern_starts(pattern, first, last)
        if start > now
    ]
    before = Slot.objects.filter(pattern=pattern).count()
    Slot.objects.bulk_create(slots, ignore_conflicts=True, batch_size=1000)
    pattern.expanded_until = last
    pattern.save(update_fields=["expanded_until", "updated_at"])
    return Slot.objects.filter(pattern=pattern).count() - before


def patterns_expand_all(*, today: datetime.date | None = None) -> int:
    """The nightly task: every active pattern written out to the horizon (one transaction per pattern)."""
    today = today or timezone.localdate()
    written = 0
    for pattern in SlotPattern.objects.filter(active=True, ends_on__gte=today).only("pk").iterator():
        written += pattern_expand(pattern=pattern, today=today)
    return written


def _managed_slot_locked(actor: SnpActor, slot: Slot) -> Slot:
    slot = Slot.objects.select_for_update().get(pk=slot.pk)
    if not actor.manages(slot):
        raise ApplicationError(_no_slot(), code="not_found")
    return slot


@transaction.atomic
def slot_withdraw(*, acting_user: User, slot: Slot) -> Slot:
    """A free slot is withdrawn; a booked one is cancelled instead (the patient and the booker are told)."""
    slot = _managed_slot_locked(snp_actor_for(acting_user), slot)
    if slot.status == Slot.Status.BOOKED:
        raise ApplicationError(_("Ce créneau est réservé : annulez la réservation en indiquant pourquoi."))
    if slot.status == Slot.Status.WITHDRAWN:
        return slot
    slot.status = Slot.Status.WITHDRAWN
    slot.withdrawn_at = timezone.now()
    slot.save(update_fields=["status", "withdrawn_at", "updated_at"])
    return slot


# --- Booking ---------------------------------------------------------------------------------------------------


def next_free_slots(actor: SnpActor, *, after: datetime.datetime, limit: int = NEXT_SLOTS_OFFERED) -> list[Slot]:
    """The soonest free slots the actor may book, offered when the one they chose was just taken."""
    found = []
    candidates = (
        Slot.objects.filter(status=Slot.Status.FREE, starts_at__gt=max(after, timezone.now()))
        .select_related("site", "practitioner")
        .order_by("starts_at")
    )
    territory_ids = set().union(*actor.booking.values()) if actor.booking else set()
    for slot in candidates.filter(territory_id__in=territory_ids, audiences__overlap=list(actor.booking))[:50]:
        if actor.may_book(slot):
            found.append(slot)
        if len(found) == limit:
            break
    return found


class SlotTaken(ApplicationError):
    """409: someone booked the slot first; ``next_slots`` are the soonest the caller may book instead."""

    def __init__(self, message: str, next_slots: list[Slot]):
        super().__init__(message, field="slot", code=CONFLICT)
        self.next_slots = next_slots


def _patient_checked(patient: PatientDetails, *, contact_consent: bool) -> tuple[PatientDetails, Commune]:
    family_name = (patient.family_name or "").strip()
    given_names = (patient.given_names or "").strip()
    if not family_name:
        raise ApplicationError(_("Indiquez le nom du patient."), field="family_name")
    if not given_names:
        raise ApplicationError(_("Indiquez le prénom du patient."), field="given_names")
    today = timezone.localdate()
    if patient.birth_date is None or not datetime.date(1900, 1, 1) <= patient.birth_date <= today:
        raise ApplicationError(_("Indiquez une date de naissance entre 1900 et aujourd'hui."), field="birth_date")
    if patient.sex not in Sex.values:
        raise ApplicationError(_("Indiquez le sexe du patient."), field="sex")
    commune = Commune.objects.filter(insee_code=(patient.commune_insee or "").strip()).first()
    if commune is None:
        raise ApplicationError(_("Commune inconnue : indiquez son code INSEE."), field="commune")
    phone = (patient.phone or "").strip()
    if phone:
        try:
            phone = french_phone_e164(phone)
        except ValidationError:
            raise ApplicationError(
                _("Ce numéro de téléphone n'en est pas un (ex. 06 12 34 56 78)."), field="phone"
            ) from None
    if contact_consent and not phone and not patient.email:
        raise ApplicationError(
            _("Pour prévenir le patient, indiquez son téléphone ou son e-mail."),
            field="phone",
        )
    if patient.has_gp is None:
        raise ApplicationError(_("Indiquez si le patient a un médecin traitant."), field="has_gp")
    cleaned = PatientDetails(
        family_name=family_name,
        given_names=given_names,
        birth_date=patient.birth_date,
        sex=patient.sex,
        commune_insee=commune.insee_code,
        has_gp=bool(patient.has_gp),
        phone=phone,
        email=(patient.email or "").strip().lower(),
        gp_practitioner=patient.gp_practitioner if patient.has_gp else None,
    )
    return cleaned, commune


def _booking_logged(acting_user: User | None, booking: Booking, *, action: str, via: str) -> None:
    if acting_user is None:  # the patient, through their link: not a professional's read
        return
    access_log_record(
        user=acting_user,
        action=action,
        subject_type="snp_booking",
        subject_id=booking.public_id,
        patient_ref=booking.public_id,
        via=via,
    )


@transaction.atomic
def booking_create(
    *,
    acting_user: User,
    slot: Slot,
    patient: PatientDetails,
    reason_category: str,
    contact_consent: bool,
) -> Booking:
    """A regulator (or a pharmacist, a nurse, a GP: whoever the slot is open to) books the slot for a patient
    after the call. The slot's row is locked: of two callers at once, one books and the other gets a 409,
    "Ce créneau vient d'être réservé", with the next free slots they may book. A slot they may not book is
    "not found"."""
    actor = snp_actor_for(acting_user)
    audience = actor.booking_audience(slot)
    if audience is None:
        raise ApplicationError(_no_slot(), code="not_found")
    if reason_category not in ReasonCategory.values:
        raise ApplicationError(_("Choisissez la catégorie du motif."), field="reason_category")
    patient, commune = _patient_checked(patient, contact_consent=contact_consent)
    booking = _book(
        slot=slot,
        audience=audience,
        booked_by=acting_user,
        patient=patient,
        commune=commune,
        reason_category=reason_category,
        contact_consent=contact_consent,
        next_slots=lambda after: next_free_slots(actor, after=after),
    )
    if audience in REGULATOR_SERVICES:
        RegulatedCall.objects.create(
            territory_id=booking.slot.territory_id,
            audience=audience,
            outcome=RegulatedCall.Outcome.BOOKED,
            commune=commune,
            reason_category=reason_category,
            booking=booking,
            received_at=timezone.now(),
            recorded_by=acting_user,
        )
    _tell_patient(booking, "snp_booking_confirmed")
    _booking_logged(acting_user, booking, action=AccessLog.Action.CREATE, via="snp.services.booking_create")
    return booking


def _book(*, slot, audience, booked_by, patient, commune, reason_category, contact_consent, next_slots) -> Booking:
    """The booking itself, the slot's row locked: taken or withdrawn → 409 with ``next_slots(after)``."""
    slot = Slot.objects.select_for_update().select_related("site", "practitioner").get(pk=slot.pk)
    if slot.status == Slot.Status.BOOKED:
        raise SlotTaken(_("Ce créneau vient d'être réservé."), next_slots(slot.starts_at))
    if slot.status == Slot.Status.WITHDRAWN:
        raise SlotTaken(_("Ce créneau vient d'être retiré."), next_slots(slot.starts_at))
    if slot.starts_at <= timezone.now():
        raise ApplicationError(_("Ce créneau est passé."), field="slot")
    try:
        with transaction.atomic():  # the partial unique index is the last word on "one live booking"
            booking = Booking.objects.create(
                slot=slot,
                audience=audience,
                booked_by=booked_by,
                patient_family_name=patient.family_name,
                patient_given_names=patient.given_names,
                patient_birth_date=patient.birth_date,
                patient_sex=patient.sex,
                patient_phone=patient.phone,
                patient_email=patient.email,
                patient_commune=commune,
                has_gp=patient.has_gp,
                gp_practitioner=patient.gp_practitioner,
                reason_category=reason_category,
                contact_consent=contact_consent,
            )
    except IntegrityError:
        raise SlotTaken(_("Ce créneau vient d'être réservé."), next_slots(slot.starts_at)) from None
    slot.status = Slot.Status.BOOKED
    slot.save(update_fields=["status", "updated_at"])
    return booking


# --- Booking by the patient, where a slot allows it ------------------------------------------------------------

PHONE_CODE_PURPOSE = "snp-public-booking"


def public_slot(public_id) -> Slot:
    """A free, future slot open to the public (anything else is "not found": the public sees nothing more)."""
    slot = (
        Slot.objects.filter(
            public_id=public_id,
            audiences__contains=[BookingAudience.PUBLIC],
            status=Slot.Status.FREE,
            starts_at__gt=timezone.now(),
        )
        .select_related("site", "practitioner")
        .first()
    )
    if slot is None:
        raise ApplicationError(_("Ce créneau n'est plus proposé à la réservation en ligne."), code="not_found")
    return slot


def next_public_slots(slot: Slot, *, after: datetime.datetime, limit: int = NEXT_SLOTS_OFFERED) -> list[Slot]:
    return list(
        Slot.objects.filter(
            territory_id=slot.territory_id,
            audiences__contains=[BookingAudience.PUBLIC],
            status=Slot.Status.FREE,
            starts_at__gt=max(after, timezone.now()),
        )
        .select_related("site", "practitioner")
        .order_by("starts_at")[:limit]
    )


def _public_phone(phone: str) -> str:
    try:
        return french_phone_e164((phone or "").strip())
    except ValidationError:
        raise ApplicationError(
            _("Ce numéro de téléphone n'en est pas un (ex. 06 12 34 56 78)."), field="phone"
        ) from None


def public_booking_code_send(*, slot: Slot, phone: str) -> str:
    """Step 1 of a patient's own booking: a code by SMS to the number they typed (returned normalised)."""
    phone = _public_phone(phone)
    verification_code_send(
        purpose=PHONE_CODE_PURPOSE, channel=OutboundMessage.Channel.SMS, address=phone, territory_id=slot.territory_id
    )
    return phone


def booking_create_by_patient(*, slot: Slot, patient: PatientDetails, phone_code: str, reason_category: str) -> Booking:
    """Step 2: the patient books a slot open to the public once their phone number is proven by the code. Same
    lock and same 409 as a regulator's booking; the code is used only when the booking is made. Not atomic at
    this level: a wrong code must stay counted when the booking is refused."""
    if BookingAudience.PUBLIC not in slot.audiences:
        raise ApplicationError(_("Ce créneau n'est plus proposé à la réservation en ligne."), code="not_found")
    phone = _public_phone(patient.phone)
    code_id = verification_code_check(purpose=PHONE_CODE_PURPOSE, address=phone, code=phone_code)
    if reason_category not in ReasonCategory.values:
        raise ApplicationError(_("Choisissez la catégorie du motif."), field="reason_category")
    patient, commune = _patient_checked(dataclasses.replace(patient, phone=phone), contact_consent=True)
    with transaction.atomic():
        verification_code_consume(code_id)
        booking = _book(
            slot=slot,
            audience=BookingAudience.PUBLIC,
            booked_by=None,
            patient=patient,
            commune=commune,
            reason_category=reason_category,
            contact_consent=True,  # they gave their number and proved it to be told of the visit
            next_slots=lambda after: next_public_slots(slot, after=after),
        )
        _tell_patient(booking, "snp_booking_confirmed")
        _tell_professional(booking, _practitioner_account(booking.slot.practitioner), "snp_booking_public_for_practice")
    return booking


def cancel_link(booking: Booking) -> str:
    """The patient's link to the page that cancels the visit (``snp:booking_cancel_link``)."""
    token = patient_link_token(purpose=LINK_PURPOSE, subject_id=str(booking.public_id), version=booking.link_version)
    return f"{settings.SITE_URL}{reverse('snp:booking_cancel_link', args=[token])}"


def already_over_message() -> str:
    return _("Ce rendez-vous est déjà annulé ou passé.")


def visit_summary(booking: Booking) -> dict:
    """What the patient's page shows of the visit: when, with whom, where (nothing of the reason)."""
    return _visit_context(booking)


def _visit_context(booking: Booking) -> dict:
    return slot_summary(booking.slot)


def slot_summary(slot: Slot) -> dict:
    """When (Paris time), with whom, where: what a patient reads of a slot or of their visit, and the booker too."""
    site = slot.site
    local = timezone.localtime(slot.starts_at, PARIS)
    return {
        "date": date_format(local, "l j F"),
        "time": local.strftime("%H:%M"),
        "practitioner": str(slot.practitioner),
        "site": site.name,
        "address": ", ".join(part for part in (site.address, f"{site.postal_code} {site.city}".strip()) if part),
        "kind": slot.kind,
        "kind_label": slot.get_kind_display(),
        "duration_minutes": int((slot.ends_at - slot.starts_at).total_seconds() // 60),
    }


def waitlist_link() -> str:
    """The CPTS's waiting list for patients without a GP, offered in the confirmation and on the booker's page."""
    return f"{settings.SITE_URL}/liste-attente/"


def _tell_patient(booking: Booking, template: str, extra: dict | None = None) -> None:
    """With the patient's consent: an SMS and an e-mail, never the reason (see the templates)."""
    if not booking.contact_consent:
        return
    context = {**_visit_context(booking), "cancel_url": cancel_link(booking), **(extra or {})}
    if booking.has_gp is False:
        context["waitlist_url"] = waitlist_link()
    for channel, recipient in (
        (OutboundMessage.Channel.SMS, booking.patient_phone),
        (OutboundMessage.Channel.EMAIL, booking.patient_email),
    ):
        if recipient:
            message_enqueue(
                channel=channel,
                recipient=recipient,
                template=template,
                context=context,
                idempotency_key=f"{template}:{booking.public_id}:{channel}",
                recipient_kind=OutboundMessage.RecipientKind.PATIENT,
                territory_id=booking.slot.territory_id,
            )


def _tell_professional(booking: Booking, user: User | None, template: str, extra: dict | None = None) -> None:
    if user is None or not user.email:
        return
    message_enqueue(
        channel=OutboundMessage.Channel.EMAIL,
        recipient=user.email,
        template=template,
        context={**_visit_context(booking), **(extra or {})},
        idempotency_key=f"{template}:{booking.public_id}:{user.pk}",
        territory_id=booking.slot.territory_id,
    )


def _practitioner_account(practitioner: Practitioner) -> User | None:
    return practitioner.user if practitioner.user_id else None


@transaction.atomic
def booking_cancel(*, acting_user: User, booking: Booking, reason: str) -> Booking:
    """The practice (the slot's practitioner or a secretary of its site) or the booker cancels, with a reason
    the patient never reads (their message says only that the visit is cancelled). Cancelled by the practice,
    the slot is withdrawn; by the booker, it is free again."""
    actor = snp_actor_for(acting_user)
    booking = Booking.objects.select_for_update().select_related("slot__site", "slot__practitioner").get(pk=booking.pk)
    slot = Slot.objects.select_for_update().get(pk=booking.slot_id)
    by_practice = actor.manages(slot)
    # A regulation service works as a team: any of its regulators may cancel what the service booked.
    by_booker = booking.booked_by_id == acting_user.pk or (
        booking.audience in REGULATOR_SERVICES
        and booking.audience in actor.booking
        and slot.territory_id in actor.booking[booking.audience]
    )
    if not by_practice and not by_booker:
        raise ApplicationError(_("Cette réservation n'existe pas ou ne vous est pas accessible."), code="not_found")
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Indiquez pourquoi la réservation est annulée."), field="reason")
    if len(reason) > 300:
        raise ApplicationError(_("Le motif tient en 300 caractères au plus."), field="reason")
    if booking.status != Booking.Status.BOOKED:
        raise ApplicationError(_("Cette réservation n'est plus en cours : elle ne peut pas être annulée."))
    booking.status = Booking.Status.CANCELLED
    booking.cancelled_at = timezone.now()
    booking.cancelled_by = Booking.CancelledBy.PRACTICE if by_practice else Booking.CancelledBy.BOOKER
    booking.cancel_reason = reason
    booking.link_version += 1
    booking.save(
        update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason", "link_version", "updated_at"]
    )
    if by_practice:
        slot.status, slot.withdrawn_at = Slot.Status.WITHDRAWN, timezone.now()
        slot.save(update_fields=["status", "withdrawn_at", "updated_at"])
        _tell_professional(booking, booking.booked_by, "snp_booking_cancelled_by_practice")
    else:
        _free_again(slot)
        _tell_professional(
            booking, _practitioner_account(booking.slot.practitioner), "snp_booking_cancelled_for_practice"
        )
    _tell_patient(booking, "snp_booking_cancelled")
    _booking_logged(acting_user, booking, action=AccessLog.Action.UPDATE, via="snp.services.booking_cancel")
    return booking


def _free_again(slot: Slot) -> None:
    """A cancelled booking gives its slot back when it is still ahead; a past one stays as it was."""
    if slot.starts_at > timezone.now():
        slot.status = Slot.Status.FREE
    else:
        slot.status, slot.withdrawn_at = Slot.Status.WITHDRAWN, timezone.now()
    slot.save(update_fields=["status", "withdrawn_at", "updated_at"])


def booking_from_link(token: str) -> Booking:
    """The booking a patient's cancellation link names, or a French refusal (expired, reused, invalid)."""
    subject = patient_link_read(purpose=LINK_PURPOSE, token=token, max_age=LINK_MAX_AGE)
    booking = Booking.objects.select_related("slot__site", "slot__practitioner").filter(public_id=subject).first()
    if booking is None:
        raise ApplicationError(
            _("Ce lien n'est pas valide. Vérifiez qu'il a été copié en entier."), code="link_invalid"
        )
    patient_link_read(purpose=LINK_PURPOSE, token=token, max_age=LINK_MAX_AGE, current_version=booking.link_version)
    return booking


@transaction.atomic
def booking_cancel_by_patient(*, token: str) -> Booking:
    """The patient cancels through their link: the slot is free again and the practice is told. The link then
    stops working (its version is bumped)."""
    booking = booking_from_link(token)
    booking = Booking.objects.select_for_update().select_related("slot__site", "slot__practitioner").get(pk=booking.pk)
    if booking.status != Booking.Status.BOOKED:
        raise ApplicationError(already_over_message(), code="link_used")
    slot = Slot.objects.select_for_update().get(pk=booking.slot_id)
    if slot.starts_at <= timezone.now():
        raise ApplicationError(_("L'heure du rendez-vous est passée : appelez le cabinet."), code="link_used")
    booking.status = Booking.Status.CANCELLED
    booking.cancelled_at = timezone.now()
    booking.cancelled_by = Booking.CancelledBy.PATIENT
    booking.link_version += 1
    booking.save(update_fields=["status", "cancelled_at", "cancelled_by", "link_version", "updated_at"])
    _free_again(slot)
    _tell_professional(booking, _practitioner_account(booking.slot.practitioner), "snp_booking_cancelled_for_practice")
    return booking


# --- After the visit -------------------------------------------------------------------------------------------


@transaction.atomic
def booking_outcome_record(*, acting_user: User, booking: Booking, outcome: str, note: str = "") -> Booking:
    """The practice marks the visit honoured or a no-show, once its time has come. A no-show goes on the
    coordinator's recall list; an honoured visit tells the patient's own GP (when the directory knows them and
    they are someone else) that their patient was seen, with a link to the note on the portal."""
    actor = snp_actor_for(acting_user)
    booking = Booking.objects.select_for_update().select_related("slot__site", "slot__practitioner").get(pk=booking.pk)
    if not actor.manages(booking.slot):
        raise ApplicationError(_("Cette réservation n'existe pas ou ne vous est pas accessible."), code="not_found")
    if outcome not in (Booking.Status.HONOURED, Booking.Status.NO_SHOW):
        raise ApplicationError(_("Indiquez si le patient est venu."), field="outcome")
    if booking.status != Booking.Status.BOOKED:
        raise ApplicationError(_("Le résultat de cette réservation est déjà saisi, ou elle est annulée."))
    if booking.slot.starts_at > timezone.now():
        raise ApplicationError(_("Le résultat se saisit après l'heure du rendez-vous."), field="outcome")
    note = (note or "").strip()
    if len(note) > 1000:
        raise ApplicationError(_("Le mot pour le médecin traitant tient en 1 000 caractères au plus."), field="note")
    booking.status = outcome
    booking.outcome_at = timezone.now()
    booking.outcome_by = acting_user
    booking.note_for_gp = note
    booking.recall = Booking.Recall.TO_DO if outcome == Booking.Status.NO_SHOW else ""
    booking.save(update_fields=["status", "outcome_at", "outcome_by", "note_for_gp", "recall", "updated_at"])
    gp = booking.gp_practitioner
    if outcome == Booking.Status.HONOURED and gp is not None and gp.pk != booking.slot.practitioner_id:
        _tell_professional(
            booking,
            _practitioner_account(gp),
            "snp_patient_seen",
            {"booking_url": f"{settings.SITE_URL}{reverse('snp:booking_detail', args=[booking.public_id])}"},
        )
    _booking_logged(acting_user, booking, action=AccessLog.Action.UPDATE, via="snp.services.booking_outcome_record")
    return booking


@transaction.atomic
def call_record(
    *,
    acting_user: User,
    outcome: str,
    commune_insee: str = "",
    reason_category: str = "",
    received_at: datetime.datetime | None = None,
) -> RegulatedCall:
    """A regulator records a call that did not end in a booking (advice, emergency department, on-call doctor,
    no slot available), so that the unmet demand is counted too. No patient is named."""
    actor = snp_actor_for(acting_user)
    services = [audience for audience in actor.booking if audience in REGULATOR_SERVICES]
    if not services:
        raise ApplicationError(_("Seule une régulation enregistre des appels."), code="forbidden")
    if outcome not in RegulatedCall.Outcome.values or outcome == RegulatedCall.Outcome.BOOKED:
        raise ApplicationError(_("Choisissez l'issue de l'appel."), field="outcome")
    commune = None
    if commune_insee:
        commune = Commune.objects.filter(insee_code=commune_insee.strip()).first()
        if commune is None:
            raise ApplicationError(_("Commune inconnue : indiquez son code INSEE."), field="commune")
    if reason_category and reason_category not in ReasonCategory.values:
        raise ApplicationError(_("Choisissez la catégorie du motif."), field="reason_category")
    received_at = received_at or timezone.now()
    if received_at > timezone.now() + datetime.timedelta(minutes=5):
        raise ApplicationError(_("Un appel ne peut pas être reçu dans le futur."), field="received_at")
    service = services[0]
    territory_id = min(
        territory for territory in actor.booking[service] if territory in _own_territories(acting_user, service)
    )
    return RegulatedCall.objects.create(
        territory_id=territory_id,
        audience=service,
        outcome=outcome,
        commune=commune,
        reason_category=reason_category,
        received_at=received_at,
        recorded_by=acting_user,
    )


def _own_territories(user: User, service: str) -> set[int]:
    """The regulator's own territories for ``service`` (a call is counted there, not where the offer is shared)."""
    return set(
        RoleGrant.objects.filter(user=user, role=Role.REGULATOR, service=service).values_list("territory_id", flat=True)
    )


def reminders_send(*, now: datetime.datetime | None = None) -> int:
    """The patient's reminder before the visit (``SNP_REMINDER_MINUTES``, 2 h by default), once per booking."""
    now = now or timezone.now()
    before = datetime.timedelta(minutes=settings.SNP_REMINDER_MINUTES)
    due = Booking.objects.filter(
        status=Booking.Status.BOOKED,
        contact_consent=True,
        reminder_sent_at__isnull=True,
        slot__starts_at__gt=now,
        slot__starts_at__lte=now + before,
    ).values_list("pk", flat=True)
    sent = 0
    for pk in list(due):
        with transaction.atomic():
            booking = (
                Booking.objects.select_for_update(of=("self",))
                .select_related("slot__site", "slot__practitioner")
                .get(pk=pk)
            )
            if booking.reminder_sent_at is not None or booking.status != Booking.Status.BOOKED:
                continue
            _tell_patient(booking, "snp_booking_reminder")
            booking.reminder_sent_at = now
            booking.save(update_fields=["reminder_sent_at", "updated_at"])
            sent += 1
    return sent


# --- Coordination ----------------------------------------------------------------------------------------------

RECALL_OUTCOMES = (Booking.Recall.DONE, Booking.Recall.UNREACHABLE)
RECALLS_PAGE_PATH = "/soins-non-programmes/coordination/rappels/"


def _coordinated(acting_user: User) -> frozenset[int]:
    territories = snp_actor_for(acting_user).coordinated_territory_ids
    if not territories:
        raise ApplicationError(_("Seule la coordination de la CPTS fait cela."), code="forbidden")
    return territories


@transaction.atomic
def booking_recall_record(*, acting_user: User, booking: Booking, recall: str) -> Booking:
    """A coordinator of the slot's territory called the patient who did not come back: « Rappel fait » or
    « Injoignable ». Either takes the booking off the list of recalls to do; an unreachable patient may still be
    reached later (then « Rappel fait »), a recall done is final. Another territory's booking is "not found"."""
    territories = _coordinated(acting_user)
    booking = Booking.objects.select_for_update(of=("self",)).select_related("slot").get(pk=booking.pk)
    if booking.slot.territory_id not in territories or booking.status != Booking.Status.NO_SHOW or not booking.recall:
        raise ApplicationError(_("Ce rappel n'existe pas ou ne vous est pas accessible."), code="not_found")
    if recall not in RECALL_OUTCOMES:
        raise ApplicationError(_("Indiquez si le patient a été joint."), field="recall")
    if booking.recall == Booking.Recall.DONE:
        raise ApplicationError(_("Ce patient a déjà été rappelé."))
    booking.recall = recall
    booking.save(update_fields=["recall", "updated_at"])
    _booking_logged(acting_user, booking, action=AccessLog.Action.UPDATE, via="snp.services.booking_recall_record")
    return booking


def recall_digests_send(*, now: datetime.datetime | None = None) -> int:
    """The morning e-mail of each coordinator: « N patients à rappeler » in their territory and the link to the
    list; no patient, nothing clinical. Not sent for a territory with nothing to recall. One per coordinator,
    territory and day (the outbox key holds the date): a second run the same day sends nothing. Returns how many
    digests were queued."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    to_do = dict(
        Booking.objects.filter(status=Booking.Status.NO_SHOW, recall=Booking.Recall.TO_DO)
        .values("slot__territory_id")
        .annotate(count=Count("pk"))
        .order_by()
        .values_list("slot__territory_id", "count")
    )
    grants = (
        RoleGrant.objects.filter(role=Role.COORDINATOR, user__is_active=True, territory_id__in=list(to_do))
        .select_related("user", "territory")
        .order_by("territory_id", "user_id")
    )
    sent = 0
    for grant in grants:
        key = f"snp-recall-digest:{day.isoformat()}:{grant.territory_id}:{grant.user_id}"
        if not grant.user.email or OutboundMessage.objects.filter(idempotency_key=key).exists():
            continue
        context = {
            "count": to_do[grant.territory_id],
            "territory": grant.territory.name,
            "day": day.strftime("%d/%m/%Y"),
            "url": f"{settings.SITE_URL}{RECALLS_PAGE_PATH}",
        }
        with transaction.atomic():
            message_enqueue(
                channel=OutboundMessage.Channel.EMAIL,
                recipient=grant.user.email,
                template="snp_recall_digest",
                context=context,
                idempotency_key=key,
                territory_id=grant.territory_id,
            )
        sent += 1
    return sent


def _tariff_territory_checked(acting_user: User, territory: Territory | None) -> Territory:
    territories = _coordinated(acting_user)
    if territory is None:
        if len(territories) != 1:
            raise ApplicationError(_("Choisissez le territoire."), field="territory")
        return Territory.objects.get(pk=next(iter(territories)))
    if territory.pk not in territories:
        raise ApplicationError(_("Ce territoire n'existe pas ou ne vous est pas accessible."), code="not_found")
    return territory


@transaction.atomic
def unfilled_tariff_create(
    *, acting_user: User, valid_from: datetime.date, amount, territory: Territory | None = None
) -> UnfilledSlotTariff:
    """A new amount per unfilled slot from a date, for a territory the user coordinates. Rows are never edited
    (the professionals' past months keep the amount they were computed with): a change is a new dated row,
    taking effect today at the earliest."""
    territory = _tariff_territory_checked(acting_user, territory)
    amount = euros_checked(amount, example=Decimal("25.00"))
    if valid_from is None:
        raise ApplicationError(_("Indiquez la date d'entrée en vigueur."), field="valid_from")
    if valid_from < timezone.localdate():
        raise ApplicationError(
            _("Un nouveau tarif prend effet aujourd'hui au plus tôt : les mois passés gardent leur montant."),
            field="valid_from",
        )
    if UnfilledSlotTariff.objects.filter(territory=territory, valid_from=valid_from).exists():
        raise ApplicationError(
            _("Un tarif de ce territoire prend déjà effet le %(date)s.") % {"date": valid_from.strftime("%d/%m/%Y")},
            field="valid_from",
        )
    try:
        with transaction.atomic():
            return UnfilledSlotTariff.objects.create(
                territory=territory, valid_from=valid_from, amount_cents=int(amount * 100)
            )
    except IntegrityError:  # the same date added at the same moment by another coordinator
        raise ApplicationError(_("Ce tarif vient d'être ajouté par quelqu'un d'autre."), field="valid_from") from None


def _shared_offer_logged(acting_user: User, offer: SharedOffer, *, action: str, via: str) -> None:
    """Sharing the offer lets the neighbour's regulators book on the territory's slots and read what their
    service booked there: a change of who reaches patient data, recorded in the access log (no patient)."""
    access_log_record(
        user=acting_user,
        action=action,
        subject_type="snp_shared_offer",
        subject_id=f"{offer.territory_id}:{offer.shares_with_id}",
        via=via,
    )


@transaction.atomic
def shared_offer_add(*, acting_user: User, territory: Territory, shares_with: Territory) -> SharedOffer:
    """A coordinator of ``territory`` opens its slots to the neighbouring ``shares_with`` (one direction; the
    neighbour's coordinators decide the other). Adding it twice changes nothing."""
    if territory.pk not in _coordinated(acting_user):
        raise ApplicationError(_("Ce territoire n'existe pas ou ne vous est pas accessible."), code="not_found")
    if shares_with is None:
        raise ApplicationError(_("Choisissez le territoire voisin."), field="shares_with")
    if shares_with.pk == territory.pk:
        raise ApplicationError(_("Un territoire partage son offre avec un autre territoire."), field="shares_with")
    offer, created = SharedOffer.objects.get_or_create(territory=territory, shares_with=shares_with)
    if created:
        _shared_offer_logged(acting_user, offer, action=AccessLog.Action.CREATE, via="snp.services.shared_offer_add")
    return offer


@transaction.atomic
def shared_offer_remove(*, acting_user: User, territory: Territory, shares_with: Territory) -> None:
    """A coordinator of ``territory`` stops sharing its slots with ``shares_with``: its regulators no longer see
    or book them (bookings already made stay)."""
    if territory.pk not in _coordinated(acting_user):
        raise ApplicationError(_("Ce territoire n'existe pas ou ne vous est pas accessible."), code="not_found")
    offer = SharedOffer.objects.select_for_update().filter(territory=territory, shares_with=shares_with).first()
    if offer is None:
        raise ApplicationError(_("Ce partage n'existe pas ou ne vous est pas accessible."), code="not_found")
    _shared_offer_logged(acting_user, offer, action=AccessLog.Action.DELETE, via="snp.services.shared_offer_remove")
    offer.delete()


# --- The nurses' on-call rota ----------------------------------------------------------------------------------

NURSE_PROFESSION = "60"
MAX_ON_CALL = datetime.timedelta(days=14)


@transaction.atomic
def nurse_on_call_add(
    *, acting_user: User, territory: Territory, nurse: Practitioner, communes, starts_at, ends_at
) -> NurseOnCall:
    """A coordinator publishes who covers which communes of the territory, from when to when (a weekend, a
    holiday); regulators, GPs and pharmacists then see them on the board for those communes."""
    if territory.pk not in _coordinated(acting_user):
        raise ApplicationError(_("Ce territoire n'existe pas ou ne vous est pas accessible."), code="not_found")
    if nurse is None or nurse.territory_id != territory.pk or nurse.profession.code != NURSE_PROFESSION:
        raise ApplicationError(_("Choisissez un infirmier ou une infirmière du territoire."), field="nurse")
    communes = list(communes or ())
    if not communes:
        raise ApplicationError(_("Choisissez au moins une commune couverte."), field="communes")
    covered = set(territory.communes.values_list("pk", flat=True))
    if any(commune.pk not in covered for commune in communes):
        raise ApplicationError(_("Une commune choisie n'est pas du territoire."), field="communes")
    if starts_at is None or ends_at is None or ends_at <= starts_at:
        raise ApplicationError(_("La fin de l'astreinte doit venir après son début."), field="ends_at")
    if ends_at <= timezone.now():
        raise ApplicationError(_("Cette astreinte est déjà terminée."), field="ends_at")
    if ends_at - starts_at > MAX_ON_CALL:
        raise ApplicationError(_("Une astreinte dure au plus 14 jours : publiez-en plusieurs."), field="ends_at")
    on_call = NurseOnCall.objects.create(territory=territory, nurse=nurse, starts_at=starts_at, ends_at=ends_at)
    on_call.communes.set(communes)
    return on_call


@transaction.atomic
def nurse_on_call_remove(*, acting_user: User, on_call: NurseOnCall) -> None:
    if on_call.territory_id not in _coordinated(acting_user):
        raise ApplicationError(_("Cette astreinte n'existe pas ou ne vous est pas accessible."), code="not_found")
    on_call.delete()

"""Reads of non-scheduled care, scoped to the user through ``snp.scope``: the slots they may book or manage, the
bookings they made or that concern their slots (each read of a patient's booking is in the access log), the
month's figures for coordinators, observers and the newsletter (no patient in them)."""

import datetime

from django.db.models import (
    Case,
    Count,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AccessLog
from accounts.services import access_log_record, access_log_record_many
from core.errors import ApplicationError
from directory.models import Audience, Commune, ContactChannel, LlToEarth, Practitioner
from directory.selectors import VISIBLE_AUDIENCES, communes_within
from snp.models import REGULATOR_SERVICES, Booking, NurseOnCall, RegulatedCall, Slot
from snp.scope import GENERAL_PRACTICE_SPECIALTIES, SnpActor

MAX_RADIUS_KM = 100
MAX_WINDOW = datetime.timedelta(days=62)


def _bookable(actor: SnpActor) -> Q:
    """Free slots open to one of the actor's audiences, in a territory that audience reaches."""
    condition = Q(pk__in=[])
    for audience, territory_ids in actor.booking.items():
        condition |= Q(audiences__contains=[audience], territory_id__in=sorted(territory_ids))
    return condition & Q(status=Slot.Status.FREE)


def _managed(actor: SnpActor) -> Q:
    condition = Q(pk__in=[])
    if actor.entry_id is not None:
        condition |= Q(practitioner_id=actor.entry_id)
    if actor.secretary_practice_ids:
        condition |= Q(site_id__in=sorted(actor.secretary_practice_ids))
    return condition


def slots_visible_to(
    actor: SnpActor,
    *,
    starts_from: datetime.datetime | None = None,
    starts_before: datetime.datetime | None = None,
    commune_insee: str = "",
    radius_km: float | None = None,
    status: str = "",
) -> QuerySet[Slot]:
    """What the regulator's board (or the professional's week) lists: the free slots the actor may book and
    the slots they manage, soonest first, within a window of at most two months (from now by default), near a
    commune when one is given (its town hall, ``radius_km`` around it, 30 km by default)."""
    starts_from = starts_from or timezone.now()
    starts_before = starts_before or starts_from + datetime.timedelta(days=7)
    if starts_before <= starts_from:
        raise ApplicationError(_("La fin de la période doit venir après son début."), field="to")
    if starts_before - starts_from > MAX_WINDOW:
        raise ApplicationError(_("Une recherche couvre au plus deux mois."), field="to")
    slots = Slot.objects.filter(
        _bookable(actor) | _managed(actor), starts_at__gte=starts_from, starts_at__lt=starts_before
    )
    if status:
        if status not in Slot.Status.values:
            raise ApplicationError(_("Statut inconnu : « %(status)s ».") % {"status": status}, field="status")
        slots = slots.filter(status=status)
    if commune_insee:
        radius = 30.0 if radius_km is None else float(radius_km)
        if not 0 < radius <= MAX_RADIUS_KM:
            raise ApplicationError(_("Le rayon va de 1 à %(max)s km.") % {"max": MAX_RADIUS_KM}, field="radius_km")
        if not Commune.objects.filter(insee_code=commune_insee).exists():
            raise ApplicationError(_("Commune inconnue : indiquez son code INSEE."), field="commune")
        nearby = communes_within(insee_code=commune_insee, radius_km=radius).order_by()
        slots = slots.filter(site__commune__in=nearby.values("insee_code"))
    return slots.select_related("site__commune", "practitioner").order_by("starts_at", "pk")


def slot_for_user(actor: SnpActor, public_id) -> Slot:
    """One slot the actor may book or manages; anything else is "not found"."""
    slot = (
        Slot.objects.filter(_bookable(actor) | _managed(actor) | Q(bookings__booked_by=actor.user), public_id=public_id)
        .select_related("site__commune", "practitioner")
        .distinct()
        .first()
    )
    if slot is None:
        raise ApplicationError(_("Ce créneau n'existe pas ou ne vous est pas ouvert."), code="not_found")
    return slot


def _bookings_condition(actor: SnpActor) -> Q:
    """The bookings a user may read: those of slots they manage, those they made, those their regulation
    service made in its territories (a pharmacist, a nurse or a GP reads only their own), and, once the visit was
    honoured, those of their own patients."""
    condition = Q(booked_by=actor.user)
    if actor.entry_id is not None:
        condition |= Q(slot__practitioner_id=actor.entry_id)
        condition |= Q(gp_practitioner_id=actor.entry_id, status=Booking.Status.HONOURED)
    if actor.secretary_practice_ids:
        condition |= Q(slot__site_id__in=sorted(actor.secretary_practice_ids))
    for audience, territory_ids in actor.booking.items():
        if audience in REGULATOR_SERVICES:  # a service's regulators share its bookings; a pharmacist does not
            condition |= Q(audience=audience, slot__territory_id__in=sorted(territory_ids))
    return condition


def bookings_visible_to(actor: SnpActor, *, request: HttpRequest | None = None) -> QuerySet[Booking]:
    """The bookings the user may read, soonest visit first. The caller logs the rows it shows
    (``booking_list_reads_record``)."""
    if not actor.user.is_authenticated:
        return Booking.objects.none()
    return (
        Booking.objects.filter(_bookings_condition(actor))
        .select_related("slot__site", "slot__practitioner", "patient_commune", "gp_practitioner")
        .order_by("slot__starts_at", "pk")
    )


def booking_list_reads_record(actor: SnpActor, bookings, *, request: HttpRequest | None = None) -> None:
    access_log_record_many(
        user=actor.user,
        action=AccessLog.Action.READ,
        subject_type="snp_booking",
        subjects=[(booking.public_id, booking.public_id) for booking in bookings],
        request=request,
    )


def booking_for_user(actor: SnpActor, public_id, *, request: HttpRequest | None = None) -> Booking:
    """One booking the user may read (logged), else "not found": another GP, an observer, another service."""
    booking = bookings_visible_to(actor).filter(public_id=public_id).first()
    if booking is None:
        raise ApplicationError(_("Cette réservation n'existe pas ou ne vous est pas accessible."), code="not_found")
    access_log_record(
        user=actor.user,
        action=AccessLog.Action.READ,
        subject_type="snp_booking",
        subject_id=booking.public_id,
        patient_ref=booking.public_id,
        request=request,
    )
    return booking


def month_bounds(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    first = month.replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    tz = timezone.get_current_timezone()
    return (
        datetime.datetime.combine(first, datetime.time(), tzinfo=tz),
        datetime.datetime.combine(following, datetime.time(), tzinfo=tz),
    )


def month_figures(*, territory_ids, month: datetime.date) -> dict:
    """The month's figures of the territories: slots offered, booked, honoured, no-shows, left unfilled (past
    and never booked), and the regulated calls by outcome. No patient. Read by the statistics API and page, and
    by the newsletter's figures block."""
    start, end = month_bounds(month)
    territory_ids = sorted(territory_ids)
    slots = Slot.objects.filter(territory_id__in=territory_ids, starts_at__gte=start, starts_at__lt=end)
    counts = slots.aggregate(
        # Distinct: a slot booked again after a cancellation joins two bookings.
        offered=Count("pk", distinct=True, filter=~Q(status=Slot.Status.WITHDRAWN) | Q(bookings__isnull=False)),
        unfilled=Count("pk", distinct=True, filter=Q(status=Slot.Status.FREE, starts_at__lt=timezone.now())),
    )
    bookings = Booking.objects.filter(slot__in=slots).values("status").annotate(count=Count("pk"))
    by_status = {row["status"]: row["count"] for row in bookings}
    calls = (
        RegulatedCall.objects.filter(territory_id__in=territory_ids, received_at__gte=start, received_at__lt=end)
        .values("outcome")
        .annotate(count=Count("pk"))
    )
    by_outcome = {row["outcome"]: row["count"] for row in calls}
    booked = sum(by_status.get(s, 0) for s in (Booking.Status.BOOKED, Booking.Status.HONOURED, Booking.Status.NO_SHOW))
    return {
        "month": month.replace(day=1).isoformat(),
        "slots_offered": counts["offered"],
        "slots_booked": booked,
        "slots_unfilled": counts["unfilled"],
        "honoured": by_status.get(Booking.Status.HONOURED, 0),
        "no_show": by_status.get(Booking.Status.NO_SHOW, 0),
        "cancelled": by_status.get(Booking.Status.CANCELLED, 0),
        "calls": sum(by_outcome.values()),
        "calls_by_outcome": {outcome: by_outcome.get(outcome, 0) for outcome in RegulatedCall.Outcome.values},
    }


# --- The regulator's board -------------------------------------------------------------------------------------

BOARD_LIMIT = 100


def _distance_from(commune: Commune):
    """Metres from the commune's town hall to the slot's site (placed at its own commune's town hall when the
    site has no position), in SQL (earthdistance)."""
    return Func(
        LlToEarth(Value(commune.latitude), Value(commune.longitude)),
        LlToEarth(
            Coalesce(F("site__latitude"), F("site__commune__latitude")),
            Coalesce(F("site__longitude"), F("site__commune__longitude")),
        ),
        function="earth_distance",
        output_field=FloatField(),
    )


def board_slots(
    actor: SnpActor,
    *,
    starts_from: datetime.datetime | None = None,
    starts_before: datetime.datetime | None = None,
    commune: Commune | None = None,
    radius_km: float | None = None,
    kind: str = "",
    profession_code: str = "",
    specialty_code: str = "",
    audience: str = "",
    nearest_first: bool = False,
) -> QuerySet[Slot]:
    """The free slots the actor may book (``slots_visible_to``, without those they only manage), soonest first;
    near ``commune`` (within ``radius_km``, 30 by default) each slot carries ``distance_m`` and, with
    ``nearest_first``, the nearest come first. ``audience`` keeps the slots open to that one of the actor's
    audiences. One query."""
    slots = slots_visible_to(
        actor, starts_from=starts_from, starts_before=starts_before, status=Slot.Status.FREE
    ).filter(_bookable(actor))
    if audience:
        if audience not in actor.booking:
            raise ApplicationError(_("Vous ne réservez pas pour ce public."), field="audience")
        slots = slots.filter(audiences__contains=[audience], territory_id__in=sorted(actor.booking[audience]))
    if kind:
        slots = slots.filter(kind=kind)
    if profession_code:
        slots = slots.filter(practitioner__profession__code=profession_code)
    if specialty_code:
        slots = slots.filter(practitioner__specialties__code=specialty_code)
    slots = slots.select_related("site__commune", "practitioner__profession")
    if commune is not None:
        radius = 30.0 if radius_km is None else float(radius_km)
        if not 0 < radius <= MAX_RADIUS_KM:
            raise ApplicationError(_("Le rayon va de 1 à %(max)s km.") % {"max": MAX_RADIUS_KM}, field="radius_km")
        if commune.latitude is None or commune.longitude is None:
            raise ApplicationError(
                _("Cette commune n'a pas de position connue : choisissez-en une voisine."), field="place"
            )
        slots = slots.annotate(distance_m=_distance_from(commune)).filter(distance_m__lte=radius * 1000)
        if nearest_first:
            return slots.order_by("distance_m", "starts_at", "pk")
    return slots.order_by("starts_at", "pk")


def board_disciplines(actor: SnpActor) -> list[tuple[str, str]]:
    """What the board's "profession or specialty" filter offers: the professions and specialties of the
    practitioners whose upcoming free slots the actor may book (one query), as ``("p:10", "Médecin")`` and
    ``("s:SM54", "Médecine générale")``, sorted by label."""
    rows = (
        Slot.objects.filter(_bookable(actor), starts_at__gte=timezone.now(), starts_at__lt=timezone.now() + MAX_WINDOW)
        .values_list(
            "practitioner__profession__code",
            "practitioner__profession__label",
            "practitioner__specialties__code",
            "practitioner__specialties__label",
        )
        .distinct()
    )
    choices: dict[str, str] = {}
    for profession_code, profession_label, specialty_code, specialty_label in rows:
        if profession_code:
            choices[f"p:{profession_code}"] = profession_label
        if specialty_code:
            choices[f"s:{specialty_code}"] = specialty_label
    return sorted(choices.items(), key=lambda choice: (choice[1].casefold(), choice[0]))


def territory_gps(actor: SnpActor, territory_id: int) -> QuerySet[Practitioner]:
    """The GPs of a slot's territory, for "the patient's GP" on the booking form (one query)."""
    return (
        Practitioner.objects.filter(
            territory_id=territory_id, specialties__code__in=sorted(GENERAL_PRACTICE_SPECIALTIES)
        )
        .distinct()
        .order_by("last_name", "first_name", "pk")
    )


def nurses_on_call(*, commune: Commune, at: datetime.datetime, audience: str = Audience.PROFESSIONALS):
    """Who of the nurses' rota covers ``commune`` at ``at``, each with ``phone``: the number of theirs that
    ``audience`` may use, the professionals' line first (one query)."""
    visible = VISIBLE_AUDIENCES.get(audience, VISIBLE_AUDIENCES[Audience.PROFESSIONALS])
    kind_rank = Case(
        When(kind=ContactChannel.Kind.PROFESSIONAL_LINE, then=Value(0)),
        When(kind=ContactChannel.Kind.PHONE, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    phone = (
        ContactChannel.objects.filter(
            practitioner_id=OuterRef("nurse_id"),
            audience__in=visible,
            kind__in=[ContactChannel.Kind.PROFESSIONAL_LINE, ContactChannel.Kind.PHONE],
        )
        .annotate(kind_rank=kind_rank)
        .order_by("kind_rank", "-preferred", "pk")
        .values("value")[:1]
    )
    return (
        NurseOnCall.objects.filter(communes=commune, starts_at__lte=at, ends_at__gt=at)
        .select_related("nurse")
        .annotate(phone=Subquery(phone))
        .order_by("ends_at", "pk")
    )


def board_page(actor: SnpActor, **criteria) -> tuple[list[Slot], bool]:
    """The board's rows (``board_slots``), at most ``BOARD_LIMIT``, and whether more match; each row carries
    ``duration_minutes`` and, near a commune, ``distance_km``."""
    found = list(board_slots(actor, **criteria)[: BOARD_LIMIT + 1])
    for slot in found:
        slot.duration_minutes = int((slot.ends_at - slot.starts_at).total_seconds() // 60)
        distance_m = getattr(slot, "distance_m", None)
        slot.distance_km = None if distance_m is None else round(distance_m / 1000, 1)
    return found[:BOARD_LIMIT], len(found) > BOARD_LIMIT


def slot_to_book(actor: SnpActor, public_id) -> Slot:
    """A slot open to one of the actor's audiences, whatever its status, for the booking form: one booked or
    withdrawn meanwhile is still found, so that booking it answers "just taken" with the next free slots (409)
    rather than "not found". A slot open to none of their audiences is "not found"."""
    condition = Q(pk__in=[])
    for audience, territory_ids in actor.booking.items():
        condition |= Q(audiences__contains=[audience], territory_id__in=sorted(territory_ids))
    slot = Slot.objects.filter(condition, public_id=public_id).select_related("site__commune", "practitioner").first()
    if slot is None:
        raise ApplicationError(_("Ce créneau n'existe pas ou ne vous est pas ouvert."), code="not_found")
    return slot

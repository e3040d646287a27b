"""Reads of non-scheduled care, scoped to the user through ``snp.scope``: the slots they may book or manage, the
bookings they made or that concern their slots (each read of a patient's booking is in the access log), the
month's figures for coordinators, observers and the newsletter (no patient in them)."""

import datetime
import math
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AccessLog
from accounts.services import access_log_record, access_log_record_many
from core.errors import ApplicationError
from directory.models import Audience, Commune, ContactChannel, LlToEarth, Practice, Practitioner, Territory
from directory.selectors import VISIBLE_AUDIENCES, communes_within
from snp.models import (
    REGULATOR_SERVICES,
    Booking,
    BookingAudience,
    NurseOnCall,
    RegulatedCall,
    SharedOffer,
    Slot,
    SlotKind,
    TerritoryLine,
    UnfilledSlotTariff,
)
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


# --- The public page: where and when the offer is open this week (no patient, no practitioner's agenda) ----------

PUBLIC_RADIUS_KM = 20
PUBLIC_DAYS = 7
PUBLIC_BOOKABLE_SHOWN = 6
# Slots less than this apart read as one opening ("11:30-12:50"), not as a list of times.
OPENING_GAP = datetime.timedelta(minutes=45)


@dataclass(frozen=True)
class PublicOpening:
    day: datetime.date
    spans: list[tuple[datetime.datetime, datetime.datetime]]


@dataclass(frozen=True)
class PublicSite:
    site: Practice
    distance_km: float
    kinds: list[str]  # labels: "Au cabinet", "Visite à domicile"
    days: list[PublicOpening]
    bookable: list[Slot]  # free slots the practitioner opened to the patients' own booking, soonest first


@dataclass(frozen=True)
class PublicOffer:
    commune: Commune
    sites: list[PublicSite]
    lines: list[TerritoryLine]  # the CPTS lines of the territories that cover the commune
    first_day: datetime.date
    last_day: datetime.date


def _distance_km(latitude, longitude, other_latitude, other_longitude) -> float:
    if None in (latitude, longitude, other_latitude, other_longitude):
        return 0.0
    lat1, lon1, lat2, lon2 = map(math.radians, (latitude, longitude, other_latitude, other_longitude))
    arc = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(arc))


def _spans(starts_and_ends) -> list[tuple[datetime.datetime, datetime.datetime]]:
    spans: list[list[datetime.datetime]] = []
    for start, end in sorted(starts_and_ends):
        if spans and start - spans[-1][1] <= OPENING_GAP:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
    return [(start, end) for start, end in spans]


def public_offer_near(*, commune: Commune, now: datetime.datetime | None = None) -> PublicOffer:
    """The sites near ``commune`` that keep non-scheduled slots in the coming week, with the days and hours they
    do (free or booked alike: the offer, not its availability, which changes by the minute), and the CPTS line
    to call. Three queries; nothing about a patient or a practitioner's agenda."""
    now = now or timezone.now()
    first_day = timezone.localdate(now)
    last_day = first_day + datetime.timedelta(days=PUBLIC_DAYS - 1)
    nearby = communes_within(insee_code=commune.insee_code, radius_km=PUBLIC_RADIUS_KM).values("pk")
    # What a patient can be booked on by phone: slots open to a regulation line, to pharmacists or to the public
    # (those kept for the CPTS's GPs or nurses, such as imaging within 48 h, are not an offer to the public).
    open_to_patients = Q(audiences__overlap=[*REGULATOR_SERVICES, BookingAudience.PHARMACISTS, BookingAudience.PUBLIC])
    slots = (
        Slot.objects.filter(
            open_to_patients,
            site__commune__in=nearby,
            starts_at__gte=now,
            starts_at__lt=timezone.make_aware(datetime.datetime.combine(last_day, datetime.time.max)),
        )
        .exclude(status=Slot.Status.WITHDRAWN)
        .select_related("site")
        .only(
            "public_id",
            "starts_at",
            "ends_at",
            "kind",
            "status",
            "audiences",
            "site",
            "site__name",
            "site__address",
            "site__postal_code",
            "site__city",
            "site__latitude",
            "site__longitude",
            "site__opening_hours",
            "site__accessibility",
        )
        .order_by("site_id", "starts_at")
    )
    by_site: dict[int, dict] = {}
    for slot in slots:
        entry = by_site.setdefault(slot.site_id, {"site": slot.site, "kinds": [], "days": {}, "bookable": []})
        if slot.status == Slot.Status.FREE and BookingAudience.PUBLIC in slot.audiences:
            entry["bookable"].append(slot)
        if slot.kind not in entry["kinds"]:
            entry["kinds"].append(slot.kind)
        day = timezone.localtime(slot.starts_at).date()
        entry["days"].setdefault(day, []).append((timezone.localtime(slot.starts_at), timezone.localtime(slot.ends_at)))
    sites = [
        PublicSite(
            site=entry["site"],
            distance_km=round(
                _distance_km(commune.latitude, commune.longitude, entry["site"].latitude, entry["site"].longitude), 1
            ),
            kinds=[SlotKind(kind).label for kind in entry["kinds"]],
            days=[PublicOpening(day, _spans(times)) for day, times in sorted(entry["days"].items())],
            bookable=entry["bookable"][:PUBLIC_BOOKABLE_SHOWN],
        )
        for entry in by_site.values()
    ]
    sites.sort(key=lambda item: (item.distance_km, item.site.name))
    lines = list(
        TerritoryLine.objects.filter(territory__communes=commune)
        .select_related("territory")
        .order_by("territory__name")
    )
    return PublicOffer(commune=commune, sites=sites, lines=lines, first_day=first_day, last_day=last_day)


# --- The professional's week -----------------------------------------------------------------------------------


def week_practitioners(actor: SnpActor) -> list[Practitioner]:
    """Whose week the user manages: their own entry, and the practitioners of the sites they serve as a
    secretary, by name."""
    condition = Q(pk__in=[])
    if actor.entry_id is not None:
        condition |= Q(pk=actor.entry_id)
    if actor.secretary_practice_ids:
        condition |= Q(
            activities__practice_id__in=sorted(actor.secretary_practice_ids),
            activities__practice__territory__isnull=False,
        )
    return list(Practitioner.objects.filter(condition).distinct().order_by("last_name", "first_name", "pk"))


def week_sites(actor: SnpActor, practitioner: Practitioner) -> list[Practice]:
    """Where the user may publish the practitioner's slots (the rule ``snp.services.slot_publish`` checks)."""
    sites = Practice.objects.filter(activities__practitioner=practitioner, territory__isnull=False).distinct()
    if practitioner.pk != actor.entry_id:
        sites = sites.filter(pk__in=sorted(actor.secretary_practice_ids))
    return list(sites.order_by("name", "pk"))


def week_slots(
    actor: SnpActor,
    practitioner: Practitioner,
    *,
    starts_from: datetime.datetime,
    starts_before: datetime.datetime,
    request: HttpRequest | None = None,
) -> list[Slot]:
    """The practitioner's slots the user manages in the window, withdrawn ones included, soonest first; each
    with ``live_booking`` (its booking that is not cancelled, or None). The user manages them, so the page shows
    the patients' names: each booking returned is logged as read."""
    live = Booking.objects.exclude(status=Booking.Status.CANCELLED).select_related("gp_practitioner")
    slots = list(
        Slot.objects.filter(
            _managed(actor), practitioner=practitioner, starts_at__gte=starts_from, starts_at__lt=starts_before
        )
        .select_related("site")
        .prefetch_related(Prefetch("bookings", queryset=live, to_attr="live_bookings"))
        .order_by("starts_at", "pk")
    )
    shown = []
    for slot in slots:
        slot.live_booking = slot.live_bookings[0] if slot.live_bookings else None
        if slot.live_booking is not None:
            shown.append(slot.live_booking)
    if shown and request is not None:
        booking_list_reads_record(actor, shown, request=request)
    return slots


# --- Coordination ----------------------------------------------------------------------------------------------


def recalls_for_coordinator(actor: SnpActor, *, done: bool = False) -> QuerySet[Booking]:
    """The no-shows of the territories the actor coordinates: those to call back (``done``: those already
    called, reached or not), the latest missed visit first. The caller logs the rows it shows
    (``booking_list_reads_record``): each carries the patient's name and phone."""
    recalls = Booking.objects.filter(
        status=Booking.Status.NO_SHOW, slot__territory_id__in=sorted(actor.coordinated_territory_ids)
    )
    if done:
        recalls = recalls.exclude(recall__in=["", Booking.Recall.TO_DO])
    else:
        recalls = recalls.filter(recall=Booking.Recall.TO_DO)
    return recalls.select_related("slot__site", "slot__practitioner").order_by("-slot__starts_at", "pk")


def recall_for_coordinator(actor: SnpActor, public_id) -> Booking:
    """One no-show of a territory the actor coordinates, else "not found" (another territory's, a booking
    that is no no-show)."""
    booking = (
        Booking.objects.filter(
            public_id=public_id,
            status=Booking.Status.NO_SHOW,
            slot__territory_id__in=sorted(actor.coordinated_territory_ids),
        )
        .exclude(recall="")
        .select_related("slot")
        .first()
    )
    if booking is None:
        raise ApplicationError(_("Ce rappel n'existe pas ou ne vous est pas accessible."), code="not_found")
    return booking


def recalls_to_do_count(actor: SnpActor) -> int:
    return recalls_for_coordinator(actor).count()


def unfilled_tariffs(territory_ids) -> list[dict]:
    """Each territory's dated amounts per unfilled slot, newest first, each with the day its successor takes over
    (``valid_until``: the day before) and whether it is the one in force today."""
    today = timezone.localdate()
    rows = list(
        UnfilledSlotTariff.objects.filter(territory_id__in=sorted(territory_ids))
        .select_related("territory")
        .order_by("territory__name", "territory_id", "valid_from")
    )
    listed = []
    for index, tariff in enumerate(rows):
        following = rows[index + 1] if index + 1 < len(rows) else None
        same = following is not None and following.territory_id == tariff.territory_id
        valid_until = following.valid_from - datetime.timedelta(days=1) if same else None
        in_force = tariff.valid_from <= today and (valid_until is None or today <= valid_until)
        listed.append(
            {
                "tariff": tariff,
                "amount": _euros(tariff.amount_cents),
                "valid_until": valid_until,
                "in_force": in_force,
            }
        )
    listed.sort(key=lambda row: (row["tariff"].territory.name, -row["tariff"].valid_from.toordinal()))
    return listed


def _euros(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


@dataclass
class UnfilledLine:
    """One professional's slots left unfilled in a month and what they come to (a slot on a day no tariff covers
    counts in ``without_tariff`` and adds nothing)."""

    practitioner: Practitioner
    count: int = 0
    amount_cents: int = 0
    without_tariff: int = 0

    @property
    def amount(self) -> Decimal:
        return _euros(self.amount_cents)


@dataclass
class UnfilledReport:
    month: datetime.date
    lines: list[UnfilledLine] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(line.count for line in self.lines)

    @property
    def amount(self) -> Decimal:
        return _euros(sum(line.amount_cents for line in self.lines))

    @property
    def without_tariff(self) -> int:
        return sum(line.without_tariff for line in self.lines)


def unfilled_slots(*, territory_ids, month: datetime.date, now: datetime.datetime | None = None) -> QuerySet[Slot]:
    """The month's slots whose time passed while they were free: never booked, or given back and not booked
    again, and not withdrawn. The same definition as ``month_figures``' ``slots_unfilled``."""
    start, end = month_bounds(month)
    return Slot.objects.filter(
        territory_id__in=sorted(territory_ids),
        starts_at__gte=start,
        starts_at__lt=min(end, now or timezone.now()),
        status=Slot.Status.FREE,
    )


def unfilled_report(*, territory_ids, month: datetime.date, now: datetime.datetime | None = None) -> UnfilledReport:
    """Each professional's unfilled slots of the month with their amount, at the territory's tariff in force on
    the slot's day (Europe/Paris). Two queries: the slots with their tariff, the professionals."""
    day = TruncDate("starts_at", tzinfo=timezone.get_current_timezone())
    tariff = UnfilledSlotTariff.objects.filter(territory_id=OuterRef("territory_id"), valid_from__lte=OuterRef("day"))
    rows = (
        unfilled_slots(territory_ids=territory_ids, month=month, now=now)
        .annotate(day=day)
        .annotate(amount_cents=Subquery(tariff.order_by("-valid_from").values("amount_cents")[:1]))
        .values_list("practitioner_id", "amount_cents")
    )
    lines: dict[int, UnfilledLine] = {}
    practitioners = {}
    rows = list(rows)
    if rows:
        practitioners = Practitioner.objects.in_bulk({practitioner_id for practitioner_id, _amount in rows})
    for practitioner_id, amount_cents in rows:
        line = lines.setdefault(practitioner_id, UnfilledLine(practitioner=practitioners[practitioner_id]))
        line.count += 1
        if amount_cents is None:
            line.without_tariff += 1
        else:
            line.amount_cents += amount_cents
    ordered = sorted(lines.values(), key=lambda line: (line.practitioner.last_name, line.practitioner.first_name))
    return UnfilledReport(month=month.replace(day=1), lines=ordered)


def unfilled_report_rows(report: UnfilledReport):
    """The header, each professional, then the total: what the CPTS needs to pay each one for the month."""
    yield [
        _("Mois"),
        _("Professionnel"),
        _("RPPS ou ADELI"),
        _("Créneaux non pourvus"),
        _("Dont sans tarif"),
        _("Montant (€)"),
    ]
    month = report.month.strftime("%Y-%m")
    for line in report.lines:
        entry = line.practitioner
        yield [month, str(entry), entry.rpps or entry.adeli or "", line.count, line.without_tariff, line.amount]
    yield [month, _("Total"), "", report.count, report.without_tariff, report.amount]


def shared_offers_of(territory_ids) -> dict[int, dict]:
    """For each territory the user coordinates: the neighbours it shares its offer with (``gives``) and those
    sharing theirs with it (``receives``)."""
    found = {
        territory.pk: {"territory": territory, "gives": [], "receives": []}
        for territory in Territory.objects.filter(pk__in=sorted(territory_ids)).order_by("name")
    }
    offers = SharedOffer.objects.filter(Q(territory_id__in=found) | Q(shares_with_id__in=found)).select_related(
        "territory", "shares_with"
    )
    for offer in offers.order_by("territory__name", "shares_with__name"):
        if offer.territory_id in found:
            found[offer.territory_id]["gives"].append(offer.shares_with)
        if offer.shares_with_id in found:
            found[offer.shares_with_id]["receives"].append(offer.territory)
    return found


def nurse_rota_of(territory_ids, *, now: datetime.datetime | None = None) -> QuerySet:
    """The rota's current and coming shifts of the territories, soonest first, with their communes."""
    return (
        NurseOnCall.objects.filter(territory_id__in=sorted(territory_ids), ends_at__gt=now or timezone.now())
        .select_related("nurse", "territory")
        .prefetch_related(Prefetch("communes", queryset=Commune.objects.order_by("name")))
        .order_by("starts_at", "territory__name")
    )

"""Reads of non-scheduled care, scoped to the user through ``snp.scope``: the slots they may book or manage, the
bookings they made or that concern their slots (each read of a patient's booking is in the access log), the
month's figures for coordinators, observers and the newsletter (no patient in them)."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import TruncDate
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AccessLog
from accounts.services import access_log_record, access_log_record_many
from core.errors import ApplicationError
from directory.models import Commune, Practitioner, Territory
from directory.selectors import communes_within
from snp.models import REGULATOR_SERVICES, Booking, RegulatedCall, SharedOffer, Slot, UnfilledSlotTariff
from snp.scope import SnpActor

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

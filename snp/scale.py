"""Synthetic non-scheduled care at national scale, for the benchmarks (``manage.py seed_scale --slots N``).

Slots go to the practitioners who work at a site of a territory (``directory.scale`` makes them, ``--territory``
places them): the month from tomorrow, on a 20-minute grid from 8:00 to 20:00 in Paris time, each practitioner's
slots at distinct times (live slots of one practitioner never overlap: the exclusion constraint checks each row).
Audiences, kinds and statuses follow a plausible mix: most slots for the SAS and the CPTS line, some for
pharmacists, nurses, GPs or patients; a tenth booked (with their booking, an invented patient), a few withdrawn.
Rows go in with PostgreSQL ``COPY`` in one transaction; the data is the same for a given seed, public ids aside.
"""

import datetime
import random
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from directory.models import Activity, Commune
from directory.scale import FIRST_NAMES, LAST_NAMES, copy_rows, copy_text, reserve_ids
from snp.models import Booking, BookingAudience, ReasonCategory, Slot, SlotKind
from snp.services import PARIS

DAYS = 30
FIRST_HOUR, LAST_HOUR = 8, 20
GRID_MINUTES = 20
POSITIONS = DAYS * (LAST_HOUR - FIRST_HOUR) * 60 // GRID_MINUTES  # 1,080 slots a practitioner at most

A = BookingAudience
# (share in %, audiences)
AUDIENCE_MIX = [
    (40, [A.SAS, A.CPTS_LINE]),
    (15, [A.SAS, A.PHARMACISTS]),
    (10, [A.SAS, A.NURSES, A.PHARMACISTS]),
    (10, [A.SAS, A.LINE_116117, A.SOS]),
    (10, [A.SAS, A.PUBLIC]),
    (10, [A.GPS, A.CPTS_LINE]),
    (5, [A.PUBLIC]),
]
KIND_MIX = [
    (80, SlotKind.IN_PRACTICE),
    (10, SlotKind.HOME_VISIT),
    (8, SlotKind.TELECONSULTATION),
    (2, SlotKind.ASSISTED_TELECONSULTATION),
]
BOOKED_SHARE, WITHDRAWN_SHARE = 0.10, 0.02
SLOT_COLUMNS = [
    "id",
    "public_id",
    "created_at",
    "updated_at",
    "practitioner_id",
    "site_id",
    "territory_id",
    "kind",
    "starts_at",
    "ends_at",
    "audiences",
    "status",
    "withdrawn_at",
]
BOOKING_COLUMNS = [
    "public_id",
    "created_at",
    "updated_at",
    "slot_id",
    "status",
    "audience",
    "patient_family_name",
    "patient_given_names",
    "patient_birth_date",
    "patient_sex",
    "patient_commune_id",
    "has_gp",
    "reason_category",
    "contact_consent",
]


@dataclass
class SlotScaleReport:
    slots: int = 0
    booked: int = 0
    practitioners: int = 0
    seconds: float = 0.0


def _weighted(rng: random.Random, mix):
    return rng.choices([value for _share, value in mix], weights=[share for share, _value in mix])[0]


def _sites_by_practitioner(limit: int = 2_000_000) -> dict[int, list[tuple[int, int, str | None]]]:
    """Each practitioner's sites in a territory: (site, territory, commune)."""
    sites = defaultdict(list)
    links = Activity.objects.filter(practice__territory__isnull=False).values_list(
        "practitioner_id", "practice_id", "practice__territory_id", "practice__commune_id"
    )
    for practitioner, practice, territory, commune in links.order_by("practitioner_id", "practice_id")[:limit]:
        sites[practitioner].append((practice, territory, commune))
    return sites


@transaction.atomic
def seed_slots(*, count: int, seed: int = 1) -> SlotScaleReport:
    """Writes ``count`` synthetic slots (and the bookings of those booked) with COPY, then ANALYZEs the tables."""
    if count < 1:
        raise ApplicationError(_("Le nombre de créneaux doit être au moins 1."), field="slots")
    sites = _sites_by_practitioner()
    if not sites:
        raise ApplicationError(
            _(
                "Il faut d'abord des professionnels exerçant dans un territoire "
                "(seed_scale --practitioners N --territory …)."
            ),
            field="slots",
        )
    practitioners = sorted(sites)
    if count > len(practitioners) * POSITIONS:
        raise ApplicationError(
            _("Trop de créneaux pour %(count)s professionnels : %(max)s au plus chacun sur un mois.")
            % {"count": len(practitioners), "max": POSITIONS},
            field="slots",
        )
    rng = random.Random(seed)
    started = time.perf_counter()
    now = timezone.now()
    first_day = timezone.localdate() + datetime.timedelta(days=1)
    per_day = (LAST_HOUR - FIRST_HOUR) * 60 // GRID_MINUTES
    fallback_commune = Commune.objects.values_list("insee_code", flat=True).first()
    first_id = reserve_ids(Slot, count)
    booked: list[tuple[int, str, str | None]] = []

    def slot_rows():
        slot_id = first_id
        base, extra = divmod(count, len(practitioners))
        for index, practitioner in enumerate(practitioners):
            mine = base + (1 if index < extra else 0)
            for position in sorted(rng.sample(range(POSITIONS), mine)):
                day, step = divmod(position, per_day)
                wall = datetime.time(FIRST_HOUR + step * GRID_MINUTES // 60, step * GRID_MINUTES % 60)
                start = datetime.datetime.combine(first_day + datetime.timedelta(days=day), wall, tzinfo=PARIS)
                site, territory, commune = rng.choice(sites[practitioner])
                audiences = _weighted(rng, AUDIENCE_MIX)
                draw = rng.random()
                status = Slot.Status.FREE
                if draw < BOOKED_SHARE:
                    status = Slot.Status.BOOKED
                    booked.append((slot_id, audiences[0], commune))
                elif draw < BOOKED_SHARE + WITHDRAWN_SHARE:
                    status = Slot.Status.WITHDRAWN
                yield "\t".join(
                    copy_text(value)
                    for value in (
                        slot_id,
                        uuid.uuid4(),  # random: a second run never collides with the first
                        now,
                        now,
                        practitioner,
                        site,
                        territory,
                        _weighted(rng, KIND_MIX),
                        start,
                        start + datetime.timedelta(minutes=rng.choice((15, 20))),
                        [str(audience) for audience in audiences],
                        status,
                        now if status == Slot.Status.WITHDRAWN else None,
                    )
                )
                slot_id += 1

    report = SlotScaleReport(slots=copy_rows(Slot, SLOT_COLUMNS, slot_rows()), practitioners=len(practitioners))
    reasons = ReasonCategory.values

    def booking_rows():
        for slot_id, audience, commune in booked:
            yield "\t".join(
                copy_text(value)
                for value in (
                    uuid.uuid4(),
                    now,
                    now,
                    slot_id,
                    Booking.Status.BOOKED,
                    audience,
                    rng.choice(LAST_NAMES).upper(),
                    rng.choice(FIRST_NAMES),
                    datetime.date(1930, 1, 1) + datetime.timedelta(days=rng.randrange(33_000)),
                    rng.choice("FM"),
                    commune or fallback_commune,
                    rng.random() < 0.8,
                    rng.choice(reasons),
                    False,  # no phone nor e-mail invented: no consent to contact
                )
            )

    report.booked = copy_rows(Booking, BOOKING_COLUMNS, booking_rows())
    with connection.cursor() as cursor:
        cursor.execute(
            "ANALYZE " + ", ".join(connection.ops.quote_name(model._meta.db_table) for model in (Slot, Booking))
        )
    report.seconds = time.perf_counter() - started
    return report

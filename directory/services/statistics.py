"""Writes of the measured response statistics (``ResponseStatistic``).

The figures are computed elsewhere (nightly, by the referrals app, which owns the requests) and handed over here
as plain rows: the directory shows and sorts by them without importing any domain app.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from directory.models import ResponseStatistic


@dataclass(frozen=True)
class PractitionerFigures:
    """How one practitioner answered the requests of the period."""

    practitioner_id: int
    requests: int
    median_first_response: datetime.timedelta | None = None
    median_appointment_delay: datetime.timedelta | None = None
    acceptance_rate: float | None = None


@dataclass(frozen=True)
class SpecialtyFigures:
    """How the practitioners of one specialty of a territory answered the requests of the period."""

    territory_id: int
    specialty_id: int
    requests: int
    median_first_response: datetime.timedelta | None = None
    median_appointment_delay: datetime.timedelta | None = None
    acceptance_rate: float | None = None


def _checked(figures: PractitionerFigures | SpecialtyFigures) -> dict:
    if figures.requests < 0:
        raise ValueError(f"A negative number of requests: {figures}")
    if figures.acceptance_rate is not None and not 0 <= figures.acceptance_rate <= 1:
        raise ValueError(f"An acceptance rate outside [0, 1]: {figures}")
    return {
        "requests": figures.requests,
        "median_first_response": figures.median_first_response,
        "median_appointment_delay": figures.median_appointment_delay,
        "acceptance_rate": figures.acceptance_rate,
    }


@transaction.atomic
def response_statistics_replace(
    *,
    practitioner_rows: Iterable[PractitionerFigures],
    specialty_rows: Iterable[SpecialtyFigures],
    computed_at: datetime.datetime | None = None,
) -> tuple[int, int]:
    """Replaces every measured figure by these, in one transaction: readers see last night's figures or
    tonight's, never a mix nor an empty table. Returns how many practitioner and specialty rows were written."""
    computed_at = computed_at or timezone.now()
    practitioners = [
        ResponseStatistic(practitioner_id=row.practitioner_id, computed_at=computed_at, **_checked(row))
        for row in practitioner_rows
    ]
    specialties = [
        ResponseStatistic(
            territory_id=row.territory_id, specialty_id=row.specialty_id, computed_at=computed_at, **_checked(row)
        )
        for row in specialty_rows
    ]
    ResponseStatistic.objects.all().delete()
    ResponseStatistic.objects.bulk_create(practitioners, batch_size=1000)
    ResponseStatistic.objects.bulk_create(specialties, batch_size=1000)
    return len(practitioners), len(specialties)

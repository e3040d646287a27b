"""Measured, not declared: how fast each specialist, and each specialty of a territory, answers requests.

Nightly, over the requests sent in the last 6 months, computed in SQL (``percentile_cont``):

- the number of requests;
- the median time from sending to the first response (acknowledgement, question, acceptance, refusal or
  answer: whatever the recipient's side did first);
- the median time from sending to the appointment, for the letters accepted with one;
- the acceptance rate: requests accepted or answered out of those decided (accepted, answered or declined).

A request counts for the practitioner it was addressed to, or for the one who took it when it went to a
practice or a pathway (a practice's request nobody took yet counts for nobody), and for each specialty of that
practitioner in their territory. Cancelled requests (the sender withdrew) and requests sent outside the portal
(the GP types the status; no delay of the recipient's is measured) are left out.

The figures are written through ``directory.services.statistics`` (imports point one way): the directory shows
them from 5 requests on and sorts by them.
"""

import datetime

from django.db import connection
from django.utils import timezone

from directory.models import Practitioner
from directory.services.statistics import PractitionerFigures, SpecialtyFigures, response_statistics_replace
from referrals.models import Referral

WINDOW_SQL = "interval '6 months'"

_MEASURED = f"""
WITH measured AS (
    SELECT
        p.id AS practitioner_id,
        COALESCE(p.territory_id, r.territory_id) AS territory_id,
        r.first_response_at - r.sent_at AS first_response,
        CASE WHEN r.kind = %(letter)s AND r.appointment_at IS NOT NULL
             THEN r.appointment_at - r.sent_at END AS appointment_delay,
        (r.appointment_at IS NOT NULL OR r.answer <> '') AS positive,
        (r.decline_reason <> '' AND r.appointment_at IS NULL AND r.answer = '') AS declined
    FROM {Referral._meta.db_table} r
    JOIN {Practitioner._meta.db_table} p ON p.id = COALESCE(r.recipient_practitioner_id, r.handled_by_id)
    WHERE r.sent_at >= %(now)s::timestamptz - {WINDOW_SQL}
      AND r.sent_at < %(now)s
      AND r.status NOT IN (%(draft)s, %(cancelled)s)
      AND r.sent_outside_via = ''
)
"""  # noqa: S608 (only table names from the models' _meta and a constant interval are interpolated)

_FIGURES = """
    count(*) AS requests,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY m.first_response) AS median_first_response,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY m.appointment_delay) AS median_appointment_delay,
    CASE WHEN count(*) FILTER (WHERE m.positive OR m.declined) = 0 THEN NULL
         ELSE (count(*) FILTER (WHERE m.positive))::float / count(*) FILTER (WHERE m.positive OR m.declined)
    END AS acceptance_rate
"""

PRACTITIONER_SQL = f"""{_MEASURED}
SELECT m.practitioner_id, {_FIGURES}
FROM measured m
GROUP BY m.practitioner_id
ORDER BY m.practitioner_id
"""  # noqa: S608 (fixed SQL fragments only)

SPECIALTY_SQL = f"""{_MEASURED}
SELECT m.territory_id, ps.specialty_id, {_FIGURES}
FROM measured m
JOIN {Practitioner.specialties.through._meta.db_table} ps ON ps.practitioner_id = m.practitioner_id
WHERE m.territory_id IS NOT NULL
GROUP BY m.territory_id, ps.specialty_id
ORDER BY m.territory_id, ps.specialty_id
"""  # noqa: S608 (fixed SQL fragments and a table name from the model's _meta only)


def _rows(sql: str, now: datetime.datetime) -> list[tuple]:
    parameters = {
        "now": now,
        "letter": Referral.Kind.LETTER,
        "draft": Referral.Status.DRAFT,
        "cancelled": Referral.Status.CANCELLED,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, parameters)
        return cursor.fetchall()


def response_statistics_compute(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Measures the last 6 months up to ``now`` and replaces the directory's figures; returns how many
    practitioner and specialty rows were written. Safe to run twice: the second run writes the same figures."""
    now = now or timezone.now()
    practitioner_rows = [
        PractitionerFigures(
            practitioner_id=practitioner_id,
            requests=requests,
            median_first_response=first_response,
            median_appointment_delay=appointment_delay,
            acceptance_rate=acceptance_rate,
        )
        for practitioner_id, requests, first_response, appointment_delay, acceptance_rate in _rows(
            PRACTITIONER_SQL, now
        )
    ]
    specialty_rows = [
        SpecialtyFigures(
            territory_id=territory_id,
            specialty_id=specialty_id,
            requests=requests,
            median_first_response=first_response,
            median_appointment_delay=appointment_delay,
            acceptance_rate=acceptance_rate,
        )
        for territory_id, specialty_id, requests, first_response, appointment_delay, acceptance_rate in _rows(
            SPECIALTY_SQL, now
        )
    ]
    practitioners, specialties = response_statistics_replace(
        practitioner_rows=practitioner_rows, specialty_rows=specialty_rows, computed_at=now
    )
    return {"practitioners": practitioners, "specialties": specialties}

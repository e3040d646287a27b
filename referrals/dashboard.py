"""Read side of the coordinator's dashboard and of each practitioner's tele-expertise acts, scoped to the user.

- The dashboard: per month and specialty over the last 12 months, for the territories the user coordinates or
  observes: requests sent, median delays to the first response and to the appointment, acceptance rate,
  tele-expertises answered and what the closing survey says they avoided. Aggregated in PostgreSQL in one query
  (``percentile_cont`` for the medians, ``GROUPING SETS`` for the 12-month line of each specialty); no patient
  and no clinical field leaves the database, so observers (ARS, CPAM) may read it.
- "Mes actes de télé-expertise": the user's own billing records of one month, with the patient's initials only.
  Listing or exporting them writes the access log.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import AccessLog, User
from accounts.services import access_log_record
from directory.models import Practitioner, Specialty, Territory
from directory.selectors import territories_of
from referrals.models import BillingRecord, Referral, Tariff
from referrals.permissions import DASHBOARD_ROLES
from referrals.scope import actor_for

DASHBOARD_MONTHS = 12


# --- Who -------------------------------------------------------------------------------------------------------


def dashboard_territories(user: User) -> QuerySet[Territory]:
    return territories_of(user, *DASHBOARD_ROLES).order_by("name")


# --- Dashboard -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardRow:
    """One specialty in one month (``month`` None: the whole 12 months). ``specialty`` None: requests to a
    practice or a pathway that no practitioner has taken yet."""

    month: datetime.date | None
    specialty_id: int | None
    specialty: str | None
    sent: int
    median_first_response: datetime.timedelta | None
    median_appointment_delay: datetime.timedelta | None
    accepted: int
    declined: int
    teleexpertises_answered: int
    surveys: int
    avoided_visits: int
    avoided_emergencies: int

    @property
    def acceptance_rate(self) -> float | None:
        """Accepted (an appointment or a written answer) over the requests that got a decision."""
        decided = self.accepted + self.declined
        return self.accepted / decided if decided else None

    @property
    def first_response_days(self) -> str:
        return _days(self.median_first_response)

    @property
    def appointment_days(self) -> str:
        return _days(self.median_appointment_delay)

    @property
    def acceptance_percent(self) -> str:
        return _percent(self.acceptance_rate)


@dataclass
class Dashboard:
    """``rows``: each month's line per specialty, newest month first; ``totals``: each specialty over the 12
    months; ``monthly``: each month, every specialty together (the 12 months, oldest first, a month without
    requests included); ``overall``: the 12 months together. A request received by a practitioner with two
    specialties is in both specialties' lines but once in ``monthly`` and ``overall``."""

    start: datetime.date
    months: list[datetime.date]
    rows: list[DashboardRow] = field(default_factory=list)
    totals: list[DashboardRow] = field(default_factory=list)
    monthly: list[DashboardRow] = field(default_factory=list)
    overall: DashboardRow | None = None

    @property
    def counted_twice(self) -> bool:
        """Some request is in two specialties' lines (its receiver has both): the lines add up to more than
        the requests."""
        return self.overall is not None and sum(row.sent for row in self.totals) > self.overall.sent


def _first_of_month(day: datetime.date, months_back: int = 0) -> datetime.date:
    index = day.year * 12 + day.month - 1 - months_back
    return datetime.date(index // 12, index % 12 + 1, 1)


_FIGURES = """
       count(*),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY s.first_response_at - s.sent_at),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY s.appointment_at - s.sent_at),
       count(*) FILTER (WHERE s.appointment_at IS NOT NULL OR s.answered),
       count(*) FILTER (WHERE s.declined),
       count(*) FILTER (WHERE s.kind = %(teleexpertise)s AND s.answered),
       count(*) FILTER (WHERE s.survey_answered_at IS NOT NULL),
       count(*) FILTER (WHERE s.survey_avoided_visit),
       count(*) FILTER (WHERE s.survey_avoided_emergency)
"""

# The specialty of a request is that of the practitioner who receives it (the one addressed, or the one who took a
# request sent to a practice or a pathway). A practitioner with two specialties counts in both; the second part
# (every specialty together, by month and over the 12 months) reads each request once.
_DASHBOARD_SQL = """
WITH scoped AS (
    SELECT r.kind, r.sent_at, r.first_response_at, r.appointment_at,
           r.answer <> '' AS answered, r.decline_reason <> '' AS declined,
           r.survey_answered_at, r.survey_avoided_visit, r.survey_avoided_emergency,
           COALESCE(r.recipient_practitioner_id, r.handled_by_id) AS receiver_id,
           date_trunc('month', r.sent_at AT TIME ZONE %(tz)s)::date AS month
    FROM {referral} r
    WHERE r.territory_id = ANY(%(territories)s) AND r.sent_at >= %(start)s AND r.sent_at < %(end)s
)
(SELECT false AS is_all, GROUPING(s.month) = 1 AS is_total, s.month, sp.id, sp.label, {figures}
FROM scoped s
LEFT JOIN {practitioner_specialty} ps ON ps.practitioner_id = s.receiver_id
LEFT JOIN {specialty} sp ON sp.id = ps.specialty_id
{specialty_filter}
GROUP BY GROUPING SETS ((s.month, sp.id, sp.label), (sp.id, sp.label)))
UNION ALL
(SELECT true, GROUPING(s.month) = 1, s.month, NULL, NULL, {figures}
FROM scoped s
{specialty_exists}
GROUP BY GROUPING SETS ((s.month), ()))
ORDER BY 1, 3 DESC NULLS FIRST, 5 NULLS LAST
"""


def _empty_row(month: datetime.date | None) -> DashboardRow:
    return DashboardRow(month, None, None, 0, None, None, 0, 0, 0, 0, 0, 0)


def referral_dashboard(
    user: User, *, territory: Territory | None = None, specialty: Specialty | None = None, today=None
) -> Dashboard:
    """The figures of the territories the user coordinates or observes (``territory``: one of them), for the
    current month and the 11 before it, by month and specialty, with each specialty's line over the 12 months,
    each month's line and the 12 months' line for every specialty together (``specialty``: that one only).
    One query whatever the volume."""
    today = today or timezone.localdate()
    start = _first_of_month(today, DASHBOARD_MONTHS - 1)
    end = _first_of_month(today, -1)
    months = [_first_of_month(today, back) for back in range(DASHBOARD_MONTHS)]
    dashboard = Dashboard(start=start, months=months)
    territory_ids = list(dashboard_territories(user).values_list("pk", flat=True))
    if territory is not None:
        territory_ids = [pk for pk in territory_ids if pk == territory.pk]
    if not territory_ids:
        return dashboard
    zone = ZoneInfo(settings.TIME_ZONE)
    params = {
        "tz": settings.TIME_ZONE,
        "territories": territory_ids,
        "start": datetime.datetime.combine(start, datetime.time.min, tzinfo=zone),
        "end": datetime.datetime.combine(end, datetime.time.min, tzinfo=zone),
        "teleexpertise": Referral.Kind.TELEEXPERTISE.value,
    }
    link_table = Practitioner.specialties.through._meta.db_table
    specialty_filter = specialty_exists = ""
    if specialty is not None:
        specialty_filter = "WHERE sp.id = %(specialty)s"
        specialty_exists = (
            f"WHERE EXISTS (SELECT 1 FROM {link_table} ps "  # noqa: S608 (a table name from the model's _meta)
            "WHERE ps.practitioner_id = s.receiver_id AND ps.specialty_id = %(specialty)s)"
        )
        params["specialty"] = specialty.pk
    sql = _DASHBOARD_SQL.format(
        referral=Referral._meta.db_table,
        practitioner_specialty=link_table,
        specialty=Specialty._meta.db_table,
        specialty_filter=specialty_filter,
        specialty_exists=specialty_exists,
        figures=_FIGURES,
    )
    by_month = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for is_all, is_total, month, specialty_id, label, *figures in cursor.fetchall():
            row = DashboardRow(month if not is_total else None, specialty_id, label, *figures)
            if is_all and is_total:
                dashboard.overall = row
            elif is_all:
                by_month[month] = row
            else:
                (dashboard.totals if is_total else dashboard.rows).append(row)
    if dashboard.overall is not None:
        dashboard.monthly = [by_month.get(month) or _empty_row(month) for month in reversed(months)]
    return dashboard


def _days(delay: datetime.timedelta | None) -> str:
    """A delay in days with one decimal, French style ("2,5"), as French Excel reads numbers."""
    if delay is None:
        return ""
    return f"{delay.total_seconds() / 86400:.1f}".replace(".", ",")


def _percent(rate: float | None) -> str:
    return "" if rate is None else f"{rate * 100:.0f}"


def _days_number(delay: datetime.timedelta | None) -> float | None:
    return None if delay is None else round(delay.total_seconds() / 86400, 1)


def dashboard_chart_data(dashboard: Dashboard) -> dict:
    """What the charts draw, for ``json_script``: the same figures as the tables beside them (their text
    alternative), the months oldest first, the specialties by volume. Labels are translated here, so the script
    holds no French."""
    specialties = sorted(dashboard.totals, key=lambda row: (-row.sent, row.specialty or "\uffff"))
    return {
        "months": [date_format(row.month, "N Y") for row in dashboard.monthly],  # "M": "Jui" and "Jul"
        "sent": [row.sent for row in dashboard.monthly],
        "accepted": [row.accepted for row in dashboard.monthly],
        "declined": [row.declined for row in dashboard.monthly],
        "first_response_days": [_days_number(row.median_first_response) for row in dashboard.monthly],
        "appointment_days": [_days_number(row.median_appointment_delay) for row in dashboard.monthly],
        "specialties": [row.specialty or _("Sans spécialité") for row in specialties],
        "specialty_sent": [row.sent for row in specialties],
        "series": {
            "sent": _("Envoyées"),
            "accepted": _("Acceptées"),
            "declined": _("Refusées"),
            "first_response": _("1re réponse (médiane, jours)"),
            "appointment": _("Jusqu'au rendez-vous (médiane, jours)"),
        },
    }


def dashboard_csv_rows(dashboard: Dashboard):
    """The header, then the table as the page shows it: each month's rows, then each specialty over 12 months,
    then every specialty together over 12 months (each request once)."""
    yield [
        _("Mois"),
        _("Spécialité"),
        _("Demandes envoyées"),
        _("Délai médian de première réponse (jours)"),
        _("Délai médian jusqu'au rendez-vous (jours)"),
        _("Taux d'acceptation (%)"),
        _("Télé-expertises répondues"),
        _("Questionnaires remplis"),
        _("Consultations évitées"),
        _("Passages aux urgences évités"),
    ]
    lines = [*dashboard.rows, *dashboard.totals]
    if dashboard.overall is not None and dashboard.rows:
        lines.append(dashboard.overall)
    for row in lines:
        if row is dashboard.overall:
            specialty = _("Toutes spécialités")
        else:
            specialty = row.specialty or _("Sans spécialité (cabinet ou parcours)")
        yield [
            row.month.strftime("%Y-%m") if row.month else _("12 derniers mois"),
            specialty,
            row.sent,
            _days(row.median_first_response),
            _days(row.median_appointment_delay),
            _percent(row.acceptance_rate),
            row.teleexpertises_answered,
            row.surveys,
            row.avoided_visits,
            row.avoided_emergencies,
        ]


# --- "Mes actes de télé-expertise" -----------------------------------------------------------------------------


def patient_initials(family_name: str, given_names: str) -> str:
    """ "Louise Marie", "Durand" → "L. D.": enough to find the patient among one month's acts, not a name."""
    first = (given_names or "").strip()[:1].upper()
    last = (family_name or "").strip()[:1].upper()
    return " ".join(f"{letter}." for letter in (first, last) if letter)


@dataclass(frozen=True)
class Act:
    record: BillingRecord
    side_label: str
    patient_initials: str
    counterpart: Practitioner | None
    referral_public_id: str


@dataclass
class MonthOfActs:
    year: int
    month: int
    acts: list[Act]
    totals: dict[str, dict] = field(default_factory=dict)  # side → {"label", "count", "amount"}
    count: int = 0
    amount: Decimal = Decimal("0")

    @property
    def first_day(self) -> datetime.date:
        return datetime.date(self.year, self.month, 1)


def teleexpertise_act_months(user: User) -> list[datetime.date]:
    """The months the user has acts in, newest first, and the current month."""
    own_entry = actor_for(user).entry
    current = _first_of_month(timezone.localdate())
    if own_entry is None:
        return [current]
    months = {
        day.replace(day=1)
        for day in BillingRecord.objects.filter(practitioner=own_entry).dates("act_date", "month", order="DESC")
    }
    return sorted(months | {current}, reverse=True)


def teleexpertise_acts_of_month(
    user: User, *, year: int, month: int, request: HttpRequest | None = None, export: bool = False
) -> MonthOfActs:
    """The user's own billing records of one month, both sides, oldest first, with the totals; the read (or the
    export) is written to the access log, since the rows carry patients' initials."""
    own_entry = actor_for(user).entry
    result = MonthOfActs(year=year, month=month, acts=[])
    if own_entry is None:
        return result
    records = (
        BillingRecord.objects.filter(practitioner=own_entry, act_date__year=year, act_date__month=month)
        .select_related("referral__sender", "referral__handled_by")
        .only(
            "side",
            "code",
            "amount",
            "act_date",
            "referral__public_id",
            "referral__patient_family_name",
            "referral__patient_given_names",
            "referral__sender__first_name",
            "referral__sender__last_name",
            "referral__sender__rpps",
            "referral__sender__adeli",
            "referral__handled_by__first_name",
            "referral__handled_by__last_name",
            "referral__handled_by__rpps",
            "referral__handled_by__adeli",
        )
        .order_by("act_date", "id")
    )
    labels = dict(Tariff.Side.choices)
    for side in Tariff.Side.values:
        result.totals[side] = {"label": labels[side], "count": 0, "amount": Decimal("0")}
    for record in records:
        referral = record.referral
        counterpart = referral.handled_by if record.side == Tariff.Side.REQUESTER else referral.sender
        result.acts.append(
            Act(
                record=record,
                side_label=str(labels[record.side]),
                patient_initials=patient_initials(referral.patient_family_name, referral.patient_given_names),
                counterpart=counterpart,
                referral_public_id=str(referral.public_id),
            )
        )
        result.totals[record.side]["count"] += 1
        result.totals[record.side]["amount"] += record.amount
        result.count += 1
        result.amount += record.amount
    if result.acts:
        access_log_record(
            user=user,
            action=AccessLog.Action.EXPORT if export else AccessLog.Action.READ,
            subject_type="teleexpertise_acts",
            subject_id=f"{own_entry.public_id}:{year:04d}-{month:02d}",
            request=request,
            via="" if request is not None else "referrals.dashboard.teleexpertise_acts_of_month",
        )
    return result


def teleexpertise_acts_csv_rows(month: MonthOfActs):
    """What a practitioner (or their accountant) needs to bill and check one month, and no more: the act, its
    date, code and price, the side, the colleague on the other side with their RPPS (the requester's
    identification goes with the expert's claim), the request's number to find the full record in the portal,
    and the patient's initials only: the file leaves the portal, the patient's identity stays in it."""
    yield [
        _("Date de l'acte"),
        _("Code de l'acte"),
        _("Montant (€)"),
        _("Côté"),
        _("Confrère"),
        _("RPPS ou ADELI du confrère"),
        _("Demande"),
        _("Initiales du patient"),
    ]
    for act in month.acts:
        counterpart = act.counterpart
        yield [
            act.record.act_date.strftime("%d/%m/%Y"),
            act.record.code,
            f"{act.record.amount:.2f}".replace(".", ","),
            act.side_label,
            str(counterpart) if counterpart else "",
            (counterpart.rpps or counterpart.adeli or "") if counterpart else "",
            act.referral_public_id,
            act.patient_initials,
        ]

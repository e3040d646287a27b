"""The referrals' measures (``manage.py benchmark referrals [--scale N]``): one dict per figure (``metric``,
``value``, ``unit``, ``target``), measured with ``scale`` requests in the database (1,000,000 by default).

The configured database is never written: a throwaway database (``<name>_bench_referrals``) is created and
migrated, ``seed_scale`` fills it with practitioners (a tenth of them in one territory, whose coordinator's
overdue list is measured) and ``seed_referrals`` with ``scale`` requests between them; it is dropped afterwards.

Figures:
- SQL queries of the practice inbox page and of the API list when 10 and when 1,000 requests are visible to a
  secretary (added, then rolled back): they must not grow with the rows (≤ 12);
- the inbox query (first page, the secretary's scope read as well: one statement, then the list), the
  coordinator's overdue scan and the beat task's deadline scan against the raw SQL they execute (the same
  statements, captured and replayed with a cursor, ORM and raw interleaved): the cost of the ORM;
- sending a request through the service, the letter PDF rendered (WeasyPrint): median time.
"""

import datetime
import statistics
import sys
import uuid
from collections.abc import Callable, Iterator

from django.db import DEFAULT_DB_ALIAS, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.roles import Role
from core.benchmarks import at_least, at_most, benchmark_client_settings, captured_statements, figure, replay, seconds
from directory.benchmarks.databases import throwaway_database
from directory.benchmarks.search import UnusedRpps, rolled_back
from directory.models import Commune, Practice, Practitioner, Profession, Specialty, Territory
from directory.scale import measured_user, seed_scale
from referrals.letters import referral_letter_pdf
from referrals.models import DEFAULT_TARGET_DELAYS, Referral, Urgency
from referrals.scale import seed_referrals
from referrals.selectors import referrals_inbox, referrals_overdue_in_territories
from referrals.services import referral_send
from referrals.services.deadlines import deadline_candidates

DEFAULT_SCALE = 1_000_000
BENCH_DATABASE_SUFFIX = "_bench_referrals"
TERRITORY_DEPARTMENT = "85"  # Vendée: the territory whose coordinator's overdue list is measured
FEW, MANY = 10, 1_000
QUERIES_TARGET = 12
RATIO_TARGET = 1.5
REPEATS = 7
# The inbox takes ~10 ms: on shared cores seven interleaved pairs left its ratio anywhere between 0.9 and 1.9
# from one run to the next; the median of more pairs is steadier and costs under a second.
INBOX_REPEATS = 31
SEND_REPEATS = 9


def _ratio_figures(name: str, action: Callable[[], object], repeats: int = REPEATS) -> Iterator[dict]:
    statements = captured_statements(action)
    orm, raw = [], []
    for _ in range(repeats):
        orm.append(seconds(action))
        raw.append(seconds(lambda: replay(statements)))
    orm_s, raw_s = statistics.median(orm), statistics.median(raw)
    yield figure(f"{name}_ms", orm_s * 1000, "ms (médiane)", None)
    yield figure(f"{name}_over_raw_sql", orm_s / raw_s, "ratio ORM / SQL brut", at_most(RATIO_TARGET))


# --- The people and places measured ----------------------------------------------------------------------------


def _territory() -> Territory:
    territory = Territory.objects.create(name="CPTS de mesure", slug=f"mesure-{uuid.uuid4().hex[:6]}")
    territory.communes.set(Commune.objects.filter(insee_code__startswith=TERRITORY_DEPARTMENT))
    return territory


def _measured_practice(rpps: UnusedRpps):
    """A cardiology practice with its cardiologist, their secretary, and a GP who writes to them."""
    commune = Commune.objects.get(insee_code="85191")
    practice = Practice.objects.create(name="Cabinet de cardiologie de mesure", commune=commune, city=commune.name)
    physician = Profession.objects.filter(code="10").first()
    cardiologist = Practitioner.objects.create(
        rpps=rpps(), first_name="Mesure", last_name="Cardiologue", profession=physician
    )
    cardiologist.specialties.add(*Specialty.objects.filter(code="SM04"))
    cardiologist.activities.create(practice=practice)
    gp_entry = Practitioner.objects.create(
        rpps=rpps(), first_name="Mesure", last_name="Généraliste", profession=physician
    )
    gp = measured_user(Role.PROFESSIONAL, practitioner=gp_entry)
    secretary = measured_user(Role.SECRETARY, practices=[practice])
    return practice, cardiologist, gp, secretary


def _requests_to(practice: Practice, sender: Practitioner, count: int) -> None:
    now = timezone.now()
    Referral.objects.bulk_create(
        [
            Referral(
                kind=Referral.Kind.LETTER,
                status=Referral.Status.SENT,
                urgency=Urgency.ROUTINE,
                sender=sender,
                recipient_practice=practice,
                patient_family_name=f"PATIENT{i:04d}",
                patient_given_names="Camille",
                patient_birth_date=datetime.date(1960, 1, 1),
                patient_sex="F",
                reason="Mesure",
                sent_at=now - datetime.timedelta(days=i % 45),
                due_at=now - datetime.timedelta(days=i % 45) + DEFAULT_TARGET_DELAYS[Urgency.ROUTINE],
            )
            for i in range(count)
        ]
    )


def _page_queries(client: Client, url: str) -> int | None:
    client.get(url)  # caches of the first request (translations, content types) aside
    with CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as captured:
        status = client.get(url).status_code
    if status != 200:
        print(f"{url} : HTTP {status}, mesure omise.", file=sys.stderr)
        return None
    return len(captured.captured_queries)


def _query_count_figures(practice, cardiologist, gp, secretary) -> Iterator[dict]:
    client = Client()
    client.force_login(secretary)
    counts: dict[str, dict[int, int | None]] = {"inbox_page": {}, "api_list": {}}
    ratios: list[dict] = []
    with rolled_back():
        for rows in (FEW, MANY):
            _requests_to(practice, gp.practitioner, rows - Referral.objects.filter(recipient_practice=practice).count())
            counts["inbox_page"][rows] = _page_queries(client, "/demandes/reception/")
            counts["api_list"][rows] = _page_queries(client, "/api/v1/referrals/")
        ratios += _ratio_figures("inbox_query", lambda: list(referrals_inbox(secretary)[:25]), repeats=INBOX_REPEATS)
    for name, by_rows in counts.items():
        for rows in (FEW, MANY):
            yield figure(f"{name}_queries_{rows}_visible", by_rows[rows], "requêtes SQL", at_most(QUERIES_TARGET))
    yield from ratios


def _send_figures(gp, cardiologist) -> Iterator[dict]:
    def send_and_render():
        with rolled_back():
            referral = referral_send(
                acting_user=gp,
                kind=Referral.Kind.LETTER,
                urgency=Urgency.RAPID,
                recipient_practitioner=cardiologist,
                patient_family_name="MESURE",
                patient_given_names="Camille",
                patient_birth_date=datetime.date(1958, 3, 14),
                patient_sex="F",
                reason="Dyspnée d'effort récente",
                question="Échographie cardiaque ?",
                history="HTA, dyslipidémie",
                treatments="Ramipril 5 mg",
            )
            referral_letter_pdf(referral)

    send_and_render()  # WeasyPrint's fonts and the templates loaded once
    timings = [seconds(send_and_render) for _ in range(SEND_REPEATS)]
    yield figure("send_with_letter_pdf_ms", statistics.median(timings) * 1000, "ms (médiane)", None)


def run(scale: int | None = None) -> Iterator[dict]:
    scale = scale or DEFAULT_SCALE
    allowed_hosts = benchmark_client_settings()  # the test client under the production settings
    with throwaway_database(BENCH_DATABASE_SUFFIX), allowed_hosts:
        territory = _territory()
        practitioners = max(300, min(20_000, scale // 50))
        seed_scale(practitioners=practitioners // 10, territory_slug=territory.slug)
        seed_scale(practitioners=practitioners - practitioners // 10, seed=2)
        report = seed_referrals(count=scale)
        yield figure("referrals_in_database", Referral.objects.count(), "demandes", at_least(scale))
        yield figure("seed_referrals_rate", report.referrals / report.seconds, "demandes/s (COPY)", None)
        rpps = UnusedRpps()
        practice, cardiologist, gp, secretary = _measured_practice(rpps)
        yield from _query_count_figures(practice, cardiologist, gp, secretary)
        coordinator = measured_user(Role.COORDINATOR, territory=territory)
        yield figure(
            "overdue_in_territory",
            referrals_overdue_in_territories(coordinator).count(),
            "demandes en retard du territoire",
            None,
        )
        yield from _ratio_figures("overdue_scan", lambda: list(referrals_overdue_in_territories(coordinator)[:200]))
        # The hourly beat task's scan for requests due a reminder or an escalation step. Synthetic requests
        # have no timeline: every late open one is a candidate, the worst case of a first run.
        now = timezone.now()
        yield figure("deadline_candidates", deadline_candidates(now).count(), "demandes à relancer", None)
        yield from _ratio_figures("deadline_scan", lambda: list(deadline_candidates(now).values_list("pk", flat=True)))
        yield from _send_figures(gp, cardiologist)

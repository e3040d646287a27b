"""The SNP's measures (``manage.py benchmark snp [--scale N]``): one dict per figure (``metric``, ``value``,
``unit``, ``target``), measured with ``scale`` slots over the month ahead (50,000 by default, the command then
takes about a minute; ``--scale 1000000`` is the national figure).

The configured database is never written: a throwaway database (``<name>_bench_snp``) is created and migrated,
``seed_scale`` fills it with practitioners (a tenth in a Vendée territory, whose regulator's board is measured, the
rest in one territory of every other commune) and ``seed_slots`` with ``scale`` slots; it is dropped afterwards.

Figures:
- ``slots_in_database`` first: the scale measured;
- ``board_vs_raw_sql``: the regulator's board (``slots_visible_to`` for the SAS, a week, 30 km around La
  Roche-sur-Yon: the count and the first page) against the raw SQL it executes (captured and replayed with a
  cursor), medians of alternated runs on the same data;
- ``queries_board_10_slots`` / ``queries_board_1000_slots``: SQL queries of GET /api/v1/snp/slots/ for a regulator
  who sees 10, then 1,000 slots (added, then rolled back): they must not grow with the rows;
- ``booking_throughput``: 20 clients at once (threads, each with its own connection) booking distinct slots
  through ``booking_create``; ``booking_double_bookings``: 20 clients on the same slot, bookings beyond the first;
- ``slot_expansion_<n>_patterns``: seconds for the nightly ``patterns_expand_all`` to write ``n`` weekly patterns
  8 weeks ahead: 5,000 at national scale (``slot_expansion_5000_patterns``), 500 at the default one.
"""

import datetime
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Iterator

from django.db import DEFAULT_DB_ALIAS, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.roles import Role
from core.benchmarks import at_least, at_most, benchmark_client_settings, captured_statements, figure, replay, seconds
from directory.benchmarks.databases import throwaway_database
from directory.benchmarks.search import UnusedRpps, rolled_back
from directory.models import Activity, Commune, Practice, Practitioner, Territory
from directory.scale import measured_user, seed_scale
from snp.models import Booking, BookingAudience, Slot, SlotPattern
from snp.scale import seed_slots
from snp.scope import snp_actor_for
from snp.selectors import slots_visible_to
from snp.services import PARIS, PatientDetails, SlotTaken, booking_create, patterns_expand_all

DEFAULT_SCALE = 50_000
BENCH_DATABASE_SUFFIX = "_bench_snp"
TERRITORY_DEPARTMENT = "85"
CENTRE_INSEE = "85191"  # La Roche-sur-Yon
RADIUS_KM = 30
PAGE = 25  # the API's page
REPEATS = 7
RATIO_TARGET = 1.5
QUERIES_TARGET = 12
FEW, MANY = 10, 1_000
CLIENTS = 20
BOOKINGS_PER_CLIENT = 10
PATTERNS = 5_000  # at national scale; 500 at the default one, so that the command takes about a minute
NATIONAL_SCALE = 1_000_000
# About 30 million calls a year reach the 15 in France: about one a second on average, a few at the busiest
# hours, and not every call ends in a booking. 50 bookings a second is more than ten times the national peak on
# one server; a rate under it would mean the lock or the service's queries had grown.
BOOKING_RATE_TARGET = 50
# The nightly task writes 8 weeks ahead (a first run) for 5,000 weekly patterns (every GP of a large region
# publishing two series): in 5 minutes it stays a short night job, and later nights write only one more day.
EXPANSION_TARGET_S = 300


def _territories() -> tuple[Territory, Territory]:
    measured = Territory.objects.create(name="CPTS de mesure", slug=f"mesure-{uuid.uuid4().hex[:6]}")
    measured.communes.set(Commune.objects.filter(insee_code__startswith=TERRITORY_DEPARTMENT))
    rest = Territory.objects.create(name="Autres territoires", slug=f"autres-{uuid.uuid4().hex[:6]}")
    rest.communes.set(Commune.objects.exclude(insee_code__startswith=TERRITORY_DEPARTMENT))
    return measured, rest


def _week() -> tuple[datetime.datetime, datetime.datetime]:
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    start = datetime.datetime.combine(tomorrow, datetime.time(), tzinfo=PARIS)
    return start, start + datetime.timedelta(days=7)


def _board_figures(regulator) -> Iterator[dict]:
    actor = snp_actor_for(regulator)
    starts_from, starts_before = _week()

    def board():
        slots = slots_visible_to(
            actor, starts_from=starts_from, starts_before=starts_before, commune_insee=CENTRE_INSEE, radius_km=RADIUS_KM
        )
        return slots.count(), list(slots[:PAGE])

    total, _page = board()
    yield figure("board_slots_in_week", total, "créneaux libres à 30 km sur la semaine", None)
    statements = captured_statements(board)
    orm, raw = [], []
    for _ in range(REPEATS):
        orm.append(seconds(board))
        raw.append(seconds(lambda: replay(statements)))
    orm_s, raw_s = statistics.median(orm), statistics.median(raw)
    yield figure("board_query_ms", orm_s * 1000, "ms (médiane)", None)
    yield figure("board_vs_raw_sql", orm_s / raw_s, "ratio ORM / SQL brut", at_most(RATIO_TARGET))


class _LazyRpps:
    """Valid RPPS numbers nobody has, looked up once the throwaway database is in use."""

    def __init__(self):
        self.numbers = None

    def __call__(self) -> str:
        if self.numbers is None:
            self.numbers = UnusedRpps()
        return self.numbers()


_RPPS = _LazyRpps()


def _measured_site(territory: Territory, practitioners: int) -> tuple[Practice, list[Practitioner]]:
    """A site at La Roche-sur-Yon with its own practitioners, so that what a regulator sees there is counted."""
    commune = Commune.objects.get(insee_code=CENTRE_INSEE)
    site = Practice.objects.create(
        name="Maison de santé de mesure", commune=commune, city=commune.name, territory=territory
    )
    entries = []
    for index in range(practitioners):
        entry = Practitioner.objects.create(
            rpps=_RPPS(), first_name="Mesure", last_name=f"Médecin{index}", territory=territory
        )
        entry.activities.create(practice=site)
        entries.append(entry)
    return site, entries


def _slots_for(site: Practice, entries: list[Practitioner], count: int, *, start: datetime.datetime) -> list[Slot]:
    """``count`` free SAS slots of 20 minutes, spread over the entries (one after another for each)."""
    per_entry = -(-count // len(entries))
    slots = [
        Slot(
            practitioner=entries[index // per_entry],
            site=site,
            territory_id=site.territory_id,
            starts_at=start + datetime.timedelta(minutes=20 * (index % per_entry)),
            ends_at=start + datetime.timedelta(minutes=20 * (index % per_entry) + 20),
            audiences=[BookingAudience.SAS],
        )
        for index in range(count)
    ]
    return Slot.objects.bulk_create(slots, batch_size=1000)


def _page_queries(client: Client, url: str) -> int | None:
    client.get(url)  # caches of the first request (translations, content types) aside
    with CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as captured:
        status = client.get(url).status_code
    if status != 200:
        print(f"{url} : HTTP {status}, mesure omise.", file=sys.stderr)
        return None
    return len(captured.captured_queries)


def _query_count_figures() -> Iterator[dict]:
    """A regulator of a territory of their own (no seeded slot) sees exactly the slots added."""
    counts = {}
    with rolled_back():
        territory = Territory.objects.create(name="CPTS des requêtes", slug=f"requetes-{uuid.uuid4().hex[:6]}")
        regulator = measured_user(Role.REGULATOR, territory=territory)
        site, entries = _measured_site(territory, 10)
        client = Client()
        client.force_login(regulator)
        start = timezone.now() + datetime.timedelta(hours=1)
        _slots_for(site, entries, FEW, start=start)
        counts[FEW] = _page_queries(client, "/api/v1/snp/slots/")
        _slots_for(site, entries, MANY - FEW, start=start + datetime.timedelta(hours=2))
        counts[MANY] = _page_queries(client, "/api/v1/snp/slots/")
        if slots_visible_to(snp_actor_for(regulator)).count() != MANY:
            print("Le régulateur ne voit pas les 1 000 créneaux : mesure faussée.", file=sys.stderr)
    for rows in (FEW, MANY):
        yield figure(f"queries_board_{rows}_slots", counts[rows], "requêtes SQL", at_most(QUERIES_TARGET))


def _patient() -> PatientDetails:
    return PatientDetails(
        family_name="MESURE",
        given_names="Camille",
        birth_date=datetime.date(1961, 5, 17),
        sex="F",
        commune_insee=CENTRE_INSEE,
        has_gp=True,
    )


def _concurrently(clients: int, work) -> float:
    """Runs ``work(index)`` in ``clients`` threads released at once (each opens its own connection)."""
    barrier = threading.Barrier(clients)
    errors: list[BaseException] = []

    def run(index):
        try:
            barrier.wait()
            work(index)
        except Exception as error:  # reported after the measure, from the main thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return elapsed


def _booking_figures(territory: Territory) -> Iterator[dict]:
    regulator = measured_user(Role.REGULATOR, territory=territory)
    site, entries = _measured_site(territory, CLIENTS)
    start = timezone.now() + datetime.timedelta(days=40)  # after the seeded month: the board is not changed
    slots = _slots_for(site, entries, CLIENTS * BOOKINGS_PER_CLIENT, start=start)
    ids = [slot.pk for slot in slots]
    patient = _patient()

    def book_own(index):
        for slot in Slot.objects.filter(pk__in=ids[index::CLIENTS]):
            booking_create(
                acting_user=regulator, slot=slot, patient=patient, reason_category="pain", contact_consent=False
            )

    elapsed = _concurrently(CLIENTS, book_own)
    booked = Booking.objects.filter(slot_id__in=ids).count()
    yield figure("booking_throughput", booked / elapsed, "réservations/s (20 clients)", at_least(BOOKING_RATE_TARGET))

    [contested] = _slots_for(site, entries[:1], 1, start=start + datetime.timedelta(days=5))
    outcomes = {"booked": 0, "taken": 0}
    lock = threading.Lock()

    def book_same(_index):
        slot = Slot.objects.get(pk=contested.pk)
        try:
            booking_create(
                acting_user=regulator, slot=slot, patient=patient, reason_category="pain", contact_consent=False
            )
            outcome = "booked"
        except SlotTaken:
            outcome = "taken"
        with lock:
            outcomes[outcome] += 1

    _concurrently(CLIENTS, book_same)
    live = Booking.objects.filter(slot=contested).exclude(status=Booking.Status.CANCELLED).count()
    yield figure("booking_double_bookings", max(live - 1, 0), "réservations en trop (20 clients)", at_most(0))
    yield figure("booking_same_slot_conflicts", outcomes["taken"], "réponses 409 sur 19 attendues", None)


def _expansion_figure(patterns: int) -> Iterator[dict]:
    """``patterns`` weekly series (Monday to Friday, two times, 20 minutes) of the seeded practitioners."""
    links = list(
        Activity.objects.filter(practice__territory__isnull=False)
        .order_by("practitioner_id")
        .distinct("practitioner_id")
        .values_list("practitioner_id", "practice_id")[:patterns]
    )
    today = timezone.localdate()
    series = []
    for index in range(patterns):
        practitioner, site = links[index % len(links)]
        turn = index // len(links) % 20  # another series of the same practitioner: 25 minutes later
        minutes = 7 * 60 + 5 + 25 * turn
        first = datetime.time(minutes // 60, minutes % 60)
        second = datetime.time(minutes // 60 + 5, minutes % 60)
        series.append(
            SlotPattern(
                practitioner_id=practitioner,
                site_id=site,
                weekdays=[1, 2, 3, 4, 5],
                times=[first, second],
                duration_minutes=20,
                audiences=[BookingAudience.SAS, BookingAudience.CPTS_LINE],
                starts_on=today,
                ends_on=today + datetime.timedelta(days=180),
            )
        )
    SlotPattern.objects.bulk_create(series, batch_size=1000)
    elapsed = seconds(lambda: patterns_expand_all(today=today))
    # The target is the national one, in proportion to the patterns measured (one transaction each).
    target = round(EXPANSION_TARGET_S * patterns / PATTERNS, 1)
    yield figure(f"slot_expansion_{patterns}_patterns", elapsed, "s (8 semaines d'avance)", at_most(target))


def run(scale: int | None = None) -> Iterator[dict]:
    scale = scale or DEFAULT_SCALE
    # About 50 slots a month for each practitioner, as a GP publishing two or three a working day.
    practitioners = max(200, min(20_000, scale // 50))
    patterns = PATTERNS if scale >= NATIONAL_SCALE else max(20, min(PATTERNS // 10, scale // 100))
    allowed_hosts = benchmark_client_settings()  # the test client under the production settings
    with throwaway_database(BENCH_DATABASE_SUFFIX), allowed_hosts:
        _RPPS.numbers = None  # a run of its own: the last run's numbers belong to a dropped database
        measured, rest = _territories()
        seed_scale(practitioners=practitioners // 10, territory_slug=measured.slug)
        seed_scale(practitioners=practitioners - practitioners // 10, territory_slug=rest.slug, seed=2)
        report = seed_slots(count=scale)
        yield figure("slots_in_database", Slot.objects.count(), "créneaux sur le mois", at_least(scale))
        yield figure("seed_slots_rate", report.slots / report.seconds, "créneaux/s (COPY)", None)
        regulator = measured_user(Role.REGULATOR, territory=measured)
        yield from _board_figures(regulator)
        yield from _query_count_figures()
        yield from _booking_figures(measured)
        yield from _expansion_figure(patterns)

"""The draw at scale (``manage.py benchmark waitlist [--scale N]``): a GP's draw among ``scale`` sign-ups (1 million
by default; the seeding then takes a minute or two) against the raw SQL it executes.

The configured database is never written: a throwaway database (``<name>_bench_wl_draw``) is created and migrated,
a territory of the Vendée's communes gets one list, ``seed_waitlist`` writes ``scale`` sign-ups over them, and a GP
of La Roche-sur-Yon pledges (capacity 500, 10 km, families welcome). The draw runs in a transaction rolled back
each time, so every run draws from the same queue.

Figures:
- ``draw_entries_in_database``: the scale measured; ``draw_waiting_in_reach``: the waiting entries within 10 km;
- ``draw_ms``: the median time of ``pledge_draw`` (five proposals, their events and access-log rows);
- ``draw_vs_raw_sql``: that median against the median of the same statements (captured from the service with
  ``core.benchmarks.captured_statements``) replayed with a bare cursor, alternated on the same data;
- ``draw_candidates_use_index``: 1 when PostgreSQL reads the candidates through one of the list's partial indexes
  rather than scanning the table (``EXPLAIN`` of the candidates' query).
"""

import datetime
import statistics
import uuid
from collections.abc import Iterator

from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

from accounts.roles import Role
from core.benchmarks import at_least, at_most, captured_statements, figure, replay, seconds
from directory.benchmarks.databases import throwaway_database
from directory.benchmarks.search import UnusedRpps, rolled_back
from directory.models import Activity, Commune, Practice, Practitioner, Specialty, Territory
from directory.scale import measured_user
from waitlist.models import MAX_PLEDGE_CAPACITY, Entry
from waitlist.scale import seed_waitlist
from waitlist.services.pledges import (
    DRAW_BATCH,
    communes_in_reach,
    draw_candidates,
    pledge_create,
    pledge_draw,
    practice_position,
    seats_taken,
)

DEFAULT_SCALE = 1_000_000
BENCH_DATABASE_SUFFIX = "_bench_wl_draw"
TERRITORY_DEPARTMENT = "85"
CENTRE_INSEE = "85191"  # La Roche-sur-Yon
RADIUS_KM = 10
REPEATS = 9
RATIO_TARGET = 2.0
INDEXES = ("waitlist_entry_draw", "waitlist_entry_queue")


def _territory() -> Territory:
    territory = Territory.objects.create(name="CPTS de mesure", slug=f"mesure-{uuid.uuid4().hex[:6]}")
    territory.communes.set(Commune.objects.filter(insee_code__startswith=TERRITORY_DEPARTMENT))
    return territory


def measured_gp(territory: Territory):
    """A GP of the territory at La Roche-sur-Yon (a practice at its town hall), with an account."""
    commune = Commune.objects.get(insee_code=CENTRE_INSEE)
    practice = Practice.objects.create(
        name="Maison de santé de mesure",
        commune=commune,
        city=commune.name,
        territory=territory,
        latitude=commune.latitude,
        longitude=commune.longitude,
    )
    entry = Practitioner.objects.create(
        rpps=UnusedRpps()(), first_name="Mesure", last_name="Généraliste", territory=territory
    )
    entry.specialties.add(Specialty.objects.get_or_create(code="SM54", defaults={"label": "Médecine générale"})[0])
    Activity.objects.create(practitioner=entry, practice=practice)
    return measured_user(Role.PROFESSIONAL, practitioner=entry)


def _explain_uses_index(pledge) -> bool:
    position = practice_position(pledge.practitioner_id)
    communes = communes_in_reach(position, pledge.radius_km)
    with rolled_back():
        statements = captured_statements(
            lambda: draw_candidates(
                pledge=pledge,
                position=position,
                communes=communes,
                remaining=pledge.capacity - seats_taken(pledge),
                limit=DRAW_BATCH,
            )
        )
    candidates = next(statement for statement in statements if "SKIP LOCKED" in statement)
    with rolled_back(), connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("EXPLAIN " + candidates)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    return any(index in plan for index in INDEXES)


def _draw_figures(gp, pledge) -> Iterator[dict]:
    def draw():
        with rolled_back():
            drawn = pledge_draw(pledge=pledge, acting_user=gp)
        return drawn

    assert len(draw()) == DRAW_BATCH, "the measured GP must draw a full batch"
    with rolled_back():
        statements = captured_statements(lambda: pledge_draw(pledge=pledge, acting_user=gp))

    def raw():
        with rolled_back():
            replay(statements)

    orm, sql = [], []
    for _ in range(REPEATS):
        orm.append(seconds(draw))
        sql.append(seconds(raw))
    orm_s, sql_s = statistics.median(orm), statistics.median(sql)
    yield figure("draw_ms", orm_s * 1000, "ms (médiane, 5 propositions)", None)
    yield figure("draw_raw_sql_ms", sql_s * 1000, "ms (médiane, mêmes requêtes rejouées)", None)
    yield figure("draw_vs_raw_sql", orm_s / sql_s, "ratio tirage / SQL brut", at_most(RATIO_TARGET))
    yield figure("draw_statements", len(statements), "requêtes SQL par tirage", None)


def measures(scale: int) -> Iterator[dict]:
    """The figures, measured in the database in use (the tests' own at a small scale)."""
    territory = _territory()
    report = seed_waitlist(count=scale, territory_slug=territory.slug)
    yield figure("draw_entries_in_database", Entry.objects.count(), "inscriptions", at_least(scale))
    yield figure("draw_seed_rate", report.entries / report.seconds, "inscriptions/s (COPY, foyers compris)", None)
    gp = measured_gp(territory)
    pledge = pledge_create(
        acting_user=gp,
        capacity=MAX_PLEDGE_CAPACITY,
        radius_km=RADIUS_KM,
        until=timezone.localdate() + datetime.timedelta(days=90),
    )
    position = practice_position(pledge.practitioner_id)
    in_reach = Entry.objects.filter(
        status=Entry.Status.WAITING, commune_id__in=communes_in_reach(position, RADIUS_KM)
    ).count()
    yield figure("draw_waiting_in_reach", in_reach, f"inscriptions en attente à {RADIUS_KM} km", None)
    yield from _draw_figures(gp, pledge)
    yield figure("draw_candidates_use_index", int(_explain_uses_index(pledge)), "1 = index partiel", at_least(1))


def figures(scale: int | None = None) -> Iterator[dict]:
    with throwaway_database(BENCH_DATABASE_SUFFIX):
        yield from measures(scale or DEFAULT_SCALE)

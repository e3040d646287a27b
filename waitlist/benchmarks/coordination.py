"""The coordination's figures (``manage.py benchmark waitlist``): the SQL queries of the queue page and of
GET /api/v1/waitlist/entries/ for a coordinator whose list holds 10, then 1,000 waiting entries; they must not
grow with the rows (at most 12). Measured in a throwaway database (``<name>_bench_wl_coord``), dropped after."""

import datetime
import sys
import uuid
from collections.abc import Iterator

from django.db import DEFAULT_DB_ALIAS, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.roles import Role
from core.benchmarks import at_most, benchmark_client_settings, figure
from directory.benchmarks.databases import throwaway_database
from directory.models import Commune, Territory
from directory.scale import measured_user
from waitlist.models import Entry, HouseholdMember
from waitlist.services.common import waiting_list_of_territory

BENCH_DATABASE_SUFFIX = "_bench_wl_coord"
QUERIES_TARGET = 12
FEW, MANY = 10, 1_000
PAGES = {"queue": "/liste-attente/coordination/", "entries_api": "/api/v1/waitlist/entries/"}


def _entries(waiting_list, commune, count: int, offset: int) -> None:
    now = timezone.now()
    entries = Entry.objects.bulk_create(
        Entry(
            waiting_list=waiting_list,
            commune=commune,
            status=Entry.Status.WAITING,
            phone="+33612345678",
            situation="never_had",
            max_distance_km=10,
            priority_level=index % 3,
            waiting_since=now - datetime.timedelta(minutes=offset + index),
        )
        for index in range(count)
    )
    HouseholdMember.objects.bulk_create(
        HouseholdMember(
            entry=entry,
            family_name=f"MESURE{offset + index}",
            given_names="Camille",
            birth_date=datetime.date(1950, 1, 1) + datetime.timedelta(days=index),
            sex="F",
        )
        for index, entry in enumerate(entries)
    )


def _queries(client: Client, url: str) -> int | None:
    client.get(url)  # the first request's caches (translations, content types) aside
    with CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as captured:
        status = client.get(url).status_code
    if status != 200:
        print(f"{url} : HTTP {status}, mesure omise.", file=sys.stderr)
        return None
    return len(captured.captured_queries)


def figures(scale: int | None = None) -> Iterator[dict]:
    allowed_hosts = benchmark_client_settings()  # the test client under the production settings
    counts: dict[tuple[str, int], int | None] = {}
    with throwaway_database(BENCH_DATABASE_SUFFIX), allowed_hosts:
        territory = Territory.objects.create(name="CPTS de la mesure", slug=f"mesure-{uuid.uuid4().hex[:6]}")
        commune = Commune.objects.filter(insee_code="85191").first() or Commune.objects.order_by("pk").first()
        territory.communes.add(commune)
        waiting_list = waiting_list_of_territory(territory)
        client = Client()
        client.force_login(measured_user(Role.COORDINATOR, territory=territory))
        _entries(waiting_list, commune, FEW, 0)
        for name, url in PAGES.items():
            counts[name, FEW] = _queries(client, url)
        _entries(waiting_list, commune, MANY - FEW, FEW)
        for name, url in PAGES.items():
            counts[name, MANY] = _queries(client, url)
    for name in PAGES:
        for rows in (FEW, MANY):
            yield figure(f"queries_coordination_{name}_{rows}_entries", counts[name, rows], "requêtes SQL",
                         at_most(QUERIES_TARGET))  # fmt: skip

"""``queries_*``: the SQL queries of the waiting list's pages with 10 and with 1,000 entries in the list. A page's
count must not grow with the entries (``queries_<page>_growth``, the difference, ``<= 0``) and stays at 12 or
under (``queries_<page>``, the count at 1,000).

The configured database is never written: a throwaway database (``<name>_bench_wl_pages``) is created and
migrated (the communes come with the migrations), and the entries are written in bulk inside a transaction that
is rolled back. Each page is measured on its second request (the first one's caches aside); the public report is
measured uncached (its month's cache entry is deleted before the measured request).

``PAGES`` lists (name, url, persona): a page of another part is measured by adding a line, its persona one of
``PERSONAS`` (made in the measured territory).
"""

import datetime
import sys
import uuid
from collections.abc import Callable, Iterator

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.roles import Role
from core.benchmarks import at_most, benchmark_client_settings, figure
from directory.benchmarks.databases import throwaway_database
from directory.benchmarks.search import UnusedRpps, rolled_back
from directory.models import Activity, Commune, Practice, Practitioner, Specialty, Territory
from directory.scale import measured_user
from waitlist.models import Entry, HouseholdMember, Pledge, Proposal
from waitlist.services.common import waiting_list_of_territory
from waitlist.statistics import first_of_month, month_bounds
from waitlist.statistics_views import public_report_cache_key

BENCH_DATABASE_SUFFIX = "_bench_wl_pages"
TERRITORY_DEPARTMENT = "85"
QUERIES_TARGET = 12
FEW, MANY = 10, 1_000
# (figure name, URL, persona or None for someone signed out). "{list}" and "{month}" are filled in.
PAGES: list[tuple[str, str, str | None]] = [
    ("public_report", "/liste-attente/rapport/?liste={list}&mois={month}", None),
    ("statistics", "/liste-attente/statistiques/?liste={list}&mois={month}", "coordinator"),
    ("gp_proposals", "/liste-attente/medecin/propositions/", "gp"),  # a tenth of the entries, accepted by the GP
    ("gp_pledge", "/liste-attente/medecin/engagements/{pledge}/", "gp"),
    ("gp_home", "/liste-attente/medecin/", "gp"),
    ("signup", "/liste-attente/", None),
]
PERSONAS = {"coordinator": Role.COORDINATOR, "observer": Role.OBSERVER}


def _page_queries(client: Client, url: str, *, before: Callable[[], None] = lambda: None) -> int | None:
    """The SQL queries of ``url``'s second request (the first one's caches aside); None when it does not answer
    200 (said on stderr)."""
    client.get(url)
    before()
    with CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as captured:
        status = client.get(url).status_code
    if status != 200:
        print(f"{url} : HTTP {status}, mesure omise.", file=sys.stderr)
        return None
    return len(captured.captured_queries)


def _entries(waiting_list, communes: list[Commune], count: int, *, offset: int, month: datetime.date) -> list[Entry]:
    """``count`` verified sign-ups spread over the communes, the levels, the statuses and the month's days, with
    their main member (two bulk inserts)."""
    start = month_bounds(month)[0]
    statuses = [Entry.Status.WAITING] * 6 + [Entry.Status.PROPOSED, Entry.Status.WITHDRAWN, Entry.Status.INACTIVE]
    rows = []
    for index in range(offset, offset + count):
        since = start + datetime.timedelta(days=index % 27, hours=index % 9)
        status = statuses[index % len(statuses)]
        rows.append(
            Entry(
                waiting_list=waiting_list,
                commune=communes[index % len(communes)],
                status=status,
                phone=f"+3370{index:07d}",
                phone_verified_at=since,
                situation="never_had",
                max_distance_km=15,
                household_size=1 + index % 3,
                priority_level=index % 3,
                waiting_since=since,
                confirmed_at=since,
                closed_at=since + datetime.timedelta(days=3) if status not in ("waiting", "proposed") else None,
            )
        )
    entries = Entry.objects.bulk_create(rows, batch_size=1000)
    HouseholdMember.objects.bulk_create(
        [
            HouseholdMember(
                entry=entry,
                position=0,
                family_name="Mesure",
                given_names="Camille",
                birth_date=datetime.date(1960, 1, 1),
                sex="X",
            )
            for entry in entries
        ],
        batch_size=1000,
    )
    return entries


def _accepted(pledge: Pledge, entries: list[Entry], month: datetime.date) -> None:
    """One entry in ten matched in the month (a proposal accepted)."""
    answered = month_bounds(month)[0] + datetime.timedelta(days=27)
    chosen = entries[::10]
    Proposal.objects.bulk_create(
        [
            Proposal(
                pledge=pledge,
                entry=entry,
                status=Proposal.Status.ACCEPTED,
                batch=uuid.uuid4(),
                distance_km=4.0,
                priority_level=entry.priority_level,
                household_size=entry.household_size,
                expires_at=answered,
                answered_at=answered,
            )
            for entry in chosen
        ]
    )
    Entry.objects.filter(pk__in=[entry.pk for entry in chosen]).update(status=Entry.Status.MATCHED, closed_at=answered)


def _query_figures() -> Iterator[dict]:
    counts: dict[tuple[str, int], int | None] = {}
    with rolled_back():
        territory = Territory.objects.create(name="CPTS des requêtes", slug=f"requetes-{uuid.uuid4().hex[:6]}")
        territory.communes.set(Commune.objects.filter(insee_code__startswith=TERRITORY_DEPARTMENT))
        waiting_list = waiting_list_of_territory(territory)
        communes = list(territory.communes.order_by("insee_code")[:40])
        users = {name: measured_user(role, territory=territory) for name, role in PERSONAS.items()}
        gp = Practitioner.objects.create(
            rpps=UnusedRpps()(), first_name="Mesure", last_name="Généraliste", territory=territory
        )
        gp.specialties.add(Specialty.objects.get_or_create(code="SM54", defaults={"label": "Médecine générale"})[0])
        practice = Practice.objects.create(
            name="Cabinet mesuré", territory=territory, commune=communes[0], latitude=46.67, longitude=-1.43
        )
        Activity.objects.create(practitioner=gp, practice=practice)
        users["gp"] = measured_user(Role.PROFESSIONAL, practitioner=gp)
        today = timezone.localdate()
        pledge = Pledge.objects.create(
            practitioner=gp,
            waiting_list=waiting_list,
            capacity=500,
            radius_km=30,
            starts_on=today - datetime.timedelta(days=60),
            until=today + datetime.timedelta(days=60),
        )
        month = first_of_month(today, 1)
        fill = {"list": waiting_list.slug, "month": f"{month:%Y-%m}", "pledge": pledge.public_id}
        forget_report = lambda: cache.delete(public_report_cache_key(waiting_list, month))  # noqa: E731
        made = 0
        for size in (FEW, MANY):
            entries = _entries(waiting_list, communes, size - made, offset=made, month=month)
            _accepted(pledge, entries, month)
            made = size
            for name, url, persona in PAGES:
                client = Client()
                if persona is not None:
                    client.force_login(users[persona])
                counts[(name, size)] = _page_queries(
                    client, url.format(**fill), before=forget_report if name == "public_report" else lambda: None
                )
        if Entry.objects.filter(waiting_list=waiting_list).count() != MANY:
            print("La liste ne compte pas 1 000 inscriptions : mesure faussée.", file=sys.stderr)
        forget_report()
    for name, _url, _persona in PAGES:
        few, many = counts[(name, FEW)], counts[(name, MANY)]
        yield figure(f"queries_{name}_10_entries", few, "requêtes SQL (10 inscriptions)", None)
        yield figure(f"queries_{name}", many, "requêtes SQL (1 000 inscriptions)", at_most(QUERIES_TARGET))
        growth = None if few is None or many is None else many - few
        yield figure(f"queries_{name}_growth", growth, "requêtes de plus à 1 000 qu'à 10 inscriptions", at_most(0))


def figures(scale: int | None = None) -> Iterator[dict]:
    """The pages' query counts (``scale`` does not apply: 10 and 1,000 entries)."""
    allowed_hosts = benchmark_client_settings()  # the test client under the production settings
    with throwaway_database(BENCH_DATABASE_SUFFIX), allowed_hosts:
        yield from _query_figures()

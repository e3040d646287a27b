"""How fast the directory search answers, and how many SQL queries its pages make, on national-scale data.

The configured database is never written. A throwaway database named after it (``<name>_bench_directory``) is
created and migrated (the communes come with the migrations), ``seed_scale`` fills it with ``scale`` synthetic
practitioners (about 1.2 activity rows each; without ``--scale``, a small 20,000, about 24,000 activities;
``--scale 1000000`` is the national figure) in two steps, a tenth then the rest. The default connection is
pointed at it while the figures are measured, then pointed back, and the throwaway database is dropped, also
when a measure fails.

Figures (medians of ``REPEATS`` runs; a ratio compares timings taken in turn within the same loop):

- the search API, by specialty around a commune and by a common name, against the raw SQL it executes (the same
  statements, captured from the request and replayed with a cursor): the cost of Django, DRF and serialisation;
- the growth of the same API's cost with the data: its median with every practitioner seeded over its median
  with a tenth of them, both measured in the same run (a tenth seeded and measured, then the rest);
- the SQL queries of the search page and of a practitioner page when 10 and when 1,000 rows match or hang off
  the entry (added, then rolled back): they must not grow with the rows.
"""

import datetime
import statistics
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.roles import Role
from accounts.services import user_create
from core.benchmarks import at_most, benchmark_client_settings, captured_statements, figure, replay, seconds
from directory.benchmarks.databases import throwaway_database
from directory.models import (
    Absence,
    Activity,
    Audience,
    Commune,
    ContactChannel,
    DigitalTool,
    Practice,
    Practitioner,
    PractitionerTool,
    Profession,
    Specialty,
)
from directory.scale import COMMON_LAST_NAME, luhn_check_digit, seed_scale
from directory.selectors import specialties_matching
from directory.services import role_grant_create

DEFAULT_SCALE = 20_000
REPEATS = 7
REPEATS_SMALL = 3  # under SMALL_SCALE practitioners (the tests' runs), where each measure takes milliseconds
SMALL_SCALE = 5_000
BENCH_DATABASE_SUFFIX = "_bench_directory"
CENTRE_INSEE = "85191"  # La Roche-sur-Yon
RADIUS_KM = 30
SPECIALTY = "cardio"
FEW, MANY = 10, 1_000
QUERIES_TARGET = 12
GROWTH_TARGET = 1.5
SEARCHES = {
    "specialty_near": f"/api/v1/practitioners/?specialty={SPECIALTY}&commune={CENTRE_INSEE}&radius_km={RADIUS_KM}",
    "name": f"/api/v1/practitioners/?q={COMMON_LAST_NAME}",
}
# Entries the measures add (and roll back) take RPPS numbers starting with 7: seed_scale's start with 8.
_ADDED_RPPS_PREFIX = "7"


def _api_medians(client: Client, url: str, repeats: int) -> tuple[float, float, int] | None:
    """Median seconds of the API and of its own SQL replayed (timed in turn), and how many statements it runs;
    None when the API does not answer 200."""
    response = client.get(url)  # caches of the first request aside
    if response.status_code != 200:
        print(f"{url} : HTTP {response.status_code}, mesures de l'API omises.", file=sys.stderr)
        return None
    statements = captured_statements(lambda: client.get(url))
    api, raw = [], []
    for _ in range(repeats):
        api.append(seconds(lambda: client.get(url)))
        raw.append(seconds(lambda: replay(statements)))
    return statistics.median(api), statistics.median(raw), len(statements)


def _api_figures(name: str, measured: tuple[float, float, int] | None) -> Iterator[dict]:
    api_s, raw_s, statements = measured or (None, None, None)
    yield figure(f"search_api_{name}_ms", api_s and api_s * 1000, "ms (médiane)", None)
    yield figure(f"search_api_{name}_raw_sql_ms", raw_s and raw_s * 1000, "ms (médiane, mêmes requêtes rejouées)", None)
    yield figure(f"search_api_{name}_queries", statements, "requêtes SQL", at_most(QUERIES_TARGET))
    yield figure(f"search_api_{name}_over_raw_sql", api_s and api_s / raw_s, "ratio API / SQL brut", at_most(1.5))


# --- Rows added for the query counts, then rolled back -------------------------------------------------------


class _Rollback(Exception):
    pass


@contextmanager
def rolled_back() -> Iterator[None]:
    try:
        with transaction.atomic():
            yield
            raise _Rollback
    except _Rollback:
        pass


class UnusedRpps:
    """Valid RPPS numbers nobody has (the table is searched once for the highest of the prefix)."""

    def __init__(self):
        highest = (
            Practitioner.objects.filter(rpps__startswith=_ADDED_RPPS_PREFIX).order_by("-rpps").values_list("rpps")[:1]
        )
        self.next = int(highest[0][0][:10]) + 1 if highest else int(_ADDED_RPPS_PREFIX + "0" * 9)

    def __call__(self) -> str:
        body = str(self.next)
        self.next += 1
        return body + luhn_check_digit(body)


def _practice_near(centre: Commune, index: int) -> Practice:
    return Practice(
        name=f"Cabinet de mesure {index}",
        address=f"{index} rue de la Mesure",
        postal_code=centre.postal_codes[0] if centre.postal_codes else "",
        city=centre.name,
        commune=centre,
        latitude=centre.latitude + (index % 50) * 0.0004,
        longitude=centre.longitude - (index % 37) * 0.0004,
    )


def _cardio_practitioner_ids(centre: Commune, specialties: list[Specialty]) -> list[int]:
    """Practitioners the specialty search finds around the centre (their practice, or its town hall, in reach)."""
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(
            """
            SELECT DISTINCT link.practitioner_id
            FROM directory_practitioner_specialties link
            JOIN directory_activity activity ON activity.practitioner_id = link.practitioner_id
            JOIN directory_practice practice ON practice.id = activity.practice_id
            LEFT JOIN directory_commune commune ON commune.insee_code = practice.commune_id
            WHERE link.specialty_id = ANY(%s)
              AND earth_distance(
                    ll_to_earth(%s, %s),
                    ll_to_earth(COALESCE(practice.latitude, commune.latitude),
                                COALESCE(practice.longitude, commune.longitude))
                  ) <= %s
            ORDER BY 1
            """,
            [[specialty.pk for specialty in specialties], centre.latitude, centre.longitude, RADIUS_KM * 1000],
        )
        return [row[0] for row in cursor.fetchall()]


def _make_matching(count: int, centre: Commune, specialties: list[Specialty], rpps: UnusedRpps) -> int:
    """Leaves exactly ``count`` practitioners of the specialty around the centre: removes the specialty from the
    extra ones, or adds cardiologists at practices next to the town hall. Returns how many match."""
    found = _cardio_practitioner_ids(centre, specialties)
    if len(found) > count:
        Practitioner.specialties.through.objects.filter(
            practitioner_id__in=found[count:], specialty__in=specialties
        ).delete()
    missing = count - len(found)
    if missing > 0:
        practices = Practice.objects.bulk_create([_practice_near(centre, i) for i in range(max(1, missing // 3))])
        added = Practitioner.objects.bulk_create(
            [
                Practitioner(rpps=rpps(), first_name="Camille", last_name=f"Mesure{i:04d}", civility="Dr")
                for i in range(missing)
            ]
        )
        Practitioner.specialties.through.objects.bulk_create(
            [Practitioner.specialties.through(practitioner=p, specialty=specialties[0]) for p in added]
        )
        Activity.objects.bulk_create(
            [Activity(practitioner=p, practice=practices[i % len(practices)]) for i, p in enumerate(added)]
        )
        ContactChannel.objects.bulk_create(
            [
                ContactChannel(
                    practitioner=p,
                    audience=Audience.PROFESSIONALS,
                    kind=ContactChannel.Kind.PROFESSIONAL_LINE,
                    value=f"+3326191{i % 10_000:04d}",
                    hours="8h-9h en semaine",
                    preferred=True,
                )
                for i, p in enumerate(added)
            ]
        )
    return len(_cardio_practitioner_ids(centre, specialties))


def _entry_with_rows(rows: int, centre: Commune, rpps: UnusedRpps) -> Practitioner:
    """A practitioner with ``rows`` rows hanging off their page: practices (each with a public line), channels of
    their own, tools and coming absences, in proportions 3 : 4 : (at most 11) : the rest."""
    practice_count, channel_count = rows * 3 // 10, rows * 4 // 10
    tools = list(DigitalTool.objects.order_by("slug")[: max(1, min(11, rows // 100))])
    absence_count = rows - practice_count - channel_count - len(tools)
    entry = Practitioner.objects.create(
        rpps=rpps(), first_name="Dominique", last_name=f"Page{rows}", civility="Dr", answers_teleexpertise=True
    )
    entry.specialties.add(*Specialty.objects.filter(code__in=["SM04", "SM54"]))
    practices = Practice.objects.bulk_create([_practice_near(centre, i) for i in range(practice_count)])
    Activity.objects.bulk_create([Activity(practitioner=entry, practice=practice) for practice in practices])
    audiences = [Audience.PROFESSIONALS, Audience.PUBLIC, Audience.PHARMACISTS_AND_LABS, Audience.REGULATORS]
    own = channel_count - practice_count // 2
    ContactChannel.objects.bulk_create(
        [
            ContactChannel(
                practitioner=entry,
                audience=audiences[i % len(audiences)],
                kind=ContactChannel.Kind.PROFESSIONAL_LINE,
                value=f"+3326191{i % 10_000:04d}",
                hours="8h-9h en semaine",
                preferred=i < len(audiences),
            )
            for i in range(own)
        ]
        + [
            ContactChannel(
                practice=practice,
                audience=Audience.PUBLIC,
                kind=ContactChannel.Kind.SECRETARY,
                value=f"+3326192{i % 10_000:04d}",
                preferred=True,
            )
            for i, practice in enumerate(practices[: channel_count - own])
        ]
    )
    PractitionerTool.objects.bulk_create(
        [PractitionerTool(practitioner=entry, tool=tool, uses=["referrals"]) for tool in tools]
    )
    today = timezone.localdate()
    Absence.objects.bulk_create(
        [
            Absence(
                practitioner=entry,
                starts_on=today + datetime.timedelta(days=2 * i),
                ends_on=today + datetime.timedelta(days=2 * i + 1),
            )
            for i in range(absence_count)
        ]
    )
    return entry


def _page_queries(client: Client, url: str) -> tuple[int, int]:
    client.get(url)  # caches of the first request (translations, content types) aside
    with CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as captured:
        status = client.get(url).status_code
    return status, len(captured.captured_queries)


def _query_count_figures(client: Client) -> Iterator[dict]:
    centre = Commune.objects.get(insee_code=CENTRE_INSEE)
    specialties = specialties_matching(SPECIALTY)
    rpps = UnusedRpps()
    url = f"/annuaire/?q={SPECIALTY}&place={CENTRE_INSEE}&radius_km={RADIUS_KM}"
    counts = {}
    with rolled_back():
        for rows in (FEW, MANY):
            matching = _make_matching(rows, centre, specialties, rpps)
            status, counts[rows] = _page_queries(client, url)
            if status != 200 or matching != rows:
                print(f"{url} : HTTP {status}, {matching} résultats au lieu de {rows}.", file=sys.stderr)
                counts[rows] = None
    for rows in (FEW, MANY):
        yield figure(f"search_page_queries_{rows}_rows", counts[rows], "requêtes SQL", at_most(QUERIES_TARGET))

    counts = {}
    with rolled_back():
        for rows in (FEW, MANY):
            entry = _entry_with_rows(rows, centre, rpps)
            status, counts[rows] = _page_queries(client, f"/annuaire/{entry.public_id}/")
            if status != 200:
                print(f"/annuaire/<uuid>/ : HTTP {status}, mesure omise.", file=sys.stderr)
                counts[rows] = None
    for rows in (FEW, MANY):
        yield figure(f"practitioner_page_queries_{rows}_rows", counts[rows], "requêtes SQL", at_most(QUERIES_TARGET))


# --- The run -------------------------------------------------------------------------------------------------


def _signed_in_professional() -> Client:
    """A GP of the benchmark database, signed in, second factor enrolled (as production requires)."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    user = user_create(
        email=f"mesure-{uuid.uuid4().hex[:8]}@cpts.test",
        password=None,
        first_name="Mesure",
        last_name="Généraliste",
        email_verified=True,
    )
    body = _ADDED_RPPS_PREFIX + "0" * 9  # the first of the prefix: UnusedRpps continues after it
    entry = Practitioner.objects.create(
        rpps=body + luhn_check_digit(body),
        first_name="Mesure",
        last_name="Généraliste",
        profession=Profession.objects.filter(code="10").first(),
    )
    role_grant_create(user=user, role=Role.PROFESSIONAL, practitioner=entry)
    TOTP.activate(user, generate_totp_secret())
    client = Client()
    client.force_login(user)
    return client


def run(scale: int | None = None) -> Iterator[dict]:
    # The first line says at which scale the figures are taken: without --scale, a small one.
    if scale is None:
        scale = DEFAULT_SCALE
        unit = (
            "professionnels : échelle réduite par défaut (environ 24 000 activités) ; "
            "--scale 1000000 pour le chiffre national (environ 1,2 million d'activités)"
        )
    else:
        unit = "professionnels (--scale)"
    yield figure("directory_scale_practitioners", scale, unit, None)
    repeats = REPEATS_SMALL if scale < SMALL_SCALE else REPEATS
    client_settings = benchmark_client_settings()
    with throwaway_database(BENCH_DATABASE_SUFFIX), client_settings:
        # A tenth of the directory first, measured; then the other nine tenths (another seed: new RPPS numbers,
        # the same national mix), measured again in the same run: the growth figures compare the two.
        tenth = max(1, scale // 10)
        first = seed_scale(practitioners=tenth, seed=1)
        client = _signed_in_professional()
        at_tenth = {name: _api_medians(client, url, repeats) for name, url in SEARCHES.items()}
        tenth_activities = Activity.objects.count()
        rest = seed_scale(practitioners=scale - tenth, seed=2) if scale > tenth else None
        seeded = first.practitioners + (rest.practitioners if rest else 0)
        seconds_seeding = first.seconds + (rest.seconds if rest else 0)
        yield figure("directory_scale_activity_rows", Activity.objects.count(), "lignes d'activité", None)
        yield figure("directory_scale_tenth_activity_rows", tenth_activities, "lignes d'activité (un dixième)", None)
        yield figure("directory_seed_scale_rate", seeded / seconds_seeding, "professionnels/s (COPY)", None)
        for name, url in SEARCHES.items():
            measured = _api_medians(client, url, repeats)
            yield from _api_figures(name, measured)
            growth = measured[0] / at_tenth[name][0] if measured and at_tenth[name] else None
            yield figure(
                f"search_growth_{name}",
                growth,
                "ratio médiane API à l'échelle / médiane à un dixième (même exécution)",
                at_most(GROWTH_TARGET),
            )
        yield from _query_count_figures(client)

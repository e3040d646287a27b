"""How fast the national RPPS import runs against a bare COPY of the same file, and how much memory it takes.

The configured database is never written: each scenario runs in a throwaway database (``<name>_bench_import``,
created, migrated, dropped at the end, also when a measure fails), and the import runs as the coordinator runs
it, ``manage.py import_rpps`` in a child process pointed at that database, so that its peak memory is its own:
``getrusage(RUSAGE_CHILDREN).ru_maxrss`` read by a small launcher process (see ``_PEAK_MEMORY_OF``).

Files are written by ``directory.rpps_synthetic`` (national mix, communes weighted by population): ``scale``
lines (1,000,000 by default) and a small one (100,000 lines, or a tenth of ``scale`` when smaller).

The baseline is a bare ``COPY`` of the same file into an UNLOGGED table of 57 text columns, in the same database,
median of ``REPEATS``. The import's time is the one its report gives (``seconds.total``: read, checks, COPY,
every SQL statement and the commit; not the child's Python start-up). Scenarios:

- the CPTS's own use: the national file imported with ``--territory`` (the communes of one department): the first
  import, then repeated runs of the same file (median) once the database has settled;
- the whole national file into an empty directory (one run: every row is created, every index and foreign key
  written), then, once the database has settled (``VACUUM (ANALYZE)``, as autovacuum would between two
  monthly imports), the same file again (median): the monthly refresh of a national directory;
- peak memory of the import process for the large and the small file: it must not grow with the file.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from psycopg import sql

from core.benchmarks import at_most, figure
from directory.benchmarks import databases
from directory.benchmarks.databases import throwaway_database
from directory.models import Commune, Territory
from directory.rpps_import import COLUMNS
from directory.rpps_synthetic import write_extract

DEFAULT_LINES = 1_000_000
SMALL_LINES = 100_000
REPEATS = 3
BENCH_DATABASE_SUFFIX = "_bench_import"
TERRITORY_SLUG = "bench-territoire"
TERRITORY_DEPARTMENT = "85"  # Vendée: about 1 % of the national lines, a large CPTS
RATIO_TARGET = 3
MEMORY_TARGET_MB = 300
# "About the same peak" for the large and the small file: the large one may take at most 10 % more.
MEMORY_GROWTH_TARGET = 1.1


def _bare_copy_seconds(path: Path) -> float:
    """COPY of the whole file, as it is, into an UNLOGGED table of text columns: the floor of any import."""
    columns = sql.SQL(", ").join(sql.SQL("{} text").format(sql.Identifier(f"c{n}")) for n in range(len(COLUMNS) + 1))
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_rpps_copy")
        cursor.execute(sql.SQL("CREATE UNLOGGED TABLE bench_rpps_copy ({})").format(columns).as_string(cursor.cursor))
        started = time.perf_counter()
        with (
            path.open("rb") as file,
            cursor.copy(
                "COPY bench_rpps_copy FROM STDIN WITH (FORMAT csv, DELIMITER '|', HEADER true, QUOTE e'\\x01')"
            ) as copy,
        ):
            while block := file.read(1 << 20):
                copy.write(block)
        seconds = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_rpps_copy")
    return seconds


# Runs a command and prints its peak memory (KiB), read with getrusage(RUSAGE_CHILDREN). It runs in a small
# process of its own: on Linux a child's ru_maxrss starts from the RSS of the process it was forked from (kept
# across exec), so a child forked straight from this benchmark would report this benchmark's memory.
_PEAK_MEMORY_OF = (
    "import resource, subprocess, sys; "
    "done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
    "sys.exit(done.returncode)"
)


def _import(path: Path, database_url: str, work: Path, *, territory: str | None = None) -> tuple[float, float, dict]:
    """Runs ``manage.py import_rpps`` in a child process; returns (seconds, peak RSS in MB, report)."""
    report_path = work / "report.json"
    command = [sys.executable, str(settings.BASE_DIR / "manage.py"), "import_rpps", str(path)]
    command += ["--report", str(report_path)]
    if territory:
        command += ["--territory", territory]
    done = subprocess.run(
        [sys.executable, "-c", _PEAK_MEMORY_OF, *command],
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"import_rpps failed ({done.returncode}): {done.stderr[-2000:]}")
    report = json.loads(report_path.read_text(encoding="utf-8"))
    peak_kib = int(done.stdout.split()[-1])  # ru_maxrss is in KiB on Linux
    return report["seconds"]["total"], peak_kib / 1024, report


def _territory_of_department(department: str) -> None:
    territory = Territory.objects.create(name="Territoire de mesure", slug=TERRITORY_SLUG)
    territory.communes.set(Commune.objects.filter(department=department))


def _settle() -> None:
    """What autovacuum does in the weeks between two imports (visibility map, hint bits, statistics): a refresh
    is measured on a database at rest, not on one still digesting a million fresh rows."""
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")


def run(scale: int | None = None) -> Iterator[dict]:
    lines = scale or DEFAULT_LINES
    small_lines = SMALL_LINES if lines > SMALL_LINES else max(lines // 10, 100)
    with tempfile.TemporaryDirectory(prefix="rpps-bench-") as directory:
        work = Path(directory)
        large, small = work / "large.txt", work / "small.txt"
        write_extract(large, lines=lines, seed=11)
        write_extract(small, lines=small_lines, seed=12)
        peaks = []

        # The CPTS's use: its territory out of the national file.
        with throwaway_database(BENCH_DATABASE_SUFFIX) as name:
            database_url = databases.database_url(connections[DEFAULT_DB_ALIAS].settings_dict, name)
            copy_seconds = statistics.median(_bare_copy_seconds(large) for _ in range(REPEATS))
            _territory_of_department(TERRITORY_DEPARTMENT)
            first, peak, report = _import(large, database_url, work, territory=TERRITORY_SLUG)
            peaks.append(peak)
            _settle()
            reruns = []
            for _ in range(REPEATS):
                seconds, peak, _report = _import(large, database_url, work, territory=TERRITORY_SLUG)
                reruns.append(seconds)
                peaks.append(peak)
        yield figure("rpps_bare_copy_seconds", copy_seconds, "s", None)
        yield figure("rpps_import_territory_first_vs_copy", first / copy_seconds, "ratio", at_most(RATIO_TARGET))
        yield figure(
            "rpps_import_territory_vs_copy", statistics.median(reruns) / copy_seconds, "ratio", at_most(RATIO_TARGET)
        )
        yield figure("rpps_import_territory_lines", report["imported_lines"], "lines", None)

        # The whole country, into an empty directory, then the same file again.
        with throwaway_database(BENCH_DATABASE_SUFFIX) as name:
            database_url = databases.database_url(connections[DEFAULT_DB_ALIAS].settings_dict, name)
            copy_seconds = statistics.median(_bare_copy_seconds(large) for _ in range(REPEATS))
            first, peak, _report = _import(large, database_url, work)
            peaks.append(peak)
            _settle()
            reruns = []
            for _ in range(REPEATS):
                seconds, peak, _report = _import(large, database_url, work)
                reruns.append(seconds)
                peaks.append(peak)
        yield figure("rpps_import_national_first_load_vs_copy", first / copy_seconds, "ratio", at_most(RATIO_TARGET))
        yield figure(
            "rpps_import_national_rerun_vs_copy",
            statistics.median(reruns) / copy_seconds,
            "ratio",
            at_most(RATIO_TARGET),
        )

        # Memory: the large file against the small one, each a first national load.
        with throwaway_database(BENCH_DATABASE_SUFFIX) as name:
            database_url = databases.database_url(connections[DEFAULT_DB_ALIAS].settings_dict, name)
            _seconds, small_peak, _report = _import(small, database_url, work)
        large_peak = max(peaks)
        yield figure("rpps_import_peak_memory", large_peak, "MB", at_most(MEMORY_TARGET_MB))
        yield figure("rpps_import_peak_memory_small_file", small_peak, "MB", at_most(MEMORY_TARGET_MB))
        yield figure("rpps_import_peak_memory_growth", large_peak / small_peak, "ratio", at_most(MEMORY_GROWTH_TARGET))

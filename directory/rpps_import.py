"""The national import: the Annuaire Santé extract "PS_LibreAcces_Personne_activite" into the directory.

``rpps_extract_import`` reads the file once, as a stream (block by block, about a megabyte at a time, never the
whole file), checks each line in Python (56 columns and the trailing ``|``, the RPPS Luhn key or the ADELI
format, the territory's communes) and feeds the lines it keeps, whole, to PostgreSQL's ``COPY`` into a temporary
staging table. Everything after that is set-based SQL over the staging table, a few dozen statements whatever
the file's size: persons, specialties, practices, activities, the structures' phone numbers, arrivals and
departures, revisions (``EntryRevision`` rows, INSERT … SELECT). The process's memory stays that of one block
(libpq's send buffer is flushed after each one); the file's size only shows in the database. The report's
``seconds`` says where the time went.

A first load into an empty directory (no practitioner, practice or activity yet) writes its rows with the
secondary indexes and foreign keys of the tables it fills set aside, then builds each index once (a sort) and
checks each foreign key once (a join): maintaining them row by row made the first national load some 30 times
a bare ``COPY`` of the file. Primary keys and unique constraints stay in place throughout. The tables are locked
for the transaction, which no reader of an empty directory notices.

One transaction: a wrong file (other columns, binary, not UTF-8), or one with no valid line, stops with a
French message and changes nothing; otherwise every line is either imported or listed as rejected with its
line number (the header is line 1, as an editor counts) and the reason.

What the import owns and what it leaves alone:
- a practitioner is found by RPPS (type 8) or ADELI (type 0) number; name, civility and profession are the
  national truth and are updated (an unknown profession code leaves the current profession, or none);
  specialties of the file are added (unknown savoir-faire codes are skipped and counted), specialties entered
  by hand are kept (the link table does not say where a specialty came from, so the import never removes one);
  the territory is filled when empty, never changed; channels, tools, languages, tags, notes, absences,
  claims and the account link are never touched;
- a practice is found by the structure's technical id (column 24); imported practices follow the file (name,
  address, commune, SIRET, FINESS; the commune's town hall as position when the practice has none, or when
  it moved and still sat at its old commune's town hall); practices created by hand are never changed;
- activities the import created and that the file no longer has are removed (with ``territory``, only those
  at practices in its communes); activities entered by hand are never removed;
- each imported practice gets one public phone channel (``source=RPPS_IMPORT``) from column 41, normalised
  to E.164 in SQL, updated or removed with the file; hand-made channels are never touched.

Arrivals and departures: a person is in a territory while they have an activity (any origin) at a practice of
that territory (one of its communes, or the practice's territory). A person in after the import and not
before arrives; one in before and not after departs. The very first import into a territory that had no
imported activity produces no arrivals (it would announce every professional of the territory as new): the
report says ``"initial_load": true`` and lists those territories under ``initial_load_territories``.

``rpps_seen_at`` is the day the national file last listed the person: set at creation, and refreshed at most
once a day, so a second run of the same file writes nothing at all.
"""

import contextlib
import logging
import re
import select
import sys
import time
import unicodedata
from collections.abc import Iterator
from datetime import datetime
from datetime import time as day_time
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from directory.models import (
    Activity,
    Audience,
    ChangeEvent,
    Commune,
    ContactChannel,
    EntryRevision,
    Practice,
    Practitioner,
    Profession,
    Source,
    Specialty,
    Territory,
)

logger = logging.getLogger(__name__)

ACTOR_LABEL = "Import national RPPS"

# The 56 columns of the extract, in order; every line, header included, ends with "|" (a 57th, empty field).
COLUMNS = (
    "Type d'identifiant PP",
    "Identifiant PP",
    "Identification nationale PP",
    "Code civilité d'exercice",
    "Libellé civilité d'exercice",
    "Code civilité",
    "Libellé civilité",
    "Nom d'exercice",
    "Prénom d'exercice",
    "Code profession",
    "Libellé profession",
    "Code catégorie professionnelle",
    "Libellé catégorie professionnelle",
    "Code type savoir-faire",
    "Libellé type savoir-faire",
    "Code savoir-faire",
    "Libellé savoir-faire",
    "Code mode exercice",
    "Libellé mode exercice",
    "Numéro SIRET site",
    "Numéro SIREN site",
    "Numéro FINESS site",
    "Numéro FINESS établissement juridique",
    "Identifiant technique de la structure",
    "Raison sociale site",
    "Enseigne commerciale site",
    "Complément destinataire (coord. structure)",
    "Complément point géographique (coord. structure)",
    "Numéro Voie (coord. structure)",
    "Indice répétition voie (coord. structure)",
    "Code type de voie (coord. structure)",
    "Libellé type de voie (coord. structure)",
    "Libellé Voie (coord. structure)",
    "Mention distribution (coord. structure)",
    "Bureau cedex (coord. structure)",
    "Code postal (coord. structure)",
    "Code commune (coord. structure)",
    "Libellé commune (coord. structure)",
    "Code pays (coord. structure)",
    "Libellé pays (coord. structure)",
    "Téléphone (coord. structure)",
    "Téléphone 2 (coord. structure)",
    "Télécopie (coord. structure)",
    "Adresse e-mail (coord. structure)",
    "Code Département (structure)",
    "Libellé Département (structure)",
    "Ancien identifiant de la structure",
    "Autorité d'enregistrement",
    "Code secteur d'activité",
    "Libellé secteur d'activité",
    "Code section tableau pharmaciens",
    "Libellé section tableau pharmaciens",
    "Code rôle",
    "Libellé rôle",
    "Code genre activité",
    "Libellé genre activité",
)
_SEPARATORS_PER_LINE = len(COLUMNS)  # 55 between the 56 fields, and the trailing one
_COMMUNE_FIELD = 36  # "Code commune (coord. structure)", 0-based

# The staging table takes each line whole (COPY parses it, as fast as a bare COPY of the file): its line number,
# then columns c1 to c57 (c57, after the trailing "|", is always empty). The view ``rpps_line`` names the ones
# the import reads, by their number in the list of columns.
_LINE_VIEW_COLUMNS = {
    "id_type": "c1",  # 8 RPPS, 0 ADELI
    "identifier": "c2",
    "key": "c1 || c2",  # the type then the identifier: one person
    "civility": "c5",  # Libellé civilité d'exercice ("Docteur"), empty for most non-physicians
    "last_name": "c8",
    "first_name": "c9",
    "profession": "c10",
    "savoir_faire": "c16",
    "siret": "c20",
    "finess": "c22",
    "structure_id": "left(c24, 50)",
    "legal_name": "c25",
    "trade_name": "c26",
    "geo_complement": "c28",
    "street_number": "c29",
    "street_index": "c30",
    "street_type": "c32",
    "street_name": "c33",
    "postal_code": "c36",
    "commune_code": "c37",
    "commune_name": "c38",
    "phone": "c41",
    "department": "c45",
}

# Beyond this many rejected lines the file is not the expected extract: stop rather than list a million errors.
MAX_REJECTED = 10_000
# A line of the extract takes under 2 KiB; a "line" this long is a file without line breaks (binary, other format).
MAX_LINE_BYTES = 64 * 1024

_ADELI = re.compile(rb"\d[\dAB]\d{7}")
# Value of a doubled digit in the Luhn sum, by the digit's byte ("0" is 48): 2 -> 4, 7 -> 14 -> 5.
_DOUBLED = tuple(
    (2 * (byte - 48) if byte < 53 else 2 * (byte - 48) - 9) if 48 <= byte <= 57 else 0 for byte in range(256)
)


def _rpps_key_is_valid(identifier: bytes) -> bool:
    """Luhn over the 11 digits of "Identifiant PP" (the check of ``identifiers.rpps_is_valid``, on bytes for the
    hot loop): from the right, the check digit is kept and every second digit doubled."""
    if len(identifier) != 11 or not identifier.isdigit():
        return False
    kept = sum(identifier[0::2]) - 6 * 48
    doubled = sum(map(_DOUBLED.__getitem__, identifier[1::2]))
    return (kept + doubled) % 10 == 0


def _normalised_column(name: str) -> str:
    """Header names compared without accents, case, typographic apostrophes or repeated spaces."""
    name = name.replace("\u2019", "'").replace("\ufeff", "")
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return " ".join(ascii_name.lower().split())


_EXPECTED_HEADER = [_normalised_column(name) for name in COLUMNS]


def _wrong_file(reason: str) -> ApplicationError:
    return ApplicationError(
        _(
            "Ce fichier n'est pas l'extraction « PS_LibreAcces_Personne_activite » de l'Annuaire Santé attendue : "
            "%(reason)s Rien n'a été importé."
        )
        % {"reason": reason},
        field="file",
    )


def _check_header(header: str) -> None:
    fields = header.split("|")
    if fields and fields[-1] == "":
        fields = fields[:-1]
    names = [_normalised_column(field) for field in fields]
    if len(names) != len(COLUMNS):
        raise _wrong_file(
            _("son en-tête a %(count)d colonnes au lieu de %(expected)d.")
            % {"count": len(names), "expected": len(COLUMNS)}
        )
    for number, (name, expected, label) in enumerate(zip(names, _EXPECTED_HEADER, COLUMNS, strict=True), start=1):
        if name != expected:
            raise _wrong_file(
                _("la colonne %(number)d s'appelle « %(found)s » au lieu de « %(expected)s ».")
                % {"number": number, "found": fields[number - 1][:80], "expected": label}
            )


class _ExtractReader:
    """Reads the extract block by block, checks each line and yields what the staging table receives.

    Works on bytes: a block of about a megabyte is checked at once for NUL bytes and UTF-8, then cut into lines;
    a line kept goes to COPY as it is, behind its line number. Counts and rejections accumulate on the instance;
    nothing else outlives its block.
    """

    BLOCK_SIZE = 1 << 20

    def __init__(self, raw_file, *, communes: frozenset[str] | None, progress) -> None:
        self.raw_file = raw_file
        self.communes = None if communes is None else frozenset(code.encode() for code in communes)
        self.progress = progress
        self.lines = 0
        self.accepted = 0
        self.outside_territory = 0
        self.rejected: list[dict] = []
        self._last_valid_rpps = b""

    def _reject(self, number: int, reason: str) -> None:
        self.rejected.append({"line": number, "reason": reason})
        if len(self.rejected) > MAX_REJECTED:
            first = "; ".join(f"ligne {item['line']} : {item['reason']}" for item in self.rejected[:3])
            raise _wrong_file(
                _("plus de %(max)d lignes sont rejetées (%(first)s…).") % {"max": MAX_REJECTED, "first": first}
            )

    def _blocks(self) -> Iterator[tuple[int, bytes]]:
        """(number of the block's first line, complete lines ending with "\n"), checked for NUL and UTF-8."""
        number = 2  # the header is line 1
        carry = b""
        while True:
            block = self.raw_file.read(self.BLOCK_SIZE)
            if self.progress is not None:
                self.progress.update(len(block))
            data = carry + block if carry else block
            if block:
                cut = data.rfind(b"\n") + 1
                if cut == 0:
                    if len(data) > MAX_LINE_BYTES:
                        raise _wrong_file(
                            _("la ligne %(number)d dépasse %(size)d Kio.")
                            % {"number": number, "size": MAX_LINE_BYTES // 1024}
                        )
                    carry = data
                    continue
                data, carry = data[:cut], data[cut:]
            elif not data:
                return
            elif not data.endswith(b"\n"):
                data += b"\n"  # the last line, without its end of line
            if b"\r" in data:
                # CRLF ends, and a lone CR, which editors count as a line break too.
                data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
            nul = data.find(b"\x00")
            if nul >= 0:
                raise _wrong_file(
                    _("la ligne %(number)d contient des octets nuls (fichier binaire ?).")
                    % {"number": number + data.count(b"\n", 0, nul)}
                )
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as error:
                raise _wrong_file(
                    _("la ligne %(number)d n'est pas en UTF-8 (l'extraction est en UTF-8).")
                    % {"number": number + data.count(b"\n", 0, error.start)}
                ) from None
            yield number, data
            number += data.count(b"\n")
            if not block:
                return

    def _check(self, number: int, line: bytes) -> bool:
        """Whether the line is well formed; rejects it (with the reason) when not."""
        if line.count(b"|") != _SEPARATORS_PER_LINE or not line.endswith(b"|"):
            count = line.count(b"|") + (0 if line.endswith(b"|") else 1)
            if not line.strip():
                reason = _("ligne vide")
            elif count == len(COLUMNS) and not line.endswith(b"|"):
                reason = _("la ligne ne se termine pas par « | »")
            else:
                reason = _("%(count)d colonnes au lieu de %(expected)d") % {"count": count, "expected": len(COLUMNS)}
            self._reject(number, reason)
            return False
        if b"\x01" in line:  # COPY's quote character (CSV mode): never in a text extract
            self._reject(number, _("caractère de contrôle inattendu"))
            return False
        id_type, identifier, _rest = line.split(b"|", 2)
        if id_type == b"8":
            if identifier == self._last_valid_rpps or _rpps_key_is_valid(identifier):
                self._last_valid_rpps = identifier
                return True
            reason = _("numéro RPPS invalide (11 chiffres dont une clé de contrôle) : « %(value)s »")
        elif id_type == b"0":
            if _ADELI.fullmatch(identifier):
                return True
            reason = _("numéro ADELI invalide (9 caractères) : « %(value)s »")
        else:
            identifier = id_type
            reason = _("type d'identifiant inconnu : « %(value)s » (8 pour RPPS, 0 pour ADELI)")
        self._reject(number, reason % {"value": identifier[:20].decode()})
        return False

    def staged_chunks(self) -> Iterator[bytes]:
        """COPY data (CSV, "|"-separated, the line number first) of the lines kept, a block at a time."""
        communes = self.communes
        for number, data in self._blocks():
            lines = data.split(b"\n")
            lines.pop()  # after the last "\n"
            self.lines += len(lines)
            kept = []
            for offset, line in enumerate(lines):
                if not self._check(number + offset, line):
                    continue
                self.accepted += 1
                if communes is not None and line.split(b"|", _COMMUNE_FIELD + 1)[_COMMUNE_FIELD] not in communes:
                    self.outside_territory += 1
                    continue
                kept.append(b"%d|%b\n" % (number + offset, line))
            if kept:
                yield b"".join(kept)


_TABLE_NAME = re.compile(r"\{(\w+)\}")


def _tables() -> dict[str, str]:
    specialty_link = Practitioner.specialties.through._meta
    commune_link = Territory.communes.through._meta
    return {
        "practitioner": Practitioner._meta.db_table,
        "practice": Practice._meta.db_table,
        "activity": Activity._meta.db_table,
        "profession": Profession._meta.db_table,
        "specialty": Specialty._meta.db_table,
        "practitioner_specialty": specialty_link.db_table,
        "territory": Territory._meta.db_table,
        "territory_commune": commune_link.db_table,
        "commune": Commune._meta.db_table,
        "channel": ContactChannel._meta.db_table,
        "event": ChangeEvent._meta.db_table,
        "revision": EntryRevision._meta.db_table,
    }


# Country calling code of French numbers by department: overseas departments dial their own (a Réunion number
# 0262 12 34 56 is +262 262 12 34 56); everything else is +33.
_PHONE_SQL = """
    CASE
        WHEN {digits} IS NULL THEN NULL
        WHEN length({digits}) = 10 AND left({digits}, 1) = '0' AND substr({digits}, 2, 1) <> '0'
             AND translate({digits}, '0123456789', '') = '' THEN
            '+' || CASE left({department}, 3)
                WHEN '971' THEN '590' WHEN '977' THEN '590' WHEN '978' THEN '590'
                WHEN '972' THEN '596' WHEN '973' THEN '594'
                WHEN '974' THEN '262' WHEN '976' THEN '262' WHEN '975' THEN '508'
                ELSE '33' END || substr({digits}, 2)
        WHEN {digits} ~ '^(\\+|00)(33|262|590|594|596|508)[1-9][0-9]{{8}}$' THEN
            '+' || regexp_replace({digits}, '^(\\+|00)', '')
    END
"""


def _phone_e164_sql(column: str, department: str) -> str:
    """SQL for the E.164 form of the number in ``column`` (without separators; 10 digits, or already
    international), else NULL.

    Written without regular expressions on the common path: it runs once per structure of the file."""
    return _PHONE_SQL.format(digits=column, department=department)


def rpps_extract_import(*, path: str | Path, territory: Territory | None = None, progress: bool = False) -> dict:
    """Imports the extract at ``path`` (in ``territory``'s communes only, when given); returns the report.

    Raises ``ApplicationError`` (French message, nothing changed) for a file that is not the extract.
    """
    path = Path(path)
    communes = None
    if territory is not None:
        communes = frozenset(territory.communes.values_list("insee_code", flat=True))
        if not communes:
            raise ApplicationError(
                _("Le territoire « %(name)s » n'a aucune commune : rien ne peut y être importé.")
                % {"name": territory.name},
                field="territory",
            )
    try:
        raw_file = path.open("rb")
    except OSError as error:
        raise ApplicationError(
            _("Impossible de lire le fichier « %(path)s » : %(error)s.") % {"path": path, "error": error.strerror},
            field="file",
        ) from None
    started = time.perf_counter()
    with raw_file, _progress_bar(path, enabled=progress) as bar:
        _read_header(raw_file)
        reader = _ExtractReader(raw_file, communes=communes, progress=bar)
        with transaction.atomic(), connection.cursor() as cursor:
            report = _Import(cursor, territory=territory).run(reader)
    report["seconds"]["total"] = round(time.perf_counter() - started, 2)  # the commit included
    return report


@contextlib.contextmanager
def _progress_bar(path: Path, *, enabled: bool):
    if not enabled:
        yield None
        return
    from tqdm import tqdm

    with tqdm(
        total=path.stat().st_size,
        unit="o",
        unit_scale=True,
        unit_divisor=1024,
        desc=_("Lecture de l'extraction"),
        file=sys.stderr,
        leave=False,
    ) as bar:
        yield bar


def _read_header(raw_file) -> None:
    start = raw_file.peek(4)[:4]
    if start.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _wrong_file(_("il est encodé en UTF-16 et non en UTF-8."))
    header = raw_file.readline(MAX_LINE_BYTES)
    if not header:
        raise _wrong_file(_("le fichier est vide."))
    if len(header) == MAX_LINE_BYTES and not header.endswith(b"\n"):
        raise _wrong_file(_("sa première ligne dépasse %(size)d Kio.") % {"size": MAX_LINE_BYTES // 1024})
    if b"\x00" in header:
        raise _wrong_file(_("il contient des octets nuls (fichier binaire ?)."))
    try:
        text = header.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _wrong_file(_("son en-tête n'est pas du texte UTF-8 (fichier binaire ?).")) from None
    _check_header(text.rstrip("\r\n"))


def _drain(pgconn) -> None:
    """Waits until libpq has sent what it queued. On Linux psycopg queues COPY data without flushing, and libpq
    then grows its output buffer for as long as the server reads slower than we write: the client's memory would
    grow with the file. Flushing after each block keeps it to about one block."""
    while pgconn.flush() == 1:
        select.select([], [pgconn.socket], [])


class _Import:
    """The set-based part: one instance per run, on the cursor of the import's transaction.

    Temporary tables, all dropped at the end: ``rpps_staging`` (the lines, whole) and its view ``rpps_line``;
    ``rpps_person`` (one row per person of the file, with the entry's id, new or found); ``rpps_site`` (one per
    structure, with the practice's id); ``rpps_pair`` (who works where); ``rpps_added_specialty``;
    ``rpps_changed`` (entries found whose national data or "seen" day change); ``rpps_presence_before/after``.
    New entries get their ids from the tables' own sequences while the person and site tables are built, so
    nothing has to be joined back after the inserts.
    """

    def __init__(self, cursor, *, territory: Territory | None) -> None:
        self.cursor = cursor
        self.territory = territory
        self.now = timezone.now()
        self.today = timezone.localdate(self.now)
        today_start = timezone.make_aware(datetime.combine(self.today, day_time.min))
        self.params = {
            "now": self.now,
            "today": self.today,
            "today_start": today_start,
            "territory": territory.pk if territory else None,
            "actor_label": ACTOR_LABEL,
            "imported": Source.RPPS_IMPORT.value,
            "imported_action": EntryRevision.Action.IMPORTED.value,
            "arrival": ChangeEvent.Kind.ARRIVAL.value,
            "departure": ChangeEvent.Kind.DEPARTURE.value,
            "new_practice": ChangeEvent.Kind.NEW_PRACTICE.value,
            "public": Audience.PUBLIC.value,
            "phone": ContactChannel.Kind.PHONE.value,
        }
        self.tables = _tables()
        self.seconds: dict[str, float] = {}
        self.temp_tables: list[str] = []

    def sql(self, statement: str, params: dict | None = None) -> int:
        """Runs ``statement`` with ``{table}`` names of the models filled in; returns the row count."""
        statement = _TABLE_NAME.sub(lambda match: self.tables.get(match[1], match[0]), statement)
        started = time.perf_counter()
        self.cursor.execute(statement, {**self.params, **(params or {})})
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%.2f s, %d rows: %s", time.perf_counter() - started, self.cursor.rowcount, statement[:300])
        return self.cursor.rowcount

    def value(self, statement: str, params: dict | None = None):
        self.sql(statement, params)
        row = self.cursor.fetchone()
        return row[0] if row else None

    def rows(self, statement: str) -> list[tuple]:
        self.sql(statement)
        return self.cursor.fetchall()

    @contextlib.contextmanager
    def timed(self, phase: str):
        """Wall-clock seconds per phase, in the report: where a slow import spends its time."""
        started = time.perf_counter()
        yield
        self.seconds[phase] = round(time.perf_counter() - started, 2)

    def temp_table(self, name: str, query: str | None = None, *, columns: str = "") -> None:
        """A temporary table from ``query`` (analysed, for the planner), or empty with ``columns``."""
        self.sql(f"DROP TABLE IF EXISTS {name}")
        if query is None:
            self.sql(f"CREATE TEMP TABLE {name} ({columns}) ON COMMIT DROP")
        else:
            self.sql(f"CREATE TEMP TABLE {name} ON COMMIT DROP AS {query}")
            self.sql(f"ANALYZE {name}")
        self.temp_tables.append(name)

    # --- the run -----------------------------------------------------------------------------------------------

    def run(self, reader: _ExtractReader) -> dict:
        # One import at a time: a second one waits for the first to commit.
        self.sql("SELECT pg_advisory_xact_lock(hashtext('directory.rpps_import'))")
        # Room for the sorts and hash joins of a national file, in memory (this transaction only); no JIT, whose
        # compilation costs more than it saves on these one-off statements.
        self.sql("SET LOCAL work_mem = '256MB'")
        self.sql("SET LOCAL jit = off")
        # The temporary tables are analysed for their sizes and rough distributions: a small sample is enough.
        self.sql("SET LOCAL default_statistics_target = 10")
        with self.timed("read_and_copy"):
            self.stage(reader)
        if reader.accepted == 0:
            raise _wrong_file(_("aucune ligne d'activité valide."))
        # Into an empty directory, the secondary indexes and foreign keys of the tables written are set aside and
        # built once at the end (a sort per index, one join per key) rather than maintained row by row.
        deferred = self.set_aside_indexes() if self.directory_is_empty() else None
        report = {
            "lines": reader.lines,
            "created": 0,
            "updated": 0,
            "unchanged": 0,
            "rejected": reader.rejected,
            "arrivals": 0,
            "departures": 0,
            "territory": self.territory.slug if self.territory else None,
            "imported_lines": reader.accepted - reader.outside_territory,
            "outside_territory": reader.outside_territory,
        }
        with self.timed("presence"):
            self.presence("rpps_presence_before")
            had_imported = self.had_imported()
        with self.timed("persons"):
            report.update(self.persons())
        with self.timed("practices"):
            report.update(self.practices())
        with self.timed("activities"):
            report.update(self.activities(had_imported=had_imported))
        with self.timed("channels"):
            report.update(self.channels())
        with self.timed("events"):
            self.presence("rpps_presence_after")
            report.update(self.events(had_imported=had_imported))
        with self.timed("revisions"):
            report.update(self.revisions())
        with self.timed("statistics"):
            report.update(self.line_statistics())
        if deferred is not None:
            with self.timed("indexes"):
                self.rebuild_indexes(deferred)
        self.sql("DROP VIEW rpps_line")
        for name in reversed(self.temp_tables):
            self.sql(f"DROP TABLE {name}")
        report["seconds"] = self.seconds
        return report

    # Tables the import writes, whose secondary indexes and foreign keys a first load builds at the end.
    BULK_TABLES = ("practitioner", "practice", "activity", "practitioner_specialty", "channel", "revision")

    def directory_is_empty(self) -> bool:
        """No practitioner, practice or activity yet: the first national load (or a territory's, on a new site)."""
        return not self.value(
            """
            SELECT EXISTS (SELECT 1 FROM {practitioner}) OR EXISTS (SELECT 1 FROM {practice})
                OR EXISTS (SELECT 1 FROM {activity})
            """
        )

    def set_aside_indexes(self) -> tuple[list[str], list[str]]:
        """Drops the indexes that back no constraint and the foreign keys of ``BULK_TABLES``; returns the
        statements that put them back. Primary keys and unique constraints stay (the inserts rely on them). The
        tables are locked for the transaction (DDL): an empty directory has no reader to keep waiting."""
        tables = [self.tables[name] for name in self.BULK_TABLES]
        self.sql(
            """
            SELECT 'DROP INDEX ' || i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
            FROM pg_index i
            WHERE i.indrelid = ANY(%(tables)s::regclass[])
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            ORDER BY i.indexrelid
            """,
            {"tables": tables},
        )
        indexes = self.cursor.fetchall()
        self.sql(
            """
            SELECT format('ALTER TABLE %%s DROP CONSTRAINT %%I', c.conrelid::regclass, c.conname),
                format('ALTER TABLE %%s ADD CONSTRAINT %%I %%s', c.conrelid::regclass, c.conname,
                       pg_get_constraintdef(c.oid))
            FROM pg_constraint c
            WHERE c.contype = 'f' AND c.conrelid = ANY(%(tables)s::regclass[])
            ORDER BY c.oid
            """,
            {"tables": tables},
        )
        foreign_keys = self.cursor.fetchall()
        for drop, _create in foreign_keys + indexes:
            self.ddl(drop)
        return [create for _drop, create in indexes], [create for _drop, create in foreign_keys]

    def rebuild_indexes(self, deferred: tuple[list[str], list[str]]) -> None:
        indexes, foreign_keys = deferred
        self.sql("SET LOCAL maintenance_work_mem = '256MB'")
        for statement in indexes + foreign_keys:
            self.ddl(statement)

    def ddl(self, statement: str) -> None:
        """A statement read from the catalogue, run as it is (no parameters: a ``%`` in it is no placeholder)."""
        started = time.perf_counter()
        self.cursor.execute(statement)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%.2f s: %s", time.perf_counter() - started, statement[:300])

    def stage(self, reader: _ExtractReader) -> None:
        self.sql("DROP VIEW IF EXISTS rpps_line")
        columns = ", ".join(f"c{number} text" for number in range(1, len(COLUMNS) + 2))
        self.temp_table("rpps_staging", columns=f"line_no integer NOT NULL, {columns}")
        # CSV mode: no escape character; the quote is a control character no line holds (``_check``).
        copy_sql = "COPY rpps_staging FROM STDIN WITH (FORMAT csv, DELIMITER '|', QUOTE e'\\x01')"
        pgconn = self.cursor.connection.pgconn
        with self.cursor.copy(copy_sql) as copy:
            for chunk in reader.staged_chunks():
                copy.write(chunk)
                _drain(pgconn)
        # Not analysed: each statement reads it whole, and ANALYZE would read most of it once more.
        view = ", ".join(f"{expression} AS {name}" for name, expression in _LINE_VIEW_COLUMNS.items())
        self.sql(f"CREATE TEMP VIEW rpps_line AS SELECT line_no, {view} FROM rpps_staging")  # noqa: S608 (constants)
        # The territory of a new entry or practice when the import is national: the first listing the commune.
        self.national_territories = self.territory is None and self.value(
            "SELECT EXISTS (SELECT 1 FROM {territory_commune})"
        )
        if self.national_territories:
            self.temp_table(
                "rpps_commune_territory",
                "SELECT commune_id, min(territory_id) AS territory_id FROM {territory_commune} GROUP BY commune_id",
            )

    def presence(self, name: str) -> None:
        """Who is in which territory (through any activity), and whether through an imported one."""
        scope = "AND tc.territory_id = %(territory)s" if self.territory else ""
        own_scope = "AND p.territory_id = %(territory)s" if self.territory else ""
        self.temp_table(
            name,
            f"""
            SELECT a.practitioner_id, sp.territory_id, bool_or(a.source = %(imported)s) AS imported
            FROM (
                SELECT p.id, tc.territory_id FROM {{practice}} p
                JOIN {{territory_commune}} tc ON tc.commune_id = p.commune_id {scope}
                UNION
                SELECT p.id, p.territory_id FROM {{practice}} p WHERE p.territory_id IS NOT NULL {own_scope}
            ) sp
            JOIN {{activity}} a ON a.practice_id = sp.id
            GROUP BY a.practitioner_id, sp.territory_id
            """,  # noqa: S608 (only the scope clauses above are interpolated)
        )

    def had_imported(self) -> bool:
        """Whether an earlier import left activities in this import's scope (else this is a first load)."""
        if self.territory:
            return bool(self.value("SELECT EXISTS (SELECT 1 FROM rpps_presence_before WHERE imported)"))
        return bool(self.value("SELECT EXISTS (SELECT 1 FROM {activity} WHERE source = %(imported)s)"))

    def persons(self) -> dict:
        territory_expression, territory_join = "%(territory)s::bigint", ""
        if self.national_territories:
            self.temp_table(
                "rpps_person_territory",
                """
                SELECT s.key, min(ct.territory_id) AS territory_id
                FROM rpps_line s JOIN rpps_commune_territory ct ON ct.commune_id = s.commune_code
                GROUP BY s.key
                """,
            )
            territory_expression = "pt.territory_id"
            territory_join = "LEFT JOIN rpps_person_territory pt ON pt.key = first.key"
        # One row per person: the values of their first line (a person's lines all carry the same ones). Taken
        # apart from the joins below and analysed, so that the planner knows how many persons there are.
        self.temp_table(
            "rpps_person_line",
            """
            SELECT DISTINCT ON (s.key COLLATE "C")
                s.key,
                CASE WHEN s.id_type = '8' THEN s.identifier END AS rpps,
                CASE WHEN s.id_type = '0' THEN s.identifier END AS adeli,
                coalesce(left(s.civility, 20), '') AS civility,
                coalesce(left(s.last_name, 150), '') AS last_name,
                coalesce(left(s.first_name, 150), '') AS first_name,
                s.profession AS profession_code
            FROM rpps_line s
            ORDER BY s.key COLLATE "C", s.line_no
            """,
        )
        # With the entry found (by RPPS or ADELI number), its current values: the comparison needs no other join.
        # Name, civility and profession follow the file (an unknown profession code keeps the current one); the
        # territory is only filled when empty.
        self.temp_table(
            "rpps_person",
            f"""
            SELECT n.*, coalesce(n.new_profession_id, n.old_profession_id) AS profession_id,
                coalesce(n.old_territory_id, n.new_territory_id) AS territory_id
            FROM (
                SELECT first.*, pr.id AS new_profession_id, {territory_expression} AS new_territory_id,
                    coalesce(by_rpps.id, by_adeli.id, nextval(pg_get_serial_sequence('{{practitioner}}', 'id')))
                        AS practitioner_id,
                    by_rpps.id IS NULL AND by_adeli.id IS NULL AS is_new,
                    coalesce(by_rpps.first_name, by_adeli.first_name) AS old_first_name,
                    coalesce(by_rpps.last_name, by_adeli.last_name) AS old_last_name,
                    coalesce(by_rpps.civility, by_adeli.civility) AS old_civility,
                    coalesce(by_rpps.profession_id, by_adeli.profession_id) AS old_profession_id,
                    coalesce(by_rpps.territory_id, by_adeli.territory_id) AS old_territory_id,
                    coalesce(by_rpps.rpps_seen_at, by_adeli.rpps_seen_at) AS old_seen_at
                FROM rpps_person_line first
                LEFT JOIN {{profession}} pr ON pr.code = first.profession_code
                LEFT JOIN {{practitioner}} by_rpps ON by_rpps.rpps = first.rpps
                LEFT JOIN {{practitioner}} by_adeli ON by_adeli.adeli = first.adeli
                {territory_join}
            ) n
            """,  # noqa: S608 (only the territory's expression and join are interpolated)
        )
        created = self.sql(
            """
            INSERT INTO {practitioner} (
                id, public_id, created_at, updated_at, rpps, adeli, first_name, last_name, civility, profession_id,
                territory_id, languages, answers_teleexpertise, practice_tags, practice_notes, source, rpps_seen_at
            )
            SELECT practitioner_id, gen_random_uuid(), %(now)s, %(now)s, rpps, adeli, first_name, last_name,
                civility, profession_id, territory_id, '{}', false, '{}', '', %(imported)s, %(now)s
            FROM rpps_person WHERE is_new
            """
        )
        # Specialties of the file: added, never removed (one entered by hand looks the same in the link table).
        self.temp_table("rpps_added_specialty", columns="practitioner_id bigint, specialty_id bigint")
        self.sql(
            """
            WITH added AS (
                INSERT INTO {practitioner_specialty} (practitioner_id, specialty_id)
                SELECT DISTINCT p.practitioner_id, sp.id
                FROM rpps_line s
                JOIN {specialty} sp ON sp.code = s.savoir_faire
                JOIN rpps_person p ON p.key = s.key
                WHERE NOT EXISTS (
                    SELECT 1 FROM {practitioner_specialty} l
                    WHERE l.practitioner_id = p.practitioner_id AND l.specialty_id = sp.id
                )
                ON CONFLICT (practitioner_id, specialty_id) DO NOTHING
                RETURNING practitioner_id, specialty_id
            )
            INSERT INTO rpps_added_specialty SELECT practitioner_id, specialty_id FROM added
            """
        )
        self.sql("ANALYZE rpps_added_specialty")
        # Entries found whose national data differ, that gained a specialty, or not yet seen today.
        self.temp_table(
            "rpps_changed",
            """
            SELECT * FROM (
                SELECT practitioner_id, old_first_name, first_name, old_last_name, last_name, old_civility, civility,
                    old_profession_id, profession_id, old_territory_id, territory_id,
                    practitioner_id IN (SELECT practitioner_id FROM rpps_added_specialty) AS specialties_added,
                    old_seen_at IS NULL OR old_seen_at < %(today_start)s AS not_seen_today
                FROM rpps_person
                WHERE NOT is_new
            ) c
            WHERE c.specialties_added OR c.not_seen_today
               OR (c.old_first_name, c.old_last_name, c.old_civility, c.old_profession_id, c.old_territory_id)
                  IS DISTINCT FROM (c.first_name, c.last_name, c.civility, c.profession_id, c.territory_id)
            """,
        )
        self.sql(
            """
            ALTER TABLE rpps_changed ADD COLUMN content_changed boolean;
            UPDATE rpps_changed SET content_changed = specialties_added
                OR (old_first_name, old_last_name, old_civility, old_profession_id, old_territory_id)
                   IS DISTINCT FROM (first_name, last_name, civility, profession_id, territory_id)
            """
        )
        self.sql(
            """
            UPDATE {practitioner} d SET first_name = c.first_name, last_name = c.last_name, civility = c.civility,
                profession_id = c.profession_id, territory_id = c.territory_id, rpps_seen_at = %(now)s,
                updated_at = CASE WHEN c.content_changed THEN %(now)s ELSE d.updated_at END
            FROM rpps_changed c WHERE d.id = c.practitioner_id
            """
        )
        persons, created = self.rows("SELECT count(*), count(*) FILTER (WHERE is_new) FROM rpps_person")[0]
        updated = self.value("SELECT count(*) FROM rpps_changed WHERE content_changed")
        unknown_professions = self.rows(
            """
            SELECT profession_code, count(*) FROM rpps_person
            WHERE profession_id IS NULL AND profession_code IS NOT NULL
            GROUP BY profession_code ORDER BY count(*) DESC, profession_code LIMIT 50
            """
        )
        return {
            "persons": persons,
            "created": created,
            "updated": updated,
            "unchanged": persons - created - updated,
            "specialties_added": self.value("SELECT count(*) FROM rpps_added_specialty"),
            "unknown_profession_codes": dict(unknown_professions),
        }

    def practices(self) -> dict:
        if self.national_territories:
            territory_expression = "ct.territory_id"
            territory_join = "LEFT JOIN rpps_commune_territory ct ON ct.commune_id = site.commune_code"
        else:
            territory_expression, territory_join = "%(territory)s::bigint", ""
        # One row per structure, from its first line (analysed apart, as for persons); the practice's id.
        self.temp_table(
            "rpps_site_line",
            """
            SELECT s.structure_id, s.trade_name, s.legal_name,
                s.geo_complement, s.street_number, s.street_index, s.street_type, s.street_name, s.postal_code,
                s.commune_code, s.commune_name, s.siret, s.finess,
                translate(s.phone, ' .-/()', '') AS phone_digits,  -- the separators people type
                -- The department may be empty in the file: the INSEE code starts with it.
                coalesce(s.department, CASE WHEN s.commune_code LIKE '97%%' OR s.commune_code LIKE '98%%'
                    THEN left(s.commune_code, 3) ELSE left(s.commune_code, 2) END) AS department
            FROM rpps_line s
            -- The first line of each structure, found by hashing rather than by sorting every line.
            WHERE s.line_no IN (
                SELECT min(line_no) FROM rpps_line WHERE structure_id IS NOT NULL GROUP BY structure_id
            )
            """,
        )
        # With the practice found, its current values and those of its commune: whether it changes, and where
        # it stands, are decided here. Imported practices follow the file; the position moves with the commune
        # only when it was the old commune's town hall (a position set by hand stays); practices created by hand
        # are left as they are.
        self.temp_table(
            "rpps_site",
            f"""
            SELECT n.*,
                CASE WHEN n.old_latitude IS NULL OR (n.old_commune_id IS DISTINCT FROM n.commune_id
                          AND n.old_latitude = n.old_commune_latitude AND n.old_longitude = n.old_commune_longitude)
                     THEN n.commune_latitude ELSE n.old_latitude END AS latitude,
                CASE WHEN n.old_latitude IS NULL OR (n.old_commune_id IS DISTINCT FROM n.commune_id
                          AND n.old_latitude = n.old_commune_latitude AND n.old_longitude = n.old_commune_longitude)
                     THEN n.commune_longitude ELSE n.old_longitude END AS longitude,
                coalesce(n.old_territory_id, n.new_territory_id) AS territory_id
            FROM (
                SELECT site.*, c.insee_code AS commune_id, c.latitude AS commune_latitude,
                    c.longitude AS commune_longitude, {territory_expression} AS new_territory_id,
                    coalesce(p.id, nextval(pg_get_serial_sequence('{{practice}}', 'id'))) AS practice_id,
                    p.id IS NULL AS is_new,
                    p.source IS NULL OR p.source = %(imported)s AS imported,
                    p.name AS old_name, p.address AS old_address, p.postal_code AS old_postal_code,
                    p.city AS old_city, p.commune_id AS old_commune_id, p.siret AS old_siret,
                    p.finess AS old_finess, p.territory_id AS old_territory_id, p.latitude AS old_latitude,
                    p.longitude AS old_longitude, old.latitude AS old_commune_latitude,
                    old.longitude AS old_commune_longitude
                FROM (
                    SELECT structure_id,
                        left(coalesce(trade_name, legal_name, 'Cabinet ' || commune_name, 'Cabinet'), 200) AS name,
                        left(coalesce(concat_ws(', ', geo_complement, nullif(concat_ws(' ', street_number,
                            street_index, street_type, street_name), '')), ''), 255) AS address,
                        coalesce(left(postal_code, 5), '') AS postal_code,
                        coalesce(left(commune_name, 150), '') AS city,
                        commune_code,
                        CASE WHEN length(siret) = 14 AND translate(siret, '0123456789', '') = ''
                             THEN siret ELSE '' END AS siret,
                        CASE WHEN length(finess) = 9 AND translate(finess, '0123456789AB', '') = ''
                             THEN finess ELSE '' END AS finess,
                        {_phone_e164_sql("phone_digits", "department")} AS phone
                    FROM rpps_site_line
                ) site
                LEFT JOIN {{commune}} c ON c.insee_code = site.commune_code
                LEFT JOIN {{practice}} p ON p.rpps_structure_id = site.structure_id
                LEFT JOIN {{commune}} old ON old.insee_code = p.commune_id
                {territory_join}
            ) n
            """,  # noqa: S608 (only fixed SQL fragments are interpolated)
        )
        created = self.sql(
            """
            INSERT INTO {practice} (
                id, public_id, created_at, updated_at, name, territory_id, address, postal_code, city, commune_id,
                latitude, longitude, finess, siret, opening_hours, secretariat_hours, accessibility,
                rpps_structure_id, source
            )
            SELECT practice_id, gen_random_uuid(), %(now)s, %(now)s, name, territory_id, address, postal_code, city,
                commune_id, latitude, longitude, finess, siret, '', '', '{}', structure_id, %(imported)s
            FROM rpps_site WHERE is_new
            ORDER BY structure_id  -- the unique index on it then grows at its right edge
            """
        )
        updated = self.sql(
            """
            UPDATE {practice} p SET name = s.name, address = s.address, postal_code = s.postal_code, city = s.city,
                commune_id = s.commune_id, siret = s.siret, finess = s.finess, territory_id = s.territory_id,
                latitude = s.latitude, longitude = s.longitude, updated_at = %(now)s
            FROM (
                SELECT * FROM rpps_site
                WHERE NOT is_new AND imported
                  AND (old_name, old_address, old_postal_code, old_city, old_commune_id, old_siret, old_finess,
                       old_territory_id, old_latitude, old_longitude)
                      IS DISTINCT FROM (name, address, postal_code, city, commune_id, siret, finess, territory_id,
                                        latitude, longitude)
            ) s
            WHERE p.id = s.practice_id
            """
        )
        unknown_communes = self.rows(
            """
            SELECT commune_code, count(*) FROM rpps_site WHERE commune_code IS NOT NULL AND commune_id IS NULL
            GROUP BY commune_code ORDER BY count(*) DESC, commune_code
            """
        )
        return {
            "practices_created": created,
            "practices_updated": updated,
            "practices_without_commune": sum(count for _code, count in unknown_communes),
            "unknown_commune_codes": dict(unknown_communes[:50]),
        }

    def activities(self, *, had_imported: bool) -> dict:
        self.temp_table(
            "rpps_pair",
            """
            SELECT DISTINCT p.practitioner_id, si.practice_id
            FROM rpps_line s
            JOIN rpps_person p ON p.key = s.key
            JOIN rpps_site si ON si.structure_id = s.structure_id
            """,
        )
        if not had_imported:
            # A first load: nothing imported to remove, only hand-made activities to respect.
            created = self.sql(
                """
                INSERT INTO {activity} (practitioner_id, practice_id, source)
                SELECT x.practitioner_id, x.practice_id, %(imported)s FROM rpps_pair x
                WHERE NOT EXISTS (
                    SELECT 1 FROM {activity} a
                    WHERE a.practitioner_id = x.practitioner_id AND a.practice_id = x.practice_id
                )
                ORDER BY x.practitioner_id, x.practice_id  -- the unique index then grows at its right edge
                ON CONFLICT (practitioner_id, practice_id) DO NOTHING
                """
            )
            return {"activities_created": created, "activities_removed": 0}
        # One comparison of the file's pairs with the activities in scope: pairs without an activity are created,
        # imported activities without a pair removed; hand-made ones always stay.
        scope = (
            """
            (SELECT a.* FROM {activity} a JOIN {practice} p ON p.id = a.practice_id
             JOIN {territory_commune} tc ON tc.commune_id = p.commune_id AND tc.territory_id = %(territory)s)
            """
            if self.territory
            else "{activity}"
        )
        self.temp_table(
            "rpps_activity_diff",
            f"""
            SELECT x.practitioner_id, x.practice_id, a.id AS activity_id
            FROM rpps_pair x FULL JOIN {scope} a
                ON a.practitioner_id = x.practitioner_id AND a.practice_id = x.practice_id
            WHERE a.id IS NULL OR (x.practitioner_id IS NULL AND a.source = %(imported)s)
            """,  # noqa: S608 (only the territory's scope is interpolated)
        )
        created = self.sql(
            """
            INSERT INTO {activity} (practitioner_id, practice_id, source)
            SELECT practitioner_id, practice_id, %(imported)s FROM rpps_activity_diff WHERE activity_id IS NULL
            ORDER BY practitioner_id, practice_id
            ON CONFLICT (practitioner_id, practice_id) DO NOTHING
            """
        )
        removed = self.sql(
            """
            DELETE FROM {activity}
            WHERE id IN (SELECT activity_id FROM rpps_activity_diff WHERE practitioner_id IS NULL)
            """
        )
        return {"activities_created": created, "activities_removed": removed}

    def channels(self) -> dict:
        """The public phone of each imported practice of the file (column 41), kept in step with the file."""
        self.temp_table(
            "rpps_channel_diff",
            """
            SELECT s.practice_id, s.phone, c.id AS channel_id
            FROM rpps_site s
            LEFT JOIN {channel} c ON NOT s.is_new AND c.practice_id = s.practice_id AND c.practitioner_id IS NULL
                AND c.source = %(imported)s AND c.audience = %(public)s AND c.kind = %(phone)s
            WHERE s.imported AND c.value IS DISTINCT FROM s.phone
            """,
        )
        removed = self.sql(
            """
            DELETE FROM {channel}
            WHERE id IN (SELECT channel_id FROM rpps_channel_diff WHERE phone IS NULL)
            """
        )
        updated = self.sql(
            """
            UPDATE {channel} c SET value = d.phone, updated_at = %(now)s FROM rpps_channel_diff d
            WHERE c.id = d.channel_id AND d.phone IS NOT NULL
            """
        )
        created = self.sql(
            """
            INSERT INTO {channel} (
                public_id, created_at, updated_at, audience, kind, value, hours, note, preferred, practice_id,
                practitioner_id, source
            )
            SELECT gen_random_uuid(), %(now)s, %(now)s, %(public)s, %(phone)s, phone, '', '', false, practice_id,
                NULL, %(imported)s
            FROM rpps_channel_diff WHERE channel_id IS NULL
            """
        )
        return {"channels_created": created, "channels_updated": updated, "channels_removed": removed}

    def events(self, *, had_imported: bool) -> dict:
        # Territories where no earlier import left an activity: their first load announces no arrivals.
        territory_filter = "AND t.id = %(territory)s" if self.territory else ""
        initial = self.rows(
            f"""
            SELECT t.id, t.slug FROM {{territory}} t
            WHERE NOT EXISTS (SELECT 1 FROM rpps_presence_before b WHERE b.territory_id = t.id AND b.imported)
            {territory_filter}
            ORDER BY t.slug
            """  # noqa: S608 (a fixed condition is interpolated)
        )
        initial_ids = [territory_id for territory_id, _slug in initial] or [0]
        self.sql(
            """
            INSERT INTO {event} (kind, happened_on, note, created_at, practitioner_id, territory_id)
            SELECT %(arrival)s, %(today)s, %(actor_label)s, %(now)s, a.practitioner_id, a.territory_id
            FROM rpps_presence_after a
            WHERE a.territory_id <> ALL(%(initial)s)
              AND NOT EXISTS (
                  SELECT 1 FROM rpps_presence_before b
                  WHERE b.practitioner_id = a.practitioner_id AND b.territory_id = a.territory_id
              )
            RETURNING practitioner_id
            """,
            {"initial": initial_ids},
        )
        arrived = {row[0] for row in self.cursor.fetchall()}
        self.sql(
            """
            INSERT INTO {event} (kind, happened_on, note, created_at, practitioner_id, territory_id)
            SELECT %(departure)s, %(today)s, %(actor_label)s, %(now)s, b.practitioner_id, b.territory_id
            FROM rpps_presence_before b
            WHERE NOT EXISTS (
                SELECT 1 FROM rpps_presence_after a
                WHERE a.practitioner_id = b.practitioner_id AND a.territory_id = b.territory_id
            )
            RETURNING practitioner_id
            """
        )
        departed = {row[0] for row in self.cursor.fetchall()}
        # A practice or establishment the file brings for the first time, in a territory already loaded before.
        new_practices = self.sql(
            """
            INSERT INTO {event} (kind, happened_on, note, created_at, practitioner_id, practice_id, territory_id)
            SELECT %(new_practice)s, %(today)s, %(actor_label)s, %(now)s, NULL, s.practice_id, s.territory_id
            FROM rpps_site s
            WHERE s.is_new AND s.territory_id IS NOT NULL AND s.territory_id <> ALL(%(initial)s)
            """,
            {"initial": initial_ids},
        )
        return {
            "arrivals": len(arrived),
            "departures": len(departed),
            "new_practices": new_practices,
            "initial_load": not had_imported,
            "initial_load_territories": [slug for _id, slug in initial],
        }

    def revisions(self) -> dict:
        """One IMPORTED revision per practitioner created or updated, with what changed (set-based)."""
        created = self.sql(
            """
            INSERT INTO {revision} (
                at, actor_label, action, object_type, object_label, before, after, practitioner_id, territory_id
            )
            SELECT %(now)s, %(actor_label)s, %(imported_action)s, 'practitioner',
                left(p.first_name || ' ' || p.last_name, 255), '{}',
                jsonb_build_object(
                    'rpps', p.rpps, 'adeli', p.adeli, 'first_name', p.first_name, 'last_name', p.last_name,
                    'civility', p.civility, 'profession', pr.label,
                    'specialties', coalesce(sp.labels, '[]'::jsonb)
                ),
                p.practitioner_id, p.territory_id
            FROM rpps_person p
            LEFT JOIN {profession} pr ON pr.id = p.profession_id
            LEFT JOIN (
                SELECT a.practitioner_id, jsonb_agg(s.label ORDER BY s.label) AS labels
                FROM rpps_added_specialty a JOIN {specialty} s ON s.id = a.specialty_id
                GROUP BY a.practitioner_id
            ) sp ON sp.practitioner_id = p.practitioner_id
            WHERE p.is_new
            """
        )

        def changed(field: str, old: str, new: str, side: str) -> str:
            return f"CASE WHEN {old} IS DISTINCT FROM {new} THEN jsonb_build_object('{field}', {side}) ELSE '{{}}' END"

        pairs = [
            ("first_name", "c.old_first_name", "c.first_name"),
            ("last_name", "c.old_last_name", "c.last_name"),
            ("civility", "c.old_civility", "c.civility"),
            ("profession", "old_pr.label", "new_pr.label"),
            ("territory", "old_t.name", "new_t.name"),
        ]
        before = " || ".join(changed(field, old, new, old) for field, old, new in pairs)
        after = " || ".join(changed(field, old, new, new) for field, old, new in pairs)
        specialties = """
            SELECT jsonb_agg(s.label ORDER BY s.label) FROM {practitioner_specialty} l
            JOIN {specialty} s ON s.id = l.specialty_id
            WHERE l.practitioner_id = c.practitioner_id
        """
        updated = self.sql(
            f"""
            INSERT INTO {{revision}} (
                at, actor_label, action, object_type, object_label, before, after, practitioner_id, territory_id
            )
            SELECT %(now)s, %(actor_label)s, %(imported_action)s, 'practitioner',
                left(c.first_name || ' ' || c.last_name, 255),
                {before} || CASE WHEN c.specialties_added THEN jsonb_build_object('specialties', coalesce((
                    {specialties} AND NOT EXISTS (
                        SELECT 1 FROM rpps_added_specialty a
                        WHERE a.practitioner_id = l.practitioner_id AND a.specialty_id = l.specialty_id
                    )
                ), '[]'::jsonb)) ELSE '{{}}'::jsonb END,
                {after} || CASE WHEN c.specialties_added
                    THEN jsonb_build_object('specialties', ({specialties})) ELSE '{{}}'::jsonb END,
                c.practitioner_id, c.territory_id
            FROM rpps_changed c
            LEFT JOIN {{profession}} old_pr ON old_pr.id = c.old_profession_id
            LEFT JOIN {{profession}} new_pr ON new_pr.id = c.profession_id
            LEFT JOIN {{territory}} old_t ON old_t.id = c.old_territory_id
            LEFT JOIN {{territory}} new_t ON new_t.id = c.territory_id
            WHERE c.content_changed
            """  # noqa: S608 (only fixed SQL fragments are interpolated)
        )
        return {"revisions": created + updated}

    def line_statistics(self) -> dict:
        """Savoir-faire codes the portal does not know (skipped), and lines without a site, in one pass."""
        rows = self.rows(
            """
            SELECT s.savoir_faire, sp.id IS NOT NULL, count(*), count(*) FILTER (WHERE s.structure_id IS NULL)
            FROM rpps_line s LEFT JOIN {specialty} sp ON sp.code = s.savoir_faire
            GROUP BY s.savoir_faire, sp.id
            """
        )
        unknown = sorted(
            ((code, lines) for code, known, lines, _without in rows if code is not None and not known),
            key=lambda item: (-item[1], item[0]),
        )
        return {
            "unknown_specialty_codes": dict(unknown[:50]),
            "lines_without_site": sum(without for _code, _known, _lines, without in rows),
        }

"""Synthetic national-scale directory data, for benchmarks and load tests (``manage.py seed_scale``).

Writes practitioners with valid RPPS numbers and a national profession and specialty mix, practices spread over
the real communes (weighted by population, at the town hall plus a few hundred metres), who works where (about
``activities_per_practitioner`` activities each), their specialties, and contact channels (a professional line
for most practitioners, an MSSanté address for the physicians, a public phone for most practices).

Everything goes through PostgreSQL ``COPY`` in one transaction: a million practitioners take minutes, not hours.
The data is invented and, public ids aside, the same for a given seed. Synthetic RPPS numbers start with ``8``
(real ones start with ``10``) and continue after the highest synthetic number already stored, so a second run
adds new entries next to the first and never collides with a real or an earlier one. Rows are stored as entered
in the portal (source "manual"), so that an RPPS import never takes them for persons gone from its extract.
"""

import datetime
import random
import time
import uuid
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import accumulate

from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from directory.models import (
    Activity,
    Audience,
    Commune,
    ContactChannel,
    Practice,
    Practitioner,
    Profession,
    Specialty,
    Territory,
)

SYNTHETIC_RPPS_PREFIX = "8"
# A database whose name has this in it is a throwaway one made for measures (``cpts_portal_bench_directory``).
BENCHMARK_DATABASE_MARK = "_bench"
# The benchmarks search for this name: the most frequent synthetic last name (about 1 practitioner in 100).
COMMON_LAST_NAME = "Martin"
BATCH_ROWS = 20_000

# Share of the practitioners (in %), profession code, specialty code, what their practice is called, and how many
# activities a practice of theirs gathers on average. Roughly the national RPPS mix; a code missing from the
# database (a reference table emptied by a test) drops its line.
MIX: list[tuple[float, str, str, str, float]] = [
    (14.0, "10", "SM54", "Cabinet médical", 3.0),
    (1.4, "10", "SM04", "Cabinet de cardiologie", 2.0),
    (0.8, "10", "SM15", "Cabinet de dermatologie", 2.0),
    (0.5, "10", "SM48", "Cabinet de rhumatologie", 2.0),
    (0.8, "10", "SM24", "Cabinet de gastro-entérologie", 2.0),
    (0.4, "10", "SM16", "Cabinet d'endocrinologie", 2.0),
    (0.4, "10", "SM30", "Centre de néphrologie", 3.0),
    (1.0, "10", "SM20", "Cabinet de gynécologie", 2.0),
    (0.7, "10", "SM08", "Cabinet d'orthopédie", 3.0),
    (1.2, "10", "SM40", "Cabinet de pédiatrie", 2.0),
    (2.6, "10", "SM42", "Cabinet de psychiatrie", 1.5),
    (1.0, "10", "SM38", "Cabinet d'ophtalmologie", 2.5),
    (0.6, "10", "SM34", "Cabinet d'ORL", 2.0),
    (0.5, "10", "SM41", "Cabinet de pneumologie", 2.0),
    (0.5, "10", "SM32", "Cabinet de neurologie", 2.0),
    (0.4, "10", "SM03", "Laboratoire de biologie médicale", 3.0),
    (36.0, "60", "", "Cabinet infirmier", 3.0),
    (9.0, "21", "", "Pharmacie", 2.0),
    (12.0, "70", "", "Cabinet de kinésithérapie", 2.5),
    (5.0, "40", "", "Cabinet dentaire", 2.0),
    (3.0, "50", "", "Cabinet de sage-femme", 1.5),
    (2.0, "80", "", "Cabinet de podologie", 1.5),
    (3.0, "91", "", "Cabinet d'orthophonie", 1.5),
]


def _words(text: str) -> list[str]:
    """Words separated by spaces; "Le_Gall" is "Le Gall"."""
    return [word.replace("_", " ") for word in text.split()]


FIRST_NAMES = _words(
    """
    Marie Nathalie Isabelle Sylvie Catherine Anne Christine Valérie Sandrine Céline Stéphanie Sophie Julie
    Aurélie Émilie Camille Laura Léa Manon Chloé Sarah Pauline Claire Hélène Élodie Caroline Lucie Mathilde Inès
    Amandine Jean Philippe Michel Alain Patrick Nicolas Christophe Pierre Laurent Frédéric Stéphane David Éric
    Julien Olivier Sébastien Thomas François Vincent Guillaume Antoine Maxime Alexandre Romain Hugo Lucas
    Mathieu Yann Karim Mehdi Amine Yasmina Fatima Nadia Samir Leïla Thi Minh Anh Kevin Jérôme Benoît Gaëlle
    Soizic Erwan
"""
)

# Frequent French surnames, most frequent first; the first is COMMON_LAST_NAME.
LAST_NAMES = _words(
    """
    Martin Bernard Thomas Petit Robert Richard Durand Dubois Moreau Laurent Simon Michel Lefebvre Leroy Roux
    David Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine Rousseau Vincent Muller Lefèvre Faure
    André Mercier Blanc Guérin Boyer Garnier Chevalier François Legrand Gauthier Garcia Perrin Robin Clément
    Morin Nicolas Henry Roussel Mathieu Gautier Masson Marchand Duval Denis Dumont Marie Lemaire Noël Meyer
    Dufour Meunier Brun Blanchard Giraud Joly Rivière Lucas Brunet Gaillard Barbier Arnaud Martinez Gérard Roche
    Renard Schmitt Roy Leroux Colin Vidal Caron Picard Roger Fabre Aubert Lemoine Renaud Dumas Lacroix Olivier
    Philippe Bourgeois Pierre Benoît Rey Leclerc Payet Rolland Leclercq Guillaume Lecomte Lopez Jean Dupuy
    Guillot Hubert Berger Carpentier Sanchez Dupuis Moulin Louis Deschamps Huet Vasseur Perez Boucher Fleury
    Royer Klein Jacquet Adam Paris Poirier Marty Aubry Guyot Carré Charles Renault Charpentier Ménard Maillard
    Baron Bertin Bailly Hervé Schneider Fernandez Le_Gall Collet Léger Bouvier Julien Prévost Millet Perrot
    Daniel Le_Roux Cousin Germain Breton Besson Langlois Rémy Le_Goff Pelletier Lévêque Perrier Leblanc Barré
    Lebrun Marchal Weber Mallet Hamon Boulanger Jacob Monnier Michaud Rodriguez Guichard Gillet Étienne Grondin
    Poulain Tessier Chevallier Collin Chauvin Da_Silva Bouchet Gay Lemaître Bénard Maréchal Humbert Reynaud
    Antoine Hoarau Perret Barthélemy Cordier Pichon Lejeune Gilbert Lamy Delaunay Pasquier Carlier Laporte
    Benali Nguyen Haddad
"""
)
# Rarer names, made of two syllables: the directory holds hundreds of thousands of distinct surnames, and a name
# search must be measured on a realistic spread, not on 200 names shared by everyone.
_SYLLABLES = _words(
    """
    ker bel mor dan gal ros val mar lan bru cha fon gui her jou lab mas nor pel que rib sau tan ver bou cor duf
    gar lec mon pic ray sol tho vig bar den for gil leb mai pra rob sab ten
"""
)
_ENDINGS = _words(
    """
    ec ard in on el ot ier and ou as eau et ière ais ac an ic oux
"""
)

# Where the synthetic phone numbers come from: the ranges ARCEP keeps for fiction, by zone.
_FICTION_PHONE_PREFIX = {"1": "19900", "2": "26191", "3": "35301", "4": "46571", "5": "53649"}
_PHONE_ZONE_OF_REGION = {
    "11": "1",
    "24": "2",
    "28": "2",
    "52": "2",
    "53": "2",
    "27": "3",
    "32": "3",
    "44": "3",
    "84": "4",
    "93": "4",
    "94": "4",
    "75": "5",
    "76": "5",
}
_STREETS = [
    "rue de la Gare",
    "place de l'Église",
    "rue du Marché",
    "avenue de la République",
    "rue des Écoles",
    "rue Victor Hugo",
    "boulevard Pasteur",
    "rue du Stade",
    "place de la Mairie",
    "rue des Tilleuls",
]
_PRACTICE_SUFFIXES = ["du Centre", "de la Gare", "du Marché", "des Halles", "du Parc", "Pasteur", "des Tilleuls"]
_TAGS_OF_GP = ["home_visits", "children", "without_appointment", "elderly", "ecg", "small_surgery"]


@dataclass
class ScaleReport:
    """What ``seed_scale`` wrote, and how long it took."""

    practitioners: int = 0
    practices: int = 0
    activities: int = 0
    specialty_links: int = 0
    channels: int = 0
    first_rpps: str = ""
    last_rpps: str = ""
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)


def is_benchmark_database(name: str) -> bool:
    return BENCHMARK_DATABASE_MARK in (name or "")


# --- COPY text format -----------------------------------------------------------------------------------------


def _copy_text(value) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, list | tuple):  # codes only ("en", "home_visits"): no quoting needed inside the array
        return "{" + ",".join(str(item) for item in value) + "}"
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    text = str(value)
    if any(char in text for char in "\\\t\n\r"):
        text = text.replace("\\", "\\\\").replace("\t", r"\t").replace("\n", r"\n").replace("\r", r"\r")
    return text


def _copy_plan(model: type[models.Model], given: list[str]) -> tuple[list[str], str]:
    """The columns to COPY: those ``given`` row by row, then every other column of ``model`` (its primary key
    aside) at its default, as one constant piece of text. A column added later to the model is thereby filled with
    its default; one without a default (NOT NULL) makes COPY fail loudly rather than load half-made rows."""
    others = [column for column in model._meta.concrete_fields if column.column not in given and not column.primary_key]
    columns = given + [column.column for column in others]
    constant = "\t".join(_copy_text(column.get_default()) for column in others)
    return columns, constant


def _copy(model: type[models.Model], given: list[str], rows: Iterable[str]) -> int:
    """COPYs ``rows`` (the ``given`` columns of a row, tab-separated, no newline) into ``model``'s table."""
    columns, constant = _copy_plan(model, given)
    suffix = ("\t" + constant if constant else "") + "\n"
    statement = "COPY {} ({}) FROM STDIN".format(
        connection.ops.quote_name(model._meta.db_table), ", ".join(connection.ops.quote_name(c) for c in columns)
    )
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        batch: list[str] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH_ROWS:
                copy.write(suffix.join(batch) + suffix)
                count += len(batch)
                batch = []
        if batch:
            copy.write(suffix.join(batch) + suffix)
            count += len(batch)
    return count


def copy_rows(model: type[models.Model], given: list[str], rows: Iterable[str]) -> int:
    """``_copy`` for other apps' synthetic data (referrals): the same COPY text format, see ``copy_text``."""
    return _copy(model, given, rows)


copy_text = _copy_text


def reserve_ids(model: type[models.Model], count: int) -> int:
    """``_reserve_ids`` for other apps' synthetic data (the SNP's slots, whose bookings point at them)."""
    return _reserve_ids(model, count)


def _reserve_ids(model: type[models.Model], count: int) -> int:
    """The first of ``count`` consecutive primary keys nobody else will be given (the table is locked)."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {connection.ops.quote_name(table)} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        sequence = cursor.fetchone()[0]
        highest = f"SELECT COALESCE(MAX(id), 0) + 1 FROM {connection.ops.quote_name(table)}"  # noqa: S608 - a model's table
        cursor.execute(f"SELECT GREATEST(nextval(%s), ({highest}))", [sequence])
        first = cursor.fetchone()[0]
        cursor.execute("SELECT setval(%s, %s)", [sequence, first + count])
    return first


# --- What the rows hold ---------------------------------------------------------------------------------------


def luhn_check_digit(body: str) -> str:
    """The digit that makes ``body`` + digit a valid Luhn number (the RPPS key)."""
    total = 0
    for position, char in enumerate(reversed(body)):
        digit = ord(char) - 48
        if position % 2 == 0:  # doubled: it will sit at an odd position once the key is appended
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def _last_names(rng: random.Random) -> Callable[[], str]:
    """A picker of last names: the frequent ones (the first the most) three times in four, else a rarer one."""
    weights = list(accumulate(1 / (rank + 12) for rank in range(len(LAST_NAMES))))
    total = weights[-1]

    def pick() -> str:
        if rng.random() < 0.75:
            return LAST_NAMES[bisect_right(weights, rng.random() * total)]
        name = rng.choice(_SYLLABLES) + rng.choice(_SYLLABLES) + rng.choice(_ENDINGS)
        return name.capitalize()

    return pick


@dataclass
class _Commune:
    insee_code: str
    name: str
    postal_code: str
    latitude: float
    longitude: float
    phone_zone: str


def _communes(territory: Territory | None) -> tuple[list[_Commune], list[float]]:
    communes = Commune.objects.filter(latitude__isnull=False, longitude__isnull=False)
    if territory is not None:
        communes = communes.filter(territories=territory)
    rows = list(
        communes.order_by("insee_code").values_list(
            "insee_code", "name", "postal_codes", "latitude", "longitude", "population", "region"
        )
    )
    found = [
        _Commune(code, name, (postal_codes or [""])[0], lat, lon, _PHONE_ZONE_OF_REGION.get(region, "2"))
        for code, name, postal_codes, lat, lon, _population, region in rows
    ]
    return found, list(accumulate(population + 1 for *_, population, _region in rows))


@dataclass
class _Group:
    """Practitioners of one line of MIX and the practices they work at."""

    profession_id: int | None
    specialty_id: int | None
    practice_label: str
    practitioners: int
    first_practice_id: int = 0
    practices: int = 0
    is_physician: bool = False
    is_gp: bool = False
    seen: int = 0  # practitioners of the group written so far


def _groups(total: int, activities_per_practitioner: float) -> list[_Group]:
    professions = dict(Profession.objects.values_list("code", "pk"))
    specialties = dict(Specialty.objects.values_list("code", "pk"))
    lines = [line for line in MIX if not line[2] or line[2] in specialties]
    weight = sum(line[0] for line in lines)
    groups = []
    for share, profession, specialty, label, per_practice in lines:
        group = _Group(
            profession_id=professions.get(profession),
            specialty_id=specialties.get(specialty) if specialty else None,
            practice_label=label,
            practitioners=int(total * share / weight),
            is_physician=profession == "10",
            is_gp=specialty == "SM54",
        )
        group.practices = max(1, round(group.practitioners * activities_per_practitioner / per_practice))
        groups.append(group)
    # Rounding leaves a few practitioners over: the largest group takes them.
    max(groups, key=lambda group: group.practitioners).practitioners += total - sum(g.practitioners for g in groups)
    return [group for group in groups if group.practitioners > 0]


def _phone(rng: random.Random, zone: str) -> str:
    return f"+33{zone}{_FICTION_PHONE_PREFIX[zone][1:]}{rng.randrange(10_000):04d}"


@transaction.atomic
def _write(
    *,
    practitioners: int,
    activities_per_practitioner: float,
    territory: Territory | None,
    seed: int,
    report: ScaleReport,
    progress: Callable[[str], None],
) -> None:
    rng = random.Random(seed)
    # Public ids must differ from one run to the next whatever the seed: drawn apart, from the system's entropy.
    entropy = random.Random()

    def new_uuid() -> str:
        return str(uuid.UUID(int=entropy.getrandbits(128), version=4))

    now = timezone.now()
    started = time.perf_counter()

    def lap(step: str) -> None:
        nonlocal started
        report.timings[step] = round(time.perf_counter() - started, 2)
        progress(f"{step} : {report.timings[step]} s")
        started = time.perf_counter()

    communes, cumulative_population = _communes(territory)
    if not communes:
        raise ApplicationError(_("Aucune commune positionnée : les données de référence manquent (migrate)."))
    groups = _groups(practitioners, activities_per_practitioner)
    territory_id = territory.pk if territory else None

    # Practices, group by group; within a group sorted by commune, so that neighbours in the list are neighbours
    # on the map (a second activity is taken among them).
    practice_count = sum(group.practices for group in groups)
    next_practice_id = _reserve_ids(Practice, practice_count)
    practice_commune: list[_Commune] = []
    practice_label: list[str] = []
    for group in groups:
        group.first_practice_id = next_practice_id + len(practice_commune)
        drawn = rng.choices(range(len(communes)), cum_weights=cumulative_population, k=group.practices)
        practice_commune.extend(communes[index] for index in sorted(drawn))
        practice_label.extend([group.practice_label] * group.practices)

    def practice_rows() -> Iterator[str]:
        stamp = now.isoformat()
        for offset, commune in enumerate(practice_commune):
            latitude = round(commune.latitude + rng.uniform(-0.01, 0.01), 6)
            longitude = round(commune.longitude + rng.uniform(-0.015, 0.015), 6)
            yield "\t".join(
                (
                    str(next_practice_id + offset),
                    new_uuid(),
                    stamp,
                    stamp,
                    _copy_text(f"{practice_label[offset]} {rng.choice(_PRACTICE_SUFFIXES)}"),
                    _copy_text(f"{rng.randint(1, 120)} {rng.choice(_STREETS)}"),
                    commune.postal_code,
                    _copy_text(commune.name),
                    commune.insee_code,
                    repr(latitude),
                    repr(longitude),
                    _copy_text(territory_id),
                )
            )

    report.practices = _copy(
        Practice,
        [
            "id",
            "public_id",
            "created_at",
            "updated_at",
            "name",
            "address",
            "postal_code",
            "city",
            "commune_id",
            "latitude",
            "longitude",
            "territory_id",
        ],
        practice_rows(),
    )
    lap("cabinets")

    # Practitioners: each of a group drawn at random, so that ids, names and specialties are not in step.
    first_id = _reserve_ids(Practitioner, practitioners)
    group_of = [index for index, group in enumerate(groups) for _ in range(group.practitioners)]
    rng.shuffle(group_of)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT MAX(LEFT(rpps, 10)) FROM directory_practitioner WHERE rpps LIKE %s",
            [SYNTHETIC_RPPS_PREFIX + "%"],
        )
        highest = cursor.fetchone()[0]
    first_body = int(highest) + 1 if highest else int(SYNTHETIC_RPPS_PREFIX + "0" * 9)
    if first_body + practitioners > int(SYNTHETIC_RPPS_PREFIX + "9" * 9):
        raise ApplicationError(_("Plus de numéros RPPS synthétiques disponibles."))
    last_name = _last_names(rng)
    confirmed_span = 540 * 86400  # entries confirmed over the last 18 months: a third is stale
    # Per practitioner, what the rows of the other tables need (compact arrays: a million tuples would weigh
    # hundreds of megabytes): their group, their practice, and their other practice (0: none).
    first_practice_of = array("q")
    other_practice_of = array("q")
    extra_share = activities_per_practitioner - 1

    def practitioner_rows() -> Iterator[str]:
        stamp = now.isoformat()
        for offset, group_index in enumerate(group_of):
            group = groups[group_index]
            identifier = first_id + offset
            first = group.first_practice_id + group.seen * group.practices // group.practitioners
            group.seen += 1
            other = 0
            extra = int(extra_share) + (rng.random() < extra_share - int(extra_share))
            if extra and group.practices > 1:
                step = rng.randint(1, min(20, group.practices - 1))
                other = group.first_practice_id + (first - group.first_practice_id + step) % group.practices
            first_practice_of.append(first)
            other_practice_of.append(other)
            body = str(first_body + offset)
            if group.is_gp:
                accepting = rng.choice(("t", "f", "f", r"\N"))
                tags = _copy_text(rng.sample(_TAGS_OF_GP, rng.randint(0, 2)))
            else:
                accepting, tags = r"\N", "{}"
            roll = rng.random()
            languages = "{en}" if roll < 0.15 else "{es}" if roll < 0.18 else "{ar}" if roll < 0.2 else "{}"
            confirmed = now - datetime.timedelta(seconds=rng.randrange(confirmed_span))
            yield "\t".join(
                (
                    str(identifier),
                    new_uuid(),
                    stamp,
                    stamp,
                    body + luhn_check_digit(body),
                    rng.choice(FIRST_NAMES),
                    _copy_text(last_name()),
                    "Dr" if group.is_physician else "",
                    _copy_text(group.profession_id),
                    _copy_text(territory_id),
                    languages,
                    accepting,
                    "t" if group.is_physician and not group.is_gp and rng.random() < 0.3 else "f",
                    tags,
                    confirmed.isoformat(),
                )
            )

    report.practitioners = _copy(
        Practitioner,
        [
            "id",
            "public_id",
            "created_at",
            "updated_at",
            "rpps",
            "first_name",
            "last_name",
            "civility",
            "profession_id",
            "territory_id",
            "languages",
            "accepting_new_patients",
            "answers_teleexpertise",
            "practice_tags",
            "last_confirmed_at",
        ],
        practitioner_rows(),
    )
    report.first_rpps = str(first_body) + luhn_check_digit(str(first_body))
    last_body = str(first_body + practitioners - 1)
    report.last_rpps = last_body + luhn_check_digit(last_body)
    lap("professionnels")

    report.specialty_links = _copy(
        Practitioner.specialties.through,
        ["practitioner_id", "specialty_id"],
        (
            f"{first_id + offset}\t{groups[group_index].specialty_id}"
            for offset, group_index in enumerate(group_of)
            if groups[group_index].specialty_id
        ),
    )
    lap("spécialités")

    def activity_rows() -> Iterator[str]:
        for offset, (first, other) in enumerate(zip(first_practice_of, other_practice_of, strict=True)):
            yield f"{first_id + offset}\t{first}"
            if other:
                yield f"{first_id + offset}\t{other}"

    report.activities = _copy(Activity, ["practitioner_id", "practice_id"], activity_rows())
    lap("activités")

    def channel_rows() -> Iterator[str]:
        stamp = now.isoformat()
        zone_of_practice = [commune.phone_zone for commune in practice_commune]
        # A public phone for most practices (the practice's, shared by whoever works there).
        for offset, zone in enumerate(zone_of_practice):
            if rng.random() < 0.7:
                yield "\t".join(
                    (
                        new_uuid(),
                        stamp,
                        stamp,
                        r"\N",
                        str(next_practice_id + offset),
                        Audience.PUBLIC,
                        ContactChannel.Kind.PHONE,
                        _phone(rng, zone),
                        "",
                        "t",
                    )
                )
        # A line for colleagues for most practitioners; an MSSanté address for the physicians.
        for offset, (group_index, first) in enumerate(zip(group_of, first_practice_of, strict=True)):
            identifier = first_id + offset
            zone = zone_of_practice[first - next_practice_id]
            if rng.random() < 0.6:
                yield "\t".join(
                    (
                        new_uuid(),
                        stamp,
                        stamp,
                        str(identifier),
                        r"\N",
                        Audience.PROFESSIONALS,
                        ContactChannel.Kind.PROFESSIONAL_LINE,
                        _phone(rng, zone),
                        "8h-9h en semaine",
                        "t",
                    )
                )
            if groups[group_index].is_physician:
                yield "\t".join(
                    (
                        new_uuid(),
                        stamp,
                        stamp,
                        str(identifier),
                        r"\N",
                        Audience.PROFESSIONALS,
                        ContactChannel.Kind.MSSANTE,
                        f"rpps{identifier}@synthetique.mssante.fr",
                        "",
                        "f",
                    )
                )

    report.channels = _copy(
        ContactChannel,
        [
            "public_id",
            "created_at",
            "updated_at",
            "practitioner_id",
            "practice_id",
            "audience",
            "kind",
            "value",
            "hours",
            "preferred",
        ],
        channel_rows(),
    )
    lap("moyens de contact")


SCALE_TABLES = [
    Practitioner,
    Practice,
    Activity,
    Practitioner.specialties.through,
    ContactChannel,
]


def seed_scale(
    *,
    practitioners: int,
    activities_per_practitioner: float = 1.2,
    territory_slug: str = "",
    seed: int = 1,
    progress: Callable[[str], None] = lambda message: None,
) -> ScaleReport:
    """Writes ``practitioners`` synthetic practitioners and their practices, activities, specialties and channels
    with COPY, in one transaction, then ANALYZEs the tables so that the planner knows their new size.

    With ``territory_slug``, the practices are placed in that territory's communes and every row belongs to it.
    Raises ``ApplicationError`` (in French) for a count or a ratio out of range or an unknown territory.
    """
    if practitioners < 1:
        raise ApplicationError(_("Le nombre de professionnels doit être au moins 1."), field="practitioners")
    if not 1 <= activities_per_practitioner <= 5:
        raise ApplicationError(
            _("Le nombre d'activités par professionnel doit être compris entre 1 et 5."),
            field="activities_per_practitioner",
        )
    territory = None
    if territory_slug:
        territory = Territory.objects.filter(slug=territory_slug).first()
        if territory is None:
            raise ApplicationError(
                _("Territoire inconnu : « %(slug)s ».") % {"slug": territory_slug}, field="territory"
            )
    report = ScaleReport()
    started = time.perf_counter()
    _write(
        practitioners=practitioners,
        activities_per_practitioner=activities_per_practitioner,
        territory=territory,
        seed=seed,
        report=report,
        progress=progress,
    )
    lap = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(m._meta.db_table) for m in SCALE_TABLES))
    report.timings["ANALYZE"] = round(time.perf_counter() - lap, 2)
    progress(f"ANALYZE : {report.timings['ANALYZE']} s")
    report.seconds = round(time.perf_counter() - started, 2)
    return report


def measured_user(role: str, **scope):
    """An account of ``role`` for a benchmark (``role_grant_create`` scope), with the second factor production
    requires of the roles that reach patient data."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from accounts.services import user_create
    from directory.services import role_grant_create

    user = user_create(
        email=f"mesure-{role}-{uuid.uuid4().hex[:8]}@cpts.test",
        password=None,
        first_name="Mesure",
        last_name=role.title(),
        email_verified=True,
    )
    role_grant_create(user=user, role=role, **scope)
    TOTP.activate(user, generate_totp_secret())
    return user

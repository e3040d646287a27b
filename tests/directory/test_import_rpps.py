"""The national RPPS import (``manage.py import_rpps``): what it creates, updates, keeps, rejects and announces."""

import io
import json
import sys
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from core.identifiers import rpps_is_valid, with_luhn_check_digit
from directory.models import (
    Absence,
    Activity,
    Audience,
    ChangeEvent,
    ContactChannel,
    DigitalTool,
    EntryClaim,
    EntryRevision,
    Practice,
    Practitioner,
    PractitionerTool,
    Profession,
    Source,
    Specialty,
)
from directory.rpps_import import COLUMNS, rpps_extract_import
from directory.rpps_synthetic import HEADER, activity_line, write_extract
from tests.factories import CommuneFactory, PracticeFactory, PractitionerFactory, UserFactory, vendee_communes

RPPS_A = with_luhn_check_digit("1000000001")
RPPS_B = with_luhn_check_digit("1000000002")
RPPS_C = with_luhn_check_digit("1000000003")
RPPS_D = with_luhn_check_digit("1000000004")
ADELI = "851234567"


@pytest.fixture
def communes(db):
    return vendee_communes()


@pytest.fixture
def bocage(territory, communes):
    """The CPTS covers La Roche-sur-Yon and two neighbours; Saint-Jean-de-Monts is outside."""
    territory.communes.set([communes["la_roche"], communes["mouilleron"], communes["venansault"]])
    return territory


def _extract(tmp_path, lines, name="extract.txt", header=HEADER):
    path = tmp_path / name
    path.write_text(header + "".join(lines), encoding="utf-8")
    return path


def _import(path, *, territory=None):
    """Runs the command as a coordinator would, and returns the JSON report it wrote."""
    report = path.with_suffix(".json")
    arguments = [str(path), "--report", str(report)]
    if territory is not None:
        arguments += ["--territory", territory.slug]
    call_command("import_rpps", *arguments, stdout=io.StringIO(), stderr=io.StringIO())
    return json.loads(report.read_text(encoding="utf-8"))


def _gp(rpps=RPPS_A, **fields):
    defaults = {
        "rpps": rpps,
        "last_name": "MARTIN",
        "first_name": "Alice",
        "savoir_faire": "SM54",
        "structure_id": "R10000000000001",
        "site_name": "MAISON DE SANTE DES TILLEULS",
        "street": "RUE DES TILLEULS",
        "postal_code": "85000",
        "commune": "85191",
        "commune_name": "La Roche-sur-Yon",
        "phone": "0251446161",
        "department": "85",
    }
    return activity_line(**{**defaults, **fields})


def _database_state():
    """Everything an import may write, to compare before and after."""
    return {
        "practitioners": sorted(Practitioner.objects.values_list("id", "rpps", "last_name", "updated_at")),
        "practices": sorted(Practice.objects.values_list("id", "rpps_structure_id", "name", "updated_at")),
        "activities": sorted(Activity.objects.values_list("practitioner_id", "practice_id", "source")),
        "specialties": sorted(Practitioner.specialties.through.objects.values_list("practitioner_id", "specialty_id")),
        "channels": sorted(ContactChannel.objects.values_list("id", "value", "updated_at")),
        "events": ChangeEvent.objects.count(),
        "revisions": EntryRevision.objects.count(),
    }


# --- what the import creates ----------------------------------------------------------------------------------


def test_import_creates_practitioners_practices_and_activities(tmp_path, communes):
    path = _extract(
        tmp_path,
        [
            _gp(),
            activity_line(
                rpps=RPPS_B,
                last_name="ROUSSEAU",
                first_name="Chloé",
                savoir_faire="SM04",
                structure_id="R10000000000002",
                site_name="CABINET DE CARDIOLOGIE",
                street="BOULEVARD ARISTIDE BRIAND",
                postal_code="85000",
                commune="85191",
                commune_name="La Roche-sur-Yon",
            ),
            activity_line(
                rpps=RPPS_B,
                last_name="ROUSSEAU",
                first_name="Chloé",
                savoir_faire="SM04",
                structure_id="R10000000000003",
                site_name="CLINIQUE DU COLISEE",
                postal_code="85160",
                commune="85234",
                commune_name="Saint-Jean-de-Monts",
            ),
            activity_line(
                rpps=RPPS_C,
                last_name="PETIT",
                first_name="Julie",
                civility="",
                profession="60",
                savoir_faire="",
                structure_id="R10000000000001",
                commune="85191",
            ),
            activity_line(
                adeli=ADELI,
                last_name="LEROY",
                first_name="Manon",
                civility="",
                profession="91",
                savoir_faire="",
                structure_id="R10000000000001",
                commune="85191",
            ),
        ],
    )

    report = _import(path)

    assert {key: report[key] for key in ("lines", "created", "updated", "unchanged", "rejected")} == {
        "lines": 5,
        "created": 4,
        "updated": 0,
        "unchanged": 0,
        "rejected": [],
    }
    assert {"arrivals", "departures"} <= report.keys()
    gp = Practitioner.objects.get(rpps=RPPS_A)
    assert (gp.first_name, gp.last_name, gp.civility, gp.profession.code) == ("Alice", "MARTIN", "Docteur", "10")
    assert [specialty.code for specialty in gp.specialties.all()] == ["SM54"]
    assert gp.source == Source.RPPS_IMPORT
    assert gp.rpps_seen_at is not None
    cardiologist = Practitioner.objects.get(rpps=RPPS_B)
    assert sorted(cardiologist.practices.values_list("rpps_structure_id", flat=True)) == [
        "R10000000000002",
        "R10000000000003",
    ]
    nurse = Practitioner.objects.get(rpps=RPPS_C)
    assert (nurse.profession.code, nurse.civility, nurse.specialties.count()) == ("60", "", 0)
    speech_therapist = Practitioner.objects.get(adeli=ADELI)
    assert speech_therapist.rpps is None
    assert speech_therapist.profession.code == "91"
    site = Practice.objects.get(rpps_structure_id="R10000000000001")
    assert (site.name, site.address, site.postal_code, site.city) == (
        "MAISON DE SANTE DES TILLEULS",
        "RUE DES TILLEULS",
        "85000",
        "La Roche-sur-Yon",
    )
    assert site.commune == communes["la_roche"]
    # A site without a position of its own is placed at its commune's town hall.
    assert (site.latitude, site.longitude) == (communes["la_roche"].latitude, communes["la_roche"].longitude)
    assert site.source == Source.RPPS_IMPORT
    assert sorted(site.practitioners.values_list("last_name", flat=True)) == ["LEROY", "MARTIN", "PETIT"]
    assert set(Activity.objects.values_list("source", flat=True)) == {Source.RPPS_IMPORT}
    assert Activity.objects.count() == 5


def test_a_persons_lines_need_not_be_next_to_each_other(tmp_path, communes):
    path = _extract(
        tmp_path,
        [
            _gp(structure_id="R1"),
            _gp(rpps=RPPS_B, last_name="BENALI", structure_id="R2"),
            _gp(structure_id="R2"),
            _gp(structure_id="R1"),  # the same activity twice
        ],
    )

    report = _import(path)

    assert (report["created"], report["lines"]) == (2, 4)
    assert sorted(Practitioner.objects.get(rpps=RPPS_A).practices.values_list("rpps_structure_id", flat=True)) == [
        "R1",
        "R2",
    ]
    assert Activity.objects.count() == 3


def test_revisions_are_written_for_created_and_updated_practitioners(tmp_path, communes):
    _import(_extract(tmp_path, [_gp()]))
    created = EntryRevision.objects.get()
    assert (created.action, created.actor_label, created.object_type) == (
        EntryRevision.Action.IMPORTED,
        "Import national RPPS",
        "practitioner",
    )
    assert created.practitioner.rpps == RPPS_A
    assert created.after["last_name"] == "MARTIN"
    assert created.after["specialties"] == ["Médecine générale"]

    _import(_extract(tmp_path, [_gp(last_name="MARTIN-DURAND")], name="second.txt"))

    updated = EntryRevision.objects.exclude(pk=created.pk).get()
    assert (updated.before, updated.after) == ({"last_name": "MARTIN"}, {"last_name": "MARTIN-DURAND"})


# --- a second run, and what the CPTS entered by hand -----------------------------------------------------------


def test_second_run_of_the_same_file_changes_nothing(tmp_path, bocage):
    path = tmp_path / "extract.txt"
    write_extract(path, lines=300, seed=3, communes=["85191", "85155", "85300"])
    first = _import(path, territory=bocage)
    before = _database_state()

    second = _import(path, territory=bocage)

    assert first["created"] > 100
    assert (second["created"], second["updated"], second["unchanged"]) == (0, 0, first["created"])
    assert (second["arrivals"], second["departures"], second["rejected"]) == (0, 0, [])
    assert second["activities_created"] == second["activities_removed"] == 0
    assert second["channels_created"] == second["channels_updated"] == second["channels_removed"] == 0
    assert _database_state() == before


def _indexes_and_foreign_keys():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT 'index', pg_get_indexdef(i.indexrelid) FROM pg_index i
            JOIN pg_class t ON t.oid = i.indrelid WHERE t.relname LIKE 'directory\\_%%'
            UNION ALL
            SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c
            JOIN pg_class t ON t.oid = c.conrelid WHERE t.relname LIKE 'directory\\_%%'
            """
        )
        return sorted(cursor.fetchall())


def test_a_first_load_into_an_empty_directory_puts_back_every_index_and_foreign_key(tmp_path, bocage):
    path = tmp_path / "extract.txt"
    write_extract(path, lines=300, seed=3, communes=["85191", "85155", "85300"])
    before = _indexes_and_foreign_keys()
    assert sum(kind == "index" for kind, _definition in before) > 40

    report = _import(path)

    assert "indexes" in report["seconds"]  # the empty directory's path was taken
    assert _indexes_and_foreign_keys() == before
    assert "indexes" not in _import(path)["seconds"]


def test_national_data_are_updated_and_what_the_cpts_entered_is_kept(tmp_path, communes, territory):
    user = UserFactory(email="alice@cpts.test")
    manual_practice = PracticeFactory(name="Cabinet secondaire", territory=territory)
    entry = PractitionerFactory(
        rpps=RPPS_A,
        first_name="Alice",
        last_name="MARTIN",
        territory=territory,
        user=user,
        languages=["en", "es"],
        accepting_new_patients=True,
        answers_teleexpertise=True,
        practice_tags=["home_visits"],
        practice_notes="Échographie le mardi",
        cpts_member_since=timezone.localdate() - timedelta(days=400),
    )
    dermatology = Specialty.objects.get(code="SM15")
    entry.specialties.add(dermatology)
    Activity.objects.create(practitioner=entry, practice=manual_practice)
    channel = ContactChannel.objects.create(
        practitioner=entry, audience=Audience.PROFESSIONALS, kind=ContactChannel.Kind.PHONE, value="+33251000000"
    )
    PractitionerTool.objects.create(practitioner=entry, tool=DigitalTool.objects.first(), handle_or_link="@alice")
    Absence.objects.create(
        practitioner=entry, starts_on=timezone.localdate(), ends_on=timezone.localdate() + timedelta(days=7)
    )
    EntryClaim.objects.create(practitioner=entry, email="alice@cpts.test")
    updated_at = entry.updated_at

    report = _import(_extract(tmp_path, [_gp(last_name="MARTIN-DURAND", savoir_faire="SM04")]))

    assert (report["created"], report["updated"], report["unchanged"]) == (0, 1, 0)
    entry.refresh_from_db()
    assert entry.last_name == "MARTIN-DURAND"  # national truth
    assert entry.civility == "Docteur"
    assert entry.profession == Profession.objects.get(code="10")
    assert entry.updated_at > updated_at
    assert entry.source == Source.MANUAL  # who created it does not change
    assert sorted(entry.specialties.values_list("code", flat=True)) == ["SM04", "SM15"]
    assert (entry.user, entry.languages, entry.accepting_new_patients, entry.answers_teleexpertise) == (
        user,
        ["en", "es"],
        True,
        True,
    )
    assert (entry.practice_tags, entry.practice_notes, entry.territory) == (
        ["home_visits"],
        "Échographie le mardi",
        territory,
    )
    assert entry.cpts_member_since is not None
    assert ContactChannel.objects.get(pk=channel.pk).value == "+33251000000"
    assert entry.tools.count() == entry.absences.count() == entry.claims.count() == 1
    assert Activity.objects.get(practitioner=entry, practice=manual_practice).source == Source.MANUAL
    assert entry.practices.count() == 2


def test_a_practice_created_by_hand_is_linked_but_never_overwritten(tmp_path, communes, territory):
    practice = PracticeFactory(
        name="Maison de santé des Tilleuls",
        territory=territory,
        rpps_structure_id="R10000000000001",
        address="3 place du Marché",
        latitude=46.7,
        longitude=-1.4,
    )

    _import(_extract(tmp_path, [_gp()]))

    practice.refresh_from_db()
    assert (practice.name, practice.address, practice.latitude, practice.source) == (
        "Maison de santé des Tilleuls",
        "3 place du Marché",
        46.7,
        Source.MANUAL,
    )
    assert list(practice.practitioners.values_list("rpps", flat=True)) == [RPPS_A]
    assert not practice.contact_channels.exists()


def test_an_imported_practice_follows_the_file_but_keeps_a_position_set_by_hand(tmp_path, communes):
    _import(_extract(tmp_path, [_gp()]))
    practice = Practice.objects.get(rpps_structure_id="R10000000000001")
    Practice.objects.filter(pk=practice.pk).update(latitude=46.6701, longitude=-1.4301)

    _import(_extract(tmp_path, [_gp(site_name="MSP DES TILLEULS", street="RUE NEUVE")], name="second.txt"))

    practice.refresh_from_db()
    assert (practice.name, practice.address) == ("MSP DES TILLEULS", "RUE NEUVE")
    assert (practice.latitude, practice.longitude) == (46.6701, -1.4301)


# --- rejected lines and wrong files -----------------------------------------------------------------------------


def test_rejected_lines_are_listed_with_editor_line_numbers_and_french_reasons(tmp_path, communes):
    bad_key = RPPS_B[:-1] + str((int(RPPS_B[-1]) + 1) % 10)
    assert not rpps_is_valid(bad_key)
    lines = [
        _gp(),  # line 2
        _gp(rpps=bad_key, last_name="FAUX"),  # line 3
        _gp(rpps=RPPS_C, last_name="PETIT"),  # line 4
        _gp(rpps=RPPS_D).replace("|MARTIN|", "|MARTIN|EN TROP|"),  # line 5: 57 columns
        _gp(rpps=RPPS_D)[:-2] + "Soins\n",  # line 6: 56 columns, without the trailing "|"
        _gp(rpps=RPPS_D).replace("8|", "3|", 1),  # line 7: unknown type of identifier
        activity_line(adeli="8512", commune="85191", structure_id="R2"),  # line 8: ADELI too short
        "\n",  # line 9
    ]

    report = _import(_extract(tmp_path, lines))

    assert report["lines"] == 8
    assert report["rejected"] == [
        {"line": 3, "reason": f"numéro RPPS invalide (11 chiffres dont une clé de contrôle) : « {bad_key} »"},
        {"line": 5, "reason": "57 colonnes au lieu de 56"},
        {"line": 6, "reason": "la ligne ne se termine pas par « | »"},
        {"line": 7, "reason": "type d'identifiant inconnu : « 3 » (8 pour RPPS, 0 pour ADELI)"},
        {"line": 8, "reason": "numéro ADELI invalide (9 caractères) : « 8512 »"},
        {"line": 9, "reason": "ligne vide"},
    ]
    assert sorted(Practitioner.objects.values_list("rpps", flat=True)) == [RPPS_A, RPPS_C]
    assert report["created"] == 2


def test_line_numbers_count_crlf_and_lone_cr_as_an_editor_does(tmp_path, communes):
    bad = _gp(rpps="12345678901").rstrip("\n")
    path = tmp_path / "crlf.txt"
    path.write_bytes(
        (
            HEADER.rstrip("\n") + "\r\n" + _gp().rstrip("\n") + "\r" + _gp(rpps=RPPS_B).rstrip("\n") + "\r\n" + bad
        ).encode("utf-8")
    )

    report = _import(path)

    assert report["lines"] == 3
    assert report["rejected"] == [
        {"line": 4, "reason": "numéro RPPS invalide (11 chiffres dont une clé de contrôle) : « 12345678901 »"}
    ]
    assert report["created"] == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (HEADER.replace("Code profession", "Profession") + "x|\n", "la colonne 10 s'appelle « Profession »"),
        ("Nom|Prénom|RPPS|\n", "son en-tête a 3 colonnes au lieu de 56"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "n'est pas du texte UTF-8"),
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00", "octets nuls"),
        (HEADER + _gp() + "8|\x00|binaire\n", "la ligne 3 contient des octets nuls"),
        (
            HEADER.encode() + (_gp(first_name="Hélène") + _gp(rpps=RPPS_B)).encode("latin-1"),
            "la ligne 2 n'est pas en UTF-8",
        ),
        (HEADER.encode("utf-16"), "encodé en UTF-16"),
        ("", "le fichier est vide"),
        ("x" * 70_000, "sa première ligne dépasse 64 Kio"),
        (HEADER + _gp() + "y" * 2_000_000, "la ligne 3 dépasse 64 Kio"),
        (HEADER, "aucune ligne d'activité valide"),
        (HEADER + "n'importe quoi\n", "aucune ligne d'activité valide"),
    ],
    ids=[
        "other-column",
        "other-header",
        "image",
        "zip",
        "nul-after-good-lines",
        "latin-1",
        "utf-16",
        "empty",
        "no-line-break",
        "endless-line",
        "no-line",
        "garbage",
    ],
)
def test_a_wrong_file_stops_with_a_french_message_and_changes_nothing(tmp_path, communes, content, message):
    _import(_extract(tmp_path, [_gp(), _gp(rpps=RPPS_B, structure_id="R2")], name="good.txt"))
    before = _database_state()
    path = tmp_path / "wrong.txt"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")

    with pytest.raises(CommandError) as raised:
        call_command("import_rpps", str(path), stdout=io.StringIO())

    assert message in str(raised.value)
    assert "Rien n'a été importé" in str(raised.value)
    assert _database_state() == before


def test_unknown_territory_and_missing_file_are_refused(tmp_path, communes):
    with pytest.raises(CommandError, match="Territoire inconnu : « nulle-part »"):
        call_command("import_rpps", str(_extract(tmp_path, [_gp()])), "--territory", "nulle-part")
    with pytest.raises(CommandError, match="Impossible de lire le fichier"):
        call_command("import_rpps", str(tmp_path / "absent.txt"))
    assert not Practitioner.objects.exists()


def test_too_many_rejected_lines_mean_a_wrong_file(tmp_path, communes, monkeypatch):
    monkeypatch.setattr("directory.rpps_import.MAX_REJECTED", 3)
    lines = [_gp()] + [_gp(rpps="12345678901")] * 4

    with pytest.raises(CommandError, match="plus de 3 lignes sont rejetées"):
        call_command("import_rpps", str(_extract(tmp_path, lines)), stdout=io.StringIO())

    assert not Practitioner.objects.exists()


# --- reference data the portal lacks -----------------------------------------------------------------------------


def test_unknown_codes_and_communes_are_counted_without_failing(tmp_path, communes):
    path = _extract(
        tmp_path,
        [
            _gp(profession="99", savoir_faire=""),
            _gp(rpps=RPPS_B, savoir_faire="SM01", structure_id="R2"),
            _gp(rpps=RPPS_C, structure_id="R3", commune="99999", commune_name="Atlantide"),
        ],
    )

    report = _import(path)

    assert report["created"] == 3
    assert report["unknown_profession_codes"] == {"99": 1}
    assert report["unknown_specialty_codes"] == {"SM01": 1}
    assert report["practices_without_commune"] == 1
    assert report["unknown_commune_codes"] == {"99999": 1}
    assert Practitioner.objects.get(rpps=RPPS_A).profession is None
    assert not Practitioner.objects.get(rpps=RPPS_B).specialties.exists()
    lost = Practice.objects.get(rpps_structure_id="R3")
    assert (lost.commune, lost.city, lost.latitude) == (None, "Atlantide", None)


# --- territory, arrivals and departures ---------------------------------------------------------------------------


def test_territory_import_keeps_only_activities_in_its_communes(tmp_path, bocage):
    path = _extract(
        tmp_path,
        [
            _gp(),
            _gp(structure_id="R-COAST", commune="85234", commune_name="Saint-Jean-de-Monts"),
            _gp(rpps=RPPS_B, structure_id="R-COAST2", commune="85234", commune_name="Saint-Jean-de-Monts"),
        ],
    )

    report = _import(path, territory=bocage)

    assert (report["lines"], report["imported_lines"], report["outside_territory"]) == (3, 1, 2)
    assert list(Practitioner.objects.values_list("rpps", flat=True)) == [RPPS_A]
    gp = Practitioner.objects.get()
    assert gp.territory == bocage
    assert list(gp.practices.values_list("rpps_structure_id", "territory")) == [("R10000000000001", bocage.pk)]


def test_first_import_into_a_territory_announces_no_arrivals(tmp_path, bocage):
    report = _import(_extract(tmp_path, [_gp(), _gp(rpps=RPPS_B)]), territory=bocage)

    assert (report["created"], report["arrivals"], report["initial_load"]) == (2, 0, True)
    assert report["initial_load_territories"] == ["bocage"]
    assert not ChangeEvent.objects.exists()


def test_persons_new_to_the_territory_arrive_and_persons_gone_depart(tmp_path, bocage):
    manual_practice = PracticeFactory(territory=bocage, commune=bocage.communes.first())
    _import(
        _extract(tmp_path, [_gp(), _gp(rpps=RPPS_B), _gp(rpps=RPPS_D, structure_id="R-D")], name="january.txt"),
        territory=bocage,
    )
    stays_by_hand = Practitioner.objects.get(rpps=RPPS_D)
    Activity.objects.create(practitioner=stays_by_hand, practice=manual_practice)
    moving = [_gp(rpps=RPPS_B, structure_id="R-COAST", commune="85234", commune_name="Saint-Jean-de-Monts")]

    report = _import(_extract(tmp_path, [_gp(), _gp(rpps=RPPS_C), *moving], name="february.txt"), territory=bocage)

    assert (report["arrivals"], report["departures"], report["initial_load"]) == (1, 1, False)
    today = timezone.localdate()
    # D's imported activity is gone, but D still works in the territory (entered by hand): D does not depart.
    assert sorted(ChangeEvent.objects.values_list("practitioner__rpps", "kind", "happened_on", "territory")) == [
        (RPPS_B, ChangeEvent.Kind.DEPARTURE, today, bocage.pk),
        (RPPS_C, ChangeEvent.Kind.ARRIVAL, today, bocage.pk),
    ]
    # Gone from the file: imported activities removed, the entry itself kept (claims, history…).
    departed = Practitioner.objects.get(rpps=RPPS_B)
    assert not departed.activities.exists()
    assert list(stays_by_hand.activities.values_list("source", flat=True)) == [Source.MANUAL]
    assert report["activities_removed"] == 2
    # The same file again announces nothing more.
    again = _import(_extract(tmp_path, [_gp(), _gp(rpps=RPPS_C), *moving], name="march.txt"), territory=bocage)
    assert (again["arrivals"], again["departures"]) == (0, 0)
    assert ChangeEvent.objects.count() == 2


def test_a_practice_new_to_a_territory_already_loaded_is_announced_once(tmp_path, bocage):
    _import(_extract(tmp_path, [_gp()], name="january.txt"), territory=bocage)
    assert not ChangeEvent.objects.exists()  # the first load announces no practice either

    february = [_gp(), _gp(rpps=RPPS_B, structure_id="R-NEW")]
    report = _import(_extract(tmp_path, february, name="february.txt"), territory=bocage)

    assert report["new_practices"] == 1
    event = ChangeEvent.objects.get(kind=ChangeEvent.Kind.NEW_PRACTICE)
    assert event.practitioner is None and event.practice.rpps_structure_id == "R-NEW"
    assert event.territory == bocage and event.happened_on == timezone.localdate()
    again = _import(_extract(tmp_path, february, name="march.txt"), territory=bocage)
    assert again["new_practices"] == 0
    assert ChangeEvent.objects.filter(kind=ChangeEvent.Kind.NEW_PRACTICE).count() == 1


def test_a_territory_import_leaves_the_rest_of_the_country_alone(tmp_path, bocage):
    _import(_extract(tmp_path, [_gp(rpps=RPPS_B, structure_id="R-COAST", commune="85234")], name="national.txt"))

    _import(_extract(tmp_path, [_gp()], name="bocage.txt"), territory=bocage)

    assert Activity.objects.filter(practitioner__rpps=RPPS_B).exists()


def test_a_national_import_places_practices_in_their_territory(tmp_path, bocage):
    _import(_extract(tmp_path, [_gp(), _gp(rpps=RPPS_B, structure_id="R-COAST", commune="85234")]))

    assert Practice.objects.get(rpps_structure_id="R10000000000001").territory == bocage
    assert Practice.objects.get(rpps_structure_id="R-COAST").territory is None
    assert Practitioner.objects.get(rpps=RPPS_A).territory == bocage
    assert Practitioner.objects.get(rpps=RPPS_B).territory is None


def test_national_arrivals_are_counted_per_territory(tmp_path, bocage):
    _import(_extract(tmp_path, [_gp()], name="first.txt"))

    report = _import(_extract(tmp_path, [_gp(), _gp(rpps=RPPS_B)], name="second.txt"))

    assert (report["arrivals"], report["initial_load"], report["initial_load_territories"]) == (1, False, [])
    assert ChangeEvent.objects.get().practitioner.rpps == RPPS_B


# --- the structure's phone ----------------------------------------------------------------------------------------


def test_an_imported_practice_gets_its_public_phone_and_keeps_it_in_step(tmp_path, communes):
    _import(_extract(tmp_path, [_gp(phone="02 51 44 61 61")], name="one.txt"))
    practice = Practice.objects.get()
    channel = practice.contact_channels.get()
    assert (channel.audience, channel.kind, channel.value, channel.source, channel.practitioner) == (
        Audience.PUBLIC,
        ContactChannel.Kind.PHONE,
        "+33251446161",
        Source.RPPS_IMPORT,
        None,
    )
    manual = ContactChannel.objects.create(
        practice=practice, audience=Audience.PROFESSIONALS, kind=ContactChannel.Kind.PHONE, value="+33251000001"
    )

    _import(_extract(tmp_path, [_gp(phone="0251446262")], name="two.txt"))
    assert practice.contact_channels.get(source=Source.RPPS_IMPORT).value == "+33251446262"

    report = _import(_extract(tmp_path, [_gp(phone="")], name="three.txt"))
    assert report["channels_removed"] == 1
    assert list(practice.contact_channels.all()) == [manual]


@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        ("0251446161", "+33251446161"),
        ("02.51.44.61.61", "+33251446161"),
        ("+33 2 51 44 61 61", "+33251446161"),
        ("0033251446161", "+33251446161"),
        ("0612345678", "+33612345678"),
        ("251446161", None),  # the trunk 0 missing
        ("0051446161", None),
        ("02 51 44 61", None),
        ("n/c", None),
    ],
)
def test_structure_phone_numbers_are_stored_in_e164_or_not_at_all(tmp_path, communes, phone, expected):
    _import(_extract(tmp_path, [_gp(phone=phone)]))

    assert list(ContactChannel.objects.values_list("value", flat=True)) == ([expected] if expected else [])


def test_overseas_numbers_take_their_prefix_from_the_commune_when_the_department_is_empty(tmp_path, db):
    CommuneFactory(insee_code="97411", name="Saint-Denis", postal_codes=["97400"], department="974", region="04")
    line = _gp(commune="97411", commune_name="Saint-Denis", postal_code="97400", department="", phone="0262901234")

    _import(_extract(tmp_path, [line]))

    assert ContactChannel.objects.get().value == "+262262901234"


# --- the command's output, progress, scale ------------------------------------------------------------------------


def test_progress_bar_is_shown_on_a_terminal_only(tmp_path, communes, monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    path = _extract(tmp_path, [_gp()])
    captured = io.StringIO()
    monkeypatch.setattr(sys, "stderr", captured)
    call_command("import_rpps", str(path), stdout=io.StringIO())
    assert "Lecture" not in captured.getvalue()

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    out = io.StringIO()
    call_command("import_rpps", str(path), stdout=out)
    assert "Lecture de l'extraction" in terminal.getvalue()
    assert "Lignes lues : 1" in out.getvalue()


def test_the_synthetic_extract_is_well_formed(tmp_path):
    path = tmp_path / "synthetic.txt"
    summary = write_extract(path, lines=2000, seed=5)

    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "|".join(COLUMNS) + "|"
    rows = [line.split("|") for line in lines[1:]]
    assert len(rows) == summary["lines"] == 2000
    assert {len(row) for row in rows} == {57}
    assert {row[-1] for row in rows} == {""}
    rpps = {row[1] for row in rows if row[0] == "8"}
    adeli = {row[1] for row in rows if row[0] == "0"}
    assert all(rpps_is_valid(number) for number in rpps)
    assert adeli and all(len(number) == 9 for number in adeli)
    assert len(rpps) + len(adeli) == summary["persons"] < 2000  # persons repeat over several lines
    professions = {row[9] for row in rows}
    assert {"10", "60", "21", "70"} <= professions
    assert {"SM54", "SM04", "SM15", "SM48", "SM24"} <= {row[15] for row in rows if row[9] == "10"}
    assert any(row[44] == "" and row[36] for row in rows)  # departments left empty, as in the real file


def test_a_synthetic_extract_of_5000_lines_imports_completely_and_once(tmp_path, bocage):
    path = tmp_path / "synthetic.txt"
    write_extract(path, lines=5000, seed=7, communes=["85191", "85155", "85300"])
    rows = [line.split("|") for line in path.read_text(encoding="utf-8").splitlines()[1:]]
    in_territory = [row for row in rows if row[36]]  # the 1 % of activities without a site are outside any
    persons = {row[0] + row[1] for row in in_territory}
    pairs = {(row[0] + row[1], row[23]) for row in in_territory}

    report = rpps_extract_import(path=path, territory=bocage)

    assert (report["lines"], report["imported_lines"], report["rejected"]) == (5000, len(in_territory), [])
    assert report["created"] == Practitioner.objects.count() == len(persons)
    assert Practice.objects.count() == len({structure for _person, structure in pairs})
    assert Activity.objects.count() == report["activities_created"] == len(pairs)
    assert EntryRevision.objects.count() == len(persons)
    again = rpps_extract_import(path=path, territory=bocage)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, len(persons))

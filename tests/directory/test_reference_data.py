"""Reference data: communes, professions and specialties, loaded by migrations into every database."""

import pytest
from django.db import connection

from cpts_portal.demo import DEMO_CENTRE_INSEE, seed_demo
from directory.models import Commune, Profession, Specialty, Territory
from directory.selectors import communes_matching, communes_within, professions_matching, specialties_matching
from tests.factories import SpecialtyFactory

pytestmark = pytest.mark.django_db


def names(communes):
    return [commune.name for commune in communes]


def codes(rows):
    return {row.code for row in rows}


# --- Communes ---------------------------------------------------------------------------------------------------


def test_every_commune_is_loaded_by_the_migration():
    assert Commune.objects.count() == 35014
    # 98 rows have no position in the file and two have "nan": all stored as unknown, never as NaN.
    assert Commune.objects.filter(latitude__isnull=True).count() == 100
    assert not Commune.objects.filter(latitude=float("nan")).exists()


def test_la_roche_sur_yon_is_85191_with_its_position():
    commune = Commune.objects.get(insee_code="85191")
    assert commune.name == "La Roche-sur-Yon"
    assert commune.department == "85"
    assert "85000" in commune.postal_codes
    assert commune.latitude == pytest.approx(46.67, abs=0.05)
    assert commune.longitude == pytest.approx(-1.43, abs=0.05)


def test_postal_code_31000_resolves_to_toulouse():
    assert names(communes_matching("31000")) == ["Toulouse"]


def test_a_postal_code_shared_by_several_communes_returns_them_all():
    expected = set(Commune.objects.filter(postal_codes__contains=["85300"]).values_list("insee_code", flat=True))
    assert len(expected) == 5  # 85300: Challans and four neighbours

    found = communes_matching("85300")

    assert {commune.insee_code for commune in found} == expected
    assert found[0].name == "Challans"  # the most populated first


def test_an_insee_code_resolves_to_its_commune():
    assert names(communes_matching("85191")) == ["La Roche-sur-Yon"]
    assert communes_matching("2a004")[0].insee_code == "2A004"  # Ajaccio, typed in lower case


@pytest.mark.parametrize("query", ["la roche", "La Roche", "LA ROCHE SUR YON", "la-roche-sur-yon", "roche sur yon"])
def test_la_roche_finds_la_roche_sur_yon_first(query):
    assert communes_matching(query)[0].name == "La Roche-sur-Yon"


@pytest.mark.parametrize("query", ["Montaigu", "montaigu-vendee", "Montaigu-Vendée", "MONTAIGU VENDEE"])
def test_names_match_with_or_without_accents_and_hyphens(query):
    assert "Montaigu-Vendée" in names(communes_matching(query))


@pytest.mark.parametrize("query", ["st gilles", "St-Gilles-Croix", "st. gilles croix de vie", "saint gilles croix"])
def test_st_is_read_as_saint(query):
    assert "Saint-Gilles-Croix-de-Vie" in names(communes_matching(query))


def test_ste_is_read_as_sainte():
    assert "Sainte-Foy" in names(communes_matching("ste foy"))


def test_a_misspelt_name_still_finds_the_commune():
    assert communes_matching("la roche sur yonn")[0].name == "La Roche-sur-Yon"


def test_a_large_city_comes_before_small_namesakes():
    assert communes_matching("paris")[0].name == "Paris"


def test_the_limit_is_respected():
    assert len(communes_matching("saint", limit=5)) == 5


@pytest.mark.parametrize("query", ["", "   ", "zzqxwv", "%%%", "'; drop table directory_commune; --", "99999", "-"])
def test_unknown_or_nonsense_queries_return_an_empty_list(query):
    assert communes_matching(query) == []


def test_name_search_uses_the_trigram_index():
    # The filter states the same expression as the index; PostgreSQL must be able to use it (seq scans off).
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT insee_code FROM directory_commune"
            " WHERE directory_search_text(name) LIKE directory_search_text('la roche') || '%%'"
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "commune_name_search_trgm" in plan


def test_communes_within_a_radius_are_chosen_by_distance():
    around = list(communes_within(insee_code="85191", radius_km=10))

    assert around[0].insee_code == "85191"  # the centre, at distance 0
    assert all(commune.distance_m <= 10_000 for commune in around)
    assert "Mouilleron-le-Captif" in names(around)  # next door
    assert "Challans" not in names(around)  # about 40 km away


def test_communes_within_an_unknown_centre_is_empty():
    assert list(communes_within(insee_code="00000", radius_km=10)) == []


# --- Professions and specialties -------------------------------------------------------------------------------


def test_professions_carry_the_rpps_codes():
    assert Profession.objects.get(code="10").label == "Médecin"
    assert Profession.objects.get(code="60").label == "Infirmier"
    assert Profession.objects.get(code="70").label == "Masseur-kinésithérapeute"
    assert Profession.objects.get(code="91").label == "Orthophoniste"


def test_specialties_carry_the_rpps_codes_and_their_profession():
    assert Specialty.objects.get(code="SM04").label == "Cardiologie et maladies vasculaires"
    assert Specialty.objects.get(code="SM48").label == "Rhumatologie"
    assert Specialty.objects.get(code="SM24").profession.code == "10"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("cardio", {"SM04", "SM73"}),
        ("Cardiologie", {"SM04", "SM73"}),
        ("CARDIOLOGUE", {"SM04", "SM73"}),
        ("dermato", {"SM15"}),
        ("gyneco", {"SM19", "SM20"}),
        ("gynéco", {"SM19", "SM20"}),
        ("rhumato", {"SM48"}),
        ("gastro", {"SM24"}),
        ("hépato", {"SM24"}),
        ("ORL", {"SM34", "SM39"}),
        ("orl", {"SM34", "SM39"}),
        ("généraliste", {"SM54", "SM53", "SM26"}),
        ("MG", {"SM54", "SM53", "SM26"}),
        ("medecine generale", {"SM54", "SM53", "SM26"}),
        ("endocrino", {"SM16", "SM62"}),
        ("pédiatre", {"SM40"}),
        ("orthopédie", {"SM08"}),
    ],
)
def test_specialties_are_found_by_label_words_or_synonyms(query, expected):
    assert codes(specialties_matching(query)) == expected


@pytest.mark.parametrize("query", ["", "  ", "zzqxwv", "%", "cardio zzqxwv"])
def test_unknown_specialty_queries_return_an_empty_list(query):
    assert specialties_matching(query) == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [("kiné", {"70"}), ("kinesitherapeute", {"70"}), ("infirmière", {"60", "69"}), ("dentiste", {"40"})],
)
def test_professions_are_found_by_label_or_synonyms(query, expected):
    assert codes(professions_matching(query)) == expected


def test_the_factories_reuse_the_loaded_specialties():
    specialty = SpecialtyFactory(code="SM04", label="Cardiologie")
    assert specialty == Specialty.objects.get(code="SM04")
    assert Specialty.objects.filter(code="SM04").count() == 1


# --- The demo territory ----------------------------------------------------------------------------------------


def test_the_demo_territory_covers_the_communes_around_la_roche_sur_yon():
    seed_demo()
    territory = Territory.objects.get(slug="demo-bocage")
    communes = set(territory.communes.values_list("name", flat=True))

    assert "La Roche-sur-Yon" in communes
    assert "Mouilleron-le-Captif" in communes
    assert 20 <= len(communes) <= 120
    assert "Challans" not in communes

    seed_demo()  # idempotent
    assert territory.communes.count() == len(communes)
    assert Commune.objects.get(insee_code=DEMO_CENTRE_INSEE).territories.filter(pk=territory.pk).exists()

"""The directory search (/annuaire/): specialty or name, near a commune, nearest first, with the channel to use."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from cpts_portal.lib.errors import ApplicationError
from directory import selectors
from directory.models import (
    Absence,
    Activity,
    Audience,
    ContactChannel,
    DigitalTool,
    Practitioner,
    PractitionerTool,
)
from tests.factories import PracticeFactory, PractitionerFactory, SpecialtyFactory, vendee_communes

URL = "/annuaire/"


@pytest.fixture
def communes(db):
    return vendee_communes()


@pytest.fixture
def cardiology():
    return SpecialtyFactory(code="SM04", label="Cardiologie et maladies vasculaires")


def _entry(first_name, last_name, specialty, practice, **fields) -> Practitioner:
    practitioner = PractitionerFactory(first_name=first_name, last_name=last_name, **fields)
    practitioner.specialties.add(specialty)
    Activity.objects.create(practitioner=practitioner, practice=practice)
    return practitioner


@pytest.fixture
def entries(communes, territory, cardiology, gp, cardiologist, gp_practice, cardio_practice):
    """The GP at Mouilleron; Dr Rousseau in La Roche; Dr Morel, cardiologist in Venansault (no position of his
    practice: placed at the town hall); Dr Le Goff, cardiologist on the coast, 50 km away."""
    gp_practice.commune, gp_practice.latitude, gp_practice.longitude = communes["mouilleron"], 46.7231, -1.4562
    gp_practice.save()
    cardio_practice.commune, cardio_practice.latitude, cardio_practice.longitude = (
        communes["la_roche"],
        46.6705,
        -1.4260,
    )
    cardio_practice.save()
    rousseau = Practitioner.objects.get(user=cardiologist)
    ContactChannel.objects.create(
        practitioner=rousseau,
        audience=Audience.PROFESSIONALS,
        kind="professional_line",
        value="+33251000003",
        preferred=True,
        hours="9h-12h en semaine",
    )
    ContactChannel.objects.create(practitioner=rousseau, audience=Audience.PUBLIC, kind="phone", value="+33251999999")
    venansault = PracticeFactory(name="Cabinet de Venansault", territory=territory, commune=communes["venansault"])
    morel = _entry("Marc", "Morel", cardiology, venansault, territory=territory)
    ContactChannel.objects.create(
        practice=venansault, audience=Audience.PROFESSIONALS, kind="mssante", value="cabinet@venansault.mssante.fr"
    )
    coast = PracticeFactory(
        name="Cabinet de la Plage", territory=territory, commune=communes["saint_jean"], latitude=46.79, longitude=-2.06
    )
    le_goff = _entry("Yann", "Le Goff", cardiology, coast, territory=territory)
    return {"rousseau": rousseau, "morel": morel, "le_goff": le_goff}


def _search(user, **criteria):
    return selectors.practitioners_search(viewer=user, **criteria)


def test_cardio_near_la_roche_finds_the_cardiologists_nearest_first(entries, gp):
    results = _search(gp, q="cardio", place="La Roche", radius_km=100)

    assert results.commune.insee_code == "85191"
    assert [p.last_name for p in results.practitioners] == ["Rousseau", "Morel", "Le Goff"]
    distances = [p.distance_km for p in results.practitioners]
    assert distances == sorted(distances)
    assert distances[0] < 1 and 5 < distances[1] < 8 and 40 < distances[2] < 55
    assert results.practitioners[0].nearest_practice.name == "Cabinet de cardiologie du Centre"


def test_a_practitioner_beyond_the_radius_is_left_out(entries, gp):
    results = _search(gp, q="cardio", place="85000")  # 30 km by default

    assert [p.last_name for p in results.practitioners] == ["Rousseau", "Morel"]


def test_a_postal_code_or_a_name_gives_the_place(entries, gp):
    assert _search(gp, q="cardio", place="Venansault", radius_km=1).practitioners == [entries["morel"]]


@pytest.mark.parametrize("query", ["Rousseau", "rousseau", "Chloé", "chloe rousseau", "Dr ROUSSEAU", "Rouseau"])
def test_name_search_ignores_accents_case_and_small_typos(entries, gp, query):
    found = _search(gp, q=query).practitioners

    assert entries["rousseau"] in found
    assert entries["le_goff"] not in found


def test_name_search_finds_accented_names_typed_without_accents(entries, gp, cardiology, cardio_practice):
    lefevre = _entry("Paul", "Lefèvre", cardiology, cardio_practice)

    assert _search(gp, q="lefevre").practitioners == [lefevre]
    assert _search(gp, q="Lefèvre").practitioners == [lefevre]


def test_filters_narrow_the_results(entries, gp):
    morel, le_goff, rousseau = entries["morel"], entries["le_goff"], entries["rousseau"]
    morel.languages = ["en", "es"]
    morel.answers_teleexpertise = True
    morel.save()
    le_goff.accepting_new_patients = True
    le_goff.save()
    omnidoc, _created = DigitalTool.objects.get_or_create(
        slug="omnidoc", defaults={"name": "Omnidoc", "category": "teleexpertise"}
    )
    PractitionerTool.objects.create(practitioner=rousseau, tool=omnidoc, uses=["teleexpertise"])
    today = timezone.localdate()
    Absence.objects.create(practitioner=rousseau, starts_on=today, ends_on=today + timedelta(days=1))

    def names(**criteria):
        return {p.last_name for p in _search(gp, q="cardio", place="La Roche", radius_km=100, **criteria).practitioners}

    assert names(language="en") == {"Morel"}
    assert names(teleexpertise=True) == {"Morel"}
    assert names(accepting_new_patients=True) == {"Le Goff"}
    assert names(tool="omnidoc") == {"Rousseau"}
    assert names(available_this_week=True) == {"Morel", "Le Goff"}


@pytest.mark.parametrize("radius", [0, 0.5, 201, 5000])
def test_the_selector_refuses_an_absurd_radius(entries, gp, radius):
    with pytest.raises(ApplicationError, match=r"Le rayon doit être compris entre 1 et 200 km\."):
        _search(gp, q="cardio", place="La Roche", radius_km=radius)


def test_a_professional_sees_the_professional_line_first(entries, gp):
    results = _search(gp, q="cardio", place="La Roche")

    channels = {p.last_name: p.first_channel for p in results.practitioners}
    assert channels["Rousseau"].value == "+33251000003"
    assert channels["Morel"].value == "cabinet@venansault.mssante.fr"  # the practice's, shared by its doctors


def test_a_person_without_a_role_never_sees_a_professional_line(entries, outsider):
    results = _search(outsider, q="cardio", place="La Roche")

    channels = {p.last_name: p.first_channel for p in results.practitioners}
    assert channels["Rousseau"].value == "+33251999999"
    assert channels["Morel"] is None


# --- The page -------------------------------------------------------------------------------------------------


def test_the_page_shows_the_cardiologist_with_a_tap_to_call_link(entries, gp, signed_in):
    response = signed_in(gp).get(URL, {"q": "cardio", "place": "La Roche", "radius_km": "30"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Autour de <strong>La Roche-sur-Yon</strong> (85000)" in page
    assert 'href="tel:+33251000003"' in page
    assert "Appeler le 02 51 00 00 03" in page
    assert "cabinet@venansault.mssante.fr" in page
    assert page.index("Rousseau") < page.index("Morel")
    assert "Le Goff" not in page
    assert response["Vary"] and "HX-Request" in response["Vary"]


def test_htmx_gets_the_results_only(entries, gp, signed_in):
    response = signed_in(gp).get(URL, {"q": "cardio", "place": "La Roche"}, HTTP_HX_REQUEST="true")

    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page
    assert "Rousseau" in page


def test_an_empty_search_gives_a_hint(gp, signed_in):
    response = signed_in(gp).get(URL)

    assert response.status_code == 200
    assert "Tapez une spécialité" in response.content.decode()


def test_nonsense_finds_nothing_and_suggests_what_to_type(entries, gp, signed_in):
    response = signed_in(gp).get(URL, {"q": "xqzwvk"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Aucun résultat." in page
    assert "Vérifiez l'orthographe" in page


@pytest.mark.parametrize("radius", ["500", "0", "-3", "trente"])
def test_an_absurd_radius_is_refused_in_french_keeping_what_was_typed(entries, gp, signed_in, radius):
    response = signed_in(gp).get(URL, {"q": "cardio", "place": "La Roche", "radius_km": radius})

    page = response.content.decode()
    assert response.status_code == 400
    assert "Le rayon doit être un nombre de kilomètres entre 1 et 200." in page
    assert 'value="cardio"' in page
    assert 'value="La Roche"' in page
    assert f'<option value="{radius}" selected>' in page


def test_an_unknown_place_is_refused_in_french(entries, gp, signed_in):
    response = signed_in(gp).get(URL, {"q": "cardio", "place": "Zzyzxville"})

    assert response.status_code == 400
    assert "Aucune commune ne correspond à « Zzyzxville »" in response.content.decode()


def test_an_unknown_filter_value_is_a_400_not_a_500(gp, signed_in):
    response = signed_in(gp).get(URL, {"q": "cardio", "language": "xx", "tool": "<script>"})

    assert response.status_code == 400


def _cardiologists(count, territory, cardiology, commune):
    for number in range(count):
        practice = PracticeFactory(territory=territory, commune=commune, latitude=46.67, longitude=-1.43)
        practitioner = _entry(f"Prénom{number}", f"Cardio{number:02d}", cardiology, practice, territory=territory)
        ContactChannel.objects.create(
            practitioner=practitioner, audience=Audience.PROFESSIONALS, kind="phone", value=f"+332510001{number:02d}"
        )
        ContactChannel.objects.create(practice=practice, audience=Audience.PUBLIC, kind="phone", value="+33251000900")


def _queries_of_search(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, {"q": "cardio", "place": "La Roche"})
    assert response.status_code == 200
    return len(queries)


def test_the_page_makes_as_many_queries_for_30_results_as_for_3(
    communes, territory, cardiology, gp, signed_in, django_assert_max_num_queries
):
    client = signed_in(gp)
    _cardiologists(3, territory, cardiology, communes["la_roche"])
    with_three = _queries_of_search(client)
    _cardiologists(27, territory, cardiology, communes["la_roche"])

    with django_assert_max_num_queries(with_three):
        response = client.get(URL, {"q": "cardio", "place": "La Roche"})
    assert response.content.decode().count('href="tel:') == 30


def test_an_outsider_not_signed_in_is_sent_to_the_login_page(client, db):
    response = client.get(URL, {"q": "cardio"})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/annuaire/")


def test_the_menu_offers_the_directory_to_signed_in_users(outsider, signed_in):
    page = signed_in(outsider).get("/").content.decode()

    assert 'href="/annuaire/"' in page
    assert User.objects.filter(pk=outsider.pk).exists()

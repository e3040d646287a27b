"""The directory search (/annuaire/): specialty or name, near a commune, nearest first, with the channel to use."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from core.errors import ApplicationError
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
    assert "Autour de <strong>La Roche-sur-Yon</strong> (85)" in page
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
    client.get(URL)  # the tools of the filter come from the cache after the first page
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

    client.get(URL)
    with django_assert_max_num_queries(with_three):
        response = client.get(URL, {"q": "cardio", "place": "La Roche"})
    assert with_three <= 13  # one of them: who answers on the portal and the next absences (portal_use)
    assert response.content.decode().count('href="tel:') == 20  # the first page
    assert "30 professionnels trouvés" in response.content.decode()


def test_results_come_by_pages_of_20_nearest_first(communes, territory, cardiology, gp, signed_in):
    client = signed_in(gp)
    _cardiologists(25, territory, cardiology, communes["la_roche"])

    first = client.get(URL, {"q": "cardio", "place": "La Roche"}).content.decode()
    second = client.get(URL, {"q": "cardio", "place": "La Roche", "page": 2}).content.decode()

    assert first.count('href="tel:') == 20
    assert second.count('href="tel:') == 5
    assert "Page 2 sur 2" in second
    assert "page=2" in first and "Suivants" in first and "Suivants" not in second
    assert '<ol class="search-results" start="21">' in second


@pytest.mark.parametrize("page", ["0", "-1", "abc"])
def test_a_nonsense_page_number_is_a_french_400(entries, gp, signed_in, page):
    response = signed_in(gp).get(URL, {"q": "cardio", "page": page})

    assert response.status_code == 400
    assert "Numéro de page invalide" in response.content.decode()


def test_anyone_may_search_and_sees_the_public_channels_only(entries, client):
    response = client.get(URL, {"q": "cardio", "place": "La Roche"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Rousseau" in page
    assert "+33251999999" in page  # the public phone
    assert "+33251000003" not in page  # never the professional line
    assert "cabinet@venansault.mssante.fr" not in page


def test_a_pharmacist_uses_the_pharmacists_line_first(entries, territory, gp_practice):
    from directory.models import Profession
    from directory.services import role_grant_create
    from tests.conftest import enrol_totp
    from tests.factories import UserFactory

    rousseau = entries["rousseau"]
    ContactChannel.objects.create(
        practitioner=rousseau, audience=Audience.PHARMACISTS_AND_LABS, kind="phone", value="+33251777777"
    )
    pharmacist_entry = PractitionerFactory(territory=territory, profession=Profession.objects.get(code="21"))
    pharmacist = UserFactory(email="pharma@cpts.test")
    role_grant_create(user=pharmacist, role="professional", practitioner=pharmacist_entry)
    enrol_totp(pharmacist)  # without a second factor, she would read as the public

    found = _search(pharmacist, q="cardio", place="La Roche").practitioners

    assert selectors.audience_of(pharmacist) == Audience.PHARMACISTS_AND_LABS
    first = {practitioner.last_name: practitioner.first_channel for practitioner in found}["Rousseau"]
    assert first.value == "+33251000003"  # the preferred one still comes first…
    ContactChannel.objects.filter(value="+33251000003").update(preferred=False)
    first = {p.last_name: p.first_channel for p in _search(pharmacist, q="cardio", place="La Roche").practitioners}
    assert first["Rousseau"].value == "+33251777777"  # …then the line meant for pharmacists


def test_an_entry_unconfirmed_for_a_year_is_flagged_in_the_results(entries, gp, signed_in):
    Practitioner.objects.filter(pk=entries["morel"].pk).update(last_confirmed_at=timezone.now() - timedelta(days=400))
    Practitioner.objects.filter(pk=entries["rousseau"].pk).update(last_confirmed_at=timezone.now())

    page = signed_in(gp).get(URL, {"q": "cardio", "place": "La Roche"}).content.decode()

    assert page.count("informations à vérifier") == 1
    morel_at = page.index("Morel")
    assert page.index("informations à vérifier") > morel_at


def test_a_coordinator_exports_the_results_as_csv_and_xlsx(entries, coordinator, signed_in):
    from io import BytesIO

    from openpyxl import load_workbook

    client = signed_in(coordinator)
    page = client.get(URL, {"q": "cardio", "place": "La Roche"}).content.decode()
    assert "/annuaire/export.csv?" in page

    csv_response = client.get("/annuaire/export.csv", {"q": "cardio", "place": "La Roche"})
    xlsx_response = client.get("/annuaire/export.xlsx", {"q": "cardio", "place": "La Roche"})

    assert csv_response.status_code == 200
    assert csv_response["Content-Disposition"].startswith('attachment; filename="annuaire-')
    lines = csv_response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Nom;Prénom;RPPS")
    assert [line.split(";")[0] for line in lines[1:]] == ["Rousseau", "Morel"]
    sheet = load_workbook(BytesIO(xlsx_response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Nom", "Prénom", "RPPS")
    assert [row[0] for row in rows[1:]] == ["Rousseau", "Morel"]
    assert rows[1][2] == entries["rousseau"].rpps


def test_export_cells_never_run_as_formulas(entries, coordinator, signed_in):
    Practitioner.objects.filter(pk=entries["morel"].pk).update(last_name="=HYPERLINK(1)")

    lines = signed_in(coordinator).get("/annuaire/export.csv", {"q": "cardio"}).content.decode("utf-8-sig")

    assert "'=HYPERLINK(1)" in lines


def test_only_coordinators_export(entries, gp, signed_in, client):
    assert signed_in(gp).get("/annuaire/export.csv", {"q": "cardio"}).status_code == 403
    assert "/annuaire/export.csv" not in signed_in(gp).get(URL, {"q": "cardio"}).content.decode()
    client.logout()
    assert client.get("/annuaire/export.csv", {"q": "cardio"}).status_code == 302


def test_an_export_without_a_search_or_with_a_bad_one_is_a_french_400(entries, coordinator, signed_in):
    client = signed_in(coordinator)

    assert "Faites d'abord une recherche" in client.get("/annuaire/export.csv").content.decode()
    response = client.get("/annuaire/export.xlsx", {"q": "cardio", "radius_km": "900"})
    assert response.status_code == 400
    assert "rayon" in response.content.decode().lower()
    assert client.get("/annuaire/export.pdf", {"q": "cardio"}).status_code == 404


def test_the_menu_offers_the_directory_to_signed_in_users(outsider, signed_in):
    page = signed_in(outsider).get("/").content.decode()

    assert 'href="/annuaire/"' in page
    assert User.objects.filter(pk=outsider.pk).exists()


def test_the_welcome_page_leads_anonymous_visitors_to_the_directory(client, db):
    page = client.get("/").content.decode()

    assert 'href="/annuaire/"' in page
    assert "Chercher un professionnel" in page


def test_beyond_a_thousand_matches_the_count_stops_and_asks_to_narrow(
    communes, territory, cardiology, gp, signed_in, monkeypatch
):
    monkeypatch.setattr(selectors, "SEARCH_COUNT_CAP", 10)
    _cardiologists(12, territory, cardiology, communes["la_roche"])

    results = _search(gp, q="cardio", limit=20)
    page = signed_in(gp).get(URL, {"q": "cardio"}).content.decode()

    assert results.total_is_capped and results.shown_total == 10
    assert len(results.practitioners) == 10  # paging stops at the cap too
    assert "Plus de 10 professionnels trouvés : précisez" in page

"""The directory search keeps the user oriented (issue 11): it says which commune it used and offers the others,
prefers the territory's communes, suggests communes as one types, counts and pages honestly, draws its results on
a map made here, and a profile opened from the results leads back to them, with its preferred channel first."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import get_template
from django.urls import reverse

from directory import selectors
from directory.models import Activity, Audience, Commune, ContactChannel, Practitioner
from directory.views.entries import search_return_path
from tests.factories import PracticeFactory, PractitionerFactory, SpecialtyFactory, vendee_communes

URL = "/annuaire/"


@pytest.fixture
def communes(db):
    return vendee_communes()


@pytest.fixture
def cardiology():
    return SpecialtyFactory(code="SM04", label="Cardiologie et maladies vasculaires")


@pytest.fixture
def rousseau(communes, territory, cardiology, cardiologist, cardio_practice):
    """Dr Rousseau in La Roche-sur-Yon, a commune of the territory; her professional line is to be used first."""
    territory.communes.add(communes["la_roche"], communes["mouilleron"], communes["venansault"])
    cardio_practice.commune, cardio_practice.latitude, cardio_practice.longitude = communes["la_roche"], 46.6705, -1.426
    cardio_practice.save()
    practitioner = Practitioner.objects.get(user=cardiologist)
    practitioner.specialties.set([cardiology])
    ContactChannel.objects.create(
        practitioner=practitioner, audience=Audience.PROFESSIONALS, kind="phone", value="+33251000009"
    )
    ContactChannel.objects.create(
        practitioner=practitioner,
        audience=Audience.PROFESSIONALS,
        kind="professional_line",
        value="+33251000003",
        preferred=True,
    )
    return practitioner


def _cardiologists(count, territory, cardiology, commune):
    for number in range(count):
        practice = PracticeFactory(name=f"Cabinet {number}", territory=territory, commune=commune)
        practitioner = PractitionerFactory(first_name="Jean", last_name=f"Cardio{number:02d}", territory=territory)
        practitioner.specialties.add(cardiology)
        Activity.objects.create(practitioner=practitioner, practice=practice)


# --- Which commune -------------------------------------------------------------------------------------------------


def test_laroche_means_the_territory_s_la_roche_sur_yon_and_the_page_offers_the_others(rousseau, gp, signed_in):
    response = signed_in(gp).get(URL, {"q": "cardio", "place": "Laroche"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Autour de <strong>La Roche-sur-Yon</strong> (85)" in page
    assert "Rousseau" in page
    offered = re.search(r'<p class="search-other-communes">(.*?)</p>', page, re.S).group(1)
    assert "Pas celle-ci ?" in offered
    assert "Laroche-Saint-Cydroine (89)" in offered


def test_without_a_territory_commune_laroche_is_laroche_saint_cydroine_and_says_so(db):
    found = selectors.communes_matching("Laroche", limit=6)

    assert found[0].name == "Laroche-Saint-Cydroine"
    # Said on the page, with "not this one?": the user is never left with a silent empty search.
    assert any(commune.name.startswith("La Roche") for commune in found[1:])


def test_an_alternative_offered_searches_exactly_that_commune(rousseau, gp, signed_in):
    client = signed_in(gp)
    page = client.get(URL, {"q": "cardio", "place": "Laroche"}).content.decode()
    link = re.search(r'<a href="\?([^"]*)"[^>]*>Laroche-Saint-Cydroine \(89\)</a>', page).group(1)

    other = client.get(URL + "?" + link.replace("&amp;", "&")).content.decode()

    assert "Autour de <strong>Laroche-Saint-Cydroine</strong> (89)" in other
    assert "Aucun professionnel trouvé." in other


def test_la_roche_prefers_the_territory_s_commune_to_la_rochelle(rousseau):
    assert selectors.communes_matching("la roche", limit=3)[0].name == "La Roche-sur-Yon"
    assert selectors.communes_matching("La Rochelle", limit=3)[0].name == "La Rochelle"  # typed in full: that one


def test_the_place_box_suggests_communes_by_name_or_postal_code_territory_first(rousseau, client):
    by_name = client.get(reverse("directory:commune_suggestions"), {"place": "Laroche"}).content.decode()
    by_code = client.get(reverse("directory:commune_suggestions"), {"place": "89400"}).content.decode()

    options = re.findall(r'<option value="([^"]*)">', by_name)
    assert options[0] == "La Roche-sur-Yon — 85000 (INSEE 85191)"
    assert any(option.startswith("Laroche-Saint-Cydroine") for option in options)
    assert "Laroche-Saint-Cydroine — 89400 (INSEE 89218)" in by_code


def test_the_search_box_asks_for_suggestions_in_a_datalist(db, client):
    page = client.get(URL).content.decode()

    assert 'list="place-options"' in page and '<datalist id="place-options">' in page
    assert f'hx-get="{reverse("directory:commune_suggestions")}"' in page


# --- Counting and paging ------------------------------------------------------------------------------------------


def test_no_match_says_no_professional_found_never_0_in_the_plural(rousseau, gp, signed_in):
    page = signed_in(gp).get(URL, {"q": "Zzyzx"}).content.decode()

    assert "Aucun professionnel trouvé." in page
    assert "0 professionnels" not in page


def test_page_999_of_2_shows_the_last_page_and_says_so(communes, territory, cardiology, gp, signed_in):
    _cardiologists(25, territory, cardiology, communes["la_roche"])

    page = signed_in(gp).get(URL, {"q": "cardio", "place": "La Roche", "page": "999"}).content.decode()

    assert "Page 999" not in page
    assert "Page 2 sur 2." in page
    assert "La page 999 n'existe pas : voici la dernière." in page
    assert '<ol class="search-results" start="21">' in page and page.count('">Jean Cardio') == 5


# --- The map ------------------------------------------------------------------------------------------------------


def test_the_results_map_is_drawn_here_from_the_commune_coordinates(rousseau, gp, signed_in):
    page = signed_in(gp).get(URL, {"q": "cardio", "place": "La Roche"}).content.decode()

    svg = re.search(r'<figure class="results-map">.*?</figure>', page, re.S).group(0)
    assert '<svg viewBox="-32.40 -32.40 64.80 64.80" role="img"' in svg  # kilometres around the town hall
    assert '<circle class="results-map-radius" cx="0" cy="0" r="30.00"/>' in svg
    assert svg.count('class="results-map-commune"') == 3  # the territory's communes, faint
    assert "<title>1. Chloé Rousseau — " in svg
    assert "style=" not in svg and "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_a_search_by_name_only_draws_no_map(rousseau, gp, signed_in):
    page = signed_in(gp).get(URL, {"q": "Rousseau"}).content.decode()

    assert "Rousseau" in page and "results-map" not in page


# --- Back to the results, the channel to use first, directions ----------------------------------------------------


def test_a_result_opens_the_profile_which_leads_back_to_the_same_results(rousseau, gp, signed_in):
    client = signed_in(gp)
    results = client.get(URL, {"q": "cardio", "place": "La Roche", "radius_km": "20"}).content.decode()
    profile_url = re.search(rf'href="(/annuaire/{rousseau.public_id}/\?retour=[^"]+)"', results).group(1)

    profile = client.get(profile_url.replace("&amp;", "&")).content.decode()

    assert '<a href="/annuaire/?q=cardio&amp;place=La+Roche&amp;radius_km=20">← Retour aux résultats</a>' in profile


@pytest.mark.parametrize(
    "wanted",
    [
        "https://evil.example/annuaire/",
        "//evil.example/annuaire/",
        "/admin/",
        "/annuaire/x/../../admin/",
        "/annuaire\\@x",
    ],
)
def test_the_way_back_never_leads_out_of_the_directory_search(wanted):
    assert search_return_path(wanted) == "/annuaire/"


def test_the_channel_to_use_first_is_the_big_button_of_the_profile(rousseau, gp, signed_in):
    page = signed_in(gp).get(reverse("directory:practitioner_detail", args=[rousseau.public_id])).content.decode()

    first = re.search(r'<a href="tel:\+33251000003" role="button" class="([^"]*)"', page).group(1)
    other = re.search(r'<a href="tel:\+33251000009" role="button" class="([^"]*)"', page).group(1)
    assert "primary-channel" in first
    assert "primary-channel" not in other and "outline" in other
    assert page.index("tel:+33251000003") < page.index("tel:+33251000009")


def test_each_site_of_the_profile_offers_directions_with_a_geo_link(rousseau, gp, signed_in):
    page = signed_in(gp).get(reverse("directory:practitioner_detail", args=[rousseau.public_id])).content.decode()

    assert 'href="geo:46.6705,-1.426?q=46.6705,-1.426(' in page


# --- Errors always visible, the favicon -------------------------------------------------------------------------


def test_one_htmx_configuration_swaps_a_400_on_every_page(db, client):
    import json

    page = client.get(URL).content.decode()
    configs = re.findall(r"""<meta name="htmx-config" content='([^']*)'>""", page)

    assert len(configs) == 1
    handling = json.loads(configs[0])["responseHandling"]
    assert {"code": "400", "swap": True, "error": False} in handling
    assert {"code": "[45]..", "swap": False, "error": True} in handling
    assert 'name="portal-request-errors"' in page  # the French messages portal.js shows for the other errors


def test_no_template_but_the_base_sets_htmx_s_configuration():
    # HTMX reads the first htmx-config of a page only: a second one in a page's head is silently ignored.
    root = Path(settings.BASE_DIR)
    found = [
        str(path.relative_to(root))
        for folder in ("templates", "directory", "referrals", "accounts", "notifications", "core", "cpts_portal")
        for path in (root / folder).rglob("*.html")
        if 'name="htmx-config"' in path.read_text(encoding="utf-8")
    ]
    assert found == ["templates/base.html"]


def test_the_portal_has_a_favicon_in_svg_and_png(db, client):
    page = client.get(URL).content.decode()

    assert 'rel="icon" href="/static/img/favicon.svg" type="image/svg+xml"' in page
    assert 'rel="icon" href="/static/img/favicon.png" type="image/png"' in page
    for name in ("favicon.svg", "favicon.png", "apple-touch-icon.png"):
        assert (Path(settings.BASE_DIR) / "static" / "img" / name).stat().st_size > 100
    get_template("directory/_results_map.html")  # the map's template exists (rendered above)
    assert Commune.objects.filter(name="Laroche-Saint-Cydroine").exists()

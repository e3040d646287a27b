"""Granting a role at a territory's scale: the form shows the scope the role chosen needs and nothing else (a
territory; practices found by a search; an entry found by a search), with HTMX or without JavaScript, and stays
a small page with 5,000 entries and 60 practices."""

import re

import pytest
from django.urls import reverse

from accounts.roles import Role
from core.identifiers import with_luhn_check_digit
from directory.models import Practice, Practitioner, RoleGrant
from tests.factories import PracticeFactory, PractitionerFactory, TerritoryFactory

HTMX = {"HX-Request": "true"}


def detail_url(account):
    return reverse("directory:account_detail", args=[account.public_id])


@pytest.fixture
def large_territory(territory):
    """5,000 free entries and 60 practices, as a large CPTS has."""
    Practitioner.objects.bulk_create(
        Practitioner(
            rpps=with_luhn_check_digit(f"{3000000000 + n}"),
            first_name=f"Prénom{n}",
            last_name=f"Nom{n:04d}",
            territory=territory,
        )
        for n in range(5000)
    )
    Practice.objects.bulk_create(
        Practice(name=f"Cabinet {n:02d}", city="Challans" if n % 2 else "Luçon", territory=territory) for n in range(60)
    )
    return territory


def _inputs(html, name):
    return re.findall(rf'<input type="(?:checkbox|radio)" name="{name}"', html)


def test_without_a_role_the_form_asks_for_the_role_first(client, coordinator, outsider, large_territory):
    client.force_login(coordinator)

    html = client.get(detail_url(outsider)).content.decode()

    assert 'name="territory"' not in html and not _inputs(html, "practices") and not _inputs(html, "practitioner")
    assert "Choisissez le rôle" in html
    form = html[html.index('id="grant-title"') :]
    assert form[: form.index("</form>")].count("<option") == 1 + len(Role.choices)  # the roles, nothing else


def test_a_territorial_role_shows_the_territory_only(client, coordinator, outsider, large_territory):
    client.force_login(coordinator)

    html = client.get(detail_url(outsider), {"role": "observer"}, headers=HTMX).content.decode()

    assert 'name="territory"' in html and large_territory.name in html
    assert not _inputs(html, "practices") and not _inputs(html, "practitioner")


def test_with_5000_entries_the_professional_scope_lists_none_until_searched_then_a_few(
    client, coordinator, outsider, large_territory, django_assert_max_num_queries
):
    client.force_login(coordinator)

    with django_assert_max_num_queries(12):
        page = client.get(detail_url(outsider), {"role": "professional"}).content.decode()
    assert not _inputs(page, "practitioner") and "<option" in page and page.count("<option") < 10
    assert len(page) < 40_000

    found = client.get(
        detail_url(outsider), {"role": "professional", "practitioner_q": "Nom0042"}, headers=HTMX
    ).content.decode()
    assert 1 <= len(_inputs(found, "practitioner")) <= 10
    # The name typed first, then those only like it.
    assert re.findall(r"> (NOM\d+ Prénom\d+) <", found)[0] == "NOM0042 Prénom42"

    many = client.get(detail_url(outsider), {"role": "professional", "practitioner_q": "Nom"}, headers=HTMX)
    assert len(_inputs(many.content.decode(), "practitioner")) == 10


def test_an_entry_is_found_by_its_rpps(client, coordinator, outsider, large_territory):
    rpps = with_luhn_check_digit(f"{3000000000 + 1234}")
    client.force_login(coordinator)

    found = client.get(detail_url(outsider), {"role": "professional", "practitioner_q": rpps}, headers=HTMX)

    assert "NOM1234 Prénom1234" in found.content.decode()


def test_a_secretary_picks_practices_by_search_and_keeps_those_picked(client, coordinator, outsider, large_territory):
    picked = Practice.objects.get(name="Cabinet 07")
    client.force_login(coordinator)

    first = client.get(detail_url(outsider), {"role": "secretary"}, headers=HTMX).content.decode()
    assert not _inputs(first, "practices")  # 60 practices: none listed before a search
    assert "Tapez le nom du cabinet ou sa commune" in first

    found = client.get(
        detail_url(outsider), {"role": "secretary", "practice_q": "cabinet 1", "practices": [picked.pk]}, headers=HTMX
    ).content.decode()
    assert f'value="{picked.pk}" id="id_practices_{picked.pk}" checked' in found  # still picked
    assert "Cabinet 10" in found and "Cabinet 19" in found and "Cabinet 20" not in found

    by_commune = client.get(detail_url(outsider), {"role": "secretary", "practice_q": "lucon"}, headers=HTMX)
    assert len(_inputs(by_commune.content.decode(), "practices")) == 10


def test_a_small_territory_lists_its_practices_at_once(client, coordinator, outsider, cardio_practice, gp_practice):
    client.force_login(coordinator)

    html = client.get(detail_url(outsider), {"role": "secretary"}, headers=HTMX).content.decode()

    assert "Cabinet de cardiologie du Centre" in html and "Maison de santé des Tilleuls" in html


def test_without_javascript_the_search_button_shows_matches_and_grants_nothing(
    client, coordinator, outsider, large_territory
):
    client.force_login(coordinator)

    response = client.post(
        detail_url(outsider), {"role": "professional", "practitioner_q": "Nom0042", "step": "search"}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "NOM0042 Prénom42" in html and "<h1>" in html  # the whole page
    assert not RoleGrant.objects.filter(user=outsider).exists()

    entry = Practitioner.objects.get(last_name="Nom0042")
    response = client.post(detail_url(outsider), {"role": "professional", "practitioner": entry.pk})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.user == outsider


def test_without_javascript_choosing_the_role_shows_its_scope(client, coordinator, outsider, large_territory):
    client.force_login(coordinator)

    html = client.post(detail_url(outsider), {"role": "secretary", "step": "role"}).content.decode()

    assert 'id="id_practice_q"' in html and 'name="territory"' not in html
    assert not RoleGrant.objects.filter(user=outsider).exists()


def test_a_refused_grant_keeps_what_was_picked(client, coordinator, outsider, large_territory):
    picked = Practice.objects.get(name="Cabinet 07")
    client.force_login(coordinator)

    response = client.post(detail_url(outsider), {"role": "secretary", "practices": [picked.pk, 999999]})

    assert response.status_code == 400
    assert f'id="id_practices_{picked.pk}" checked' in response.content.decode()


def test_the_search_never_offers_another_territorys_practice_or_entry(client, coordinator, outsider, territory):
    elsewhere = TerritoryFactory(name="CPTS du Marais", slug="marais")
    PracticeFactory(name="Cabinet du Marais", territory=elsewhere)
    other = PractitionerFactory(last_name="Lointain", territory=elsewhere)
    client.force_login(coordinator)

    practices = client.get(detail_url(outsider), {"role": "secretary", "practice_q": "Marais"}, headers=HTMX)
    entries = client.get(
        detail_url(outsider),
        {"role": "professional", "practitioner_q": "Lointain", "practitioner": other.pk},
        headers=HTMX,
    )

    assert "Cabinet du Marais" not in practices.content.decode()
    assert "LOINTAIN" not in entries.content.decode()

"""The coordinator's entries to reconfirm: the tiles count what the list they open lists, each row gives the
number to call and confirms the entry in place (HTMX swaps the row; without JavaScript the list comes back)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from directory.models import Activity, ContactChannel, Practitioner
from tests.factories import PracticeFactory, PractitionerFactory

STALE_URL = reverse("directory:upkeep_stale")


def _aged(practitioner, days):
    Practitioner.objects.filter(pk=practitioner.pk).update(created_at=timezone.now() - datetime.timedelta(days=days))
    return practitioner


@pytest.fixture
def entries(territory):
    """Two entries of more than a year, three of six to twelve months, one recent, one of another territory."""
    old = [_aged(PractitionerFactory(territory=territory, last_name=f"Ancien{i}"), 400 + i) for i in range(2)]
    due = [_aged(PractitionerFactory(territory=territory, last_name=f"Moyen{i}"), 200 + i) for i in range(3)]
    PractitionerFactory(territory=territory, last_name="Recent")
    _aged(PractitionerFactory(last_name="Ailleurs"), 500)
    return old, due


def test_the_home_tile_and_the_feed_count_what_the_list_they_open_lists(client, entries, coordinator):
    client.force_login(coordinator)

    home = client.get("/").content.decode()
    feed = client.get(reverse("directory:upkeep_feed")).content.decode()
    six_months = client.get(f"{STALE_URL}?anciennete=six-mois").content.decode()
    one_year = client.get(f"{STALE_URL}?anciennete=un-an").content.decode()

    assert f'href="{STALE_URL}?anciennete=six-mois" class="tile-count-alert">5 fiches à reconfirmer</a>' in home
    assert f'href="{STALE_URL}?anciennete=six-mois"><strong>5</strong>' in feed
    assert "5 fiches n'ont pas été confirmées depuis plus de six mois" in six_months
    assert six_months.count('id="reconfirm-') == 5
    assert f'href="{STALE_URL}?anciennete=un-an" class="upkeep-count-alert"><strong>2</strong>' in feed
    assert "2 fiches n'ont pas été confirmées depuis plus d'un an" in one_year
    assert one_year.count('id="reconfirm-') == 2


def test_each_row_gives_the_number_to_call(client, entries, coordinator, territory):
    own, at_practice = entries[0]
    ContactChannel.objects.create(practitioner=own, audience="professionals", kind="phone", value="+33612345678")
    practice = PracticeFactory(territory=territory)
    Activity.objects.create(practitioner=at_practice, practice=practice)
    ContactChannel.objects.create(practice=practice, audience="public", kind="secretary", value="+33240000002")
    client.force_login(coordinator)

    html = client.get(STALE_URL).content.decode()

    assert 'href="tel:+33612345678"' in html and "06 12 34 56 78" in html
    assert 'href="tel:+33240000002"' in html


def test_confirming_from_the_list_swaps_the_row_in_place(client, entries, coordinator):
    entry = entries[0][0]
    client.force_login(coordinator)

    response = client.post(
        reverse("directory:upkeep_stale_confirm", args=[entry.public_id]),
        {"anciennete": "un-an"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith(f'<tr id="reconfirm-{entry.public_id}">') and "confirmée à l'instant" in html
    entry.refresh_from_db()
    assert entry.last_confirmed_at is not None and not entry.is_stale
    assert client.get(STALE_URL).content.decode().count('id="reconfirm-') == 1


def test_without_javascript_confirming_comes_back_to_the_list_with_a_message(client, entries, coordinator):
    entry = entries[0][0]
    client.force_login(coordinator)

    response = client.post(
        reverse("directory:upkeep_stale_confirm", args=[entry.public_id]),
        {"next": f"{STALE_URL}?anciennete=un-an"},
        follow=True,
    )

    assert response.redirect_chain == [(f"{STALE_URL}?anciennete=un-an", 302)]
    assert "est confirmée à jour" in response.content.decode()


def test_an_entry_of_another_territory_cannot_be_confirmed_from_the_list(client, coordinator):
    elsewhere = _aged(PractitionerFactory(last_name="Ailleurs"), 500)
    client.force_login(coordinator)

    response = client.post(reverse("directory:upkeep_stale_confirm", args=[elsewhere.public_id]))

    assert response.status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.last_confirmed_at is None


def test_only_coordinators_confirm_from_the_list(client, entries, gp):
    client.force_login(gp)

    assert client.post(reverse("directory:upkeep_stale_confirm", args=[entries[0][0].public_id])).status_code == 403

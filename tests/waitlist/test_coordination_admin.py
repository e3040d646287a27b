"""The technical admin of the waiting list: a list's territories inline (how territories come to share one list),
its priority rules, and the entries read-only without any name or contact."""

import pytest

from tests.conftest import enrol_totp
from tests.factories import UserFactory
from tests.waitlist.conftest import make_waiting_entry
from tests.waitlist.coordination_helpers import QUEUE, fixture_marais, fixture_marais_coordinator  # noqa: F401
from waitlist.models import WaitingListTerritory

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(db):
    user = UserFactory(email="root@cpts.test", is_staff=True, is_superuser=True)
    enrol_totp(user)
    return user


def test_the_admin_pages_open_and_show_no_identity(root, waiting_entry, waiting_list, signed_in):
    entry = waiting_entry(family_name="Secretnom", given_names="Camille")
    client = signed_in(root)
    for url in (
        "/admin/waitlist/waitinglist/",
        f"/admin/waitlist/waitinglist/{waiting_list.pk}/change/",
        "/admin/waitlist/priorityrules/",
        "/admin/waitlist/entry/",
        f"/admin/waitlist/entry/{entry.pk}/change/",
        "/admin/waitlist/handoverplan/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert "SECRETNOM" not in page.upper() and "+33612345678" not in page, url
    assert "CPTS du Bocage" in client.get("/admin/waitlist/waitinglist/").content.decode()


def test_adding_a_territory_to_a_list_in_the_admin_gives_its_coordinator_the_same_queue(
    root, waiting_list, territory, marais, marais_coordinator, signed_in, client
):
    make_waiting_entry(waiting_list, waiting_list.territories.first().communes.first(), family_name="Bocagère")
    admin = signed_in(root)
    response = admin.post(
        f"/admin/waitlist/waitinglist/{waiting_list.pk}/change/",
        {
            "name": waiting_list.name,
            "slug": waiting_list.slug,
            "memberships-TOTAL_FORMS": "2",
            "memberships-INITIAL_FORMS": "1",
            "memberships-MIN_NUM_FORMS": "0",
            "memberships-MAX_NUM_FORMS": "1000",
            "memberships-0-id": str(WaitingListTerritory.objects.get(territory=territory).pk),
            "memberships-0-waiting_list": str(waiting_list.pk),
            "memberships-0-territory": str(territory.pk),
            "memberships-1-waiting_list": str(waiting_list.pk),
            "memberships-1-territory": str(marais.pk),
            "priority_rules-TOTAL_FORMS": "0",
            "priority_rules-INITIAL_FORMS": "0",
            "priority_rules-MIN_NUM_FORMS": "0",
            "priority_rules-MAX_NUM_FORMS": "1",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert WaitingListTerritory.objects.get(territory=marais).waiting_list == waiting_list
    client.force_login(marais_coordinator)
    assert "BOCAGÈRE" in client.get(QUEUE).content.decode()

"""The CPTS publishes its nurses' on-call rota (which nurse covers which communes, from when to when); the board
then shows who covers a commune now. Refusals in French with a 400 and nothing saved; another territory's shift
is not found; a GP may not publish."""

import pytest
from django.utils import timezone

from snp.models import NurseOnCall
from snp.selectors import nurses_on_call
from tests.factories import CommuneFactory
from tests.snp.conftest import at

ROTA = "/soins-non-programmes/coordination/astreintes-infirmieres/"


@pytest.fixture
def covered(territory):
    commune = CommuneFactory()
    territory.communes.add(commune)
    return commune


@pytest.fixture
def nurse_entry(nurse):
    return nurse.practitioner


def _shift(nurse_entry, covered, territory, **changes):
    return {
        "territory": territory.pk,
        "nurse": nurse_entry.pk,
        "communes": [covered.pk],
        "starts_at": f"{at(0, 0):%Y-%m-%dT%H:%M}",
        "ends_at": f"{at(2, 8):%Y-%m-%dT%H:%M}",
        **changes,
    }


def test_the_coordinator_publishes_a_shift_and_the_board_shows_the_nurse_now(
    coordinator, signed_in, nurse_entry, covered, territory
):
    response = signed_in(coordinator).post(ROTA, _shift(nurse_entry, covered, territory))

    assert response.status_code == 302
    on_call = NurseOnCall.objects.get()
    assert list(on_call.communes.all()) == [covered]
    assert [row.nurse for row in nurses_on_call(commune=covered, at=timezone.now())] == [nurse_entry]
    page = signed_in(coordinator).get(ROTA).content.decode()
    assert str(nurse_entry) in page and covered.name in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"ends_at": f"{at(-1, 8):%Y-%m-%dT%H:%M}", "starts_at": f"{at(-2, 8):%Y-%m-%dT%H:%M}"}, "déjà terminée"),
        ({"ends_at": f"{at(0, 0):%Y-%m-%dT%H:%M}", "starts_at": f"{at(1, 0):%Y-%m-%dT%H:%M}"}, "après son début"),
        ({"ends_at": f"{at(20, 8):%Y-%m-%dT%H:%M}"}, "au plus 14 jours"),
    ],
)
def test_a_shift_that_cannot_be_is_refused_in_french(
    coordinator, signed_in, nurse_entry, covered, territory, changes, message
):
    response = signed_in(coordinator).post(ROTA, _shift(nurse_entry, covered, territory, **changes))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not NurseOnCall.objects.exists()


def test_a_commune_outside_the_territory_or_a_nurse_of_another_is_refused(
    coordinator, signed_in, nurse_entry, covered, territory, gp
):
    elsewhere = CommuneFactory(insee_code="67482", name="Strasbourg")
    response = signed_in(coordinator).post(ROTA, _shift(nurse_entry, covered, territory, communes=[elsewhere.pk]))
    assert response.status_code == 400

    response = signed_in(coordinator).post(ROTA, _shift(nurse_entry, covered, territory, nurse=gp.practitioner.pk))
    assert response.status_code == 400
    assert not NurseOnCall.objects.exists()


def test_another_territory_s_coordinator_cannot_remove_a_shift_and_a_gp_cannot_publish(
    coordinator, neighbour_coordinator, signed_in, nurse_entry, covered, territory, gp
):
    signed_in(coordinator).post(ROTA, _shift(nurse_entry, covered, territory))
    on_call = NurseOnCall.objects.get()

    remove = f"{ROTA}{on_call.public_id}/retirer/"
    assert signed_in(neighbour_coordinator).post(remove).status_code == 404
    assert signed_in(gp).get(ROTA).status_code == 403
    assert NurseOnCall.objects.exists()

    assert signed_in(coordinator).post(remove).status_code == 302
    assert not NurseOnCall.objects.exists()

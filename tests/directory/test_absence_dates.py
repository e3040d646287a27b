"""An absence is bounded to dates that make sense: from yesterday to five years ahead, in order; anything else is
refused in French, on the page and in the API, and nothing is recorded. An absence already under way stays
editable."""

import datetime

import pytest
from django.utils import timezone

from core.errors import ApplicationError
from directory.models import Absence, Practitioner
from directory.services import absence_declare
from directory.services.entries import absence_update

TODAY = timezone.localdate()


@pytest.fixture
def own_entry(gp):
    return Practitioner.objects.get(user=gp)


def test_the_api_refuses_an_absence_from_year_one_to_year_9999(signed_in, gp, own_entry):
    response = signed_in(gp).post(
        f"/api/v1/practitioners/{own_entry.public_id}/absences/",
        {"starts_on": "0001-01-01", "ends_on": "9999-12-31"},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "Une absence ne peut commencer avant le" in response.json()["detail"]
    assert not Absence.objects.filter(practitioner=own_entry).exists()


def test_the_page_refuses_an_absence_ending_in_9999(signed_in, gp, own_entry):
    response = signed_in(gp).post(
        f"/annuaire/{own_entry.public_id}/absences/",
        {"starts_on": TODAY.isoformat(), "ends_on": "9999-12-31"},
    )

    assert response.status_code == 400
    assert "Une absence ne peut finir après le" in response.content.decode()
    assert not Absence.objects.filter(practitioner=own_entry).exists()


@pytest.mark.parametrize(
    ("starts_on", "ends_on"),
    [
        (TODAY - datetime.timedelta(days=1), TODAY + datetime.timedelta(days=3)),
        (TODAY, TODAY),
        (TODAY + datetime.timedelta(days=1500), TODAY + datetime.timedelta(days=1520)),
    ],
)
def test_ordinary_absences_are_still_recorded(gp, own_entry, starts_on, ends_on):
    absence = absence_declare(acting_user=gp, practitioner=own_entry, starts_on=starts_on, ends_on=ends_on)

    assert (absence.starts_on, absence.ends_on) == (starts_on, ends_on)


def test_a_long_absence_that_started_over_a_year_ago_stays_editable(gp, own_entry):
    started = TODAY - datetime.timedelta(days=400)
    absence = Absence.objects.create(
        practitioner=own_entry, starts_on=started, ends_on=TODAY + datetime.timedelta(days=30)
    )

    absence_update(acting_user=gp, absence=absence, starts_on=started, ends_on=TODAY + datetime.timedelta(days=60))

    absence.refresh_from_db()
    assert absence.ends_on == TODAY + datetime.timedelta(days=60)


def test_moving_an_absence_start_over_a_year_back_is_still_refused(gp, own_entry):
    absence = absence_declare(
        acting_user=gp, practitioner=own_entry, starts_on=TODAY, ends_on=TODAY + datetime.timedelta(days=5)
    )

    with pytest.raises(ApplicationError, match="Une absence ne peut commencer avant le"):
        absence_update(
            acting_user=gp, absence=absence, starts_on=TODAY - datetime.timedelta(days=400), ends_on=absence.ends_on
        )


@pytest.mark.parametrize("days_back", [2, 30, 200])
def test_an_absence_starting_in_the_past_beyond_a_day_is_refused_on_its_field(signed_in, gp, own_entry, days_back):
    starts_on = TODAY - datetime.timedelta(days=days_back)
    response = signed_in(gp).post(
        f"/annuaire/{own_entry.public_id}/absences/",
        {"starts_on": starts_on.isoformat(), "ends_on": (TODAY + datetime.timedelta(days=3)).isoformat()},
    )

    assert response.status_code == 400
    page = response.content.decode()
    yesterday = (TODAY - datetime.timedelta(days=1)).strftime("%d/%m/%Y")
    assert f"Une absence ne peut commencer avant le {yesterday} (hier au plus tôt)" in page
    assert 'id="id_starts_on_error"' in page  # on the field, with what was typed kept
    assert f'value="{starts_on.isoformat()}"' in page
    assert not Absence.objects.filter(practitioner=own_entry).exists()


def test_the_api_refuses_an_absence_that_started_last_week(signed_in, gp, own_entry):
    response = signed_in(gp).post(
        f"/api/v1/practitioners/{own_entry.public_id}/absences/",
        {"starts_on": (TODAY - datetime.timedelta(days=7)).isoformat(), "ends_on": TODAY.isoformat()},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "hier au plus tôt" in response.json()["detail"]


def test_an_absence_under_way_for_weeks_keeps_its_start_when_its_end_moves(gp, own_entry):
    started = TODAY - datetime.timedelta(days=20)
    absence = Absence.objects.create(practitioner=own_entry, starts_on=started, ends_on=TODAY)

    absence_update(acting_user=gp, absence=absence, starts_on=started, ends_on=TODAY + datetime.timedelta(days=10))

    absence.refresh_from_db()
    assert (absence.starts_on, absence.ends_on) == (started, TODAY + datetime.timedelta(days=10))


def test_moving_an_absence_start_a_week_back_is_refused(gp, own_entry):
    absence = absence_declare(acting_user=gp, practitioner=own_entry, starts_on=TODAY, ends_on=TODAY)

    with pytest.raises(ApplicationError, match="hier au plus tôt"):
        absence_update(
            acting_user=gp, absence=absence, starts_on=TODAY - datetime.timedelta(days=7), ends_on=absence.ends_on
        )

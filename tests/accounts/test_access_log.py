"""The access log: every read or change of patient data leaves a row; coordinators search their territories'
rows, nobody else."""

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessLog
from accounts.roles import Role
from accounts.services import access_log_purge, access_log_record, access_log_record_many
from accounts.tasks import purge_old_access_log
from directory.services import role_grant_create
from tests.conftest import enrol_totp
from tests.factories import PracticeFactory, TerritoryFactory, UserFactory


def record(user, **overrides):
    request = RequestFactory().get("/adressages/42/", REMOTE_ADDR="10.1.2.3")
    values = {"action": "read", "subject_type": "referral", "subject_id": "42", "patient_ref": "p-1"}
    values.update(overrides)
    return access_log_record(user=user, request=request, **values)


def test_helper_records_who_what_when_and_through_which_page(gp):
    row = record(gp)

    assert row.user == gp
    assert row.user_email == "alice@cpts.test"
    assert row.via == "/adressages/42/"
    assert row.method == "GET"
    assert row.ip_address == "10.1.2.3"
    assert timezone.now() - row.at < timedelta(seconds=5)


def test_helper_refuses_an_unknown_action(gp):
    with pytest.raises(ValueError):
        record(gp, action="peek")


def test_row_keeps_the_address_after_the_account_is_deleted(gp):
    row = record(gp)
    gp.delete()

    row.refresh_from_db()
    assert row.user is None
    assert row.user_email == "alice@cpts.test"


def test_coordinator_searches_the_log_by_user_and_subject(signed_in, coordinator, gp, cardiologist):
    record(gp, subject_id="42")
    record(cardiologist, subject_id="43")

    response = signed_in(coordinator).get(reverse("accounts:access_log"), {"email": "alice", "subject_id": "42"})

    assert response.status_code == 200
    rows = list(response.context["page"])
    assert [row.user_email for row in rows] == ["alice@cpts.test"]
    assert "chloe@cpts.test" not in response.content.decode()


def test_search_by_dates_is_inclusive_of_the_last_day(signed_in, coordinator, gp):
    old = record(gp, subject_id="old")
    AccessLog.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=10))
    record(gp, subject_id="today")
    today = timezone.localdate()

    response = signed_in(coordinator).get(
        reverse("accounts:access_log"), {"date_from": today.isoformat(), "date_to": today.isoformat()}
    )

    assert [row.subject_id for row in response.context["page"]] == ["today"]


def test_inverted_dates_are_a_400_with_a_french_message(signed_in, coordinator):
    response = signed_in(coordinator).get(
        reverse("accounts:access_log"), {"date_from": "2026-05-02", "date_to": "2026-05-01"}
    )

    assert response.status_code == 400
    assert "La date de début doit précéder la date de fin" in response.content.decode()


def test_malformed_date_is_a_400_not_a_500(signed_in, coordinator):
    response = signed_in(coordinator).get(reverse("accounts:access_log"), {"date_from": "hier"})

    assert response.status_code == 400


@pytest.mark.parametrize("persona", ["gp", "cardio_secretary", "regulator", "observer", "outsider"])
def test_only_coordinators_open_the_access_log(signed_in, request, persona):
    user = request.getfixturevalue(persona)

    response = signed_in(user).get(reverse("accounts:access_log"))

    assert response.status_code == 403
    assert "Accès refusé" in response.content.decode()


def test_retention_purges_only_rows_past_the_period(gp, settings):
    kept, purged = record(gp, subject_id="recent"), record(gp, subject_id="ancient")
    AccessLog.objects.filter(pk=purged.pk).update(
        at=timezone.now() - timedelta(days=settings.ACCESS_LOG_RETENTION_DAYS + 1)
    )

    assert purge_old_access_log.apply().get() == 1
    assert list(AccessLog.objects.values_list("subject_id", flat=True)) == ["recent"]
    assert access_log_purge(older_than_days=settings.ACCESS_LOG_RETENTION_DAYS) == 0
    assert kept.pk


# --- Each coordinator reads the rows of their own territories ---------------------------------------------------


@pytest.fixture
def other_territory(db):
    return TerritoryFactory(name="CPTS du Littoral", slug="littoral")


@pytest.fixture
def other_coordinator(other_territory):
    user = UserFactory(email="yves@cpts.test", first_name="Yves", last_name="Le Goff")
    role_grant_create(user=user, role=Role.COORDINATOR, territory=other_territory)
    enrol_totp(user)
    return user


def test_coordinator_of_another_territory_sees_none_of_the_log_rows(
    signed_in, gp, cardio_secretary, regulator, other_coordinator
):
    for reader in (gp, cardio_secretary, regulator):
        record(reader)

    response = signed_in(other_coordinator).get(reverse("accounts:access_log"))

    assert response.status_code == 200
    assert list(response.context["page"]) == []
    html = response.content.decode()
    assert "alice@cpts.test" not in html and "denise@cpts.test" not in html and "gaston@cpts.test" not in html


def test_coordinator_sees_readers_of_their_territory_through_entry_practice_and_grant(
    signed_in, territory, coordinator, gp, cardio_secretary, regulator, other_coordinator, other_territory
):
    elsewhere = UserFactory(email="zoe@cpts.test")
    role_grant_create(user=elsewhere, role=Role.SECRETARY, practices=[PracticeFactory(territory=other_territory)])
    for reader in (gp, cardio_secretary, regulator, elsewhere):
        record(reader)

    response = signed_in(coordinator).get(reverse("accounts:access_log"))

    assert sorted(row.user_email for row in response.context["page"]) == [
        "alice@cpts.test",
        "denise@cpts.test",
        "gaston@cpts.test",
    ]
    own = signed_in(other_coordinator).get(reverse("accounts:access_log"))
    assert [row.user_email for row in own.context["page"]] == ["zoe@cpts.test"]


def test_row_stays_in_its_territory_after_the_account_is_deleted(signed_in, territory, coordinator, gp):
    record(gp)
    gp.delete()

    response = signed_in(coordinator).get(reverse("accounts:access_log"))

    assert [row.user_email for row in response.context["page"]] == ["alice@cpts.test"]


def test_row_keeps_the_territory_of_its_time_when_the_reader_moves(
    signed_in, cardio_secretary, coordinator, other_coordinator, other_territory
):
    record(cardio_secretary)
    grant = cardio_secretary.role_grants.get()
    grant.practices.set([PracticeFactory(territory=other_territory)])

    assert len(signed_in(coordinator).get(reverse("accounts:access_log")).context["page"]) == 1
    assert len(signed_in(other_coordinator).get(reverse("accounts:access_log")).context["page"]) == 0


def test_recording_costs_one_query_whatever_the_readers_roles(gp, django_assert_num_queries):
    request = RequestFactory().get("/adressages/")

    with django_assert_num_queries(1):
        record(gp)
    with django_assert_num_queries(1):
        access_log_record_many(
            user=gp, action="read", subject_type="referral", subjects=[("1", "p-1"), ("2", "p-2")], request=request
        )

    assert {tuple(row.territory_ids) for row in AccessLog.objects.all()} == {
        (gp.role_grants.get().practitioner.territory_id,)
    }

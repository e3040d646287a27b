"""The coordinator's dashboard: per specialty and month over the last 12 months, for the territories the user
coordinates or observes: volumes, median delays, acceptance, tele-expertises answered and what they avoided;
the same table as CSV; aggregated in SQL with a constant number of queries; no patient data, so observers see it
too, and nobody else."""

import csv
import datetime
import io
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.roles import Role
from directory.models import Activity, Practitioner, Specialty
from directory.services import role_grant_create
from referrals.dashboard import referral_dashboard
from referrals.models import Referral
from referrals.selectors import get_referral_for_user
from referrals.services import referral_accept, referral_answer, referral_decline, referral_send
from referrals.services.billing import survey_answer
from tests.conftest import enrol_totp
from tests.factories import PracticeFactory, PractitionerFactory, TerritoryFactory, UserFactory
from tests.referrals.conftest import PATIENT, daytime_in

PARIS = ZoneInfo("Europe/Paris")
URL = "/demandes/tableau-de-bord/"
CARDIOLOGY = "Cardiologie et maladies vasculaires"


def _first_of_month(months_back: int) -> datetime.date:
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 - months_back
    return datetime.date(index // 12, index % 12 + 1, 1)


LAST_MONTH = _first_of_month(1)
THIS_MONTH = _first_of_month(0)


def _dated(referral, *, sent_on: datetime.date, first_response_after=None, appointment_after=None):
    """As if the request had been sent on ``sent_on`` at 9:00 (Paris) and answered after the given delays."""
    # Delays added in UTC: elapsed time, whatever a change to winter time in between does to the wall clock.
    sent_at = datetime.datetime.combine(sent_on, datetime.time(9), tzinfo=PARIS).astimezone(datetime.UTC)
    changes = {"sent_at": sent_at, "due_at": sent_at + datetime.timedelta(days=30)}
    if first_response_after is not None:
        changes["first_response_at"] = sent_at + first_response_after
    if appointment_after is not None:
        changes["appointment_at"] = sent_at + appointment_after
    Referral.objects.filter(pk=referral.pk).update(**changes)


def _days(count):
    return datetime.timedelta(days=count)


@pytest.fixture
def known_month(gp, cardiologist, cardio_secretary, cardio_practice, dermato_practice):
    """Last month, to the cardiologist: three letters (answered after 1, 2 and 4 days; two appointments 10 and 20
    days after sending, one refusal) and one tele-expertise answered after 3 days, whose survey says it avoided
    a visit but no emergency. This month, one letter to the dermatology practice, not yet handled."""
    cardio = Practitioner.objects.get(user=cardiologist)
    cardio.answers_teleexpertise = True
    cardio.save()
    in_two_weeks = daytime_in(14)
    day = LAST_MONTH.replace(day=10)

    def letter():
        return referral_send(
            acting_user=gp, kind="letter", recipient_practitioner=cardio, confirm_duplicate=True, **PATIENT
        )

    first, second, third = letter(), letter(), letter()
    referral_accept(acting_user=cardio_secretary, referral=first, appointment_at=in_two_weeks, site=cardio_practice)
    referral_accept(acting_user=cardio_secretary, referral=second, appointment_at=in_two_weeks, site=cardio_practice)
    referral_decline(acting_user=cardio_secretary, referral=third, reason="Hors de notre champ")
    _dated(first, sent_on=day, first_response_after=_days(1), appointment_after=_days(10))
    _dated(second, sent_on=day, first_response_after=_days(2), appointment_after=_days(20))
    _dated(third, sent_on=day, first_response_after=_days(4))

    question = referral_send(
        acting_user=gp,
        kind="teleexpertise",
        recipient_practitioner=cardio,
        teleexpertise_consent=True,
        confirm_duplicate=True,
        **PATIENT,
    )
    question = referral_answer(acting_user=cardiologist, referral=question, answer="Avis donné.")
    survey_answer(acting_user=gp, referral=question, avoided_visit=True, avoided_emergency=False)
    _dated(question, sent_on=day, first_response_after=_days(3))

    to_practice = referral_send(acting_user=gp, kind="letter", recipient_practice=dermato_practice, **PATIENT)
    _dated(to_practice, sent_on=THIS_MONTH)
    return question


@pytest.fixture
def out_of_scope(known_month, gp, cardiologist):
    """A request of another territory last month, and one of this territory sent 13 months ago."""
    elsewhere = TerritoryFactory(name="CPTS du Marais", slug="marais")
    user = UserFactory(email="zoe@cpts.test")
    entry = PractitionerFactory(territory=elsewhere)
    Activity.objects.create(practitioner=entry, practice=PracticeFactory(territory=elsewhere))
    role_grant_create(user=user, role=Role.PROFESSIONAL, practitioner=entry)
    cardio = Practitioner.objects.get(user=cardiologist)
    _dated(
        referral_send(acting_user=user, kind="letter", recipient_practitioner=cardio, **PATIENT),
        sent_on=LAST_MONTH.replace(day=12),
    )
    old = referral_send(acting_user=gp, kind="letter", recipient_practitioner=cardio, confirm_duplicate=True, **PATIENT)
    _dated(old, sent_on=_first_of_month(13).replace(day=20))
    return elsewhere


def _row(rows, month, specialty):
    matches = [row for row in rows if row.month == month and row.specialty == specialty]
    assert len(matches) == 1, rows
    return matches[0]


def test_the_figures_of_a_small_known_month(known_month, out_of_scope, coordinator):
    dashboard = referral_dashboard(coordinator)

    cardiology = _row(dashboard.rows, LAST_MONTH, CARDIOLOGY)
    assert (cardiology.sent, cardiology.accepted, cardiology.declined) == (4, 3, 1)
    assert cardiology.median_first_response == datetime.timedelta(days=2, hours=12)  # 1, 2, 3, 4 days
    assert cardiology.median_appointment_delay == _days(15)  # 10 and 20 days
    assert cardiology.acceptance_rate == 0.75
    assert (cardiology.teleexpertises_answered, cardiology.surveys) == (1, 1)
    assert (cardiology.avoided_visits, cardiology.avoided_emergencies) == (1, 0)
    unassigned = _row(dashboard.rows, THIS_MONTH, None)
    assert (unassigned.sent, unassigned.median_first_response, unassigned.acceptance_rate) == (1, None, None)
    assert len(dashboard.rows) == 2  # neither the other territory's request nor the one of 13 months ago
    assert [(row.specialty, row.sent) for row in dashboard.totals] == [(CARDIOLOGY, 4), (None, 1)]


def test_the_page_shows_the_table_and_filters_by_specialty(known_month, coordinator, signed_in):
    client = signed_in(coordinator)
    response = client.get(URL)

    assert response.status_code == 200
    text = response.content.decode()
    assert CARDIOLOGY in text and "2,5" in text and "75 %" in text
    assert "Sans spécialité (cabinet ou parcours)" in text

    cardiology = Specialty.objects.get(code="SM04")
    filtered = client.get(URL, {"specialty": cardiology.pk}, HTTP_HX_REQUEST="true")
    assert filtered.status_code == 200
    assert "<html" not in filtered.content.decode() and "Sans spécialité" not in filtered.content.decode()
    assert client.get(URL, {"specialty": "999999"}).status_code == 400


def test_the_csv_holds_the_same_table(known_month, coordinator, signed_in):
    response = signed_in(coordinator).get(URL + "export.csv")

    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    content = response.content.decode("utf-8")
    assert content.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(content[1:]), delimiter=";"))
    assert rows[0][:3] == ["Mois", "Spécialité", "Demandes envoyées"]
    assert [LAST_MONTH.strftime("%Y-%m"), CARDIOLOGY, "4", "2,5", "15,0", "75", "1", "1", "1", "0"] in rows
    assert ["12 derniers mois", "Sans spécialité (cabinet ou parcours)", "1", "", "", "", "0", "0", "0", "0"] in rows


def test_the_dashboard_costs_the_same_queries_whatever_the_volume(known_month, gp, cardiologist, coordinator, rf):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            referral_dashboard(coordinator)
        return len(captured)

    few = queries()
    cardio = Practitioner.objects.get(user=cardiologist)
    for months_back in range(12):
        for _ in range(3):
            sent = referral_send(
                acting_user=gp, kind="letter", recipient_practitioner=cardio, confirm_duplicate=True, **PATIENT
            )
            _dated(sent, sent_on=_first_of_month(months_back).replace(day=5))

    assert queries() == few <= 3
    assert len(referral_dashboard(coordinator).rows) == 13  # every month for cardiology, and this month's practice


def test_observers_see_the_figures_and_no_patient(known_month, observer, signed_in):
    client = signed_in(observer)

    page = client.get(URL)
    export = client.get(URL + "export.csv")

    assert page.status_code == 200 and export.status_code == 200
    for text in (page.content.decode(), export.content.decode("utf-8")):
        assert CARDIOLOGY in text
        for patient_data in (PATIENT["patient_family_name"], "Louise", PATIENT["reason"], "Avis donné"):
            assert patient_data not in text
    assert get_referral_for_user(observer, known_month.public_id) is None


def test_a_coordinator_of_another_territory_sees_none_of_these_requests(known_month, signed_in):
    other = UserFactory(email="yann@cpts.test")
    role_grant_create(user=other, role=Role.COORDINATOR, territory=TerritoryFactory(slug="ailleurs"))
    enrol_totp(other)

    assert referral_dashboard(other).rows == []
    assert "Aucune demande envoyée sur la période." in signed_in(other).get(URL).content.decode()


@pytest.mark.parametrize("persona", ["gp", "cardiologist", "cardio_secretary", "regulator", "outsider"])
def test_nobody_else_opens_the_dashboard(persona, request, signed_in):
    client = signed_in(request.getfixturevalue(persona))

    assert client.get(URL).status_code == 403
    assert client.get(URL + "export.csv").status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client, db):
    assert client.get(URL).status_code == 302

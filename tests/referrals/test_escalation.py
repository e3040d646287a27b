"""The escalation chain of a late request: the recipient's side first,
then everyone of the practice who was not told, then the coordination of the territory; each step once; a
request that waits for the GP does not ring the whole practice; an answered request stops the chain; a request
done but never closed is pointed out once, never closed behind anyone's back. No staff e-mail names the
patient."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from directory.models import Activity, Practitioner
from directory.services import role_grant_create
from notifications.models import OutboundMessage
from notifications.services import message_render
from referrals.models import Pathway, Referral, ReferralEvent
from referrals.services import (
    referral_accept,
    referral_acknowledge,
    referral_answer,
    referral_close,
    referral_decline,
    referral_request_info,
    referral_send,
)
from referrals.services.deadlines import deadline_reminders_send
from referrals.tasks import send_deadline_reminders
from tests.conftest import enrol_totp
from tests.factories import PractitionerFactory, TerritoryFactory, UserFactory
from tests.referrals.conftest import PATIENT, daytime_in

STAFF_FORBIDDEN = (PATIENT["patient_family_name"], PATIENT["patient_given_names"], PATIENT["reason"], "1958")


def _steps(**taken):
    """What a run returns: how many requests took each step."""
    steps = dict.fromkeys(
        ["reminded", "escalated", "escalated_practice", "escalated_coordination", "close_reminded"], 0
    )
    return {**steps, **taken}


def _pass(referral, hours):
    """As if ``hours`` had passed since the request was sent and since each step of its timeline."""
    shift = datetime.timedelta(hours=hours)
    referral.refresh_from_db()
    Referral.objects.filter(pk=referral.pk).update(
        sent_at=referral.sent_at - shift,
        due_at=referral.due_at - shift,
        appointment_at=referral.appointment_at - shift if referral.appointment_at else None,
    )
    for event in ReferralEvent.objects.filter(referral=referral):
        ReferralEvent.objects.filter(pk=event.pk).update(at=event.at - shift)


def _recipients(template):
    return sorted(OutboundMessage.objects.filter(template=template).values_list("recipient", flat=True))


def _colleague(email, practice, territory, *, active=True):
    """A professional with an account who works at ``practice`` too."""
    user = UserFactory(email=email, is_active=active)
    practitioner = PractitionerFactory(territory=territory)
    Activity.objects.create(practitioner=practitioner, practice=practice)
    role_grant_create(user=user, role=Role.PROFESSIONAL, practitioner=practitioner)
    return user


@pytest.fixture
def colleague(cardio_practice, territory):
    return _colleague("gilles@cpts.test", cardio_practice, territory)


def _send(gp, cardiologist, urgency):
    return referral_send(
        acting_user=gp,
        kind="letter",
        urgency=urgency,
        recipient_practitioner=Practitioner.objects.get(user=cardiologist),
        confirm_duplicate=True,  # the same patient in every request: the GP confirms the repeats
        **PATIENT,
    )


@pytest.fixture
def urgent(gp, cardiologist):
    return _send(gp, cardiologist, "urgent")


@pytest.fixture
def routine(gp, cardiologist):
    return _send(gp, cardiologist, "routine")


def test_a_late_urgent_request_climbs_the_chain_one_step_at_a_time(
    urgent, cardiologist, cardio_secretary, colleague, coordinator, cardio_practice, territory
):
    _colleague("absent@cpts.test", cardio_practice, territory, active=False)
    _pass(urgent, 49)  # the 48 h target has passed

    assert send_deadline_reminders.apply().get() == _steps(escalated=1)
    assert _recipients("referral_overdue") == sorted([cardiologist.email, cardio_secretary.email])

    _pass(urgent, 23)  # a step is a quarter of the target, at least 24 h: not yet
    assert send_deadline_reminders() == _steps()

    _pass(urgent, 1)
    assert send_deadline_reminders() == _steps(escalated_practice=1)
    # The practice's other members, not those told already, not a closed account.
    assert _recipients("referral_escalated_practice") == [colleague.email]

    _pass(urgent, 23)
    assert send_deadline_reminders() == _steps()
    _pass(urgent, 1)
    assert send_deadline_reminders.apply().get() == _steps(escalated_coordination=1)
    # An urgent request reaches the coordinators at once, not in Monday's digest.
    assert _recipients("referral_escalated_coordination") == [coordinator.email]

    _pass(urgent, 24 * 30)
    assert send_deadline_reminders() == _steps()  # the chain is over: the request stays on the overdue list
    assert list(urgent.events.filter(action__startswith="escalated").values_list("action", flat=True)) == [
        "escalated",
        "escalated_practice",
        "escalated_coordination",
    ]
    assert OutboundMessage.objects.exclude(template="referral_new_request").count() == 4  # and its arrival's


def test_a_routine_request_escalates_to_the_coordination_without_an_email(
    routine, colleague, coordinator, cardio_secretary
):
    _pass(routine, 24 * 30 + 1)
    assert deadline_reminders_send() == _steps(escalated=1)
    _pass(routine, 24 * 7)  # a step is a quarter of 30 days: 7.5 days
    assert deadline_reminders_send() == _steps()
    _pass(routine, 13)
    assert deadline_reminders_send() == _steps(escalated_practice=1)
    _pass(routine, 24 * 8)

    assert deadline_reminders_send() == _steps(escalated_coordination=1)
    assert routine.events.filter(action="escalated_coordination").count() == 1
    assert not OutboundMessage.objects.filter(template="referral_escalated_coordination").exists()
    assert not OutboundMessage.objects.filter(recipient=coordinator.email).exists()


def test_a_run_takes_one_step_per_request_even_when_it_is_late_for_weeks(urgent, colleague):
    _pass(urgent, 24 * 20)

    assert deadline_reminders_send() == _steps(escalated=1)
    assert deadline_reminders_send() == _steps()  # the next step waits a step after the first e-mail


def test_while_the_practice_waits_for_the_gp_its_other_members_are_not_rung(
    urgent, cardio_secretary, colleague, coordinator
):
    referral_request_info(acting_user=cardio_secretary, referral=urgent, message="Merci de joindre l'ECG.")
    _pass(urgent, 49)
    assert deadline_reminders_send() == _steps(escalated=1)
    _pass(urgent, 24)

    assert deadline_reminders_send() == _steps(escalated_coordination=1)
    assert not OutboundMessage.objects.filter(recipient=colleague.email).exists()


def test_the_sender_working_at_the_practice_is_not_told_of_their_own_request(gp, urgent, cardio_practice, colleague):
    Activity.objects.create(practitioner=Practitioner.objects.get(user=gp), practice=cardio_practice)
    _pass(urgent, 49)
    deadline_reminders_send()
    _pass(urgent, 24)

    deadline_reminders_send()

    assert _recipients("referral_escalated_practice") == [colleague.email]


def test_a_pathway_request_rings_its_responding_practices(gp, cardio_practice, cardio_secretary, colleague, territory):
    pathway = Pathway.objects.create(territory=territory, name="Suspicion d'insuffisance cardiaque")
    pathway.responder_practices.add(cardio_practice)
    referral = referral_send(acting_user=gp, kind="letter", urgency="urgent", pathway=pathway, **PATIENT)
    _pass(referral, 49)
    deadline_reminders_send()
    _pass(referral, 24)

    deadline_reminders_send()

    # The practice answers the pathway: its secretary and its professionals have it in their inbox, and are
    # told it is late at once; the practice's escalation then has nobody left to tell.
    assert sorted(_recipients("referral_overdue")) == sorted([cardio_secretary.email, colleague.email])
    assert colleague.email not in _recipients("referral_escalated_practice")


def test_an_answer_stops_the_chain(urgent, cardio_secretary, colleague):
    _pass(urgent, 49)
    deadline_reminders_send()
    referral_decline(acting_user=cardio_secretary, referral=urgent, reason="Hors de notre champ")
    _pass(urgent, 24 * 10)

    assert deadline_reminders_send() == _steps()
    assert not OutboundMessage.objects.filter(template="referral_escalated_practice").exists()


def test_an_acknowledged_request_is_still_late_if_nothing_follows(urgent, cardio_secretary, colleague):
    referral_acknowledge(acting_user=cardio_secretary, referral=urgent)
    _pass(urgent, 49)
    deadline_reminders_send()
    _pass(urgent, 24)

    assert deadline_reminders_send() == _steps(escalated_practice=1)


def test_staff_emails_of_the_chain_name_no_patient_and_lead_to_the_request(
    urgent, cardio_secretary, colleague, coordinator
):
    _pass(urgent, 40)
    deadline_reminders_send()
    for hours in (9, 24, 24):
        _pass(urgent, hours)
        deadline_reminders_send()

    messages = OutboundMessage.objects.all()
    assert {message.template for message in messages} == {
        "referral_new_request",  # told on arrival, being urgent
        "referral_reminder",
        "referral_overdue",
        "referral_escalated_practice",
        "referral_escalated_coordination",
    }
    for message in messages:
        text = " ".join(message_render(message).values())
        for forbidden in STAFF_FORBIDDEN:
            assert forbidden not in text, (message.template, forbidden)
        assert "Urgent" in text or "urgente" in text
        if message.recipient == coordinator.email:
            assert "/demandes/coordination/en-retard/" in text  # a coordinator cannot open the request itself
        else:
            assert f"/demandes/{urgent.public_id}/" in text


def test_an_appointment_long_past_and_not_closed_is_pointed_out_once(
    gp, cardiologist, cardio_secretary, cardio_practice
):
    referral = _send(gp, cardiologist, "routine")
    appointment = daytime_in(2)
    referral_accept(acting_user=cardio_secretary, referral=referral, appointment_at=appointment, site=cardio_practice)
    _pass(referral, 24 * 31)  # the appointment was 29 days ago
    assert deadline_reminders_send() == _steps()

    _pass(referral, 24 * 2)

    assert send_deadline_reminders.apply().get() == _steps(close_reminded=1)
    assert send_deadline_reminders.apply().get() == _steps()
    assert _recipients("referral_close_reminder") == sorted([cardiologist.email, cardio_secretary.email])
    text = " ".join(message_render(OutboundMessage.objects.get(recipient=cardio_secretary.email)).values())
    assert "clôturée" in text and PATIENT["patient_family_name"] not in text
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ACCEPTED  # never closed behind anyone's back


def test_an_answered_teleexpertise_not_closed_after_30_days_is_pointed_out(gp, cardiologist, cardio_secretary):
    expert = Practitioner.objects.get(user=cardiologist)
    Practitioner.objects.filter(pk=expert.pk).update(answers_teleexpertise=True)
    expert.refresh_from_db()
    question = referral_send(acting_user=gp, kind="teleexpertise", recipient_practitioner=expert, **PATIENT)
    referral_answer(acting_user=cardiologist, referral=question, answer="Pas d'argument pour une cause cardiaque.")
    _pass(question, 24 * 29)
    assert deadline_reminders_send() == _steps()

    _pass(question, 24 * 2)

    assert deadline_reminders_send() == _steps(close_reminded=1)


def test_a_closed_request_hears_nothing_more(gp, cardiologist, cardio_secretary, cardio_practice):
    referral = _send(gp, cardiologist, "routine")
    appointment = daytime_in(2)
    referral_accept(acting_user=cardio_secretary, referral=referral, appointment_at=appointment, site=cardio_practice)
    referral_close(acting_user=cardio_secretary, referral=referral, note="Compte-rendu envoyé.")
    _pass(referral, 24 * 90)

    assert deadline_reminders_send() == _steps()
    assert not OutboundMessage.objects.exclude(template="referral_sender_news").exists()  # only "accepted" to the GP


# --- The coordinators' overdue page -------------------------------------------------------------------------------

OVERDUE_URL = "/demandes/coordination/en-retard/"


def test_the_overdue_page_is_where_it_is_announced():
    assert reverse("referrals:coordination_overdue") == OVERDUE_URL
    assert reverse("referrals:coordination_overdue_csv") == "/demandes/coordination/en-retard.csv"


@pytest.fixture
def escalated(urgent, routine, colleague):
    """The urgent request went up to the coordination; the routine one is on time."""
    for hours in (49, 24, 24):
        _pass(urgent, hours)
        deadline_reminders_send()
    return urgent


def test_the_coordinator_sees_late_requests_with_delays_and_step_but_no_patient(
    escalated, routine, signed_in, coordinator
):
    response = signed_in(coordinator).get(OVERDUE_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert "1 demande de votre territoire a passé sa date cible" in html
    assert "Adressage (courrier)" in html and "urgent" in html
    assert "Alice Martin" in html and "Chloé Rousseau" in html and "Envoyée" in html
    assert "2 jours" in html  # 97 h since sending, 49 h past the 48 h target
    assert "Remontée à la coordination" in html
    escalated.refresh_from_db()
    assert timezone.localtime(escalated.due_at).strftime("%d/%m/%Y %H:%M") in html
    for forbidden in (*STAFF_FORBIDDEN, PATIENT["question"]):
        assert forbidden not in html
    assert str(routine.public_id) not in html and "Habituel" not in html  # not late


def test_each_row_says_how_far_the_chain_went(urgent, routine, signed_in, coordinator):
    _pass(routine, 24 * 31)
    _pass(urgent, 49)
    deadline_reminders_send()  # both told their recipient side
    fresh = _send(urgent.sender_user, urgent.recipient_practitioner.user, "urgent")
    _pass(fresh, 49)  # late, not run yet

    html = signed_in(coordinator).get(OVERDUE_URL).content.decode()

    assert html.count("Cabinet relancé") == 2
    assert "Pas encore relancée" in html


@pytest.mark.parametrize("persona", ["gp", "cardiologist", "cardio_secretary", "regulator", "observer", "outsider"])
def test_only_coordinators_open_the_overdue_page(escalated, persona, request, signed_in):
    browser = signed_in(request.getfixturevalue(persona))

    assert browser.get(OVERDUE_URL).status_code == 403
    assert browser.get(reverse("referrals:coordination_overdue_csv")).status_code == 403


def test_a_visitor_is_asked_to_sign_in(escalated, client):
    response = client.get(OVERDUE_URL)

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_coordinator_of_another_territory_sees_none_of_these(escalated, signed_in):
    other = UserFactory(email="olga@cpts.test")
    role_grant_create(
        user=other, role=Role.COORDINATOR, territory=TerritoryFactory(name="CPTS du Marais", slug="marais")
    )
    enrol_totp(other)

    html = signed_in(other).get(OVERDUE_URL).content.decode()

    assert "Aucune demande en retard" in html and "Alice Martin" not in html


def test_the_overdue_list_downloads_as_csv_without_the_patient(escalated, signed_in, coordinator):
    response = signed_in(coordinator).get(reverse("referrals:coordination_overdue_csv"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = response.content.decode("utf-8-sig").splitlines()
    assert rows[0].startswith("Type;Urgence;Expéditeur;Destinataire;Statut")
    assert len(rows) == 2
    assert "Alice Martin;Chloé Rousseau;Envoyée" in rows[1] and rows[1].endswith(";2;Remontée à la coordination")
    for forbidden in STAFF_FORBIDDEN:
        assert forbidden not in response.content.decode("utf-8-sig")


def test_the_overdue_page_reads_as_many_queries_for_30_requests_as_for_3(
    gp, cardiologist, signed_in, coordinator, django_assert_max_num_queries
):
    browser = signed_in(coordinator)

    def late_requests(count):
        for _number in range(count):
            referral = _send(gp, cardiologist, "urgent")
            _pass(referral, 49)
        deadline_reminders_send()

    late_requests(3)
    browser.get(OVERDUE_URL)
    with CaptureQueriesContext(connection) as three:
        assert browser.get(OVERDUE_URL).content.decode().count("Cabinet relancé") == 3
    late_requests(27)

    with django_assert_max_num_queries(len(three)):
        assert browser.get(OVERDUE_URL).content.decode().count("Cabinet relancé") == 30

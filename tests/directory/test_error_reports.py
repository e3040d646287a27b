"""“Signaler une erreur” on an entry: stored, and e-mailed through the outbox to the territory's coordinators."""

import uuid

import pytest
from django.core import mail
from django.urls import reverse

from accounts.roles import Role
from core.errors import ApplicationError
from directory.models import EntryRevision, ErrorReport, Practitioner
from directory.services import role_grant_create
from directory.services.entries import error_report_create
from notifications.models import OutboundMessage
from notifications.services import message_deliver
from tests.factories import PractitionerFactory, TerritoryFactory, UserFactory


@pytest.fixture
def rousseau(cardiologist):
    return Practitioner.objects.get(user=cardiologist)


@pytest.fixture
def other_coordinator(db):
    user = UserFactory(email="olga@cpts.test")
    role_grant_create(user=user, role=Role.COORDINATOR, territory=TerritoryFactory(slug="marais"))
    return user


def _report_url(practitioner):
    return reverse("directory:practitioner_report", args=[practitioner.public_id])


def test_a_signed_in_professional_reports_an_error_and_the_coordinator_is_emailed(
    signed_in, gp, coordinator, other_coordinator, rousseau
):
    response = signed_in(gp).post(_report_url(rousseau), {"message": "Le secrétariat a changé de numéro."})

    assert response.status_code == 302
    assert response["Location"] == reverse("directory:practitioner_detail", args=[rousseau.public_id])
    report = ErrorReport.objects.get(practitioner=rousseau)
    assert (report.reporter, report.reporter_email, report.status) == (gp, gp.email, "open")
    message = OutboundMessage.objects.get(template="directory_error_report")
    assert message.recipient == coordinator.email  # not the coordinator of another territory
    assert message.idempotency_key == f"directory-error-report:{report.public_id}:{coordinator.public_id}"

    assert message_deliver(message_id=message.pk) == "sent"
    email = mail.outbox[-1]
    assert email.to == [coordinator.email]
    assert "Chloé Rousseau" in email.subject
    assert "Le secrétariat a changé de numéro." in email.body
    assert f"/annuaire/{rousseau.public_id}/" in email.body
    assert "Alice Martin" in email.body and rousseau.rpps in email.body


def test_the_report_is_recorded_in_the_entrys_history(signed_in, gp, coordinator, rousseau):
    signed_in(gp).post(_report_url(rousseau), {"message": "Adresse fausse."})

    revision = EntryRevision.objects.get(practitioner=rousseau)
    assert (revision.object_type, revision.action, revision.actor) == ("error_report", "created", gp)


def test_every_coordinator_of_the_territory_is_told_once(coordinator, territory, rousseau):
    second = UserFactory(email="gilles@cpts.test")
    role_grant_create(user=second, role=Role.COORDINATOR, territory=territory)

    report = error_report_create(reporter=None, practitioner=rousseau, message="Partie", reporter_email="a@b.fr")

    recipients = OutboundMessage.objects.filter(template="directory_error_report").values_list("recipient", flat=True)
    assert sorted(recipients) == sorted([coordinator.email, second.email])
    assert ErrorReport.objects.get() == report


def test_an_anonymous_visitor_must_give_an_email(client, coordinator, rousseau):
    response = client.post(_report_url(rousseau), {"message": "Il est parti à la retraite."})

    assert response.status_code == 400
    page = response.content.decode()
    assert "Ce champ est obligatoire" in page
    assert "Il est parti à la retraite." in page
    assert not ErrorReport.objects.exists()

    response = client.post(
        _report_url(rousseau), {"message": "Il est parti à la retraite.", "reporter_email": "patient@example.fr"}
    )

    assert response.status_code == 302
    report = ErrorReport.objects.get()
    assert (report.reporter, report.reporter_email) == (None, "patient@example.fr")
    assert OutboundMessage.objects.filter(template="directory_error_report", recipient=coordinator.email).exists()


def test_a_bad_email_or_an_empty_message_is_refused_in_french(client, rousseau):
    response = client.post(_report_url(rousseau), {"message": "  ", "reporter_email": "pas-une-adresse"})

    assert response.status_code == 400
    page = response.content.decode()
    assert "Saisissez une adresse e-mail valide" in page and 'value="pas-une-adresse"' in page
    assert not ErrorReport.objects.exists()


def test_anonymous_reports_are_rate_limited_per_address(client, coordinator, rousseau):
    form = {"message": "Numéro faux.", "reporter_email": "visiteur@example.fr"}
    for _attempt in range(5):
        assert client.post(_report_url(rousseau), form, REMOTE_ADDR="203.0.113.7").status_code == 302

    response = client.post(_report_url(rousseau), form, REMOTE_ADDR="203.0.113.7")

    assert response.status_code == 429
    assert "Trop de signalements" in response.content.decode()
    assert "Numéro faux." in response.content.decode()
    assert ErrorReport.objects.count() == 5
    # Another address is counted on its own.
    assert client.post(_report_url(rousseau), form, REMOTE_ADDR="203.0.113.8").status_code == 302


def test_signed_in_users_are_not_rate_limited(signed_in, gp, rousseau):
    browser = signed_in(gp)
    for _attempt in range(7):
        assert browser.post(_report_url(rousseau), {"message": "Numéro faux."}).status_code == 302
    assert ErrorReport.objects.count() == 7


def test_the_form_is_on_the_page_and_on_its_own(client, rousseau):
    response = client.get(_report_url(rousseau))

    assert response.status_code == 200
    assert 'name="reporter_email"' in response.content.decode()


def test_an_entry_without_coordinator_still_keeps_the_report(territory):
    lonely = PractitionerFactory(territory=TerritoryFactory(slug="sans-coordination"))

    error_report_create(reporter=None, practitioner=lonely, message="Faux", reporter_email="a@b.fr")

    assert ErrorReport.objects.filter(practitioner=lonely).exists()
    assert not OutboundMessage.objects.filter(template="directory_error_report").exists()


def test_the_service_refuses_what_the_form_would(rousseau):
    with pytest.raises(ApplicationError) as refused:
        error_report_create(reporter=None, practitioner=rousseau, message="Faux")
    assert refused.value.field == "reporter_email"
    with pytest.raises(ApplicationError) as refused:
        error_report_create(reporter=None, practitioner=rousseau, message="", reporter_email="a@b.fr")
    assert refused.value.field == "message"
    assert not ErrorReport.objects.exists()


def test_reporting_on_an_unknown_entry_is_not_found(client, db):
    assert client.post(reverse("directory:practitioner_report", args=[uuid.uuid4()]), {}).status_code == 404

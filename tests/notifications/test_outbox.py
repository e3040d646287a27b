"""The outbox: a message is a row first, written in the caller's transaction, delivered once by the task."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessLog
from accounts.roles import Role
from core.errors import ApplicationError
from directory.services import role_grant_create
from notifications.models import OutboundMessage
from notifications.services import DeliveryDeferred, message_deliver, message_enqueue, outbox_sweep
from notifications.sms import LocmemSmsBackend
from notifications.tasks import deliver_message, sweep_outbox
from tests.conftest import enrol_totp
from tests.factories import TerritoryFactory, UserFactory

Status = OutboundMessage.Status


def enqueue_check(recipient="alice@cpts.test", channel="email", key="check-1"):
    return message_enqueue(
        channel=channel,
        recipient=recipient,
        template="delivery_check",
        context={"requested_by": "fanny@cpts.test", "requested_at": "2026-11-23T10:00:00+00:00"},
        idempotency_key=key,
    )


def deliver(message):
    """Runs the Celery task in this process, as the worker would."""
    return deliver_message.apply(args=[message.pk])


def test_message_is_queued_only_when_the_callers_transaction_commits(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        message = enqueue_check()
        assert message.status == Status.PENDING

    assert len(callbacks) == 1


def test_rolled_back_transaction_leaves_no_message(db):
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_check()
        raise RuntimeError("the caller's use case failed")

    assert not OutboundMessage.objects.exists()


def test_same_idempotency_key_twice_gives_one_row(db):
    first = enqueue_check(key="referral-accepted:42")
    second = enqueue_check(key="referral-accepted:42")

    assert first.pk == second.pk
    assert OutboundMessage.objects.count() == 1


def test_delivery_sends_a_french_email_with_html_and_text_parts(db):
    message = enqueue_check()

    assert deliver(message).get() == "sent"

    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["alice@cpts.test"]
    assert sent.subject == "[CPTS] Message de test du portail"
    assert "demandé par fanny@cpts.test" in sent.body
    html = {mimetype: body for body, mimetype in sent.alternatives}["text/html"]
    assert "<strong>fanny@cpts.test</strong>" in html
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.sent_at is not None
    assert message.attempts == 1


def test_delivering_the_same_row_twice_sends_once(db):
    message = enqueue_check()

    deliver(message)
    outcome = deliver(message).get()

    assert outcome == "skipped"
    assert len(mail.outbox) == 1


def test_sms_goes_through_the_sms_backend_with_a_normalised_number(db):
    message = enqueue_check(recipient="06 12 34 56 78", channel="sms")

    deliver(message)

    assert message.recipient == "+33612345678"
    assert LocmemSmsBackend.outbox == [
        {
            "to": "+33612345678",
            "text": "Portail CPTS : SMS de test demandé par fanny@cpts.test. "
            "S'il vous parvient, l'envoi des SMS fonctionne.",
        }
    ]


@pytest.mark.parametrize(("channel", "recipient"), [("sms", "06 12"), ("email", "pas-une-adresse")])
def test_invalid_recipient_is_refused_before_anything_is_written(db, channel, recipient):
    with pytest.raises(ApplicationError, match="invalide"):
        enqueue_check(recipient=recipient, channel=channel)

    assert not OutboundMessage.objects.exists()


def test_unknown_template_fails_at_the_caller_not_in_the_worker(db):
    from django.template import TemplateDoesNotExist

    with pytest.raises(TemplateDoesNotExist):
        message_enqueue(channel="email", recipient="a@cpts.test", template="nope", context={}, idempotency_key="k")


def test_failed_send_is_deferred_with_backoff_then_marked_failed_after_the_last_attempt(db, settings):
    settings.OUTBOX_EMAIL_BACKEND = "tests.notifications.failing_backend.RefusingEmailBackend"
    settings.OUTBOX_MAX_ATTEMPTS = 3
    settings.OUTBOX_RETRY_BASE_SECONDS = 30
    message = enqueue_check()

    with pytest.raises(DeliveryDeferred) as first:
        message_deliver(message_id=message.pk)
    with pytest.raises(DeliveryDeferred) as second:
        message_deliver(message_id=message.pk)
    message.refresh_from_db()

    assert (first.value.countdown, second.value.countdown) == (30, 60)
    assert message.status == Status.PENDING
    assert message.attempts == 2
    assert "SMTP server refused" in message.last_error
    assert message.next_attempt_at > timezone.now() + timedelta(seconds=50)

    assert message_deliver(message_id=message.pk) == "failed"
    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert message.attempts == 3
    assert not mail.outbox


def test_task_retries_through_celery_until_the_row_is_failed(db, settings):
    settings.OUTBOX_EMAIL_BACKEND = "tests.notifications.failing_backend.RefusingEmailBackend"
    settings.OUTBOX_MAX_ATTEMPTS = 2
    message = enqueue_check()

    result = deliver(message)  # in-process, Celery runs the retry at once instead of after the countdown

    assert result.get() == "failed"
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.FAILED, 2)


def test_failed_message_shows_on_the_coordinator_page_and_can_be_retried(signed_in, coordinator, gp):
    message = enqueue_check()  # to Alice's account, which holds a role in the coordinator's territory
    OutboundMessage.objects.filter(pk=message.pk).update(status=Status.FAILED, attempts=6, last_error="Timeout")
    client = signed_in(coordinator)

    page = client.get(reverse("notifications:outbox"))
    assert "alice@cpts.test" in page.content.decode()
    assert "Timeout" in page.content.decode()

    client.post(reverse("notifications:retry", args=[message.public_id]))
    message.refresh_from_db()
    assert message.status == Status.PENDING
    assert message.attempts == 0


def test_a_sent_message_cannot_be_retried(signed_in, coordinator, gp):
    message = enqueue_check()
    deliver(message)

    response = signed_in(coordinator).post(reverse("notifications:retry", args=[message.public_id]), follow=True)

    assert "Seul un message en échec peut être relancé" in response.content.decode()
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("persona", ["gp", "cardio_secretary", "observer", "outsider"])
def test_only_coordinators_see_the_outbox(signed_in, request, persona):
    user = request.getfixturevalue(persona)
    client = signed_in(user)

    assert client.get(reverse("notifications:outbox")).status_code == 403
    message = enqueue_check()
    assert client.post(reverse("notifications:retry", args=[message.public_id])).status_code == 403


def test_coordinator_sends_a_test_message(signed_in, coordinator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        response = signed_in(coordinator).post(
            reverse("notifications:outbox"), {"channel": "email", "recipient": "verif@cpts.test"}
        )

    assert response.status_code == 302
    row = OutboundMessage.objects.get()
    assert row.recipient == "verif@cpts.test"
    assert row.template == "delivery_check"


def test_test_message_to_a_bad_number_is_a_400_in_french(signed_in, coordinator):
    response = signed_in(coordinator).post(reverse("notifications:outbox"), {"channel": "sms", "recipient": "12"})

    assert response.status_code == 400
    assert "Numéro de téléphone invalide" in response.content.decode()


def test_sweep_queues_again_a_pending_row_no_task_carries(db, django_capture_on_commit_callbacks):
    message = enqueue_check()  # its on-commit enqueue never ran: as if Redis had been down
    OutboundMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now() - timedelta(minutes=5))

    outcome = sweep_outbox.apply().get()

    assert outcome == {"requeued": 1, "abandoned": 0}


def test_sweep_leaves_a_row_whose_retry_is_not_yet_due(db):
    message = enqueue_check()
    OutboundMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now() + timedelta(minutes=5))

    assert outbox_sweep()["requeued"] == 0


def test_sweep_gives_up_on_a_row_left_sending_by_a_dead_worker_without_resending(db, settings):
    message = enqueue_check()
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=Status.SENDING, claimed_at=timezone.now() - timedelta(hours=1), attempts=1
    )

    assert outbox_sweep() == {"requeued": 0, "abandoned": 1}

    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert "Envoi interrompu" in message.last_error
    assert not mail.outbox


def test_password_reset_email_of_allauth_goes_through_the_outbox(client, observer, django_capture_on_commit_callbacks):
    client.post("/accounts/password/reset/", {"email": observer.email})

    row = OutboundMessage.objects.get()
    assert row.recipient == observer.email
    assert row.template == "_prerendered"
    assert not mail.outbox  # nothing leaves before the task runs

    deliver(row)

    assert len(mail.outbox) == 1
    assert "mot de passe" in mail.outbox[0].subject.lower()
    assert "/accounts/password/reset/key/" in mail.outbox[0].body
    assert mail.outbox[0].body.startswith("Bonjour,")
    assert "Portail de votre CPTS" in mail.outbox[0].body


def test_sweep_does_not_queue_the_same_row_again_within_the_grace_period(db):
    message = enqueue_check()
    OutboundMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now() - timedelta(minutes=5))

    assert outbox_sweep(grace=timedelta(minutes=2))["requeued"] == 1
    assert outbox_sweep(grace=timedelta(minutes=2))["requeued"] == 0


def test_a_send_that_outlived_the_stale_limit_ends_sent(db, settings):
    settings.OUTBOX_EMAIL_BACKEND = "tests.notifications.failing_backend.SweptWhileSendingBackend"
    message = enqueue_check()

    assert message_deliver(message_id=message.pk) == "sent"

    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.last_error == ""


# --- The outbox page shows each coordinator their own territory's messages -------------------------------------


@pytest.fixture
def other_territory(db):
    return TerritoryFactory(name="CPTS du Littoral", slug="littoral")


@pytest.fixture
def other_coordinator(other_territory):
    user = UserFactory(email="yves@cpts.test", first_name="Yves", last_name="Le Goff")
    role_grant_create(user=user, role=Role.COORDINATOR, territory=other_territory)
    enrol_totp(user)
    return user


def failed(message, error="Timeout"):
    OutboundMessage.objects.filter(pk=message.pk).update(status=Status.FAILED, attempts=6, last_error=error)
    return message


def patient_messages(territory):
    email = message_enqueue(
        channel="email",
        recipient="jeanne.dupont@example.fr",
        template="delivery_check",
        context={},
        idempotency_key="patient-email",
        recipient_kind="patient",
        territory_id=territory.pk,
    )
    sms = message_enqueue(
        channel="sms",
        recipient="06 12 34 56 12",
        template="delivery_check",
        context={},
        idempotency_key="patient-sms",
        recipient_kind="patient",
        territory_id=territory.pk,
    )
    return failed(email, "Boîte pleine"), failed(sms, "Numéro injoignable")


def test_coordinator_of_another_territory_sees_none_of_its_failed_messages(signed_in, territory, gp, other_coordinator):
    patient_messages(territory)
    failed(enqueue_check(key="to-alice"))  # Alice's account holds a role in the first territory only

    response = signed_in(other_coordinator).get(reverse("notifications:outbox"))

    html = response.content.decode()
    assert response.status_code == 200
    assert list(response.context["page"]) == []
    assert "Aucun message en échec" in html
    assert "Boîte pleine" not in html and "alice@cpts.test" not in html
    assert response.context["counts"]["failed"] == 0


def test_coordinator_of_another_territory_gets_404_resending_its_message(signed_in, territory, other_coordinator):
    message, _sms = patient_messages(territory)

    response = signed_in(other_coordinator).post(reverse("notifications:retry", args=[message.public_id]))

    assert response.status_code == 404
    message.refresh_from_db()
    assert message.status == Status.FAILED


def test_patients_address_and_number_are_masked_and_the_read_is_logged(signed_in, territory, coordinator):
    email, sms = patient_messages(territory)

    response = signed_in(coordinator).get(reverse("notifications:outbox"))

    html = response.content.decode()
    assert "j•••@…" in html
    assert "06 •• •• •• 12" in html
    assert "jeanne" not in html and "dupont" not in html and "example.fr" not in html
    assert "34 56" not in html and "+33612345612" not in html
    logged = AccessLog.objects.filter(user=coordinator, subject_type="outbound_message", action="read")
    assert sorted(logged.values_list("subject_id", flat=True)) == sorted([str(email.public_id), str(sms.public_id)])
    assert logged.first().via == reverse("notifications:outbox")


def test_coordinator_resends_a_patient_message_of_their_territory(signed_in, territory, coordinator):
    message, _sms = patient_messages(territory)

    signed_in(coordinator).post(reverse("notifications:retry", args=[message.public_id]))

    message.refresh_from_db()
    assert message.status == Status.PENDING


def test_message_without_territory_follows_the_recipients_account(signed_in, gp, coordinator, other_coordinator):
    message = failed(enqueue_check(key="password-reset"))  # as allauth writes it: no territory

    assert signed_in(coordinator).get(reverse("notifications:outbox")).context["page"].object_list[0] == message
    assert signed_in(other_coordinator).post(reverse("notifications:retry", args=[message.public_id])).status_code == (
        404
    )


def test_message_to_an_account_without_any_role_shows_to_every_coordinator(signed_in, outsider, other_coordinator):
    message = failed(enqueue_check(recipient=outsider.email, key="invitation"))

    response = signed_in(other_coordinator).get(reverse("notifications:outbox"))

    assert list(response.context["page"]) == [message]


def test_message_to_an_address_of_no_account_and_no_territory_shows_to_no_coordinator(signed_in, coordinator):
    failed(enqueue_check(recipient="inconnu@example.fr", key="unknown-account"))

    assert list(signed_in(coordinator).get(reverse("notifications:outbox")).context["page"]) == []


def test_test_message_is_filed_under_the_coordinators_territory(signed_in, territory, coordinator):
    signed_in(coordinator).post(reverse("notifications:outbox"), {"channel": "email", "recipient": "verif@cpts.test"})

    assert OutboundMessage.objects.get().territory_id == territory.pk


def test_unknown_recipient_kind_is_refused(db):
    with pytest.raises(ValueError):
        message_enqueue(
            channel="email",
            recipient="a@cpts.test",
            template="delivery_check",
            context={},
            idempotency_key="k",
            recipient_kind="robot",
        )

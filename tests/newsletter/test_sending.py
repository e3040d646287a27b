# ruff: noqa: F811 (the fixtures imported from sending_helpers are requested by name)
"""A coordinator sends an issue: every confirmed subscriber of the edition gets exactly one e-mail, with the
RFC 8058 headers and a footer link that unsubscribes; nobody else gets one; a second send is a French 409; a
refused address is a hard bounce and receives nothing more; a send left half-way goes on by itself."""

import datetime
import re

import pytest
from django.test import Client
from django.utils import timezone

from core.errors import ApplicationError
from newsletter.models import Bounce, Delivery, Edition, Issue, Subscriber
from newsletter.selectors.sending import issue_progress
from newsletter.services import sending
from notifications.models import OutboundMessage
from notifications.services import outbox_sweep
from tests.newsletter.render_helpers import neighbour_coordinator  # noqa: F401
from tests.newsletter.sending_helpers import audience, draft, run_chain, sink, subscriber  # noqa: F401

pytestmark = pytest.mark.django_db


def test_each_confirmed_subscriber_of_the_edition_gets_one_copy_and_nobody_else(coordinator, draft, audience, sink):
    sending.issue_send(acting_user=coordinator, issue=draft)
    run_chain(draft)
    readers = {reader.email for reader in audience["readers"]}
    assert dict(sink.received) == dict.fromkeys(readers, 1)
    assert draft.status == Issue.Status.SENT and draft.sent_at is not None
    assert issue_progress(draft).as_dict() == {"total": 3, "sent": 3, "failed": 0, "pending": 0}
    assert set(Delivery.objects.filter(issue=draft).values_list("status", flat=True)) == {"sent"}


def test_the_mail_carries_one_click_unsubscribe_headers_and_a_footer_link_that_works(
    coordinator, draft, audience, sink
):
    sending.issue_send(acting_user=coordinator, issue=draft)
    run_chain(draft)
    reader = audience["readers"][0]
    message = next(m for m in sink.messages if m["To"] == reader.email)
    assert message["Subject"] == "La lettre de novembre"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.fullmatch(
        r"<(https?://[^>]+)>", str(message["List-Unsubscribe"]).replace("\n", "").replace(" ", "")
    ).group(1)
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    assert url in html and url in text and "Vaccination" in html and "Vaccination" in text
    assert "<img" not in html.replace('<img src="http://testserver', "")  # no tracking pixel
    # The mail client's one-click POST: no session, no CSRF token.
    response = Client(enforce_csrf_checks=True).post(
        re.sub(r"^https?://[^/]+", "", url), {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    reader.refresh_from_db()
    assert reader.unsubscribed_at is not None


def test_a_second_send_is_a_409_and_sends_nothing_more(coordinator, draft, audience, sink):
    sending.issue_send(acting_user=coordinator, issue=draft)
    with pytest.raises(ApplicationError) as refused:
        sending.issue_send(acting_user=coordinator, issue=draft)
    assert refused.value.code == "conflict" and "déjà en cours d'envoi" in refused.value.message
    run_chain(draft)
    with pytest.raises(ApplicationError) as again:
        sending.issue_send(acting_user=coordinator, issue=draft)
    assert again.value.code == "conflict" and "déjà été envoyé" in again.value.message
    assert sink.total() == 3


def test_an_edition_without_confirmed_subscribers_is_a_french_400(coordinator, draft, territory, sink):
    subscriber(territory, "pas-confirme@exemple.fr", confirmed=False)
    with pytest.raises(ApplicationError) as refused:
        sending.issue_send(acting_user=coordinator, issue=draft)
    assert refused.value.code == "invalid" and "Aucun abonné confirmé" in refused.value.message
    draft.refresh_from_db()
    assert draft.status == Issue.Status.DRAFT and not Delivery.objects.exists()


def test_a_public_subscriber_never_receives_the_professional_edition(coordinator, draft, audience, sink):
    draft.edition = Edition.PROFESSIONAL
    draft.save()
    sending.issue_send(acting_user=coordinator, issue=draft)
    run_chain(draft)
    assert dict(sink.received) == {"pro@exemple.fr": 1}


def test_a_refused_address_is_a_hard_bounce_and_receives_no_further_issue(coordinator, draft, audience, sink):
    unknown = audience["readers"][1]
    sink.refused.add(unknown.email)
    sending.issue_send(acting_user=coordinator, issue=draft)
    run_chain(draft)
    unknown.refresh_from_db()
    assert unknown.hard_bounced_at is not None
    bounce = Bounce.objects.get(subscriber=unknown)
    assert bounce.kind == Bounce.Kind.HARD and "550" in bounce.detail
    assert issue_progress(draft).as_dict() == {"total": 3, "sent": 2, "failed": 1, "pending": 0}
    # Refused for good: not tried again by the outbox, and left out of the next issue.
    message = OutboundMessage.objects.get(recipient=unknown.email)
    assert message.status == "failed" and message.attempts == 1 and message.recipient_refused
    next_issue = Issue.objects.create(
        territory=draft.territory, month=datetime.date(2026, 12, 1), edition=Edition.PUBLIC, title="Décembre"
    )
    sending.issue_send(acting_user=coordinator, issue=next_issue)
    assert not Delivery.objects.filter(issue=next_issue, subscriber=unknown).exists()


def test_a_subscriber_who_leaves_during_the_send_is_skipped(coordinator, draft, audience, sink, settings):
    settings.NEWSLETTER_SEND_BATCH_SIZE = 1
    sending.issue_send(acting_user=coordinator, issue=draft)
    leaving = Subscriber.objects.get(email="lecteur2@exemple.fr")
    leaving.unsubscribed_at = timezone.now()
    leaving.save()
    steps = run_chain(draft)
    assert len(steps) == 3 and "lecteur2@exemple.fr" not in sink.received
    progress = issue_progress(draft)
    assert (progress.total, progress.sent, progress.skipped) == (2, 2, 1)


def test_the_rate_spaces_the_batches(coordinator, draft, audience, sink, settings):
    settings.NEWSLETTER_SEND_BATCH_SIZE = 2
    settings.NEWSLETTER_SEND_RATE_PER_MINUTE = 1  # 2 messages a step, then wait about 2 minutes per chain
    settings.NEWSLETTER_SEND_CHAINS = 2
    sending.issue_send(acting_user=coordinator, issue=draft)
    steps = run_chain(draft)
    assert steps[0]["more"] and 180 < steps[0]["countdown"] <= 240  # the two chains share the rate
    assert not steps[-1]["more"]


def test_a_send_left_half_way_is_resumed_once_and_nobody_gets_two_copies(coordinator, draft, audience, sink):
    """A worker died after handing a batch to the outbox and delivering one message of it, then stopped while
    sending the second: the resume delivers the rest, the interrupted one is reported failed, none twice."""
    sending.issue_send(acting_user=coordinator, issue=draft)
    draft.refresh_from_db()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sending, "messages_deliver_batch", lambda ids: {})  # handed to the outbox, then killed
        sending.send_batch(issue_id=draft.pk, chain=str(draft.send_chain))
    handed = list(Delivery.objects.filter(issue=draft).order_by("pk").values_list("message_id", flat=True))
    from notifications.services import message_deliver

    assert message_deliver(message_id=handed[0]) == "sent"  # delivered before the crash
    OutboundMessage.objects.filter(pk=handed[1]).update(status="sending", claimed_at=timezone.now())  # in flight
    Issue.objects.filter(pk=draft.pk).update(send_heartbeat_at=timezone.now() - datetime.timedelta(hours=1))

    assert sending.sends_resume() == {"started": 0, "resumed": 1, "finished": 0}
    run_chain(draft)
    assert sink.duplicates() == 0 and sink.total() == 2  # the first one and the third one
    outbox_sweep(stale_claim=datetime.timedelta(0))  # the interrupted one: "may have left", for a retry by hand
    assert sending.sends_resume()["finished"] == 1
    draft.refresh_from_db()
    assert draft.status == Issue.Status.SENT
    assert issue_progress(draft).as_dict() == {"total": 3, "sent": 2, "failed": 1, "pending": 0}


def test_a_live_chain_is_not_resumed_twice(coordinator, draft, audience, sink):
    sending.issue_send(acting_user=coordinator, issue=draft)
    assert sending.sends_resume()["resumed"] == 0  # its heartbeat is fresh
    draft.refresh_from_db()
    old_chain = draft.send_chain
    assert sending.sends_resume(after_restart=True)["resumed"] == 1  # a worker starts: a new chain
    step = sending.send_batch(issue_id=draft.pk, chain=str(old_chain))
    assert step.stopped and sink.total() == 0  # the old chain stops at its next step


def test_failures_are_retried_by_hand_and_the_issue_counts_them_sent(coordinator, draft, audience, sink, settings):
    settings.EMAIL_PORT = 1  # nothing listens: every message fails and waits for a retry
    settings.OUTBOX_MAX_ATTEMPTS = 1
    sending.issue_send(acting_user=coordinator, issue=draft)
    run_chain(draft)
    assert issue_progress(draft).as_dict() == {"total": 3, "sent": 0, "failed": 3, "pending": 0}
    assert draft.status == Issue.Status.SENT
    settings.EMAIL_PORT = sink.port
    assert sending.deliveries_retry_failed(acting_user=coordinator, issue=draft) == 3
    for message in OutboundMessage.objects.filter(template="newsletter_issue", status="pending"):
        from notifications.services import message_deliver

        message_deliver(message_id=message.pk)
    sending.sends_resume()
    draft.refresh_from_db()
    assert draft.status == Issue.Status.SENT and sink.total() == 3
    assert issue_progress(draft).as_dict() == {"total": 3, "sent": 3, "failed": 0, "pending": 0}


def test_a_scheduled_issue_leaves_by_itself_when_due(coordinator, draft, audience, sink):
    at = timezone.now() + datetime.timedelta(hours=2)
    sending.issue_schedule(acting_user=coordinator, issue=draft, at=at)
    assert sending.sends_resume()["started"] == 0
    Issue.objects.filter(pk=draft.pk).update(scheduled_for=timezone.now() - datetime.timedelta(minutes=1))
    assert sending.sends_resume()["started"] == 1
    run_chain(draft)
    assert draft.status == Issue.Status.SENT and sink.total() == 3


def test_scheduling_in_the_past_is_refused_in_french(coordinator, draft, audience):
    with pytest.raises(ApplicationError) as refused:
        sending.issue_schedule(acting_user=coordinator, issue=draft, at=timezone.now() - datetime.timedelta(hours=1))
    assert refused.value.field == "scheduled_for" and "à venir" in refused.value.message


def test_a_test_send_goes_to_the_coordinator_only(coordinator, draft, audience, sink):
    message = sending.issue_send_test(acting_user=coordinator, issue=draft)
    from notifications.services import message_deliver

    assert message_deliver(message_id=message.pk) == "sent"
    assert dict(sink.received) == {coordinator.email.lower(): 1}
    assert sink.messages[0]["Subject"] == "[Test] La lettre de novembre"
    draft.refresh_from_db()
    assert draft.status == Issue.Status.DRAFT and not Delivery.objects.exists()


def test_another_territorys_coordinator_cannot_send(draft, audience, neighbour_coordinator):
    with pytest.raises(ApplicationError) as refused:
        sending.issue_send(acting_user=neighbour_coordinator, issue=draft)
    assert refused.value.code == "not_found"


def test_erasing_a_subscriber_deletes_their_copy_but_keeps_the_count(coordinator, draft, audience, sink):
    from newsletter.services.subscriptions import subscriber_erase

    sending.issue_send(acting_user=coordinator, issue=draft)
    run_chain(draft)
    subscriber_erase(subscriber=audience["readers"][0])
    assert not OutboundMessage.objects.filter(recipient="lecteur0@exemple.fr").exists()
    assert issue_progress(draft).as_dict() == {"total": 3, "sent": 3, "failed": 0, "pending": 0}


def test_an_address_that_cannot_be_sent_to_fails_alone(coordinator, draft, audience, sink):
    subscriber(draft.territory, "hervé@exemple.fr")  # written by an old import; the form refuses it
    sending.issue_send(acting_user=coordinator, issue=draft)
    run_chain(draft)
    failed = Delivery.objects.get(issue=draft, subscriber__email="hervé@exemple.fr")
    assert failed.status == Delivery.Status.FAILED and "Adresse e-mail invalide" in failed.error
    assert sink.total() == 3 and draft.status == Issue.Status.SENT
    assert issue_progress(draft).as_dict() == {"total": 4, "sent": 3, "failed": 1, "pending": 0}


@pytest.mark.django_db(transaction=True)
def test_two_chains_in_parallel_send_each_copy_once(coordinator, draft, audience, sink, settings):
    """What two worker processes do with the two chains of one send: different batches, nobody twice."""
    import threading

    from django.db import connection

    settings.NEWSLETTER_SEND_BATCH_SIZE = 1
    settings.NEWSLETTER_SEND_RATE_PER_MINUTE = 0
    for number in range(3, 20):
        subscriber(draft.territory, f"lecteur{number}@exemple.fr")
    sending.issue_send(acting_user=coordinator, issue=draft)
    draft.refresh_from_db()
    errors = []

    def chain():
        try:
            while sending.send_batch(issue_id=draft.pk, chain=str(draft.send_chain)).more:
                pass
        except Exception as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=chain) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sink.total() == 20 and sink.duplicates() == 0
    assert issue_progress(draft).as_dict() == {"total": 20, "sent": 20, "failed": 0, "pending": 0}

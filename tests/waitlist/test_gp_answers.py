"""The GP's answers and their consequences: accepting closes the entry and tells the patient how to book (the GP's
preferred public channel, no health word); declining needs a reason and puts the entry back at its place; a
proposal left unanswered for 7 days goes back to the queue with a note when the hourly task runs (twice: once)."""

import datetime

import pytest
from django.utils import timezone

from core.errors import ApplicationError
from directory.models import Audience, ContactChannel
from notifications.models import OutboundMessage
from notifications.services import message_render
from waitlist.models import Entry, EntryEvent, EntryNote, Proposal
from waitlist.services.pledges import pledge_create, pledge_draw, proposal_accept, proposal_decline
from waitlist.tasks import expire_proposals

pytestmark = pytest.mark.django_db

HEALTH_WORDS = ("ALD", "affection", "grossesse", "handicap", "CSS", "AME", "traitement", "priorit", "précarité")


@pytest.fixture
def pledge(gp, gp_entry, waiting_list):
    return pledge_create(acting_user=gp, capacity=12, radius_km=10, until=timezone.localdate() + datetime.timedelta(90))


@pytest.fixture
def proposal(gp, pledge, waiting_entry):
    waiting_entry(ald=True, pregnancy=True, email="jeanne@example.fr")
    [proposal] = pledge_draw(pledge=pledge, acting_user=gp)
    return proposal


def test_accepting_closes_the_entry_and_tells_the_patient_how_to_book_without_a_health_word(gp, gp_entry, proposal):
    ContactChannel.objects.create(
        practitioner=gp_entry,
        kind=ContactChannel.Kind.PROFESSIONAL_LINE,
        value="+33251000099",
        audience=Audience.PROFESSIONALS,
    )
    ContactChannel.objects.create(
        practitioner=gp_entry, kind=ContactChannel.Kind.PHONE, value="+33251000001", audience=Audience.PUBLIC
    )
    ContactChannel.objects.create(
        practitioner=gp_entry,
        kind=ContactChannel.Kind.BOOKING_LINK,
        value="https://rdv.example.fr/dr-martin",
        audience=Audience.PUBLIC,
        preferred=True,
    )

    proposal_accept(proposal=proposal, acting_user=gp)

    proposal.refresh_from_db()
    entry = Entry.objects.get(pk=proposal.entry_id)
    assert (proposal.status, proposal.answered_by, entry.status) == ("accepted", gp, "matched")
    assert entry.closed_at is not None
    assert EntryEvent.objects.filter(entry=entry, kind="accepted").exists()
    messages = OutboundMessage.objects.filter(template="waitlist_proposal_accepted", recipient_kind="patient")
    assert sorted(messages.values_list("channel", flat=True)) == ["email", "sms"]
    for message in messages:
        text = " ".join(message_render(message).values())
        assert "Alice Martin" in text and "https://rdv.example.fr/dr-martin" in text  # the preferred public channel
        assert "99" not in text.replace("2026", "")  # never the professionals' line
        assert not [word for word in HEALTH_WORDS if word in text]
        assert "Durand" not in text and "Jeanne" not in text  # the message carries no identity either


def test_accepting_twice_is_a_conflict(gp, proposal):
    proposal_accept(proposal=proposal, acting_user=gp)
    with pytest.raises(ApplicationError) as refusal:
        proposal_accept(proposal=proposal, acting_user=gp)
    assert refusal.value.code == "conflict"
    assert OutboundMessage.objects.filter(template="waitlist_proposal_accepted").count() == 2  # SMS + e-mail, once


def test_declining_needs_a_reason_and_puts_the_entry_back_at_its_place(gp, proposal):
    entry = Entry.objects.get(pk=proposal.entry_id)
    for reason in ("", "   "):
        with pytest.raises(ApplicationError) as refusal:
            proposal_decline(proposal=proposal, acting_user=gp, reason=reason)
        assert refusal.value.field == "reason" and "raison" in refusal.value.message
    assert Proposal.objects.get(pk=proposal.pk).status == "pending"

    proposal_decline(proposal=proposal, acting_user=gp, reason="Je ne fais pas de suivi de grossesse")

    after = Entry.objects.get(pk=entry.pk)
    assert (after.status, after.waiting_since) == ("waiting", entry.waiting_since)
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decline_reason) == ("declined", "Je ne fais pas de suivi de grossesse")
    assert "Je ne fais pas de suivi de grossesse" in EntryNote.objects.get(entry=entry).text
    event = EntryEvent.objects.get(entry=entry, kind="declined")
    assert "grossesse" not in str(event.details)  # the reason may be personal: not in the audit that survives erasure


def test_another_gp_cannot_answer(gp2, gp2_entry, proposal):
    for answer in (
        lambda: proposal_accept(proposal=proposal, acting_user=gp2),
        lambda: proposal_decline(proposal=proposal, acting_user=gp2, reason="x"),
    ):
        with pytest.raises(ApplicationError) as refusal:
            answer()
        assert refusal.value.code == "not_found"


def test_a_proposal_unanswered_for_seven_days_goes_back_to_the_queue_with_a_note(gp, proposal, waiting_entry):
    fresh_entry = waiting_entry()
    [fresh] = pledge_draw(pledge=proposal.pledge, acting_user=gp)
    assert fresh.entry_id == fresh_entry.pk
    Proposal.objects.filter(pk=proposal.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))

    assert expire_proposals() == 1
    assert expire_proposals() == 0  # a second run gives nothing back twice

    proposal.refresh_from_db()
    entry = Entry.objects.get(pk=proposal.entry_id)
    assert (proposal.status, entry.status) == ("expired", "waiting")
    assert "sans réponse" in EntryNote.objects.get(entry=entry).text
    assert EntryEvent.objects.filter(entry=entry, kind="expired").count() == 1
    assert Proposal.objects.get(pk=fresh.pk).status == "pending"  # not yet due
    # Back in the queue, it may be drawn again (for another GP, or the same one: they did not decline it).
    assert [again.entry_id for again in pledge_draw(pledge=proposal.pledge, acting_user=gp)] == [entry.pk]


def test_an_expired_proposal_can_no_longer_be_accepted(gp, proposal):
    Proposal.objects.filter(pk=proposal.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    expire_proposals()
    with pytest.raises(ApplicationError) as refusal:
        proposal_accept(proposal=proposal, acting_user=gp)
    assert refusal.value.code == "conflict"


def test_an_entry_withdrawn_meanwhile_cannot_be_accepted(gp, proposal):
    Entry.objects.filter(pk=proposal.entry_id).update(status=Entry.Status.WITHDRAWN)
    with pytest.raises(ApplicationError) as refusal:
        proposal_accept(proposal=proposal, acting_user=gp)
    assert refusal.value.code == "conflict" and "retirée" in refusal.value.message
    assert Entry.objects.get(pk=proposal.entry_id).status == "withdrawn"
    assert not OutboundMessage.objects.filter(template="waitlist_proposal_accepted").exists()

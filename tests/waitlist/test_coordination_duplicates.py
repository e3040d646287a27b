"""The duplicates queue: open suspicions side by side with only what tells two people apart (names, birth date,
commune, a masked contact), merged (the older place in the queue kept, the members it lacks moved, the other
entry "merged" with its pending proposal cancelled, events on both) or dismissed (« personnes différentes »)."""

import datetime

import pytest
from django.utils import timezone

from accounts.models import AccessLog
from tests.waitlist.coordination_helpers import (  # noqa: F401 (fixtures)
    DUPLICATES,
    fixture_marais,
    fixture_marais_coordinator,
    fixture_marais_list,
    make_pledge,
    suspect,
)
from waitlist.models import DuplicateSuspicion, Entry, EntryEvent, Proposal
from waitlist.services.coordination import entries_merge

pytestmark = pytest.mark.django_db

LEO = {"family_name": "Durand", "given_names": "Léo", "birth_date": datetime.date(2019, 5, 1), "sex": "M"}


def _pair(waiting_entry):
    first = waiting_entry(
        family_name="Durand", given_names="Jeanne", waiting_since=timezone.now() - datetime.timedelta(days=90)
    )
    second = waiting_entry(
        family_name="Durant", given_names="Jeanne", members=[LEO], phone="", email="jeanne@example.org"
    )
    return first, second


def test_the_queue_shows_both_sides_with_masked_contacts_and_logs_the_reads(coordinator, waiting_entry, signed_in):
    first, second = _pair(waiting_entry)
    suspect(second, first)
    response = signed_in(coordinator).get(DUPLICATES)
    page = response.content.decode()
    assert response.status_code == 200
    assert "DURAND Jeanne" in page and "DURANT Jeanne" in page and "04/05/1960" in page
    assert "06 •• •• •• 78" in page and "j•••@example.org" in page
    assert "+33612345678" not in page and "jeanne@example.org" not in page
    assert page.index("DURAND Jeanne") < page.index("DURANT Jeanne")  # the older sign-up first
    logged = AccessLog.objects.filter(user=coordinator, subject_type="waitlist_entry", via=DUPLICATES)
    assert {row.subject_id for row in logged} == {str(first.public_id), str(second.public_id)}


def test_merging_keeps_the_older_place_moves_the_missing_members_and_cancels_the_pending_proposal(
    coordinator, waiting_entry, gp_entry, waiting_list, signed_in
):
    first, second = _pair(waiting_entry)
    suspicion = suspect(second, first)
    pledge = make_pledge(gp_entry, waiting_list)
    proposal = Proposal.objects.create(
        pledge=pledge,
        entry=second,
        batch="00000000-0000-0000-0000-000000000001",
        distance_km=2.0,
        priority_level=0,
        household_size=2,
        expires_at=timezone.now() + datetime.timedelta(days=7),
    )
    # The newer sign-up is kept (its contact is an e-mail): it takes the older one's place in the queue.
    response = signed_in(coordinator).post(
        f"{DUPLICATES}fusionner/", {"keep": str(second.public_id), "drop": str(first.public_id)}
    )
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.waiting_since == first.waiting_since  # the older sign-up's place
    assert second.phone == "+33612345678"  # the contact it lacked
    assert (first.status, first.merged_into_id) == (Entry.Status.MERGED, second.pk)
    # Jeanne is in both: only the members the kept one lacks move (none here: Léo is already in it).
    assert second.household_size == 2 and [m.given_names for m in second.members.all()] == ["Jeanne", "Léo"]
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.PENDING  # the kept entry's proposal stays
    suspicion.refresh_from_db()
    assert suspicion.status == DuplicateSuspicion.Status.MERGED and suspicion.resolved_by == coordinator
    assert not second.duplicate_suspected and not first.duplicate_suspected
    assert first.events.filter(kind=EntryEvent.Kind.MERGED, details__into=str(second.public_id)).exists()
    assert second.events.filter(kind=EntryEvent.Kind.MERGED, details__absorbed=str(first.public_id)).exists()


def test_merging_the_entry_with_a_pending_proposal_cancels_it_and_moves_its_members(
    coordinator, waiting_entry, gp_entry, waiting_list
):
    first, second = _pair(waiting_entry)
    pledge = make_pledge(gp_entry, waiting_list)
    proposal = Proposal.objects.create(
        pledge=pledge,
        entry=second,
        batch="00000000-0000-0000-0000-000000000002",
        distance_km=2.0,
        priority_level=0,
        household_size=2,
        expires_at=timezone.now() + datetime.timedelta(days=7),
    )
    keep = entries_merge(acting_user=coordinator, keep=first, drop=second)
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.CANCELLED
    assert keep.household_size == 2
    assert sorted(m.given_names for m in keep.members.all()) == ["Jeanne", "Léo"]
    assert keep.email == "jeanne@example.org"
    assert keep.priority_reasons == []  # Léo is 7: no criterion more
    assert Entry.objects.get(pk=second.pk).status == Entry.Status.MERGED


def test_dismissing_keeps_both_and_clears_their_flags(coordinator, waiting_entry, signed_in):
    first, second = _pair(waiting_entry)
    suspicion = suspect(second, first)
    client = signed_in(coordinator)
    response = client.post(f"{DUPLICATES}ecarter/", {"entry": str(first.public_id), "other": str(second.public_id)})
    assert response.status_code == 302
    suspicion.refresh_from_db()
    first.refresh_from_db()
    second.refresh_from_db()
    assert suspicion.status == DuplicateSuspicion.Status.DISMISSED
    assert (first.status, second.status) == (Entry.Status.WAITING, Entry.Status.WAITING)
    assert not first.duplicate_suspected and not second.duplicate_suspected
    assert "Aucun doublon possible" in client.get(DUPLICATES).content.decode()


def test_a_merged_entry_does_not_merge_again(coordinator, waiting_entry, signed_in):
    first, second = _pair(waiting_entry)
    entries_merge(acting_user=coordinator, keep=first, drop=second)
    response = signed_in(coordinator).post(
        f"{DUPLICATES}fusionner/", {"keep": str(second.public_id), "drop": str(first.public_id)}, follow=True
    )
    assert "ne se fusionne plus" in response.content.decode()
    assert Entry.objects.get(pk=first.pk).status == Entry.Status.WAITING


def test_another_lists_coordinator_sees_no_pair_and_cannot_merge(
    marais_coordinator, marais_list, waiting_entry, signed_in
):
    first, second = _pair(waiting_entry)
    suspect(second, first)
    client = signed_in(marais_coordinator)
    assert "DURAND" not in client.get(DUPLICATES).content.decode()
    merge = client.post(f"{DUPLICATES}fusionner/", {"keep": str(first.public_id), "drop": str(second.public_id)})
    assert merge.status_code == 404
    assert Entry.objects.get(pk=second.pk).status == Entry.Status.WAITING


def test_observers_and_gps_do_not_open_the_duplicates(gp, observer, waiting_list, signed_in, client):
    for user in (gp, observer):
        client.force_login(user)
        assert client.get(DUPLICATES).status_code == 403

"""One entry as the coordination sees it (household, contact, consent, history, notes, proposals; the read in the
access log), its level fixed by hand with a reason (the queue then orders by it) and given back to the rules,
and its notes. Refusals: a reason left out keeps what was typed (400), a level out of range is refused, another
list's entry is 404 for every action."""

import datetime

import pytest
from django.urls import reverse

from accounts.models import AccessLog
from tests.waitlist.coordination_helpers import (  # noqa: F401 (fixtures)
    ENTRY,
    QUEUE,
    fixture_marais,
    fixture_marais_coordinator,
    fixture_marais_list,
)
from waitlist.models import EntryEvent, EntryNote

pytestmark = pytest.mark.django_db


def test_the_entry_shows_its_household_contact_consent_and_history_and_the_read_is_logged(
    coordinator, waiting_entry, signed_in
):
    entry = waiting_entry(
        family_name="Durand",
        given_names="Jeanne",
        ald=True,
        members=[{"family_name": "Durand", "given_names": "Léo", "birth_date": datetime.date(2020, 3, 1), "sex": "M"}],
        email="jeanne@example.org",
    )
    url = ENTRY.format(entry.public_id)
    response = signed_in(coordinator).get(url)
    page = response.content.decode()
    assert response.status_code == 200
    assert "DURAND Jeanne" in page and "DURAND Léo" in page and "+33612345678" in page and "jeanne@example.org" in page
    assert "Prioritaire" in page and "ALD" in page
    assert "J&#x27;accepte que la CPTS" in page or "J'accepte que la CPTS" in page  # the consent text shown
    assert reverse("waitlist:coordination_entry_erase", args=[entry.public_id]) in page  # erasure on request
    row = AccessLog.objects.get(user=coordinator, subject_type="waitlist_entry")
    assert (row.action, row.subject_id, row.via) == ("read", str(entry.public_id), url)


def test_the_coordinator_fixes_a_level_with_a_reason_and_the_queue_follows(coordinator, waiting_entry, signed_in):
    older = waiting_entry(family_name="Ancienne", ald=True)
    entry = waiting_entry(family_name="Isolee")
    client = signed_in(coordinator)
    response = client.post(
        f"{ENTRY.format(entry.public_id)}niveau/", {"level": "2", "reason": "Signalée par l'assistante sociale"}
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.level_override, entry.priority_level) == (2, 2)
    assert entry.level_override_reason == "Signalée par l'assistante sociale"
    event = entry.events.get(kind=EntryEvent.Kind.LEVEL_OVERRIDDEN)
    assert event.actor == coordinator and event.details == {"from": 0, "to": 2, "override": 2}
    assert "assistante" not in str(event.details)  # the reason is not copied into the audit that survives erasure
    page = client.get(QUEUE).content.decode()
    assert page.index("ISOLEE") < page.index("ANCIENNE")
    detail = client.get(ENTRY.format(entry.public_id)).content.decode()
    assert "fixé par la coordination" in detail and "Signalée par l&#x27;assistante sociale" in detail
    assert AccessLog.objects.filter(
        user=coordinator, action="update", via="waitlist.services.coordination.entry_level_override"
    ).exists()

    # Given back to the rules: the computed level again, the event kept.
    assert client.post(f"{ENTRY.format(entry.public_id)}niveau/", {"remove": "1"}).status_code == 302
    entry.refresh_from_db()
    assert (entry.level_override, entry.level_override_reason, entry.priority_level) == (None, "", 0)
    assert entry.events.filter(kind=EntryEvent.Kind.LEVEL_OVERRIDDEN).count() == 2
    older.refresh_from_db()
    assert older.priority_level == 1


def test_a_level_without_its_reason_is_refused_and_the_form_keeps_the_choice(coordinator, waiting_entry, signed_in):
    entry = waiting_entry()
    response = signed_in(coordinator).post(f"{ENTRY.format(entry.public_id)}niveau/", {"level": "2", "reason": ""})
    page = response.content.decode()
    assert response.status_code == 400
    assert "Indiquez la raison de ce niveau" in page
    assert '<option value="2" selected>' in page
    entry.refresh_from_db()
    assert entry.level_override is None


def test_a_level_out_of_range_is_refused(coordinator, waiting_entry, signed_in):
    entry = waiting_entry()
    response = signed_in(coordinator).post(f"{ENTRY.format(entry.public_id)}niveau/", {"level": "7", "reason": "x y z"})
    assert response.status_code == 400
    entry.refresh_from_db()
    assert entry.level_override is None


def test_a_note_is_added_and_shown(coordinator, waiting_entry, signed_in):
    entry = waiting_entry()
    client = signed_in(coordinator)
    response = client.post(f"{ENTRY.format(entry.public_id)}note/", {"text": "Rappelée le 3 : toujours sans médecin."})
    assert response.status_code == 302
    note = EntryNote.objects.get(entry=entry)
    assert note.author == coordinator
    assert "Rappelée le 3" in client.get(ENTRY.format(entry.public_id)).content.decode()
    empty = client.post(f"{ENTRY.format(entry.public_id)}note/", {"text": "   "})
    assert empty.status_code == 400 and "La note est vide" in empty.content.decode()


def test_another_lists_coordinator_gets_404_on_every_action(marais_coordinator, marais_list, waiting_entry, signed_in):
    entry = waiting_entry()
    client = signed_in(marais_coordinator)
    url = ENTRY.format(entry.public_id)
    assert client.get(url).status_code == 404
    assert client.post(f"{url}niveau/", {"level": "2", "reason": "Urgent"}).status_code == 404
    assert client.post(f"{url}note/", {"text": "Coucou"}).status_code == 404
    entry.refresh_from_db()
    assert entry.level_override is None and not entry.notes.exists()


def test_the_gp_and_the_observer_cannot_override(gp, observer, waiting_entry, signed_in, client):
    entry = waiting_entry()
    for user in (gp, observer):
        client.force_login(user)
        assert client.post(f"{ENTRY.format(entry.public_id)}niveau/", {"level": "2", "reason": "x"}).status_code == 403

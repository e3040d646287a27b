"""The coordination's queue: the entries of the lists the coordinator works, in the draw's order (highest level,
then the oldest), filtered; territories sharing one list see one queue; nobody else opens it (a GP, an observer,
an outsider: 403); another list's entry is 404; each row shown is in the access log; the page makes the same
number of queries for 10 entries as for 1,000."""

import datetime

import pytest
from django.utils import timezone

from accounts.models import AccessLog
from tests.waitlist.conftest import make_waiting_entry
from tests.waitlist.coordination_helpers import (  # noqa: F401 (fixtures)
    ENTRY,
    QUEUE,
    entries_bulk,
    fixture_departing_gp,
    fixture_marais,
    fixture_marais_coordinator,
    fixture_marais_list,
    fixture_plan,
    fixture_shared_marais,
)
from waitlist.models import Entry

pytestmark = pytest.mark.django_db


def _days_ago(days):
    return timezone.now() - datetime.timedelta(days=days)


def test_the_queue_lists_the_waiting_entries_highest_level_first_then_the_oldest(coordinator, waiting_entry, signed_in):
    waiting_entry(family_name="Ancien", waiting_since=_days_ago(300))
    waiting_entry(
        family_name="Prioritaire", birth_date=datetime.date(1950, 1, 1), ald=True, waiting_since=_days_ago(10)
    )
    waiting_entry(family_name="Recent", waiting_since=_days_ago(5))
    waiting_entry(family_name="Retire", status=Entry.Status.WITHDRAWN)
    response = signed_in(coordinator).get(QUEUE)
    page = response.content.decode()
    assert response.status_code == 200
    assert page.index("PRIORITAIRE") < page.index("ANCIEN") < page.index("RECENT")
    assert "RETIRE" not in page  # the waiting entries by default
    assert "Très prioritaire" in page and "3 inscriptions" in page
    every = signed_in(coordinator).get(QUEUE, {"statut": ""}).content.decode()
    assert "RETIRE" in every


def test_each_entry_shown_is_in_the_access_log(coordinator, waiting_entry, signed_in):
    shown = [waiting_entry(family_name=f"Nom{i}") for i in range(3)]
    signed_in(coordinator).get(QUEUE)
    rows = AccessLog.objects.filter(user=coordinator, subject_type="waitlist_entry", action="read")
    assert {row.subject_id for row in rows} == {str(entry.public_id) for entry in shown}
    assert {row.via for row in rows} == {QUEUE}


def test_filters_by_level_commune_duplicates_handover_and_names_without_accents(
    coordinator, waiting_entry, communes, plan, signed_in
):
    heloise = waiting_entry(family_name="Lefèvre", given_names="Héloïse", commune=communes["mouilleron"])
    ald = waiting_entry(family_name="Martin", birth_date=datetime.date(1950, 1, 1), ald=True)
    doubled = waiting_entry(family_name="Bernard")
    Entry.objects.filter(pk=doubled.pk).update(duplicate_suspected=True)
    handed = waiting_entry(family_name="Garnier")
    Entry.objects.filter(pk=handed.pk).update(handover_plan=plan)
    client = signed_in(coordinator)

    def names(**params):
        page = client.get(QUEUE, params).content.decode()
        return {e.members.get(position=0).family_name for e in (heloise, ald, doubled, handed) if
                e.members.get(position=0).family_name.upper() in page}  # fmt: skip

    assert names(q="heloise") == {"Lefèvre"}
    assert names(q="LEFEVRE hél") == {"Lefèvre"}
    assert names(niveau="2") == {"Martin"}
    assert names(commune="Mouilleron-le-Captif") == {"Lefèvre"}
    assert names(doublons="on") == {"Bernard"}
    assert names(origine="yes") == {"Garnier"}
    assert names(reprise=str(plan.public_id)) == {"Garnier"}
    assert "Garnier" not in names(origine="no")


def test_an_unknown_commune_is_a_french_400_keeping_what_was_typed(coordinator, waiting_entry, signed_in):
    waiting_entry()
    response = signed_in(coordinator).get(QUEUE, {"commune": "Zzyzx-les-Bains", "q": "durand"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "Commune introuvable" in page and 'value="Zzyzx-les-Bains"' in page and 'value="durand"' in page


@pytest.mark.parametrize("persona", ["gp", "observer", "outsider", "pharmacist"])
def test_nobody_but_the_coordination_opens_the_queue(persona, request, waiting_entry, signed_in):
    entry = waiting_entry()
    user = request.getfixturevalue(persona)
    client = signed_in(user)
    assert client.get(QUEUE).status_code == 403
    assert client.get(ENTRY.format(entry.public_id)).status_code == 403
    assert not AccessLog.objects.filter(user=user).exists()


def test_signed_out_visitors_are_sent_to_sign_in(client, waiting_list):
    response = client.get(QUEUE)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_another_territorys_coordinator_does_not_see_this_list(
    marais_coordinator, marais_list, waiting_entry, signed_in
):
    entry = waiting_entry(family_name="Bocagère")
    client = signed_in(marais_coordinator)
    assert "BOCAGÈRE" not in client.get(QUEUE).content.decode()
    assert client.get(ENTRY.format(entry.public_id)).status_code == 404


def test_territories_sharing_a_list_see_one_queue(
    coordinator, marais_coordinator, shared_marais, waiting_list, waiting_entry, signed_in, client
):
    bocage = waiting_entry(family_name="Bocagère")
    marais_entry = make_waiting_entry(waiting_list, shared_marais.commune, family_name="Maraîchine")
    for user in (coordinator, marais_coordinator):
        client.force_login(user)
        page = client.get(QUEUE).content.decode()
        assert "BOCAGÈRE" in page and "MARAÎCHINE" in page
        assert client.get(ENTRY.format(bocage.public_id)).status_code == 200
        assert client.get(ENTRY.format(marais_entry.public_id)).status_code == 200


def _queries_of_the_queue(client, django_assert_max_num_queries, limit=12):
    with django_assert_max_num_queries(limit) as captured:
        response = client.get(QUEUE)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_queue_makes_the_same_queries_for_10_and_1000_entries(
    coordinator, waiting_list, communes, signed_in, django_assert_max_num_queries
):
    client = signed_in(coordinator)
    entries_bulk(waiting_list, communes["la_roche"], 10)
    client.get(QUEUE)  # the session and the caches warm up
    at_10 = _queries_of_the_queue(client, django_assert_max_num_queries)
    entries_bulk(waiting_list, communes["la_roche"], 990)
    at_1000 = _queries_of_the_queue(client, django_assert_max_num_queries)
    assert at_10 == at_1000 <= 12


def test_the_entries_api_makes_the_same_queries_for_10_and_1000_entries(
    coordinator, waiting_list, communes, signed_in, django_assert_max_num_queries
):
    client = signed_in(coordinator)
    entries_bulk(waiting_list, communes["la_roche"], 10)
    client.get("/api/v1/waitlist/entries/")
    counts = []
    for more in (0, 990):
        entries_bulk(waiting_list, communes["la_roche"], more)
        with django_assert_max_num_queries(12) as captured:
            assert client.get("/api/v1/waitlist/entries/").status_code == 200
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]

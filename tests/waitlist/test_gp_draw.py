"""A GP's pledge and its fair draw: checked figures in French, the entries within reach (the pledge's radius and
each entry's own travel limit), the highest level first then the oldest, a household whole or not at all, never
an entry this GP declined, never one entry proposed to two GPs at once (proven by two draws at the same instant),
and someone else's pledge is "not found"."""

import datetime
import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import AccessLog
from core.errors import ApplicationError
from tests.waitlist.conftest import make_waiting_entry
from waitlist.models import MAX_PLEDGE_CAPACITY, Entry, EntryEvent, Pledge, Proposal
from waitlist.services.pledges import (
    DRAW_BATCH,
    Position,
    pledge_close,
    pledge_create,
    pledge_draw,
    practice_position,
    proposal_decline,
    seats_taken,
)

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def _ago(days: int) -> datetime.datetime:
    return timezone.now() - days * DAY


def _pledge(user, **overrides) -> Pledge:
    arguments = {
        "capacity": 12,
        "radius_km": 10,
        "until": timezone.localdate() + 90 * DAY,
        "families_welcome": True,
        "discreet": False,
        **overrides,
    }
    return pledge_create(acting_user=user, **arguments)


def test_alice_pledges_twelve_patients_over_three_months_on_her_territory_s_list(gp, gp_entry, waiting_list):
    pledge = _pledge(gp, discreet=True)
    assert (pledge.practitioner, pledge.waiting_list, pledge.capacity, pledge.radius_km) == (
        gp_entry,
        waiting_list,
        12,
        10,
    )
    assert pledge.starts_on == timezone.localdate() and pledge.discreet and pledge.status == "open"


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"capacity": 0}, "capacity", "entre 1 et"),
        ({"capacity": 10_000}, "capacity", "entre 1 et"),
        ({"capacity": MAX_PLEDGE_CAPACITY + 1}, "capacity", "entre 1 et"),
        ({"radius_km": 0}, "radius_km", "rayon"),
        ({"radius_km": 101}, "radius_km", "rayon"),
        ({"until": timezone.localdate() - DAY}, "until", "passée"),
        ({"until": timezone.localdate() + 800 * DAY}, "until", "24 mois"),
        ({"starts_on": timezone.localdate() - DAY}, "starts_on", "passé"),
    ],
)
def test_a_pledge_out_of_bounds_is_refused_in_french_on_its_field(gp, gp_entry, waiting_list, overrides, field, words):
    with pytest.raises(ApplicationError) as refusal:
        _pledge(gp, **overrides)
    assert refusal.value.field == field and words in refusal.value.message
    assert not Pledge.objects.exists()


def test_only_a_gp_of_a_territory_with_a_list_pledges(cardiologist, pharmacist, outsider, waiting_list):
    for user in (cardiologist, pharmacist, outsider):
        with pytest.raises(ApplicationError) as refusal:
            _pledge(user)
        assert refusal.value.code == "forbidden"


def test_the_draw_takes_the_highest_level_first_then_the_oldest_within_reach(
    gp, gp_entry, waiting_entry, communes, waiting_list
):
    old_standard = waiting_entry(waiting_since=_ago(300))
    recent_ald = waiting_entry(ald=True, waiting_since=_ago(5))
    older_ald = waiting_entry(ald=True, waiting_since=_ago(50))
    very_urgent = waiting_entry(ald=True, birth_date=datetime.date(1940, 1, 1), waiting_since=_ago(1))
    neighbour = waiting_entry(commune=communes["mouilleron"], waiting_since=_ago(200))  # about 6 km away
    on_the_coast = waiting_entry(commune=communes["saint_jean"], ald=True, max_distance_km=100)  # 50 km away
    pledge = _pledge(gp)

    proposals = pledge_draw(pledge=pledge, acting_user=gp)

    assert [proposal.entry_id for proposal in proposals] == [
        very_urgent.pk,
        older_ald.pk,
        recent_ald.pk,
        old_standard.pk,
        neighbour.pk,
    ]
    assert len(proposals) == DRAW_BATCH
    assert Entry.objects.get(pk=on_the_coast.pk).status == "waiting"
    first = Proposal.objects.get(entry=very_urgent)
    assert (first.status, first.priority_level, first.household_size) == ("pending", 2, 1)
    assert first.distance_km == pytest.approx(0, abs=0.1)
    assert Proposal.objects.get(entry=neighbour).distance_km == pytest.approx(6.0, abs=1.0)
    assert abs(first.expires_at - (timezone.now() + 7 * DAY)) < datetime.timedelta(minutes=1)
    assert set(Entry.objects.filter(proposals__pledge=pledge).values_list("status", flat=True)) == {"proposed"}
    assert EntryEvent.objects.filter(kind="proposed").count() == 5
    # What the GP reads of each is in the access log, without a name.
    logged = AccessLog.objects.filter(user=gp, subject_type="waitlist_entry", action="read")
    assert set(logged.values_list("subject_id", flat=True)) == {str(p.entry.public_id) for p in proposals}


def test_an_entry_farther_than_it_accepts_to_travel_is_not_drawn(gp, gp_entry, waiting_entry, communes):
    stays_home = waiting_entry(commune=communes["mouilleron"], max_distance_km=3)
    pledge = _pledge(gp, radius_km=20)
    assert pledge_draw(pledge=pledge, acting_user=gp) == []
    assert Entry.objects.get(pk=stays_home.pk).status == "waiting"


def test_a_household_is_proposed_whole_or_not_at_all(gp, gp_entry, waiting_entry):
    family = waiting_entry(
        ald=True,
        members=[
            {"family_name": "Durand", "given_names": "Paul", "birth_date": datetime.date(2015, 1, 1), "sex": "M"},
            {"family_name": "Durand", "given_names": "Léa", "birth_date": datetime.date(2018, 1, 1), "sex": "F"},
        ],
        waiting_since=_ago(100),
    )
    alone = waiting_entry(waiting_since=_ago(10))
    pledge = _pledge(gp, capacity=2)

    proposals = pledge_draw(pledge=pledge, acting_user=gp)

    assert [proposal.entry_id for proposal in proposals] == [alone.pk]  # three people do not fit in two places
    assert Entry.objects.get(pk=family.pk).status == "waiting"
    roomy = _pledge(gp, capacity=5)
    [taken] = pledge_draw(pledge=roomy, acting_user=gp)
    assert (taken.entry_id, taken.household_size) == (family.pk, 3)
    assert seats_taken(roomy) == 3


def test_a_pledge_without_families_takes_people_alone(gp, gp_entry, waiting_entry):
    child = {"family_name": "D", "given_names": "P", "birth_date": datetime.date(2015, 1, 1), "sex": "M"}
    waiting_entry(members=[child])
    alone = waiting_entry()
    pledge = _pledge(gp, families_welcome=False)
    assert [proposal.entry_id for proposal in pledge_draw(pledge=pledge, acting_user=gp)] == [alone.pk]


def test_the_capacity_counts_accepted_and_pending_people_and_a_full_pledge_is_refused(gp, gp_entry, waiting_entry):
    for _ in range(4):
        waiting_entry()
    pledge = _pledge(gp, capacity=3)
    assert len(pledge_draw(pledge=pledge, acting_user=gp)) == 3
    with pytest.raises(ApplicationError) as refusal:
        pledge_draw(pledge=pledge, acting_user=gp)
    assert "complet" in refusal.value.message


def test_an_entry_declined_by_this_gp_is_never_proposed_to_them_again_but_to_others(
    gp, gp_entry, gp2, gp2_entry, waiting_entry
):
    entry = waiting_entry()
    pledge = _pledge(gp)
    [proposal] = pledge_draw(pledge=pledge, acting_user=gp)
    proposal_decline(proposal=proposal, acting_user=gp, reason="Patientèle trop éloignée de mon secteur de visite")
    assert pledge_draw(pledge=_pledge(gp), acting_user=gp) == []
    [other] = pledge_draw(pledge=_pledge(gp2), acting_user=gp2)
    assert other.entry_id == entry.pk


def test_a_draw_on_someone_else_s_pledge_is_not_found(gp, gp_entry, gp2, gp2_entry, coordinator, waiting_entry):
    waiting_entry()
    pledge = _pledge(gp)
    for user in (gp2, coordinator):
        with pytest.raises(ApplicationError) as refusal:
            pledge_draw(pledge=pledge, acting_user=user)
        assert refusal.value.code == "not_found"
    assert not Proposal.objects.exists()


def test_a_closed_pledge_draws_nothing_and_gives_its_pending_proposals_back(gp, gp_entry, waiting_entry):
    entry = waiting_entry()
    pledge = _pledge(gp)
    pledge_draw(pledge=pledge, acting_user=gp)
    pledge_close(pledge=pledge, acting_user=gp)
    assert Entry.objects.get(pk=entry.pk).status == "waiting"
    assert Proposal.objects.get().status == "expired"
    with pytest.raises(ApplicationError) as refusal:
        pledge_draw(pledge=pledge, acting_user=gp)
    assert "clos" in refusal.value.message


def test_the_database_refuses_a_second_pending_proposal_of_one_entry(gp, gp_entry, gp2, gp2_entry, waiting_entry):
    waiting_entry()
    [proposal] = pledge_draw(pledge=_pledge(gp), acting_user=gp)
    other = _pledge(gp2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Proposal.objects.create(
            pledge=other,
            entry=proposal.entry,
            batch=proposal.batch,
            distance_km=1,
            priority_level=0,
            household_size=1,
            expires_at=timezone.now(),
        )


@pytest.mark.django_db(transaction=True)
def test_two_gps_drawing_at_the_same_instant_never_get_the_same_entry(gp, gp_entry, gp2, gp2_entry, waiting_list):
    # Eight entries in La Roche, within both GPs' reach: two batches of five cannot both be whole.
    for index in range(8):
        make_waiting_entry(waiting_list, gp_entry.activities.get().practice.commune, waiting_since=_ago(index + 1))
    pledges = {gp: _pledge(gp), gp2: _pledge(gp2)}
    barrier = threading.Barrier(2)
    drawn: dict[str, list[int]] = {}
    errors = []

    def draw(user):
        try:
            with transaction.atomic():
                barrier.wait()
                proposals = pledge_draw(pledge=pledges[user], acting_user=user)
                # Hold the transaction a moment, so that both draws overlap for sure.
                connection.cursor().execute("SELECT pg_sleep(0.2)")
            drawn[user.email] = [proposal.entry_id for proposal in proposals]
        except Exception as error:
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=draw, args=(user,)) for user in (gp, gp2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    alice, bob = drawn[gp.email], drawn[gp2.email]
    assert not set(alice) & set(bob)
    assert sorted(alice + bob) == sorted(Entry.objects.values_list("pk", flat=True))  # all eight, each once
    # However the two scans interleaved (5 + 3, or 4 + 4 when each skipped what the other was locking).
    assert len(alice + bob) == 8 and max(len(alice), len(bob)) <= 5
    assert Proposal.objects.filter(status="pending").count() == 8


def test_a_practice_without_a_position_is_placed_at_its_commune_s_town_hall(gp, gp_entry, waiting_entry, communes):
    practice = gp_entry.activities.get().practice
    practice.latitude = practice.longitude = None
    practice.commune = communes["mouilleron"]
    practice.save()
    assert practice_position(gp_entry.pk) == Position(communes["mouilleron"].latitude, communes["mouilleron"].longitude)
    waiting_entry(commune=communes["mouilleron"])
    [proposal] = pledge_draw(pledge=_pledge(gp), acting_user=gp)
    assert proposal.distance_km == pytest.approx(0, abs=0.1)


def test_a_gp_whose_practice_is_nowhere_is_told_to_complete_the_directory(gp, gp_entry, waiting_entry):
    practice = gp_entry.activities.get().practice
    practice.latitude = practice.longitude = None
    practice.commune = None
    practice.save()
    waiting_entry()
    pledge = _pledge(gp)
    with pytest.raises(ApplicationError) as refusal:
        pledge_draw(pledge=pledge, acting_user=gp)
    assert "adresse localisée" in refusal.value.message

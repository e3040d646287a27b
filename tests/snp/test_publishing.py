"""A GP (or her secretary) publishes slots once, each open to the audiences chosen; bad slots are refused with a
French message on the field, and nothing is half-saved."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import ApplicationError
from snp.models import Slot, SlotKind, SlotPattern
from snp.services import PARIS, pattern_create, pattern_expand, patterns_expand_all, slot_publish, slot_withdraw
from tests.factories import PracticeFactory, PractitionerFactory
from tests.snp.conftest import at

pytestmark = pytest.mark.django_db


def _refused(field, **kwargs):
    with pytest.raises(ApplicationError) as refusal:
        slot_publish(**kwargs)
    assert refusal.value.field == field, refusal.value.message
    return refusal.value.message


def test_a_gp_publishes_a_slot_at_her_only_site(gp, gp_entry, gp_practice):
    slot = slot_publish(acting_user=gp, start=at(1, 11, 30), duration_minutes=20, audiences=["sas", "cpts_line"])
    assert (slot.practitioner, slot.site, slot.territory) == (gp_entry, gp_practice, gp_practice.territory)
    assert slot.status == Slot.Status.FREE
    assert slot.ends_at - slot.starts_at == datetime.timedelta(minutes=20)
    assert slot.audiences == ["sas", "cpts_line"]
    assert slot.kind == SlotKind.IN_PRACTICE


def test_her_secretary_publishes_for_her_but_another_practice_s_secretary_cannot(
    gp_secretary, gp_entry, other_secretary
):
    slot = slot_publish(
        acting_user=gp_secretary, practitioner=gp_entry, start=at(2, 17, 45), duration_minutes=15, audiences=["sas"]
    )
    assert slot.created_by == gp_secretary
    with pytest.raises(ApplicationError) as refusal:
        slot_publish(
            acting_user=other_secretary, practitioner=gp_entry, start=at(3, 9), duration_minutes=15, audiences=["sas"]
        )
    assert refusal.value.code == "not_found"


def test_refusals_say_what_is_wrong_on_the_field(gp, gp_entry, territory):
    past = timezone.now() - datetime.timedelta(minutes=1)
    assert "passé" in _refused("start", acting_user=gp, start=past, duration_minutes=20, audiences=["sas"])
    assert "5" in _refused("duration_minutes", acting_user=gp, start=at(1, 9), duration_minutes=4, audiences=["sas"])
    assert "réserver" in _refused("audiences", acting_user=gp, start=at(1, 9), duration_minutes=20, audiences=[])
    elsewhere = PracticeFactory(territory=territory)
    _refused("site", acting_user=gp, start=at(1, 9), duration_minutes=20, audiences=["sas"], site=elsewhere)
    _refused("audiences", acting_user=gp, start=at(1, 9), duration_minutes=20, audiences=["everyone"])
    assert not Slot.objects.exists()


def test_two_live_slots_of_one_practitioner_never_overlap(gp, gp_entry):
    slot_publish(acting_user=gp, start=at(1, 11, 30), duration_minutes=20, audiences=["sas"])
    message = _refused("start", acting_user=gp, start=at(1, 11, 40), duration_minutes=20, audiences=["sas"])
    assert "11:30" in message
    # Back to back is fine; so is the same time once the first is withdrawn.
    slot_publish(acting_user=gp, start=at(1, 11, 50), duration_minutes=20, audiences=["sas"])
    first = Slot.objects.get(starts_at=at(1, 11, 30))
    slot_withdraw(acting_user=gp, slot=first)
    slot_publish(acting_user=gp, start=at(1, 11, 30), duration_minutes=20, audiences=["sas"])


def test_the_database_refuses_an_overlap_the_service_would_not_see(gp_entry, gp_practice):
    Slot.objects.create(
        practitioner=gp_entry,
        site=gp_practice,
        territory=gp_practice.territory,
        starts_at=at(1, 10),
        ends_at=at(1, 10, 30),
        audiences=["sas"],
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Slot.objects.create(
            practitioner=gp_entry,
            site=gp_practice,
            territory=gp_practice.territory,
            starts_at=at(1, 10, 15),
            ends_at=at(1, 10, 45),
            audiences=["sas"],
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Slot.objects.create(
            practitioner=gp_entry,
            site=gp_practice,
            territory=gp_practice.territory,
            starts_at=at(2, 10),
            ends_at=at(2, 10, 30),
            audiences=[],
        )


def test_a_slot_is_withdrawn_by_who_manages_it_only(gp, gp2, slot):
    with pytest.raises(ApplicationError) as refusal:
        slot_withdraw(acting_user=gp2, slot=slot)
    assert refusal.value.code == "not_found"
    assert slot_withdraw(acting_user=gp, slot=slot).status == Slot.Status.WITHDRAWN


def test_a_weekly_pattern_is_written_eight_weeks_ahead_once(gp, gp_entry):
    today = timezone.localdate()
    pattern, written = pattern_create(
        acting_user=gp,
        weekdays=[1, 2, 3, 4, 5],
        times=[datetime.time(11, 30), datetime.time(17, 45)],
        duration_minutes=20,
        audiences=["sas", "pharmacists"],
        starts_on=today,
        ends_on=today + datetime.timedelta(days=120),
    )
    slots = Slot.objects.filter(pattern=pattern)
    assert written == slots.count()
    # 8 weeks of weekdays, two a day, less today's that have already passed.
    assert 2 * 5 * 8 - 2 <= written <= 2 * 5 * 8 + 2
    assert {timezone.localtime(s.starts_at, PARIS).isoweekday() for s in slots} <= {1, 2, 3, 4, 5}
    assert {timezone.localtime(s.starts_at, PARIS).time() for s in slots} == {
        datetime.time(11, 30),
        datetime.time(17, 45),
    }
    assert pattern_expand(pattern=pattern) == 0
    assert patterns_expand_all() == 0
    # A day later, the next day is added (and only it).
    tomorrow = today + datetime.timedelta(days=1)
    added = pattern_expand(pattern=pattern, today=tomorrow)
    assert added == (2 if (tomorrow + datetime.timedelta(weeks=8)).isoweekday() <= 5 else 0)


def test_a_pattern_skips_a_time_taken_by_an_existing_slot(gp):
    taken = slot_publish(acting_user=gp, start=at(1, 11, 30), duration_minutes=20, audiences=["sas"])
    day = taken.starts_at.astimezone(PARIS).date()
    _pattern, written = pattern_create(
        acting_user=gp,
        weekdays=[day.isoweekday()],
        times=[datetime.time(11, 30)],
        duration_minutes=20,
        audiences=["sas"],
        starts_on=day,
        ends_on=day + datetime.timedelta(days=14),
    )
    assert written == 2  # the next two weeks; the first day's 11:30 was already there
    assert Slot.objects.filter(starts_at=taken.starts_at).count() == 1


@pytest.mark.parametrize(
    ("sunday", "winter_offset", "summer_offset"),
    [(datetime.date(2027, 3, 28), 1, 2), (datetime.date(2027, 10, 31), 2, 1)],
    ids=["last Sunday of March", "last Sunday of October"],
)
def test_a_pattern_keeps_its_wall_clock_time_across_daylight_saving(gp, sunday, winter_offset, summer_offset):
    """Saturday before and Monday after the change: 11:30 in Paris both days, one hour apart in UTC."""
    saturday, monday = sunday - datetime.timedelta(days=1), sunday + datetime.timedelta(days=1)
    pattern, _ = pattern_create(
        acting_user=gp,
        weekdays=[6, 7, 1],
        times=[datetime.time(11, 30)],
        duration_minutes=20,
        audiences=["sas"],
        starts_on=saturday,
        ends_on=monday,
    )
    pattern_expand(pattern=pattern, today=saturday - datetime.timedelta(days=30))
    starts = {s.starts_at.astimezone(PARIS).date(): s.starts_at for s in Slot.objects.filter(pattern=pattern)}
    assert set(starts) == {saturday, sunday, monday}
    for day in starts:
        assert starts[day].astimezone(PARIS).time() == datetime.time(11, 30)
    assert starts[saturday].utcoffset() is not None
    assert starts[saturday].astimezone(datetime.UTC).hour == 11 - winter_offset
    assert starts[monday].astimezone(datetime.UTC).hour == 11 - summer_offset


def test_a_pattern_refuses_what_makes_no_sense(gp):
    today = timezone.localdate()
    common = {"acting_user": gp, "duration_minutes": 20, "audiences": ["sas"], "starts_on": today}
    for field, changes in (
        ("weekdays", {"weekdays": [], "times": [datetime.time(9)], "ends_on": today}),
        ("times", {"weekdays": [1], "times": [], "ends_on": today}),
        ("ends_on", {"weekdays": [1], "times": [datetime.time(9)], "ends_on": today - datetime.timedelta(days=1)}),
        ("times", {"weekdays": [1], "times": [datetime.time(9), datetime.time(9, 10)], "ends_on": today}),
        ("ends_on", {"weekdays": [1], "times": [datetime.time(9)], "ends_on": today + datetime.timedelta(days=400)}),
    ):
        with pytest.raises(ApplicationError) as refusal:
            pattern_create(**common, **changes)
        assert refusal.value.field == field
    assert not SlotPattern.objects.exists()


def test_an_entry_without_account_has_no_one_to_publish_for_it(gp):
    stranger = PractitionerFactory()
    with pytest.raises(ApplicationError) as refusal:
        slot_publish(acting_user=gp, practitioner=stranger, start=at(1, 9), duration_minutes=20, audiences=["sas"])
    assert refusal.value.code == "not_found"

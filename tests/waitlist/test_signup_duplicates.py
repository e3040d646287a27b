"""Duplicates at sign-up: a person already waiting (same birth date and sex, the name with or without accents,
with a typo, in another order) is flagged for the coordinator when the new sign-up is verified; the new entry is
kept and its person is told exactly what anyone else is told."""

import datetime

import pytest

from notifications.models import OutboundMessage
from waitlist.models import DuplicateSuspicion, Entry, EntryEvent
from waitlist.services.duplicates import duplicate_candidates_for, entry_duplicates_flag
from waitlist.services.signup import PersonDetails, SignupDetails, entry_signup, entry_verify

BIRTH = datetime.date(1950, 3, 4)


def signed_up_and_verified(family_name, given_names, *, birth_date=BIRTH, sex="F", phone="06 98 76 54 32"):
    entry = entry_signup(
        details=SignupDetails(
            person=PersonDetails(family_name=family_name, given_names=given_names, birth_date=birth_date, sex=sex),
            commune="85191",
            situation="moved_here",
            max_distance_km=10,
            consent=True,
            phone=phone,
        )
    )
    code = OutboundMessage.objects.filter(template="verification_code").latest("id").context["code"]
    return entry_verify(entry=entry, code=code)


@pytest.mark.parametrize(
    ("family_name", "given_names"),
    [
        ("DUPONT", "Marie-Hélène"),  # case and accents
        ("Dupond", "Marie Helene"),  # a typo
        ("Marie-Hélène", "Dupont"),  # names swapped
    ],
)
def test_the_same_person_signing_up_again_is_flagged_and_kept(waiting_entry, waiting_list, family_name, given_names):
    earlier = waiting_entry(family_name="Dupont", given_names="Marie-Hélène", birth_date=BIRTH, sex="F")

    entry = signed_up_and_verified(family_name, given_names)

    entry.refresh_from_db()
    assert entry.status == Entry.Status.WAITING
    assert entry.duplicate_suspected is True
    suspicion = DuplicateSuspicion.objects.get(entry=entry)
    assert suspicion.other == earlier and suspicion.similarity >= 0.55
    flagged = EntryEvent.objects.get(entry=entry, kind=EntryEvent.Kind.DUPLICATE_FLAGGED)
    assert "Dupont" not in str(flagged.details) and "1950" not in str(flagged.details)


@pytest.mark.parametrize(
    ("given_names", "birth_date", "sex"),
    [
        ("Marie-Hélène", datetime.date(1950, 3, 5), "F"),  # another birth date
        ("Marie-Hélène", BIRTH, "M"),  # another sex
        ("Louise", BIRTH, "F"),  # a twin sister
    ],
)
def test_another_person_is_not_flagged(waiting_entry, waiting_list, given_names, birth_date, sex):
    waiting_entry(family_name="Dupont", given_names="Marie-Hélène", birth_date=BIRTH, sex="F")

    entry = signed_up_and_verified("Dupont", given_names, birth_date=birth_date, sex=sex)

    entry.refresh_from_db()
    assert entry.duplicate_suspected is False
    assert not DuplicateSuspicion.objects.exists()


def test_a_household_member_already_waiting_elsewhere_is_found(waiting_entry, waiting_list):
    child = {"family_name": "Martin", "given_names": "Léo", "birth_date": datetime.date(2016, 1, 2), "sex": "M"}
    earlier = waiting_entry(family_name="Martin", given_names="Sophie", members=[child])
    entry = entry_signup(
        details=SignupDetails(
            person=PersonDetails(family_name="Bernard", given_names="Paul", birth_date=BIRTH, sex="M"),
            household=[PersonDetails(family_name="Martin", given_names="Leo", birth_date=child["birth_date"], sex="M")],
            commune="85191",
            situation="moved_here",
            max_distance_km=10,
            consent=True,
            phone="06 98 76 54 32",
        )
    )

    assert [candidate.entry for candidate in duplicate_candidates_for(entry)] == [earlier]


def test_withdrawn_and_unverified_entries_are_not_compared(waiting_entry, waiting_list):
    waiting_entry(family_name="Dupont", given_names="Marie", birth_date=BIRTH, status=Entry.Status.WITHDRAWN)
    waiting_entry(family_name="Dupont", given_names="Marie", birth_date=BIRTH, status=Entry.Status.UNVERIFIED)

    entry = signed_up_and_verified("Dupont", "Marie")

    assert Entry.objects.get(pk=entry.pk).duplicate_suspected is False


def test_flagging_twice_writes_one_row_per_pair(waiting_entry, waiting_list):
    waiting_entry(family_name="Dupont", given_names="Marie", birth_date=BIRTH)
    entry = signed_up_and_verified("Dupont", "Marie")

    entry_duplicates_flag(entry=entry)

    assert DuplicateSuspicion.objects.filter(entry=entry).count() == 1


def test_the_person_is_told_the_same_whether_or_not_someone_else_is_on_the_list(client, waiting_entry, waiting_list):
    """The API's answers and the messages sent are the same, a duplicate or not (only the flag differs)."""

    def api_signup(phone):
        body = {
            "family_name": "Dupont",
            "given_names": "Marie",
            "birth_date": "1950-03-04",
            "sex": "F",
            "commune": "85191",
            "phone": phone,
            "situation": "gp_retired",
            "max_distance_km": 10,
            "consent": True,
        }
        created = client.post("/api/v1/waitlist/signups/", body, content_type="application/json")
        code = OutboundMessage.objects.filter(template="verification_code", recipient=phone).latest("id")
        verified = client.post(
            f"/api/v1/waitlist/signups/{created.json()['id']}/verify/",
            {"code": code.context["code"]},
            content_type="application/json",
        )
        welcome = OutboundMessage.objects.get(template="waitlist_signup_welcome", recipient=phone)
        return (created.status_code, set(created.json()), created.json()["status"]), verified.json(), welcome

    alone = api_signup("+33611111111")
    waiting_entry(family_name="Dupont", given_names="Marie", birth_date=BIRTH, sex="F", phone="+33622222222")
    twice = api_signup("+33633333333")

    assert alone[:2] == twice[:2]
    assert set(alone[2].context) == set(twice[2].context)
    assert Entry.objects.filter(duplicate_suspected=True).count() == 1

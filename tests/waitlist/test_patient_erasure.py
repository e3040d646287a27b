"""Erasure, by the patient's link or by the coordination on request, leaves no trace of the person's identity or
contact anywhere in the database: a dump of every table after it finds none of the household's names, birth dates,
phone or e-mail (the outbox rows, their context and errors, the verification codes, the notes, the GP's reasons,
the audit's details included). Only anonymous counts stay: the entry row with its commune, dates, level and
status "erased". Every link sent before answers in French that the data is erased. Another territory's
coordinator, a GP, an observer get 404."""

import datetime
import html

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import AccessLog
from accounts.roles import Role
from directory.services import role_grant_create
from notifications.models import OutboundMessage, VerificationCode
from notifications.services import message_enqueue
from notifications.verification import verification_code_send
from tests.conftest import enrol_totp
from tests.factories import CommuneFactory, TerritoryFactory, UserFactory
from tests.waitlist.conftest import make_waiting_entry
from waitlist.models import DuplicateSuspicion, Entry, EntryEvent, EntryNote, HouseholdMember, Pledge, Proposal
from waitlist.services.common import entry_follow_link, waiting_list_of_territory
from waitlist.services.selfservice import entry_erase

pytestmark = pytest.mark.django_db

FAMILY_NAME = "Quintal-Brodeur"
GIVEN_NAMES = "Zéphyrine"
BIRTH_DATE = datetime.date(1958, 3, 17)
PHONE = "+33698765432"
EMAIL = "zephyrine.quintal@exemple.test"
NEW_EMAIL = "zq.nouvelle@exemple.test"
CHILD = {
    "family_name": "Quintal-Brodeur",
    "given_names": "Anatole",
    "birth_date": datetime.date(2011, 11, 2),
    "sex": "M",
}
# (Quintal alone is a commune of Haute-Savoie, in the reference data.)
TRACES = [
    "quintal-brodeur",
    "brodeur",
    "zéphyrine",
    "zephyrine",
    "anatole",
    "1958-03-17",
    "17/03/1958",
    "2011-11-02",
    "698765432",
    "06 98 76 54 32",
    "exemple.test",
]


def page_of(response) -> str:
    return html.unescape(response.content.decode())


def follow_path(entry, suffix=""):
    return "/" + entry_follow_link(entry).split("://", 1)[1].split("/", 1)[1] + suffix


def database_dump() -> str:
    """Every row of every table of the database, as text (what a pg_dump of the data would hold)."""
    rows = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables "
            "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        )
        tables = [name for (name,) in cursor.fetchall()]
        for table in tables:
            cursor.execute(f"SELECT t::text FROM {table} t")  # noqa: S608 (names from the catalog)
            rows.extend(f"{table}: {text}" for (text,) in cursor.fetchall())
    return "\n".join(rows).lower()


def traces_in(dump: str) -> list[str]:
    return [trace for trace in TRACES if trace in dump]


@pytest.fixture
def household(waiting_entry):
    return waiting_entry(
        family_name=FAMILY_NAME,
        given_names=GIVEN_NAMES,
        birth_date=BIRTH_DATE,
        phone=PHONE,
        email=EMAIL,
        members=[CHILD],
        ald=True,
    )


def _leave_traces_everywhere(client, entry, gp_entry, coordinator, signed_in):
    """What a sign-up's life writes: the sign-up's code and link, a change of e-mail never confirmed, a lost
    link sent again, a GP's decline with a reason naming the household, a note, a duplicate pair, a failed
    delivery quoting the address, the coordination reading the entry."""
    verification_code_send(purpose="waitlist-signup", channel="sms", address=PHONE)
    message_enqueue(
        channel="email",
        recipient=EMAIL,
        template="waitlist_link_resent",
        context={"follow_url": entry_follow_link(entry), "given_names": GIVEN_NAMES},
        idempotency_key=f"waitlist-verified:{entry.public_id}",
        recipient_kind=OutboundMessage.RecipientKind.PATIENT,
    )
    OutboundMessage.objects.filter(recipient=EMAIL).update(
        status=OutboundMessage.Status.FAILED, last_error=f"SMTPRecipientsRefused: {EMAIL}"
    )
    body = {
        "phone": "06 98 76 54 32",
        "email": NEW_EMAIL,
        "commune": "85191",
        "max_distance_km": "15",
        "member0_ald": "on",
    }
    assert client.post(follow_path(entry, "modifier/"), body).status_code == 200  # a code to the new address
    assert client.post("/liste-attente/lien-perdu/", {"address": "06 98 76 54 32"}).status_code == 200
    today = timezone.localdate()
    pledge = Pledge.objects.create(
        practitioner=gp_entry,
        waiting_list=entry.waiting_list,
        capacity=5,
        radius_km=10,
        starts_on=today,
        until=today + datetime.timedelta(days=90),
    )
    Proposal.objects.create(
        pledge=pledge,
        entry=entry,
        batch=pledge.public_id,
        distance_km=1.0,
        priority_level=1,
        household_size=2,
        expires_at=timezone.now(),
        status=Proposal.Status.DECLINED,
        decline_reason="Mme Quintal-Brodeur est déjà venue au cabinet",
    )
    EntryNote.objects.create(entry=entry, text="Appel de Zéphyrine Quintal-Brodeur le 3 mars", author=coordinator)
    EntryEvent.objects.create(entry=entry, kind=EntryEvent.Kind.UPDATED, details={"oops": "Quintal-Brodeur"})
    other = make_waiting_entry(entry.waiting_list, entry.commune, family_name="Martin", given_names="Paul")
    DuplicateSuspicion.objects.create(entry=other, other=entry, similarity=0.8)
    page = signed_in(coordinator).get(f"/liste-attente/coordination/inscriptions/{entry.public_id}/effacer/")
    assert page.status_code == 200 and FAMILY_NAME in page_of(page)
    client.logout()
    assert traces_in(database_dump())  # the dump does see them before


def test_erasure_by_the_link_leaves_no_trace_of_the_person_in_the_database(
    client, household, gp_entry, coordinator, signed_in
):
    _leave_traces_everywhere(client, household, gp_entry, coordinator, signed_in)
    old_link = follow_path(household)

    assert client.get(old_link + "effacer/").status_code == 200
    refused = client.post(old_link + "effacer/", {})
    assert refused.status_code == 400 and "Cochez la case" in page_of(refused)
    response = client.post(old_link + "effacer/", {"understood": "on"})

    assert response.status_code == 200 and "vos données sont effacées" in page_of(response)
    assert traces_in(database_dump()) == []
    erased = Entry.objects.get(pk=household.pk)
    assert erased.status == Entry.Status.ERASED
    assert (erased.commune.insee_code, erased.priority_level, erased.household_size) == ("85191", 1, 2)
    assert erased.waiting_since is not None and erased.closed_at is not None
    assert not HouseholdMember.objects.filter(entry=erased).exists()
    assert not EntryNote.objects.filter(entry=erased).exists()
    assert not VerificationCode.objects.exists()
    # The audit keeps kinds and dates; only the erasure's own row says who erased and why.
    assert [details for details in erased.events.values_list("details", flat=True) if details] == [
        {"by": "patient", "reason": "link"}
    ]
    assert AccessLog.objects.filter(patient_ref=str(household.public_id)).exists()  # the public id only


def test_a_link_used_after_erasure_answers_that_the_data_is_erased(client, household):
    link = follow_path(household)
    client.post(link + "effacer/", {"understood": "on"})

    for suffix in ("", "modifier/", "retirer/", "effacer/", "confirmer/"):
        response = client.get(link + suffix)
        assert response.status_code == 410, suffix
        assert "Ce lien ne sert plus : vos données ont été effacées" in page_of(response)
    again = client.post(link + "effacer/", {"understood": "on"})
    assert again.status_code == 410


def test_the_lost_link_page_sends_nothing_after_erasure(client, household):
    entry_erase(entry=household, by_patient=True)

    client.post("/liste-attente/lien-perdu/", {"address": EMAIL})

    assert not OutboundMessage.objects.filter(template="waitlist_link_resent").exists()


def test_duplicates_merged_into_the_entry_are_erased_with_it(household, waiting_list, communes):
    duplicate = make_waiting_entry(
        waiting_list, communes["la_roche"], family_name=FAMILY_NAME, given_names="Zephyrine", phone=PHONE
    )
    Entry.objects.filter(pk=duplicate.pk).update(status=Entry.Status.MERGED, merged_into=household)

    entry_erase(entry=household, by_patient=True)

    duplicate.refresh_from_db()
    assert duplicate.status == Entry.Status.ERASED and duplicate.phone == ""
    assert traces_in(database_dump()) == []


# --- The coordination, on request --------------------------------------------------------------------------------


def _erase_page(entry):
    return f"/liste-attente/coordination/inscriptions/{entry.public_id}/effacer/"


def test_the_coordinator_erases_on_request_with_the_origin_of_the_request(household, coordinator, signed_in):
    client = signed_in(coordinator)
    page = client.get(_erase_page(household))
    assert page.status_code == 200
    assert "Quintal-Brodeur" in page_of(page) and "17/03/1958" in page_of(page)

    refused = client.post(_erase_page(household), {"reason": ""})
    assert refused.status_code == 400 and "Indiquez d'où vient la demande" in page_of(refused)
    response = client.post(_erase_page(household), {"reason": "patient_phone"})

    assert response.status_code == 200 and "Inscription effacée" in page_of(response)
    household.refresh_from_db()
    assert household.status == Entry.Status.ERASED
    assert household.closed_reason == "Effacée par la coordination : Demande de la personne par téléphone"
    event = household.events.get(kind=EntryEvent.Kind.ERASED)
    assert event.actor == coordinator and event.details == {"by": "coordination", "reason": "patient_phone"}
    logged = AccessLog.objects.filter(user=coordinator, patient_ref=str(household.public_id))
    assert set(logged.values_list("action", flat=True)) == {"read", "delete"}
    assert traces_in(database_dump()) == []
    assert client.get(_erase_page(household)).status_code == 404  # nothing left to erase


@pytest.fixture
def other_coordinator(db):
    territory = TerritoryFactory(name="CPTS du Littoral", slug="littoral")
    territory.communes.add(CommuneFactory(insee_code="85288", name="Les Sables-d'Olonne", postal_codes=["85100"]))
    waiting_list_of_territory(territory)
    user = UserFactory(email="olga@cpts.test", first_name="Olga", last_name="Marchand")
    role_grant_create(user=user, role=Role.COORDINATOR, territory=territory)
    enrol_totp(user)
    return user


@pytest.mark.parametrize("persona", ["other_coordinator", "gp", "observer", "pharmacist"])
def test_nobody_but_a_coordinator_of_the_list_reaches_the_erasure(household, persona, request, signed_in):
    user = request.getfixturevalue(persona)
    client = signed_in(user)

    shown = client.get(_erase_page(household))
    posted = client.post(_erase_page(household), {"reason": "patient_phone"})
    api = client.post(
        f"/api/v1/waitlist/entries/{household.public_id}/erase/",
        {"reason": "patient_phone"},
        content_type="application/json",
    )

    assert (shown.status_code, posted.status_code, api.status_code) == (404, 404, 404)
    household.refresh_from_db()
    assert household.status == Entry.Status.WAITING


def test_a_visitor_is_sent_to_sign_in(client, household):
    response = client.get(_erase_page(household))

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_api_erases_for_the_coordinator(household, coordinator, signed_in):
    client = signed_in(coordinator)
    url = f"/api/v1/waitlist/entries/{household.public_id}/erase/"

    missing = client.post(url, {}, content_type="application/json")
    assert missing.status_code == 400 and missing.json()["field"] == "reason"
    response = client.post(url, {"reason": "patient_writing"}, content_type="application/json")

    assert response.status_code == 200, response.json()
    assert response.json()["id"] == str(household.public_id) and response.json()["status"] == "erased"
    assert traces_in(database_dump()) == []
    assert client.post(url, {"reason": "patient_writing"}, content_type="application/json").status_code == 404

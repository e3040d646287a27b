"""The public sign-up as a service: a household saved unverified with its consent and priority, a code to the
mobile (else the e-mail), the code typed puts it in the queue and sends the follow link; every refusal in French
on its field, nothing saved."""

import datetime

import pytest
from django.utils import timezone

from core.errors import ApplicationError
from notifications.models import OutboundMessage, VerificationCode
from notifications.services import message_render
from tests.factories import CommuneFactory
from waitlist.consent import CONSENT_TEXT, CONSENT_VERSION
from waitlist.models import ConsentRecord, Entry, EntryEvent, HouseholdMember
from waitlist.services.signup import PersonDetails, SignupDetails, entry_code_resend, entry_signup, entry_verify

HEALTH_WORDS = ("ald", "affection", "grossesse", "handicap", "traitement", "css", "ame ", "priorit")


def details(**changes) -> SignupDetails:
    values = {
        "person": PersonDetails(
            family_name="Durand", given_names="Jeanne", birth_date=datetime.date(1950, 3, 4), sex="F", ald=True
        ),
        "commune": "85191",
        "situation": "gp_retired",
        "max_distance_km": 15,
        "consent": True,
        "phone": "06 12 34 56 78",
    }
    values.update(changes)
    return SignupDetails(**values)


def code_sent(address: str) -> str:
    message = OutboundMessage.objects.filter(template="verification_code", recipient=address).latest("id")
    return message.context["code"]


def test_a_signup_saves_the_household_unverified_with_its_consent_and_priority(waiting_list):
    child = PersonDetails(family_name="Durand", given_names="Léo", birth_date=datetime.date(2015, 6, 1), sex="M")

    entry = entry_signup(details=details(household=[child], source="relative"))

    assert entry.status == Entry.Status.UNVERIFIED
    assert entry.waiting_list == waiting_list
    assert entry.phone == "+33612345678"
    assert entry.household_size == 2
    assert entry.waiting_since is None
    members = list(entry.members.order_by("position").values_list("given_names", "position", "ald"))
    assert members == [("Jeanne", 0, True), ("Léo", 1, False)]
    consent = ConsentRecord.objects.get(entry=entry)
    assert (consent.version, consent.text, consent.given_by) == (CONSENT_VERSION, str(CONSENT_TEXT), "relative")
    assert entry.priority_reasons == ["ald", "over_70"] and entry.priority_level > 0
    assert EntryEvent.objects.get(entry=entry).kind == EntryEvent.Kind.SIGNED_UP
    assert OutboundMessage.objects.get(template="verification_code").channel == "sms"


def test_the_code_puts_the_entry_in_the_queue_and_sends_the_follow_link_without_health_words(waiting_list):
    entry = entry_signup(details=details())

    entry = entry_verify(entry=entry, code=code_sent("+33612345678"))

    entry.refresh_from_db()
    assert entry.status == Entry.Status.WAITING
    assert entry.waiting_since is not None and entry.phone_verified_at is not None
    welcome = OutboundMessage.objects.get(template="waitlist_signup_welcome")
    text = message_render(welcome)["text"]
    assert "/liste-attente/suivi/" in text
    assert not any(word in text.lower() for word in HEALTH_WORDS)
    assert set(entry.events.values_list("kind", flat=True)) == {"signed_up", "verified"}


def test_without_a_mobile_the_code_goes_to_the_email_and_so_does_the_welcome(waiting_list):
    entry = entry_signup(details=details(phone="02 51 00 00 00", email="Jeanne.Durand@Exemple.fr"))

    assert entry.email == "jeanne.durand@exemple.fr"
    entry_verify(entry=entry, code=code_sent("jeanne.durand@exemple.fr"))

    entry.refresh_from_db()
    assert entry.email_verified_at is not None and entry.phone_verified_at is None
    welcome = OutboundMessage.objects.get(template="waitlist_signup_welcome")
    assert (welcome.channel, welcome.recipient) == ("email", "jeanne.durand@exemple.fr")
    assert "suivi" in message_render(welcome)["text"]


def test_a_wrong_code_is_refused_five_times_then_a_new_one_is_needed(waiting_list):
    entry = entry_signup(details=details())
    good = code_sent("+33612345678")
    wrong = "000000" if good != "000000" else "111111"
    for _attempt in range(5):
        with pytest.raises(ApplicationError, match="pas le bon"):
            entry_verify(entry=entry, code=wrong)

    with pytest.raises(ApplicationError, match="Trop d'essais"):
        entry_verify(entry=entry, code=good)

    entry_code_resend(entry=entry)
    entry_verify(entry=entry, code=code_sent("+33612345678"))
    assert Entry.objects.get(pk=entry.pk).status == Entry.Status.WAITING


def test_an_expired_code_is_refused(waiting_list):
    entry = entry_signup(details=details())
    code = code_sent("+33612345678")
    VerificationCode.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))

    with pytest.raises(ApplicationError, match="expiré") as refused:
        entry_verify(entry=entry, code=code)

    assert refused.value.field == "code"
    assert Entry.objects.get(pk=entry.pk).status == Entry.Status.UNVERIFIED


def test_a_code_typed_twice_changes_nothing_the_second_time(waiting_list):
    entry = entry_signup(details=details())
    code = code_sent("+33612345678")
    entry_verify(entry=entry, code=code)

    again = entry_verify(entry=Entry.objects.get(pk=entry.pk), code=code)

    assert again.status == Entry.Status.WAITING
    assert OutboundMessage.objects.filter(template="waitlist_signup_welcome").count() == 1


TOMORROW = timezone.localdate() + datetime.timedelta(days=1)


def person(**changes) -> PersonDetails:
    values = {"family_name": "Durand", "given_names": "Jeanne", "birth_date": datetime.date(1950, 3, 4), "sex": "F"}
    values.update(changes)
    return PersonDetails(**values)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"person": person(birth_date=TOMORROW)}, "birth_date", "dans le futur"),
        ({"person": person(birth_date=datetime.date(1899, 12, 31))}, "birth_date", "avant 1900"),
        ({"person": person(birth_date=None)}, "birth_date", "Indiquez la date de naissance"),
        ({"person": person(family_name="  ")}, "family_name", "Indiquez le nom"),
        ({"person": person(sex="Z")}, "sex", "Indiquez le sexe"),
        ({"commune": "99999"}, "commune", "Commune inconnue"),
        ({"phone": "", "email": ""}, "phone", "téléphone portable ou une adresse e-mail"),
        ({"phone": "12 34"}, "phone", "n'en est pas un"),
        ({"phone": "+44 20 7946 0958"}, "phone", "n'en est pas un"),
        ({"phone": "02 51 00 00 00"}, "phone", "pas un portable"),
        ({"phone": "", "email": "pas-une-adresse"}, "email", "n'en est pas une"),
        ({"situation": "bored"}, "situation", "Indiquez pourquoi"),
        ({"max_distance_km": 0}, "max_distance_km", "entre 1 et 100 km"),
        ({"max_distance_km": 101}, "max_distance_km", "entre 1 et 100 km"),
        ({"max_distance_km": None}, "max_distance_km", "entre 1 et 100 km"),
        ({"consent": False}, "consent", "consentement"),
        ({"source": "handover"}, "source", "qui fait l'inscription"),
        ({"household": [person()] * 12}, "household", "au plus 12 personnes"),
        ({"household": [person(), person(birth_date=TOMORROW)]}, "household[1].birth_date", "dans le futur"),
    ],
)
def test_a_refused_signup_says_why_in_french_on_its_field_and_saves_nothing(waiting_list, changes, field, message):
    with pytest.raises(ApplicationError) as refused:
        entry_signup(details=details(**changes))

    assert refused.value.field == field
    assert message.lower() in refused.value.message.lower()
    assert not Entry.objects.exists() and not HouseholdMember.objects.exists()
    assert not OutboundMessage.objects.exists()


def test_a_commune_outside_every_territory_is_refused(waiting_list):
    elsewhere = CommuneFactory(insee_code="29019", name="Brest", postal_codes=["29200"])

    with pytest.raises(ApplicationError, match="aucune CPTS") as refused:
        entry_signup(details=details(commune=elsewhere.insee_code))

    assert refused.value.field == "commune"
    assert not Entry.objects.exists()


def test_a_fourth_code_in_an_hour_to_one_number_is_refused_and_saves_nothing(waiting_list):
    for _index in range(3):
        entry_signup(details=details())

    with pytest.raises(ApplicationError, match="Trop de codes") as refused:
        entry_signup(details=details())

    assert refused.value.field == "phone"
    assert Entry.objects.count() == 3

"""The public sign-up page at /liste-attente/: anyone (no account) fills one form, adds household members without
JavaScript, gets the code step and the confirmation; a refusal answers 400 with everything typed kept; robots
(honeypot, too fast) and a flood from one address are refused."""

from html import unescape

import pytest
from django.urls import reverse

from accounts.models import AccessLog
from notifications.models import OutboundMessage
from tests.factories import CommuneFactory
from waitlist import signup_protection
from waitlist.models import Entry

URL = "/liste-attente/"


@pytest.fixture(autouse=True)
def _no_fill_delay(monkeypatch):
    monkeypatch.setattr(signup_protection, "MIN_FILL_SECONDS", 0)


def page_text(response) -> str:
    return unescape(response.content.decode())


def started(client) -> str:
    page = client.get(URL)
    return page.context["started"]


def form_data(client, **changes) -> dict:
    data = {
        "form_started": started(client),
        "site_web": "",
        "source": "self",
        "family_name": "Durand",
        "given_names": "Jeanne",
        "birth_date": "1950-03-04",
        "sex": "F",
        "commune": "La Roche-sur-Yon",
        "max_distance_km": "15",
        "phone": "06 12 34 56 78",
        "email": "",
        "situation": "gp_retired",
        "ald": "on",
        "consent": "on",
        "household-TOTAL_FORMS": "0",
        "household-INITIAL_FORMS": "0",
        "action": "signup",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_the_page_asks_everything_in_french_with_the_consent_text(client, waiting_list):
    page = client.get(URL)

    assert page.status_code == 200
    html = page_text(page)
    for text in (
        "Liste d'attente pour un médecin traitant",
        "Qui fait l'inscription ?",
        "Affection de longue durée",
        "Ajouter une personne du foyer",
        "données de santé",
        "M'inscrire et recevoir le code",
    ):
        assert text in html
    assert 'name="site_web"' in html and 'name="form_started"' in html
    assert reverse("waitlist:signup") == URL


def test_a_patient_signs_up_types_the_code_and_reads_what_happens_next(client, waiting_list):
    response = client.post(URL, form_data(client))

    assert response.status_code == 302
    entry = Entry.objects.get()
    assert entry.status == Entry.Status.UNVERIFIED and entry.commune.insee_code == "85191"
    step = client.get(response["Location"])
    assert step.status_code == 200
    assert "06 •• •• •• 78" in page_text(step)
    code = OutboundMessage.objects.get(template="verification_code").context["code"]

    done = client.post(response["Location"], {"code": code})

    assert done.status_code == 302 and done["Location"] == reverse("waitlist:signup_done")
    assert Entry.objects.get().status == Entry.Status.WAITING
    confirmation = client.get(done["Location"]).content.decode()
    assert "Inscription enregistrée" in confirmation and "lien personnel" in confirmation
    # The step's link, used again once verified, leads to the confirmation.
    assert client.get(response["Location"])["Location"] == reverse("waitlist:signup_done")


def test_a_wrong_code_is_refused_on_the_field_and_a_new_code_can_be_asked(client, waiting_list):
    step = client.post(URL, form_data(client))["Location"]
    code = OutboundMessage.objects.get(template="verification_code").context["code"]

    wrong = client.post(step, {"code": "000000" if code != "000000" else "111111"})

    assert wrong.status_code == 400
    assert "Ce code n'est pas le bon" in page_text(wrong)
    resent = client.post(reverse("waitlist:signup_resend", args=[step.rstrip("/").rsplit("/", 1)[1]]))
    assert resent.status_code == 200
    assert "Un nouveau code vient d'être envoyé" in page_text(resent)
    assert OutboundMessage.objects.filter(template="verification_code").count() == 2


def test_household_members_are_added_and_removed_without_javascript_keeping_what_was_typed(client, waiting_list):
    data = form_data(client, action="add_member")

    added = client.post(URL, data)

    assert added.status_code == 200
    assert added.context["household"].total_form_count() == 1
    html = page_text(added)
    assert 'value="Durand"' in html and 'id="membre-0"' in html and 'name="household-0-family_name"' in html
    assert not Entry.objects.exists()

    rows = {
        "household-TOTAL_FORMS": "2",
        "household-0-family_name": "Durand",
        "household-0-given_names": "Léo",
        "household-0-birth_date": "2015-06-01",
        "household-0-sex": "M",
        "household-1-family_name": "Oubli",
        "household-1-given_names": "Row",
    }
    removed = client.post(URL, form_data(client, action="remove_member:1", **rows))
    assert removed.context["household"].total_form_count() == 1
    assert "Léo" in page_text(removed) and "Oubli" not in page_text(removed)

    signed = client.post(URL, form_data(client, **{**rows, "household-TOTAL_FORMS": "1"}))
    assert signed.status_code == 302
    entry = Entry.objects.get()
    assert entry.household_size == 2
    assert list(entry.members.values_list("given_names", flat=True)) == ["Jeanne", "Léo"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"birth_date": "2999-01-01"}, "dans le futur"),
        ({"birth_date": "1850-01-01"}, "avant 1900"),
        ({"commune": "Zzyzx"}, "Commune inconnue"),
        ({"phone": "", "email": ""}, "un téléphone portable ou une adresse e-mail"),
        ({"phone": "12"}, "n'en est pas un"),
        ({"consent": None}, "consentement"),
        ({"situation": None}, "Indiquez pourquoi"),
    ],
)
def test_a_refused_signup_answers_400_keeping_what_was_typed(client, waiting_list, changes, message):
    response = client.post(URL, form_data(client, **changes))

    assert response.status_code == 400
    html = page_text(response)
    assert message in html
    assert "Rien n'a été enregistré" in html
    assert 'value="Durand"' in html and 'value="Jeanne"' in html
    assert not Entry.objects.exists()


def test_a_household_row_refused_says_so_on_its_field(client, waiting_list):
    rows = {
        "household-TOTAL_FORMS": "1",
        "household-0-family_name": "Durand",
        "household-0-given_names": "Léo",
        "household-0-birth_date": "2999-06-01",
        "household-0-sex": "M",
    }

    response = client.post(URL, form_data(client, **rows))

    assert response.status_code == 400
    assert response.context["household"].forms[0].errors["birth_date"]
    assert 'value="Léo"' in page_text(response)


def test_a_filled_honeypot_is_refused_and_nothing_saved(client, waiting_list):
    response = client.post(URL, form_data(client, site_web="http://spam.example"))

    assert response.status_code == 400
    assert "n'a pas pu être enregistrée" in page_text(response)
    assert not Entry.objects.exists() and not OutboundMessage.objects.exists()


def test_a_form_sent_back_too_fast_or_without_its_timestamp_is_refused(client, waiting_list, monkeypatch):
    monkeypatch.setattr(signup_protection, "MIN_FILL_SECONDS", 60)

    too_fast = client.post(URL, form_data(client))
    forged = client.post(URL, form_data(client, form_started="1700000000"))

    assert too_fast.status_code == 400 and "trop vite" in page_text(too_fast)
    assert 'value="Durand"' in page_text(too_fast)
    assert forged.status_code == 400 and "plus valable" in page_text(forged)
    assert not Entry.objects.exists()


def test_too_many_signups_from_one_address_answer_429(client, waiting_list, settings):
    settings.WAITLIST_SIGNUP_RATE = "2/hour"
    assert client.post(URL, form_data(client, phone="06 11 11 11 11")).status_code == 302
    assert client.post(URL, form_data(client, phone="06 22 22 22 22")).status_code == 302

    refused = client.post(URL, form_data(client, phone="06 33 33 33 33"))

    assert refused.status_code == 429
    assert "Trop d'inscriptions envoyées depuis cette connexion" in page_text(refused)
    assert 'value="Durand"' in page_text(refused)
    assert Entry.objects.count() == 2
    # Another address has its own budget.
    assert client.post(URL, form_data(client, phone="06 44 44 44 44"), REMOTE_ADDR="203.0.113.9").status_code == 302


def test_a_broken_code_step_link_is_404_in_french(client, db):
    response = client.get(reverse("waitlist:signup_verify", args=["pas-un-lien"]))

    assert response.status_code == 404
    assert "ne mène plus à une inscription" in page_text(response)


def test_the_page_is_the_same_for_a_signed_in_professional(signed_in, gp, waiting_list):
    client = signed_in(gp)

    assert client.get(URL).status_code == 200
    assert client.post(URL, form_data(client, source="professional")).status_code == 302
    entry = Entry.objects.get()
    assert entry.source == "professional" and entry.consent.recorded_by == gp
    log = AccessLog.objects.get(user=gp, subject_type="waitlist_entry")
    assert (log.action, log.subject_id) == ("create", str(entry.public_id))


def test_a_commune_outside_every_territory_is_refused_on_the_page(client, waiting_list):
    CommuneFactory(insee_code="29019", name="Brest", postal_codes=["29200"])

    response = client.post(URL, form_data(client, commune="Brest"))

    assert response.status_code == 400
    assert "n'est dans le territoire d'aucune CPTS" in page_text(response)
    assert not Entry.objects.exists()

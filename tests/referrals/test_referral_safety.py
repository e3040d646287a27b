"""What a letter states and what a request refuses (issue 11): the letter says only what the GP said (an empty
field reads "Non renseigné(e)s"; "no known allergy" only when ticked), gives the GP's call-back number and the
recipient's address and specialty; the same patient sent twice to the same recipient within 30 days asks first;
a phone that is not one, a birth date in 1800, an appointment years ahead or at night are refused on their field
from the page, the service and the API alike; the reason too long is said, never cut."""

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from core.errors import ApplicationError
from directory.models import Audience, ContactChannel, Practitioner
from referrals.letters import referral_letter_pdf
from referrals.models import Referral
from referrals.services import referral_accept, referral_acknowledge, referral_send
from tests.factories import TerritoryFactory
from tests.referrals.conftest import NEW_REQUEST_URL, PATIENT, detail_url, new_request_form

API = "/api/v1/referrals/"


@pytest.fixture
def cardio(cardiologist):
    return Practitioner.objects.get(user=cardiologist)


@pytest.fixture
def gp_entry(gp):
    return Practitioner.objects.get(user=gp)


def _letter_text(referral) -> str:
    pdf = referral_letter_pdf(referral)
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)


def _send(user, to, **changes):
    recipient = {f"recipient_{to._meta.model_name}" if to._meta.model_name != "pathway" else "pathway": to}
    return referral_send(acting_user=user, kind="letter", **recipient, **{**PATIENT, **changes})


def _refusal(call) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        call()
    return caught.value


def _page(response) -> str:
    return response.content.decode()


# --- Point 1: the letter states only what the GP said -------------------------------------------------------------


def test_a_letter_with_allergies_left_empty_says_not_filled_in_never_none_known(gp, cardio):
    referral = _send(gp, cardio, question="", history="", treatments="", allergies="")

    text = _letter_text(referral)

    assert "Aucune connue" not in text and "Aucune allergie" not in text
    assert "Allergies connues Non renseignées" in text
    assert "Antécédents utiles Non renseignés" in text and "Traitements en cours Non renseignés" in text
    assert "Question posée Non renseignée" in text


def test_a_letter_says_no_known_allergy_only_when_the_gp_ticks_it(signed_in, gp, cardio):
    referral = _send(gp, cardio, no_known_allergies=True)

    assert referral.no_known_allergies is True
    assert "Aucune allergie connue (déclaré par le médecin adresseur)" in _letter_text(referral)
    assert "Aucune allergie connue" in _page(signed_in(gp).get(detail_url(referral)))


def test_no_known_allergy_with_allergies_written_is_refused_by_the_service(gp, cardio):
    error = _refusal(lambda: _send(gp, cardio, no_known_allergies=True, allergies="Pénicilline"))

    assert error.field == "no_known_allergies" and "gardez l'un ou l'autre" in error.message
    assert not Referral.objects.exists()


def test_the_form_has_the_no_known_allergy_box_and_refuses_it_with_allergies(signed_in, gp, cardio):
    client = signed_in(gp)
    assert 'name="no_known_allergies"' in _page(client.get(NEW_REQUEST_URL))

    response = client.post(
        NEW_REQUEST_URL, new_request_form(cardio, send="1", allergies="Iode", no_known_allergies="on")
    )

    page = _page(response)
    assert response.status_code == 400 and 'id="id_no_known_allergies_error"' in page
    assert "gardez l&#x27;un ou l&#x27;autre" in page and not Referral.objects.exists()

    client.post(NEW_REQUEST_URL, new_request_form(cardio, send="1", no_known_allergies="on"))
    assert Referral.objects.get().no_known_allergies is True


def test_the_api_takes_and_gives_no_known_allergies_and_refuses_it_with_allergies(signed_in, gp, cardio):
    client = signed_in(gp)
    payload = {
        "kind": "letter",
        "recipient_practitioner": str(cardio.public_id),
        "patient": {"family_name": "Durand", "given_names": "Louise", "birth_date": "1958-03-14", "sex": "F"},
        "reason": "Essoufflement",
    }

    refused = client.post(
        API, {**payload, "no_known_allergies": True, "allergies": "Iode"}, content_type="application/json"
    )
    assert refused.status_code == 400 and refused.json()["field"] == "no_known_allergies"

    unknown = client.post(API, payload, content_type="application/json").json()
    assert unknown["allergies"] == "" and unknown["no_known_allergies"] is False
    stated = client.post(
        API, {**payload, "no_known_allergies": True, "confirm_duplicate": True}, content_type="application/json"
    )
    assert stated.status_code == 201 and stated.json()["no_known_allergies"] is True


def test_the_letter_gives_the_gps_direct_number_and_the_recipients_address_and_specialty(
    gp, gp_entry, gp_practice, cardio, cardio_practice
):
    cardio_practice.address = "12 rue Clemenceau"
    cardio_practice.save()
    ContactChannel.objects.create(
        practice=gp_practice, audience=Audience.PUBLIC, kind=ContactChannel.Kind.PHONE, value="+33251000000"
    )
    ContactChannel.objects.create(
        practitioner=gp_entry,
        practice=gp_practice,
        audience=Audience.PROFESSIONALS,
        kind=ContactChannel.Kind.PROFESSIONAL_LINE,
        value="+33251446161",
    )

    text = _letter_text(_send(gp, cardio))

    assert "Pour me joindre : 02 51 44 61 61" in text
    assert "Cardiologie et maladies vasculaires" in text
    assert "12 rue Clemenceau" in text and "85000 La Roche-sur-Yon" in text


def test_without_a_direct_line_the_letter_gives_the_practices_number(gp, gp_practice, cardio):
    ContactChannel.objects.create(
        practice=gp_practice, audience=Audience.PUBLIC, kind=ContactChannel.Kind.PHONE, value="+33251000000"
    )

    assert "Pour me joindre : 02 51 00 00 00" in _letter_text(_send(gp, cardio))


def test_without_any_number_the_letter_says_so(gp, cardio):
    assert "Pour me joindre : téléphone non renseigné dans l'annuaire" in _letter_text(_send(gp, cardio))


# --- Point 4: the same patient to the same recipient within 30 days ------------------------------------------------


def test_a_colleague_sending_the_same_patient_to_the_same_specialist_is_asked_first(gp, gp2, cardio):
    _send(gp, cardio, reason="Souffle systolique", question="Échographie ?")

    error = _refusal(
        lambda: _send(
            gp2,
            cardio,
            patient_family_name="DURAND",
            patient_given_names="louise-marie",
            reason="Palpitations",
        )
    )

    assert error.field == "confirm_duplicate" and error.code == "duplicate"
    today = timezone.localdate().strftime("%d/%m/%Y")
    assert error.message.startswith("Une demande existe déjà pour ce patient chez ce destinataire")
    assert f"envoyée le {today} par un autre professionnel du territoire, statut : Envoyée" in error.message
    assert "envoyer quand même ?" in error.message
    assert "Souffle" not in error.message and "Échographie" not in error.message  # nothing of its content
    assert Referral.objects.count() == 1

    again = _send(gp2, cardio, reason="Palpitations", confirm_duplicate=True)
    assert again.status == "sent" and Referral.objects.count() == 2


def test_the_gps_own_earlier_request_is_named_as_theirs_with_its_status(gp, cardio, cardio_secretary):
    earlier = _send(gp, cardio)
    referral_acknowledge(acting_user=cardio_secretary, referral=earlier)

    error = _refusal(lambda: _send(gp, cardio, patient_family_name="Durând"))

    assert "par vous, statut : Prise en compte" in error.message


def test_a_pool_or_a_pathway_counts_as_the_same_recipient(gp, gp2, cardio_practice):
    _send(gp, cardio_practice)

    assert _refusal(lambda: _send(gp2, cardio_practice)).field == "confirm_duplicate"


@pytest.mark.parametrize(
    "change",
    [
        {"patient_birth_date": datetime.date(1958, 3, 15)},
        {"patient_given_names": "Louise"},
        {"patient_family_name": "Dupont"},
    ],
    ids=["another-birth-date", "other-first-names", "other-name"],
)
def test_another_patient_is_not_a_duplicate(gp, cardio, change):
    _send(gp, cardio)

    assert _send(gp, cardio, **change).status == "sent"


def test_another_recipient_an_old_request_a_cancelled_one_or_another_territory_ask_nothing(gp, cardio, cardio_practice):
    old = _send(gp, cardio)
    Referral.objects.filter(pk=old.pk).update(sent_at=timezone.now() - datetime.timedelta(days=31))
    assert _send(gp, cardio_practice).status == "sent"  # the practice is another recipient than its member
    recent = _send(gp, cardio)  # the earlier one to the specialist is 31 days old
    Referral.objects.filter(pk=recent.pk).update(status="cancelled")
    elsewhere = _send(gp, cardio, confirm_duplicate=True)
    Referral.objects.filter(pk=elsewhere.pk).update(territory=TerritoryFactory(name="Ailleurs", slug="ailleurs"))

    assert _send(gp, cardio).status == "sent"


def test_the_form_comes_back_with_the_warning_and_a_box_that_sends_anyway(signed_in, gp, gp2, cardio):
    _send(gp, cardio)
    client = signed_in(gp2)

    response = client.post(NEW_REQUEST_URL, new_request_form(cardio, send="1"))

    page = _page(response)
    assert response.status_code == 400 and Referral.objects.count() == 1
    assert 'id="duplicate-warning"' in page and "Une demande existe déjà pour ce patient" in page
    assert "envoyer quand même ?" in page and 'name="confirm_duplicate"' in page
    assert 'value="Essoufflement à l&#x27;effort"' in page  # what was typed is kept

    sent = client.post(NEW_REQUEST_URL, new_request_form(cardio, send="1", confirm_duplicate="on"))

    assert sent.status_code == 302 and Referral.objects.count() == 2


def test_the_api_refuses_a_duplicate_with_a_400_naming_the_field_that_confirms(signed_in, gp, gp2, cardio):
    _send(gp, cardio)
    payload = {
        "kind": "letter",
        "recipient_practitioner": str(cardio.public_id),
        "patient": {"family_name": "durand", "given_names": "Louise Marie", "birth_date": "1958-03-14", "sex": "F"},
        "reason": "Essoufflement",
    }
    client = signed_in(gp2)

    refused = client.post(API, payload, content_type="application/json")
    assert refused.status_code == 400
    assert refused.json()["code"] == "duplicate" and refused.json()["field"] == "confirm_duplicate"
    assert "Une demande existe déjà" in refused.json()["detail"]

    confirmed = client.post(API, {**payload, "confirm_duplicate": True}, content_type="application/json")
    assert confirmed.status_code == 201


def test_the_schema_says_how_to_confirm_a_duplicate(client):
    schema = client.get(reverse("api-schema"), {"format": "json"}).content.decode()

    assert "confirm_duplicate" in schema and "duplicate" in schema and "confirm_unusual_hour" in schema


# --- Point 5: input that must be refused ------------------------------------------------------------------------


@pytest.mark.parametrize("phone", ["abcdefghij", "12", "+44 20 7946 0958"])
def test_a_phone_that_is_not_a_french_number_is_refused_by_the_service(gp, cardio, phone):
    error = _refusal(lambda: _send(gp, cardio, patient_phone=phone, contact_consent=True))

    assert error.field == "patient_phone" and "Numéro de téléphone du patient invalide" in error.message


@pytest.mark.parametrize(("typed", "stored"), [("06 12 34 56 78", "+33612345678"), ("02.51.44.61.61", "+33251446161")])
def test_a_french_mobile_or_landline_is_stored_normalised(gp, cardio, typed, stored):
    assert _send(gp, cardio, patient_phone=typed, contact_consent=True).patient_phone == stored


def test_the_form_says_on_the_field_that_the_phone_is_wrong(signed_in, gp, cardio):
    response = signed_in(gp).post(NEW_REQUEST_URL, new_request_form(cardio, send="1", patient_phone="abcdefghij"))

    page = _page(response)
    assert response.status_code == 400 and 'id="id_patient_phone_error"' in page
    assert "Numéro de téléphone du patient invalide" in page and not Referral.objects.exists()


def test_the_api_refuses_a_wrong_phone_on_its_field(signed_in, gp, cardio):
    payload = {
        "kind": "letter",
        "recipient_practitioner": str(cardio.public_id),
        "patient": {
            "family_name": "Durand",
            "given_names": "Louise",
            "birth_date": "1958-03-14",
            "sex": "F",
            "phone": "12",
            "contact_consent": True,
        },
        "reason": "Essoufflement",
    }

    response = signed_in(gp).post(API, payload, content_type="application/json")

    assert response.status_code == 400 and response.json()["field"] == "patient_phone"


@pytest.mark.parametrize(
    ("birth_date", "message"),
    [(datetime.date(1800, 5, 1), "avant 1900"), (timezone.localdate() + datetime.timedelta(days=2), "dans le futur")],
    ids=["1800", "future"],
)
def test_a_birth_date_before_1900_or_in_the_future_is_refused(signed_in, gp, cardio, birth_date, message):
    error = _refusal(lambda: _send(gp, cardio, patient_birth_date=birth_date))
    assert error.field == "patient_birth_date" and message in error.message

    response = signed_in(gp).post(
        NEW_REQUEST_URL, new_request_form(cardio, send="1", patient_birth_date=birth_date.isoformat())
    )
    assert response.status_code == 400 and 'id="id_patient_birth_date_error"' in _page(response)
    assert message in _page(response)

    api = signed_in(gp).post(
        API,
        {
            "kind": "letter",
            "recipient_practitioner": str(cardio.public_id),
            "patient": {"family_name": "Durand", "given_names": "L", "birth_date": birth_date.isoformat(), "sex": "F"},
            "reason": "Essoufflement",
        },
        content_type="application/json",
    )
    assert api.status_code == 400 and api.json()["field"] == "patient_birth_date"
    assert not Referral.objects.exists()


def _at(days_ahead: int, hour: int, minute: int = 0) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=days_ahead)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def test_an_appointment_more_than_18_months_ahead_is_refused(gp, cardio, cardio_secretary, cardio_practice):
    referral = _send(gp, cardio)

    error = _refusal(
        lambda: referral_accept(
            acting_user=cardio_secretary,
            referral=referral,
            appointment_at=_at(600, 10),
            site=cardio_practice,
            confirm_unusual_hour=True,
        )
    )

    assert error.field == "appointment_at" and "plus de 18 mois" in error.message
    referral.refresh_from_db()
    assert referral.status == "sent"
    within = referral_accept(
        acting_user=cardio_secretary, referral=referral, appointment_at=_at(500, 10), site=cardio_practice
    )
    assert within.status == "accepted"


@pytest.mark.parametrize("hour", [3, 6, 22])
def test_an_appointment_at_night_needs_the_secretary_to_confirm_the_hour(
    gp, cardio, cardio_secretary, cardio_practice, hour
):
    referral = _send(gp, cardio)

    error = _refusal(
        lambda: referral_accept(
            acting_user=cardio_secretary, referral=referral, appointment_at=_at(7, hour), site=cardio_practice
        )
    )
    assert error.field == "confirm_unusual_hour" and "avant 7 h ou après 21 h" in error.message

    confirmed = referral_accept(
        acting_user=cardio_secretary,
        referral=referral,
        appointment_at=_at(7, hour),
        site=cardio_practice,
        confirm_unusual_hour=True,
    )
    assert confirmed.status == "accepted"


@pytest.mark.parametrize("hour", [7, 21])
def test_an_appointment_from_7_to_21_needs_no_confirmation(gp, cardio, cardio_secretary, cardio_practice, hour):
    referral = _send(gp, cardio)

    accepted = referral_accept(
        acting_user=cardio_secretary, referral=referral, appointment_at=_at(7, hour), site=cardio_practice
    )

    assert accepted.status == "accepted"


def _accept_url(referral) -> str:
    return reverse("referrals:action", args=[referral.public_id, "accept"])


def test_the_page_refuses_a_night_appointment_then_shows_the_box_that_confirms_it(
    signed_in, gp, cardio, cardio_secretary, cardio_practice
):
    referral = _send(gp, cardio)
    secretary = signed_in(cardio_secretary)
    day = (timezone.localdate() + datetime.timedelta(days=7)).isoformat()
    typed = {"appointment_date": day, "appointment_time": "03:00", "site": str(cardio_practice.public_id)}

    response = secretary.post(_accept_url(referral), typed)

    page = _page(response)
    assert response.status_code == 400 and 'id="id_accept_confirm_unusual_hour_error"' in page
    assert "avant 7 h ou après 21 h" in page and 'name="confirm_unusual_hour"' in page
    referral.refresh_from_db()
    assert referral.status == "sent"

    accepted = secretary.post(_accept_url(referral), {**typed, "confirm_unusual_hour": "on"})

    assert accepted.status_code == 302
    referral.refresh_from_db()
    assert referral.status == "accepted" and timezone.localtime(referral.appointment_at).hour == 3


def test_the_page_refuses_an_appointment_years_ahead_on_the_date(
    signed_in, gp, cardio, cardio_secretary, cardio_practice
):
    referral = _send(gp, cardio)
    day = (timezone.localdate() + datetime.timedelta(days=3 * 365)).isoformat()

    response = signed_in(cardio_secretary).post(
        _accept_url(referral),
        {"appointment_date": day, "appointment_time": "10:00", "site": str(cardio_practice.public_id)},
    )

    page = _page(response)
    assert response.status_code == 400 and 'id="id_accept_appointment_date_error"' in page
    assert "plus de 18 mois" in page


def test_the_api_refuses_a_night_appointment_unless_confirmed(signed_in, gp, cardio, cardio_secretary):
    referral = _send(gp, cardio)
    secretary = signed_in(cardio_secretary)
    url = f"{API}{referral.public_id}/accept/"

    night = secretary.post(url, {"appointment_at": _at(7, 23).isoformat()}, content_type="application/json")
    assert night.status_code == 400 and night.json()["field"] == "confirm_unusual_hour"
    far = secretary.post(url, {"appointment_at": _at(800, 10).isoformat()}, content_type="application/json")
    assert far.status_code == 400 and far.json()["field"] == "appointment_at"

    confirmed = secretary.post(
        url, {"appointment_at": _at(7, 23).isoformat(), "confirm_unusual_hour": True}, content_type="application/json"
    )
    assert confirmed.status_code == 200, confirmed.content


# --- Point 9 (form part): the reason's limit is shown, never a silent cut ----------------------------------------


def test_the_reason_shows_its_limit_for_the_counter_and_no_maxlength_that_cuts(signed_in, gp):
    page = _page(signed_in(gp).get(NEW_REQUEST_URL))

    field = page[page.index('name="reason"') - 200 : page.index('name="reason"') + 400]
    assert 'data-max-chars="300"' in field and "maxlength" not in field
    assert "300 caractères au plus." in page and "js/char-counter" in page


def test_a_reason_too_long_is_refused_with_its_length_and_kept_whole(signed_in, gp, cardio):
    reason = ("Dyspnée " * 40).strip() + "."  # 320 characters

    response = signed_in(gp).post(NEW_REQUEST_URL, new_request_form(cardio, send="1", reason=reason))

    page = _page(response)
    assert response.status_code == 400 and 'id="id_reason_error"' in page
    assert "Le motif fait 320 caractères, 300 au plus : raccourcissez-le" in page
    assert reason.strip() in page and not Referral.objects.exists()


def test_the_error_banner_says_honestly_that_attached_files_must_be_chosen_again(signed_in, gp, cardio):
    response = signed_in(gp).post(NEW_REQUEST_URL, new_request_form(cardio, send="1", reason=""))

    page = _page(response)
    assert "Rien de ce que vous avez saisi n&#x27;est perdu" not in page
    assert "mais pas les pièces jointes : choisissez-les de nouveau" in page

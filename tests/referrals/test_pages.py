"""The referral pages: the GP writes a request from the form or from a colleague's
directory page, sees their requests overdue first; the practice works its inbox (filters, bulk acknowledgement)
and answers from the request page; nobody else sees a request, and every read is logged."""

import datetime
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import AccessLog
from core.identifiers import nir_key
from directory.models import Absence, Activity, Practitioner
from referrals.models import Pathway, Referral, ReferralMessage
from referrals.services import referral_accept, referral_acknowledge, referral_send
from tests.factories import PracticeFactory, PractitionerFactory, SpecialtyFactory
from tests.referrals.conftest import (
    NEW_REQUEST_URL,
    PATIENT,
    RECIPIENT_NOTICES_URL,
    daytime_in,
    detail_url,
    new_request_form,
)

MINE = reverse("referrals:list")
INBOX = reverse("referrals:inbox")
SEARCH = reverse("referrals:recipient_search")

INS_BODY = "2580385123456"
VALID_INS = f"{INS_BODY}{nir_key(INS_BODY):02d}"


def _letter(referral) -> str:
    return reverse("referrals:letter", args=[referral.public_id])


def _action(referral, name) -> str:
    return reverse("referrals:action", args=[referral.public_id, name])


@pytest.fixture
def cardio(cardiologist):
    return Practitioner.objects.get(user=cardiologist)


@pytest.fixture
def gp_entry(gp):
    return Practitioner.objects.get(user=gp)


@pytest.fixture
def letter(gp, cardio):
    return referral_send(acting_user=gp, kind="letter", recipient_practitioner=cardio, **PATIENT)


def _page(response) -> str:
    return response.content.decode()


def _in_a_week() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=7)


# --- The new request ----------------------------------------------------------------------------------------------


def test_a_gp_sends_a_letter_from_the_form_and_lands_on_it(signed_in, gp, gp_entry, cardio):
    response = signed_in(gp).post(
        NEW_REQUEST_URL, new_request_form(cardio, attending_is_me="on", patient_ins=f" {VALID_INS[:5]} {VALID_INS[5:]}")
    )

    referral = Referral.objects.get()
    assert response.status_code == 302 and response["Location"] == detail_url(referral)
    assert (referral.sender, referral.recipient_practitioner, referral.status) == (gp_entry, cardio, "sent")
    assert (referral.patient_family_name, referral.patient_ins, referral.urgency) == ("Durand", VALID_INS, "rapid")
    assert referral.contact_consent and referral.attending_practitioner == gp_entry
    assert not referral.teleexpertise_consent  # a letter records no tele-expertise consent
    page = _page(signed_in(gp).get(response["Location"]))
    assert "Demande envoyée" in page and "Essoufflement à l&#x27;effort" in page and "HTA depuis 2015" in page


def test_the_attending_doctor_is_left_empty_unless_the_gp_says(signed_in, gp, cardio):
    page = _page(signed_in(gp).get(NEW_REQUEST_URL))
    assert 'name="attending_label"' in page and 'name="attending_is_me"' in page
    assert re.search(r'<input type="checkbox" name="attending_is_me"[^>]*checked', page) is None

    signed_in(gp).post(NEW_REQUEST_URL, new_request_form(cardio, attending_label="Dr Paul Bernard, Venansault"))

    referral = Referral.objects.get()
    assert (referral.attending_practitioner, referral.attending_label) == (None, "Dr Paul Bernard, Venansault")


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"patient_ins": "2580314123456"}, "patient_ins", "Matricule INS / NIR invalide"),
        ({"reason": ""}, "reason", "Indiquez le motif de la demande."),
        ({"patient_birth_date": "2999-01-01"}, "patient_birth_date", "La date de naissance est dans le futur."),
        ({"recipient": ""}, "recipient", "Choisissez un destinataire"),
    ],
)
def test_bad_input_is_refused_in_french_with_everything_typed_kept(signed_in, gp, cardio, change, field, message):
    response = signed_in(gp).post(NEW_REQUEST_URL, new_request_form(cardio, **change))

    page = _page(response)
    assert response.status_code == 400
    assert message in page
    assert f'id="id_{field}_error"' in page  # on the field, named for screen readers
    assert "La demande n'est pas partie" in page
    for typed in ("Durand", "Louise Marie", "1958-03-14" if field != "patient_birth_date" else "2999-01-01"):
        assert f'value="{typed}"' in page
    assert "Bilan cardiologique ?" in page and "HTA depuis 2015" in page
    assert not Referral.objects.exists()


@pytest.mark.parametrize("persona", ["cardio_secretary", "coordinator", "observer", "outsider"])
def test_only_a_professional_writes_requests(request, signed_in, persona):
    browser = signed_in(request.getfixturevalue(persona))

    for url in (NEW_REQUEST_URL, MINE):
        response = browser.get(url)
        assert response.status_code == 403
        assert "Accès refusé" in _page(response)


def test_a_visitor_is_sent_to_sign_in(client, db):
    response = client.get(NEW_REQUEST_URL)

    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_the_practitioner_page_offers_both_buttons_to_a_professional_and_preselects(signed_in, gp, cardio):
    cardio.answers_teleexpertise = True
    cardio.save()
    practitioner_page = reverse("directory:practitioner_detail", args=[cardio.public_id])

    page = _page(signed_in(gp).get(practitioner_page))

    assert "Adresser un patient" in page and "Demander un avis" in page
    assert f'href="{NEW_REQUEST_URL}?praticien={cardio.public_id}"' in page
    assert f'href="{NEW_REQUEST_URL}?praticien={cardio.public_id}&amp;type=teleexpertise"' in page
    form = _page(signed_in(gp).get(f"{NEW_REQUEST_URL}?praticien={cardio.public_id}&type=teleexpertise"))
    assert re.search(
        rf'name="recipient" id="id_recipient_chosen" value="practitioner:{cardio.public_id}" checked', form
    )
    assert "Chloé Rousseau" in form and "Cardiologie et maladies vasculaires" in form
    assert re.search(r'<input type="radio" name="kind" value="teleexpertise"[^>]*checked', form)


def test_asking_an_opinion_is_offered_only_to_who_answers_teleexpertise(signed_in, gp, cardio):
    page = _page(signed_in(gp).get(reverse("directory:practitioner_detail", args=[cardio.public_id])))

    assert "Adresser un patient" in page and "Demander un avis" not in page


@pytest.mark.parametrize("persona", ["cardio_secretary", "coordinator", "cardiologist"])
def test_the_buttons_are_for_professionals_looking_at_a_colleague(request, client, signed_in, cardio, persona):
    page = _page(
        signed_in(request.getfixturevalue(persona)).get(
            reverse("directory:practitioner_detail", args=[cardio.public_id])
        )
    )

    assert "Adresser un patient" not in page  # a secretary, a coordinator, or the practitioner on their own page
    client.logout()
    assert "Adresser un patient" not in _page(
        client.get(reverse("directory:practitioner_detail", args=[cardio.public_id]))
    )


@pytest.fixture
def cardio_away(cardio, gp2):
    """Dr Rousseau is away since yesterday for a week, replaced by Dr Benali."""
    today = timezone.localdate()
    return Absence.objects.create(
        practitioner=cardio,
        starts_on=today - datetime.timedelta(days=1),
        ends_on=today + datetime.timedelta(days=6),
        replacement=Practitioner.objects.get(user=gp2),
    )


def test_an_absence_today_is_shown_with_the_replacement_as_a_one_tap_switch(signed_in, gp, gp2, cardio, cardio_away):
    benali = Practitioner.objects.get(user=gp2)
    browser = signed_in(gp)

    page = _page(browser.get(f"{NEW_REQUEST_URL}?praticien={cardio.public_id}"))

    assert f"Absent du {cardio_away.starts_on.day} " in page and "Remplacement : Bob Benali" in page
    assert f'name="recipient_switch" value="practitioner:{benali.public_id}"' in page
    switched = browser.post(
        NEW_REQUEST_URL, {**new_request_form(cardio), "recipient_switch": f"practitioner:{benali.public_id}"}
    )
    assert switched.status_code == 200 and not Referral.objects.exists()
    assert f'id="id_recipient_chosen" value="practitioner:{benali.public_id}" checked' in _page(switched)
    assert 'value="Louise Marie"' in _page(switched)  # nothing typed is lost


def test_an_absent_recipient_is_shown_before_the_request_goes_to_them(signed_in, gp, cardio, cardio_away):
    browser = signed_in(gp)

    held = browser.post(
        NEW_REQUEST_URL, new_request_form(cardio)
    )  # chosen without the notice (no JavaScript, from a search)

    assert held.status_code == 200 and not Referral.objects.exists()
    assert "est absent aujourd'hui" in _page(held) and "Adresser plutôt à Bob Benali" in _page(held)
    sent = browser.post(NEW_REQUEST_URL, new_request_form(cardio, absence_seen=str(cardio.public_id)))  # "send anyway"
    assert sent.status_code == 302 and Referral.objects.get().recipient_practitioner == cardio


def _specialist(territory, code: str, label: str) -> Practitioner:
    specialist = PractitionerFactory(first_name="Jeanne", last_name="Morel", territory=territory)
    specialist.specialties.add(SpecialtyFactory(code=code, label=label))
    Activity.objects.create(practitioner=specialist, practice=PracticeFactory(territory=territory))
    return specialist


def _years_ago(years: int) -> str:
    today = timezone.localdate()
    return today.replace(year=today.year - years, day=min(today.day, 28)).isoformat()


def test_ophthalmology_is_of_direct_access_whatever_the_age(signed_in, gp, territory):
    ophthalmologist = _specialist(territory, "SM38", "Ophtalmologie")

    page = _page(signed_in(gp).get(f"{NEW_REQUEST_URL}?praticien={ophthalmologist.public_id}"))

    assert "Accès direct (Ophtalmologie)" in page and "aucun courrier n'est nécessaire" in page


@pytest.mark.parametrize(("age", "direct"), [(16, True), (20, True), (25, True), (15, False), (40, False)])
def test_psychiatry_is_of_direct_access_from_16_to_25(signed_in, gp, territory, age, direct):
    psychiatrist = _specialist(territory, "SM42", "Psychiatrie")
    choice = f"practitioner:{psychiatrist.public_id}"
    browser = signed_in(gp)

    notices = _page(
        browser.get(
            RECIPIENT_NOTICES_URL, {"recipient": choice, "patient_birth_date": _years_ago(age)}, HTTP_HX_REQUEST="true"
        )
    )
    typed = _page(
        browser.post(
            NEW_REQUEST_URL,
            {**new_request_form(psychiatrist, patient_birth_date=_years_ago(age)), "search_recipient": "1"},
        )
    )

    assert ("Accès direct (Psychiatrie)" in notices) is direct
    assert ("Accès direct (Psychiatrie)" in typed) is direct


def test_cardiology_is_not_of_direct_access(signed_in, gp, cardio):
    assert "Accès direct" not in _page(signed_in(gp).get(f"{NEW_REQUEST_URL}?praticien={cardio.public_id}"))


def test_the_directory_search_is_built_into_the_form(signed_in, gp, cardio):
    browser = signed_in(gp)

    fragment = _page(browser.get(SEARCH, {"q": "cardio", "field": "recipient"}, HTTP_HX_REQUEST="true"))
    without_javascript = browser.post(
        NEW_REQUEST_URL,
        {**new_request_form(cardio, recipient=""), "recipient_query": "Rousseau", "search_recipient": "1"},
    )

    assert f'name="recipient" id="id_recipient_{cardio.public_id}" value="practitioner:{cardio.public_id}"' in fragment
    assert "<html" not in fragment
    assert without_javascript.status_code == 200 and not Referral.objects.exists()
    assert f'value="practitioner:{cardio.public_id}"' in _page(without_javascript)
    assert 'value="Essoufflement à l&#x27;effort"' in _page(without_javascript)
    assert "Aucun professionnel ne correspond" in _page(browser.get(SEARCH, {"q": "zzzzzz"}))


def test_a_pathway_of_the_territory_can_be_chosen(signed_in, gp, territory, cardio_practice, cardiologist):
    pathway = Pathway.objects.create(
        territory=territory, name="Suspicion de cancer", target_delay=datetime.timedelta(days=5)
    )
    pathway.responder_practices.set([cardio_practice])
    Pathway.objects.create(territory=territory, name="Parcours fermé", active=False)
    browser = signed_in(gp)

    page = _page(browser.get(NEW_REQUEST_URL))
    response = browser.post(NEW_REQUEST_URL, new_request_form(pathway))

    assert "Suspicion de cancer" in page and "Parcours fermé" not in page
    assert response.status_code == 302 and Referral.objects.get().pathway == pathway


def test_a_teleexpertise_records_the_patients_consent(signed_in, gp, cardio):
    cardio.answers_teleexpertise = True
    cardio.save()

    signed_in(gp).post(NEW_REQUEST_URL, new_request_form(cardio, kind="teleexpertise", teleexpertise_consent="on"))

    referral = Referral.objects.get()
    assert (referral.kind, referral.teleexpertise_consent) == ("teleexpertise", True)


# --- "Mes demandes" -----------------------------------------------------------------------------------------------


def _send(gp, recipient, *, family_name, overdue=False, **changes):
    referral = referral_send(
        acting_user=gp,
        kind="letter",
        recipient_practitioner=recipient,
        **{**PATIENT, "patient_family_name": family_name, **changes},
    )
    if overdue:
        Referral.objects.filter(pk=referral.pk).update(due_at=timezone.now() - datetime.timedelta(days=2))
    return referral


def test_my_requests_come_overdue_first_with_their_appointment(
    signed_in, gp, cardio, cardio_secretary, cardio_practice
):
    _send(gp, cardio, family_name="Aubert")
    _send(gp, cardio, family_name="Berger", overdue=True)
    accepted = _send(gp, cardio, family_name="Caron")
    referral_accept(
        acting_user=cardio_secretary,
        referral=accepted,
        appointment_at=daytime_in(3),
        site=cardio_practice,
    )

    page = _page(signed_in(gp).get(MINE))

    assert page.index("BERGER") < page.index("AUBERT")
    assert page.count(">en retard</span>") == 1
    local = timezone.localtime(accepted.appointment_at or Referral.objects.get(pk=accepted.pk).appointment_at)
    assert f"{local:%d/%m/%Y %H:%M}" in page and cardio_practice.name in page
    filtered = _page(signed_in(gp).get(MINE, {"status": "accepted"}))
    assert "CARON" in filtered and "AUBERT" not in filtered and "Acceptée (1)" in filtered


def test_my_requests_show_only_mine(signed_in, gp, gp2, cardio):
    _send(gp, cardio, family_name="Aubert")

    assert "AUBERT" not in _page(signed_in(gp2).get(MINE))


def test_an_unknown_status_filter_is_refused_in_french(signed_in, gp):
    response = signed_in(gp).get(MINE, {"status": "perdue"})

    assert response.status_code == 400 and "Sélectionnez un choix valide" in _page(response)


# --- The inbox ----------------------------------------------------------------------------------------------------


def test_the_inbox_filters_by_status_urgency_and_lateness(signed_in, gp, cardio, cardio_secretary):
    _send(gp, cardio, family_name="Aubert", urgency="urgent")
    _send(gp, cardio, family_name="Berger", overdue=True)
    acknowledged = _send(gp, cardio, family_name="Caron")
    referral_acknowledge(acting_user=cardio_secretary, referral=acknowledged)
    browser = signed_in(cardio_secretary)

    everything = _page(browser.get(INBOX))
    urgent = _page(browser.get(INBOX, {"urgency": "urgent"}))
    late = _page(browser.get(INBOX, {"overdue": "on"}))
    taken = _page(browser.get(INBOX, {"status": "acknowledged"}, HTTP_HX_REQUEST="true"))

    assert everything.index("BERGER") < everything.index("AUBERT") and "CARON" in everything
    assert "AUBERT" in urgent and "BERGER" not in urgent and "CARON" not in urgent
    assert "BERGER" in late and "AUBERT" not in late
    assert "CARON" in taken and "AUBERT" not in taken and "<html" not in taken  # HTMX gets the list only
    assert browser.get(INBOX, {"urgency": "demain"}).status_code == 400


def test_another_practice_does_not_see_the_inbox_rows(signed_in, gp, cardio, other_secretary):
    _send(gp, cardio, family_name="Aubert")

    assert "AUBERT" not in _page(signed_in(other_secretary).get(INBOX))


@pytest.mark.parametrize("persona", ["observer", "outsider", "coordinator"])
def test_the_inbox_is_for_professionals_and_secretaries(request, signed_in, persona):
    assert signed_in(request.getfixturevalue(persona)).get(INBOX).status_code == 403


def test_bulk_acknowledgement_says_how_many_and_which_could_not(
    signed_in, gp, cardio, cardio_secretary, gp2, other_secretary, dermato_practice
):
    first = _send(gp, cardio, family_name="Aubert")
    second = _send(gp, cardio, family_name="Berger")
    taken_meanwhile = _send(gp, cardio, family_name="Caron")
    referral_acknowledge(acting_user=cardio_secretary, referral=taken_meanwhile)  # by a colleague, meanwhile
    elsewhere = referral_send(acting_user=gp2, kind="letter", recipient_practice=dermato_practice, **PATIENT)
    chosen = [first, second, taken_meanwhile, elsewhere]

    response = signed_in(cardio_secretary).post(
        reverse("referrals:inbox_acknowledge"),
        {"referrals": [str(referral.public_id) for referral in chosen], "filters": "urgency=routine"},
        follow=True,
    )

    page = _page(response)
    assert response.redirect_chain[-1][0] == f"{INBOX}?urgency=routine"
    assert "2 demandes prises en compte." in page
    assert "Non prise en compte : la demande de Alice Martin du" in page and "Impossible depuis le statut" in page
    assert "1 demande introuvable n&#x27;a pas été prise en compte." in page
    statuses = dict(Referral.objects.values_list("patient_family_name", "status"))
    assert statuses == {"Aubert": "acknowledged", "Berger": "acknowledged", "Caron": "acknowledged", "Durand": "sent"}
    assert "CARON" not in " ".join(str(message) for message in response.context["messages"])  # no patient in flashes


def test_bulk_acknowledgement_needs_a_choice(signed_in, cardio_secretary):
    response = signed_in(cardio_secretary).post(reverse("referrals:inbox_acknowledge"), {}, follow=True)

    assert "Cochez au moins une demande" in _page(response)


# --- One request --------------------------------------------------------------------------------------------------


def test_the_secretary_accepts_with_an_appointment_and_the_gp_sees_it(
    signed_in, gp, letter, cardio_secretary, cardio_practice
):
    secretary = signed_in(cardio_secretary)
    page = _page(secretary.get(detail_url(letter)))
    assert "Accepter et donner un rendez-vous" in page and cardio_practice.name in page

    response = secretary.post(
        _action(letter, "accept"),
        {
            "appointment_date": _in_a_week().isoformat(),
            "appointment_time": "14:30",
            "site": str(cardio_practice.public_id),
            "instructions": "Apporter le dernier ECG",
        },
    )

    assert response.status_code == 302 and response["Location"] == detail_url(letter)
    letter.refresh_from_db()
    assert letter.status == "accepted"
    assert timezone.localtime(letter.appointment_at).strftime("%Y-%m-%d %H:%M") == f"{_in_a_week():%Y-%m-%d} 14:30"
    seen_by_gp = _page(signed_in(gp).get(detail_url(letter)))
    assert "Rendez-vous" in seen_by_gp and "14:30" in seen_by_gp and cardio_practice.name in seen_by_gp
    assert "Apporter le dernier ECG" in seen_by_gp and "Acceptée, rendez-vous donné" in seen_by_gp


def test_an_appointment_in_the_past_is_refused_with_the_input_kept(
    signed_in, letter, cardio_secretary, cardio_practice
):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)

    response = signed_in(cardio_secretary).post(
        _action(letter, "accept"),
        {
            "appointment_date": yesterday.isoformat(),
            "appointment_time": "09:00",
            "site": str(cardio_practice.public_id),
            "instructions": "À jeun",
        },
    )

    page = _page(response)
    assert response.status_code == 400
    assert "Le rendez-vous doit être dans le futur." in page and 'id="id_accept_appointment_date_error"' in page
    assert f'value="{yesterday.isoformat()}"' in page and "À jeun" in page
    letter.refresh_from_db()
    assert letter.status == "sent" and letter.appointment_at is None


def test_a_decline_needs_a_reason_and_may_suggest_a_colleague(signed_in, gp, gp2, letter, cardio_secretary):
    benali = Practitioner.objects.get(user=gp2)
    secretary = signed_in(cardio_secretary)

    refused = secretary.post(_action(letter, "decline"), {"reason": "  "})
    found = secretary.post(
        _action(letter, "decline"), {"reason": "Pas de créneau", "colleague_query": "Benali", "search_colleague": "1"}
    )
    done = secretary.post(
        _action(letter, "decline"), {"reason": "Pas de créneau", "suggested_practitioner": str(benali.public_id)}
    )

    suggestions = _page(secretary.get(SEARCH, {"q": "Benali", "field": "suggested_practitioner"}))
    assert (
        f'name="suggested_practitioner" id="id_suggested_practitioner_{benali.public_id}" value="{benali.public_id}"'
        in suggestions
    )
    assert refused.status_code == 400 and "Indiquez le motif du refus." in _page(refused)
    assert (
        found.status_code == 200
        and f'name="suggested_practitioner" id="id_suggested_practitioner_{benali.public_id}"' in _page(found)
    )
    assert "Pas de créneau" in _page(found)
    assert done.status_code == 302
    letter.refresh_from_db()
    assert (letter.status, letter.suggested_practitioner) == ("declined", benali)
    gp_page = _page(signed_in(gp).get(detail_url(letter)))
    assert "Demande refusée" in gp_page and "Bob Benali" in gp_page and f"?praticien={benali.public_id}" in gp_page


def test_asking_for_more_and_answering_goes_through_the_thread(signed_in, gp, letter, cardio_secretary):
    secretary, doctor = signed_in(cardio_secretary), None
    secretary.post(_action(letter, "request_info"), {"message": "Merci de joindre l'ECG."})
    doctor = signed_in(gp)
    page = _page(doctor.get(detail_url(letter)))
    assert "Répondre à la question posée" in page and "Merci de joindre l&#x27;ECG." in page

    response = doctor.post(_action(letter, "provide_info"), {"message": "ECG joint : rythme sinusal."})

    assert response.status_code == 302
    letter.refresh_from_db()
    assert letter.status == "sent"
    assert list(ReferralMessage.objects.values_list("body", flat=True)) == [
        "Merci de joindre l'ECG.",
        "ECG joint : rythme sinusal.",
    ]


def test_either_side_writes_in_the_thread(signed_in, gp, letter, cardio_secretary):
    signed_in(gp).post(_action(letter, "message"), {"message": "Patiente disponible le matin."})

    page = _page(signed_in(cardio_secretary).get(detail_url(letter)))
    assert "Patiente disponible le matin." in page and "Alice Martin" in page


def test_a_teleexpertise_is_answered_then_closed_without_a_visit_report(signed_in, gp, cardio, cardiologist):
    cardio.answers_teleexpertise = True
    cardio.save()
    question = referral_send(acting_user=gp, kind="teleexpertise", recipient_practitioner=cardio, **PATIENT)
    expert = signed_in(cardiologist)
    assert "Accepter et donner un rendez-vous" not in _page(expert.get(detail_url(question)))

    expert.post(_action(question, "answer"), {"answer": "Pas d'indication à une consultation."})
    expert.post(_action(question, "close"), {"note": "Avis rendu."})

    question.refresh_from_db()
    assert (question.status, question.closing_report) == ("closed", "")
    page = _page(signed_in(gp).get(detail_url(question)))
    assert "Réponse de l'expert" in page and "Pas d&#x27;indication à une consultation." in page
    assert "Compte-rendu" not in page  # the written answer is the return: no visit report was written


def test_the_sender_cancels_and_the_other_side_cannot(signed_in, gp, letter, cardio_secretary):
    assert signed_in(cardio_secretary).post(_action(letter, "cancel"), {"note": ""}).status_code == 403
    assert signed_in(gp).post(_action(letter, "accept"), {}).status_code == 403

    signed_in(gp).post(_action(letter, "cancel"), {"note": "Vu aux urgences"})

    letter.refresh_from_db()
    assert letter.status == "cancelled" and letter.events.last().note == "Vu aux urgences"


def test_an_action_not_allowed_from_the_status_is_refused_in_french(signed_in, letter, cardio_secretary):
    secretary = signed_in(cardio_secretary)
    secretary.post(_action(letter, "acknowledge"))

    response = secretary.post(_action(letter, "acknowledge"))

    assert response.status_code == 400 and "Impossible depuis le statut « Prise en compte »" in _page(response)
    assert letter.events.count() == 2


def test_the_page_shows_the_forms_of_each_side_and_status(signed_in, gp, letter, cardio_secretary):
    secretary = _page(signed_in(cardio_secretary).get(detail_url(letter)))
    sender = _page(signed_in(gp).get(detail_url(letter)))

    for offered in ("Prendre en compte", "Accepter et donner un rendez-vous", "Demander des précisions", "Refuser"):
        assert offered in secretary and offered not in sender
    assert "Annuler la demande" in sender and "Annuler la demande" not in secretary
    assert "Répondre par écrit" not in secretary  # a letter gets an appointment, not a written answer
    assert "Pièces jointes" in sender and "Pièces jointes" in secretary
    assert f'href="{_letter(letter)}"' in sender


@pytest.mark.parametrize("persona", ["other_secretary", "gp2", "observer", "outsider", "coordinator"])
def test_whoever_may_not_see_the_request_gets_404_on_it_its_letter_and_its_actions(request, signed_in, letter, persona):
    browser = signed_in(request.getfixturevalue(persona))

    assert browser.get(detail_url(letter)).status_code == 404
    assert browser.get(_letter(letter)).status_code == 404
    assert browser.post(_action(letter, "acknowledge")).status_code == 404
    letter.refresh_from_db()
    assert letter.status == "sent"
    # Only the sender's creation is in the log: nothing of this persona.
    logged = AccessLog.objects.filter(subject_id=str(letter.public_id))
    assert list(logged.values_list("action", flat=True)) == [AccessLog.Action.CREATE]


def test_a_visitor_is_sent_to_sign_in_from_a_request(client, letter):
    response = client.get(detail_url(letter))

    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_the_letter_downloads_as_a_pdf_that_reads_back(signed_in, gp, letter, cardio_secretary):
    response = signed_in(cardio_secretary).get(_letter(letter))

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "DURAND" in text and "Essoufflement à l'effort" in text


def test_every_read_writes_the_access_log(signed_in, gp, letter, cardio_secretary):
    signed_in(cardio_secretary).get(detail_url(letter))
    signed_in(cardio_secretary).get(_letter(letter))
    signed_in(gp).get(detail_url(letter))
    signed_in(gp).get(MINE)
    signed_in(cardio_secretary).get(INBOX)

    reads = AccessLog.objects.filter(subject_type="referral", subject_id=str(letter.public_id), action="read")
    assert sorted(reads.values_list("user_email", "via")) == sorted(
        [
            (cardio_secretary.email, detail_url(letter)),
            (cardio_secretary.email, _letter(letter)),
            (gp.email, detail_url(letter)),
            (gp.email, MINE),
            (cardio_secretary.email, INBOX),
        ]
    )


def test_pages_with_patients_are_not_kept_by_the_browser(signed_in, gp, letter):
    for url in (detail_url(letter), MINE, NEW_REQUEST_URL):
        assert "no-store" in signed_in(gp).get(url)["Cache-Control"]


# --- Query counts -------------------------------------------------------------------------------------------------


def _queries(browser, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = browser.get(url)
    assert response.status_code == 200
    return len(queries.captured_queries)


@pytest.mark.parametrize(("url", "persona"), [(INBOX, "cardio_secretary"), (MINE, "gp")])
def test_the_lists_cost_the_same_queries_for_3_or_30_requests(request, signed_in, gp, cardio, url, persona):
    browser = signed_in(request.getfixturevalue(persona))
    for number in range(3):
        _send(gp, cardio, family_name=f"Patient{number}", overdue=number == 0)
    with_three = _queries(browser, url)
    for number in range(3, 30):
        _send(gp, cardio, family_name=f"Patient{number}", urgency="urgent" if number % 2 else "routine")

    with_thirty = _queries(browser, url)

    assert with_thirty == with_three
    assert with_three <= 14

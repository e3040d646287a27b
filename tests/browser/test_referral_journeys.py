"""A request from end to end, on phones: a GP refers a patient to a cardiologist, whose secretary gives an
appointment; a GP asks the cardiologist's opinion in tele-expertise, and the act is billed on both sides."""

import datetime
import io
import re
from decimal import Decimal
from importlib import import_module

import pytest
from django.apps import apps
from django.core import mail
from django.utils import formats, timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from directory.models import Practitioner
from notifications.models import OutboundMessage
from notifications.services import message_deliver, message_render
from notifications.sms import LocmemSmsBackend
from referrals.models import BillingRecord, Referral, Tariff
from tests.browser.steps import (
    AuthenticatorApp,
    enter_authenticator_code,
    open_menu_entry,
    sign_in_with_password,
    sign_out,
)
from tests.conftest import totp_secret_of

pytestmark = pytest.mark.parametrize("viewport", ["phone"])  # the issue asks for 390 px: the GP's phone

REQUEST_PAGE = re.compile(r"/demandes/[0-9a-f-]{36}/$")
PATIENT_EMAIL = "louise.durand@exemple.fr"
REASON = "Essoufflement à l'effort"
QUESTION = "Bilan cardiologique ? Souffle systolique entendu ce matin."


@pytest.fixture
def tariffs(transactional_db):
    """The tariffs of the migration: an earlier browser test's flush emptied the table."""
    import_module("referrals.migrations.0004_initial_tariffs").load(apps, None)


@pytest.fixture
def phones(gp, cardiologist, cardio_secretary):
    """Each persona's authenticator app, kept for the whole journey: a code spent once is not offered again."""
    return {user.pk: AuthenticatorApp(totp_secret_of(user)) for user in (gp, cardiologist, cardio_secretary)}


def sign_in(page, user, password, phones):
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    sign_in_with_password(page, user.email, password)
    enter_authenticator_code(page, phones[user.pk].code())
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Bonjour {user.first_name}")


def fill_patient(page, *, birth_date="1958-03-14"):
    page.get_by_label("Nom de naissance").fill("Durand")
    page.get_by_label("Prénoms").fill("Louise Marie")
    page.get_by_label("Date de naissance").fill(birth_date)
    page.get_by_role("radio", name="Féminin").check()


def open_request(page, entry):
    """From "Mes demandes" or "Demandes reçues": the patient's name is the link to the request."""
    open_menu_entry(page, entry)
    page.get_by_role("link", name="DURAND Louise Marie").click()
    expect(page).to_have_url(REQUEST_PAGE)


def test_gp_refers_a_patient_and_the_secretary_gives_an_appointment(
    page, context, visit, shot, audit, password, gp, cardiologist, cardio_secretary, cardio_practice, phones
):
    rousseau = Practitioner.objects.get(user=cardiologist)

    # The GP, from the cardiologist's entry in the directory.
    visit("/accounts/login/")
    sign_in(page, gp, password, phones)
    visit(f"/annuaire/{rousseau.public_id}/")
    page.get_by_role("button", name="Adresser un patient").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nouvelle demande")
    expect(page.get_by_role("radio", name=re.compile("Chloé Rousseau"))).to_be_checked()
    expect(page.get_by_role("radio", name="Adressage (courrier)")).to_be_checked()
    fill_patient(page)
    page.get_by_label("Téléphone portable du patient").fill("06 12 34 56 78")
    page.get_by_label("E-mail du patient").fill(PATIENT_EMAIL)
    page.get_by_label("Le patient accepte d'être prévenu par SMS ou e-mail").check()
    page.get_by_label("C'est moi").check()
    page.get_by_role("textbox", name="Motif", exact=True).fill(REASON)
    page.get_by_label("Question clinique").fill(QUESTION)
    page.get_by_role("radio", name=re.compile("^Rapide")).check()
    audit()  # the notices about the recipient came in through HTMX
    shot("nouvelle-demande")
    page.get_by_role("button", name="Envoyer la demande").click()

    expect(page).to_have_url(REQUEST_PAGE)
    expect(page.get_by_role("status")).to_contain_text("Demande envoyée.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Adressage (courrier) — DURAND Louise Marie")
    expect(page.locator(".referral-status-line")).to_contain_text("Envoyée")
    shot("demande-envoyee")
    referral = Referral.objects.get()
    assert (referral.sender.user, referral.recipient_practitioner, referral.urgency) == (gp, rousseau, "rapid")
    sign_out(page)

    # The cardiology secretary: her inbox, the request taken in hand, then an appointment in two weeks.
    sign_in(page, cardio_secretary, password, phones)
    open_menu_entry(page, "Demandes reçues")
    expect(page.get_by_role("heading", level=1)).to_have_text("Demandes reçues")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="DURAND Louise Marie"))
    expect(row).to_contain_text("Alice Martin")
    expect(row).to_contain_text("Rapide")
    shot("demandes-recues")
    row.get_by_role("link", name="DURAND Louise Marie").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Adressage (courrier) — DURAND Louise Marie")
    page.get_by_role("button", name="Prendre en compte").click()
    expect(page.get_by_role("status")).to_have_text("Demande prise en compte.")
    expect(page.locator(".referral-status-line")).to_contain_text("Prise en compte")

    appointment = timezone.localtime() + datetime.timedelta(days=14)
    appointment = appointment.replace(hour=9, minute=30, second=0, microsecond=0)
    page.get_by_text("Accepter et donner un rendez-vous").click()
    page.get_by_label("Date du rendez-vous").fill(f"{appointment:%Y-%m-%d}")
    page.get_by_label("Heure").fill("09:30")
    expect(page.get_by_role("radio", name=cardio_practice.name)).to_be_checked()  # her only site
    page.get_by_label("Consignes pour le patient").fill("Apporter le dernier ECG.")
    audit()  # the form unfolded
    shot("rendez-vous")
    page.get_by_role("button", name="Accepter avec ce rendez-vous").click()
    expect(page.get_by_role("status")).to_have_text("Demande acceptée : le rendez-vous est enregistré.")
    expect(page.locator(".referral-status-line")).to_contain_text("Acceptée")
    sign_out(page)

    # The GP again: the appointment, its day, time and place, from "Mes demandes".
    sign_in(page, gp, password, phones)
    open_menu_entry(page, "Mes demandes")
    expect(page.get_by_role("row").filter(has_text="DURAND")).to_contain_text(f"{appointment:%d/%m/%Y} 09:30")
    shot("mes-demandes")
    page.get_by_role("link", name="DURAND Louise Marie").click()
    outcome = page.get_by_role("region", name="Rendez-vous")
    day = formats.date_format(appointment, "l j F Y")
    expect(outcome).to_contain_text(f"Le {day} à 09:30")
    expect(outcome).to_contain_text(f"{cardio_practice.name}, 85000 La Roche-sur-Yon")
    expect(outcome).to_contain_text("Apporter le dernier ECG.")
    shot("rendez-vous-donne")

    # The patient hears of it once, by e-mail and by SMS, without a word of the clinical text.
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ACCEPTED
    assert referral.appointment_at == appointment
    messages = OutboundMessage.objects.filter(template="referral_patient_accepted")
    assert sorted(messages.values_list("channel", "recipient")) == [
        ("email", PATIENT_EMAIL),
        ("sms", "+33612345678"),
    ]
    for message in messages:
        text = " ".join(message_render(message).values())
        assert f"{appointment:%d/%m/%Y}" in text and cardio_practice.name in text
        for clinical in (REASON, QUESTION, "Essoufflement", "ECG"):
            assert clinical not in text, (message.channel, clinical)
    # Delivered once, however many times a worker is handed them.
    for message in messages:
        assert message_deliver(message_id=message.pk) == "sent"
        assert message_deliver(message_id=message.pk) == "skipped"
    assert [sent.to for sent in mail.outbox] == [[PATIENT_EMAIL]]
    assert [sms["to"] for sms in LocmemSmsBackend.outbox] == ["+33612345678"]

    # The letter, from the link on the request page, reads back with who, for whom and why.
    href = page.get_by_role("button", name="Courrier (PDF)").get_attribute("href")
    response = context.request.get(href)
    assert response.ok and response.headers["content-type"] == "application/pdf"
    letter = " ".join(sheet.extract_text() for sheet in PdfReader(io.BytesIO(response.body())).pages)
    for expected in ("DURAND", "Louise Marie", "14/03/1958", REASON, "Chloé Rousseau", "Alice Martin"):
        assert expected in letter, expected


def test_gp_asks_an_opinion_the_cardiologist_asks_more_then_answers_and_both_acts_are_billed(
    page, visit, shot, audit, password, gp, cardiologist, phones, tariffs
):
    rousseau = Practitioner.objects.get(user=cardiologist)
    rousseau.answers_teleexpertise = True
    rousseau.save(update_fields=["answers_teleexpertise"])

    # The GP asks for an opinion, with the patient's consent to the tele-expertise.
    visit("/accounts/login/")
    sign_in(page, gp, password, phones)
    visit(f"/annuaire/{rousseau.public_id}/")
    page.get_by_role("button", name="Demander un avis").click()
    expect(page.get_by_role("radio", name="Télé-expertise")).to_be_checked()
    expect(page.get_by_role("radio", name=re.compile("Chloé Rousseau"))).to_be_checked()
    fill_patient(page)
    page.get_by_label("Le patient a donné son accord à la télé-expertise").check()
    page.get_by_role("textbox", name="Motif", exact=True).fill("ECG : bloc de branche droit isolé")
    page.get_by_label("Question clinique").fill("Faut-il une échographie avant la reprise du sport ?")
    expect(page.locator("#recipient-notices")).not_to_contain_text("ne serait pas facturable")
    shot("demande-d-avis")
    page.get_by_role("button", name="Envoyer la demande").click()
    expect(page).to_have_url(REQUEST_PAGE)
    expect(page.get_by_role("heading", level=1)).to_have_text("Télé-expertise — DURAND Louise Marie")
    expect(page.get_by_role("region", name="Facturation")).to_contain_text("L'acte sera enregistré à la réponse")
    sign_out(page)

    # The cardiologist needs one more thing before answering.
    sign_in(page, cardiologist, password, phones)
    open_request(page, "Demandes reçues")
    page.get_by_text("Demander des précisions").click()
    page.get_by_label("Ce qu'il vous manque pour décider").fill("A-t-elle des palpitations ou des malaises ?")
    shot("question-de-l-expert")
    page.get_by_role("button", name="Envoyer la question").click()
    expect(page.get_by_role("status")).to_have_text("Votre question est partie au médecin adresseur.")
    expect(page.locator(".referral-status-line")).to_contain_text("Informations demandées")
    sign_out(page)

    # The GP reads the question on the request and answers it.
    sign_in(page, gp, password, phones)
    open_menu_entry(page, "Mes demandes")
    expect(page.get_by_role("row").filter(has_text="DURAND")).to_contain_text("À vous de répondre")
    page.get_by_role("link", name="DURAND Louise Marie").click()
    expect(page.get_by_role("region", name="Échanges")).to_contain_text("A-t-elle des palpitations ou des malaises ?")
    page.get_by_label("Votre réponse").fill("Ni palpitations ni malaise ; elle court 10 km par semaine.")
    shot("precisions")
    page.get_by_role("button", name="Envoyer ma réponse").click()
    expect(page.get_by_role("status")).to_have_text("Votre réponse est partie : la demande revient au destinataire.")
    sign_out(page)

    # The cardiologist answers in writing.
    sign_in(page, cardiologist, password, phones)
    open_request(page, "Demandes reçues")
    expect(page.get_by_role("region", name="Échanges")).to_contain_text("elle court 10 km par semaine")
    page.get_by_text("Répondre par écrit").click()
    page.get_by_label("Votre réponse").fill("Bloc de branche droit isolé, bénin : pas d'échographie, sport autorisé.")
    page.get_by_role("button", name="Envoyer la réponse").click()
    expect(page.get_by_role("status")).to_have_text("Réponse envoyée.")
    expect(page.get_by_role("region", name="Facturation")).to_contain_text("Acte facturable : TE2")
    shot("reponse-de-l-expert")
    sign_out(page)

    # The GP reads the answer, sees the act billed on her side, and fills in the closing survey.
    sign_in(page, gp, password, phones)
    open_request(page, "Mes demandes")
    expect(page.get_by_role("region", name="Réponse de l'expert")).to_contain_text("sport autorisé")
    today = timezone.localdate()
    expect(page.get_by_role("region", name="Facturation")).to_contain_text(
        f"Acte facturable : RQD, 10,00 €, le {today:%d/%m/%Y}."
    )
    survey = page.get_by_role("region", name="Questionnaire de clôture")
    survey.get_by_role("group", name="consultation en présentiel").get_by_label("Oui").check()
    survey.get_by_role("group", name="passage aux urgences").get_by_label("Non").check()
    shot("questionnaire")
    survey.get_by_role("button", name="Envoyer mes réponses").click()
    expect(survey).to_contain_text(f"Réponses données le {today:%d/%m/%Y}.")
    audit()  # the answers swapped in through HTMX
    shot("questionnaire-rempli")

    referral = Referral.objects.get()
    assert referral.status == Referral.Status.ANSWERED
    assert (referral.survey_avoided_visit, referral.survey_avoided_emergency) == (True, False)
    expert_tariff = (
        Tariff.objects.filter(side=Tariff.Side.EXPERT, overseas=False, valid_from__lte=today)
        .order_by("-valid_from")
        .first()
    )
    records = {
        record.side: (record.practitioner, record.code, record.amount, record.act_date)
        for record in BillingRecord.objects.filter(referral=referral)
    }
    assert records == {
        "requester": (Practitioner.objects.get(user=gp), "RQD", Decimal("10.00"), today),
        "expert": (rousseau, "TE2", expert_tariff.amount, today),
    }

"""What the patient and the GP take away once an appointment is given or an expert answered: the patient's SMS
and e-mail say "rendez-vous fixé", with whom and the practice's number to call if they cannot come, and the
e-mail carries the appointment as an .ics (read back here, also after a failed first delivery: the outbox row is
its only copy); the GP prints an appointment slip for the patient, and the expert's written answer is a PDF to
file in the record. Both PDFs are read back; whoever may not see the request gets 404, and the read is logged."""

import datetime
import io

import icalendar
import pytest
from django.core import mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import AccessLog
from directory.models import Audience, ContactChannel
from notifications.models import OutboundMessage
from notifications.services import DeliveryDeferred, message_attachments, message_deliver, message_render
from notifications.sms import LocmemSmsBackend
from notifications.tasks import deliver_message
from referrals.services import referral_accept, referral_answer, referral_send
from tests.referrals.conftest import PATIENT

pytestmark = pytest.mark.django_db

CONSENTING = {
    **PATIENT,
    "contact_consent": True,
    "patient_email": "louise.durand@exemple.fr",
    "patient_phone": "06 12 34 56 78",
}


# Another patient: the same patient sent twice to the same recipient asks for a confirmation first.
OTHER_PATIENT = {
    **PATIENT,
    "patient_family_name": "Bernard",
    "patient_given_names": "Paul",
    "patient_birth_date": datetime.date(1961, 7, 2),
}


@pytest.fixture
def site(cardio_practice):
    cardio_practice.address = "12 rue des Halles"
    cardio_practice.save(update_fields=["address"])
    ContactChannel.objects.create(
        practice=cardio_practice, audience=Audience.PUBLIC, kind=ContactChannel.Kind.SECRETARY, value="+33251000000"
    )
    return cardio_practice


@pytest.fixture
def appointment_at():
    # A Tuesday at 14:30 in Paris, well ahead.
    day = timezone.localdate() + datetime.timedelta(days=21)
    day += datetime.timedelta(days=(1 - day.weekday()) % 7)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(14, 30)))


@pytest.fixture
def accepted(gp, cardiologist, cardio_secretary, site, appointment_at):
    letter = referral_send(
        acting_user=gp, kind="letter", recipient_practitioner=cardiologist.practitioner, **CONSENTING
    )
    referral_accept(
        acting_user=cardio_secretary,
        referral=letter,
        appointment_at=appointment_at,
        site=site,
        instructions="Venir à jeun.",
    )
    letter.refresh_from_db()
    return letter


def _patient_rows(channel):
    return OutboundMessage.objects.get(template="referral_patient_accepted", channel=channel)


def test_the_sms_and_the_email_say_fixed_with_whom_and_the_number_to_call(accepted, appointment_at):
    LocmemSmsBackend.outbox.clear()
    mail.outbox.clear()
    for channel in ("sms", "email"):
        assert deliver_message.apply(args=[_patient_rows(channel).pk]).get() == "sent"

    sms = LocmemSmsBackend.outbox[-1]["text"]
    email = mail.outbox[-1]
    when = timezone.localtime(appointment_at)
    for text in (sms, email.body):
        assert "Rendez-vous fixé" in text or "rendez-vous est fixé" in text
        assert "proposé" not in text
        assert "02 51 00 00 00" in text  # the practice's public number, to call if they cannot come
        assert "Chloé Rousseau" in text
        assert when.strftime("%d/%m/%Y") in text and when.strftime("%H:%M") in text
        assert PATIENT["reason"] not in text and PATIENT["question"] not in text
    assert email.subject.endswith("Votre rendez-vous est fixé")


def test_the_email_carries_the_appointment_as_an_ics_that_reads_back(accepted, appointment_at, site):
    mail.outbox.clear()
    assert deliver_message.apply(args=[_patient_rows("email").pk]).get() == "sent"

    ((filename, content, mimetype),) = mail.outbox[-1].attachments
    assert (filename, mimetype) == ("rendez-vous.ics", "text/calendar")
    raw = content.encode() if isinstance(content, str) else content
    assert b"\r\n" in raw and b"BEGIN:VTIMEZONE" in raw  # RFC 5545 line ends; the Paris time zone is defined
    calendar = icalendar.Calendar.from_ical(raw)
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == appointment_at
    assert event.decoded("dtend") - event.decoded("dtstart") == datetime.timedelta(minutes=30)
    assert "Chloé Rousseau" in str(event["summary"])
    assert site.name in str(event["location"]) and "12 rue des Halles" in str(event["location"])
    description = str(event["description"])
    assert "02 51 00 00 00" in description and "Venir à jeun." in description
    for forbidden in ("Durand", "Louise", PATIENT["reason"], PATIENT["question"]):
        assert forbidden not in raw.decode()


def test_the_ics_is_attached_again_after_a_failed_first_attempt(accepted, settings):
    row = _patient_rows("email")
    settings.OUTBOX_EMAIL_BACKEND = "tests.notifications.failing_backend.RefusingEmailBackend"
    with pytest.raises(DeliveryDeferred):
        message_deliver(message_id=row.pk)
    settings.OUTBOX_EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    OutboundMessage.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    mail.outbox.clear()

    assert message_deliver(message_id=row.pk) == "sent"

    assert [attachment[0] for attachment in mail.outbox[-1].attachments] == ["rendez-vous.ics"]
    assert message_attachments(row)[0].content.startswith(b"BEGIN:VCALENDAR")


def _pdf_text(response) -> str:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_gp_prints_the_appointment_slip_for_the_patient(signed_in, gp, accepted, appointment_at, site):
    url = reverse("referrals:appointment_slip", args=[accepted.public_id])
    client = signed_in(gp)

    text = _pdf_text(client.get(url))

    when = timezone.localtime(appointment_at)
    for expected in (
        "Votre rendez-vous",
        "Louise Marie DURAND",
        "mardi",
        when.strftime("%H:%M"),
        "Chloé Rousseau",
        "Cardiologie",
        site.name,
        "12 rue des Halles",
        "02 51 00 00 00",
        "Venir à jeun.",
        "carte Vitale",
    ):
        assert expected in text, expected
    assert PATIENT["reason"] not in text
    assert AccessLog.objects.filter(
        user_email=gp.email, action="read", subject_id=str(accepted.public_id), via=url
    ).exists()  # the read is logged, as the letter's


def test_the_request_page_links_to_the_documents_that_exist(accepted, answered, gp, cardiologist):
    slip = reverse("referrals:appointment_slip", args=[accepted.public_id])
    links = render_to_string("referrals/_takeaway_documents.html", {"referral": accepted})
    assert slip in links and "Fiche de rendez-vous" in links
    assert reverse("referrals:written_answer", args=[accepted.public_id]) not in links
    links = render_to_string("referrals/_takeaway_documents.html", {"referral": answered})
    assert reverse("referrals:written_answer", args=[answered.public_id]) in links
    letter = referral_send(
        acting_user=gp,
        kind="letter",
        recipient_practitioner=cardiologist.practitioner,
        **{**OTHER_PATIENT, "patient_family_name": "Petit"},
    )
    assert render_to_string("referrals/_takeaway_documents.html", {"referral": letter}).strip() == ""


def test_another_practices_secretary_gets_404_for_the_slip(signed_in, other_secretary, outsider, accepted):
    url = reverse("referrals:appointment_slip", args=[accepted.public_id])
    assert signed_in(other_secretary).get(url).status_code == 404
    assert signed_in(outsider).get(url).status_code in (403, 404)


def test_no_slip_before_an_appointment(signed_in, gp, cardiologist):
    letter = referral_send(acting_user=gp, kind="letter", recipient_practitioner=cardiologist.practitioner, **PATIENT)
    assert signed_in(gp).get(reverse("referrals:appointment_slip", args=[letter.public_id])).status_code == 404


@pytest.fixture
def answered(gp, cardiologist):
    expert = cardiologist.practitioner
    expert.answers_teleexpertise = True
    expert.save(update_fields=["answers_teleexpertise"])
    question = referral_send(
        acting_user=gp,
        kind="teleexpertise",
        recipient_practitioner=expert,
        teleexpertise_consent=True,
        **OTHER_PATIENT,
    )
    referral_answer(
        acting_user=cardiologist, referral=question, answer="Pas d'indication à un holter.\nRevoir à 3 mois."
    )
    question.refresh_from_db()
    return question


def test_the_experts_written_answer_is_a_pdf_to_file(signed_in, gp, cardiologist, answered):
    text = _pdf_text(signed_in(gp).get(reverse("referrals:written_answer", args=[answered.public_id])))

    for expected in (
        "Réponse de télé-expertise",
        "BERNARD",
        "Paul",
        "02/07/1961",
        "Alice Martin",
        "Chloé Rousseau",
        f"RPPS {cardiologist.practitioner.rpps}",
        "Cardiologie",
        PATIENT["question"],
        "Pas d'indication à un holter.",
        "Revoir à 3 mois.",
        timezone.localdate().strftime("%d/%m/%Y"),
    ):
        assert expected in text, expected


def test_the_written_answer_is_refused_to_outsiders_and_before_an_answer(
    signed_in, gp, other_secretary, cardiologist, answered
):
    url = reverse("referrals:written_answer", args=[answered.public_id])
    assert signed_in(other_secretary).get(url).status_code == 404
    letter = referral_send(acting_user=gp, kind="letter", recipient_practitioner=cardiologist.practitioner, **PATIENT)
    assert signed_in(gp).get(reverse("referrals:written_answer", args=[letter.public_id])).status_code == 404


def test_the_gps_email_links_to_the_slip_and_to_the_answer_to_file(gp, accepted, answered):
    def news_of(referral):
        row = OutboundMessage.objects.get(
            template="referral_sender_news", idempotency_key__startswith=f"referral_sender_news:{referral.public_id}:"
        )
        return " ".join(message_render(row).values())

    slip = news_of(accepted)
    assert "Imprimez la fiche de rendez-vous à remettre au patient" in slip
    assert reverse("referrals:appointment_slip", args=[accepted.public_id]) in slip
    answer = news_of(answered)
    assert reverse("referrals:written_answer", args=[answered.public_id]) in answer
    for text in (slip, answer):
        assert "Durand" not in text and "Bernard" not in text and PATIENT["reason"] not in text

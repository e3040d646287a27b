"""Working a request besides its main transitions: the thread, forwarding to a colleague of the practice,
converting between a letter and a tele-expertise, the requests a GP sends outside the portal to a recipient who
does not use it (and whose status the GP then keeps), and what the letter adds (médecin traitant, attachments)."""

import datetime
import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from accounts.roles import Role
from core.errors import ApplicationError
from directory.models import Activity, Audience, ContactChannel, Practitioner
from directory.services import role_grant_create
from referrals.letters import referral_letter_pdf
from referrals.models import Referral, ReferralMessage
from referrals.selectors import get_referral_for_user, outside_channels_for, recipient_uses_portal
from referrals.services import referral_accept, referral_acknowledge, referral_send
from referrals.services.attachments import attachment_add
from referrals.services.handling import (
    message_post,
    referral_convert,
    referral_forward,
    referral_mark_sent_outside,
    referral_outside_update,
)
from referrals.timeline import event_note
from tests.factories import PracticeFactory, PractitionerFactory, UserFactory
from tests.referrals.conftest import PATIENT, daytime_in, image_bytes, pdf_bytes, upload

API = "/api/v1/referrals/"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _in_days(days: int) -> datetime.datetime:
    return daytime_in(days)


@pytest.fixture
def cardio(cardiologist) -> Practitioner:
    return Practitioner.objects.get(user=cardiologist)


@pytest.fixture
def letter(gp, cardio):
    return referral_send(acting_user=gp, kind="letter", recipient_practitioner=cardio, **PATIENT)


@pytest.fixture
def colleague(territory, cardio_practice) -> Practitioner:
    """Dr Damien Leclerc also works at the cardiology practice (no account of his own)."""
    practitioner = PractitionerFactory(first_name="Damien", last_name="Leclerc", territory=territory)
    Activity.objects.create(practitioner=practitioner, practice=cardio_practice)
    return practitioner


@pytest.fixture
def offline_practice(territory):
    return PracticeFactory(name="Cabinet de pneumologie de la Gare", territory=territory)


@pytest.fixture
def offline_specialist(territory, offline_practice) -> Practitioner:
    """Dr Odile Noël, pulmonologist: in the directory, no account, no secretary in the portal."""
    practitioner = PractitionerFactory(first_name="Odile", last_name="Noël", territory=territory)
    Activity.objects.create(practitioner=practitioner, practice=offline_practice)
    ContactChannel.objects.create(
        practitioner=practitioner,
        audience=Audience.PROFESSIONALS,
        kind=ContactChannel.Kind.MSSANTE,
        value="odile.noel@medecin.mssante.fr",
        preferred=True,
    )
    ContactChannel.objects.create(
        practice=offline_practice, audience=Audience.PUBLIC, kind=ContactChannel.Kind.FAX, value="+33251446161"
    )
    ContactChannel.objects.create(
        practitioner=practitioner,
        audience=Audience.PUBLIC,
        kind=ContactChannel.Kind.WEBSITE,
        value="https://pneumo-gare.example.fr",
    )
    ContactChannel.objects.create(
        practitioner=practitioner,
        audience=Audience.REGULATORS,
        kind=ContactChannel.Kind.PROFESSIONAL_LINE,
        value="+33251446162",
    )
    return practitioner


@pytest.fixture
def offline_letter(gp, offline_specialist):
    return referral_send(acting_user=gp, kind="letter", recipient_practitioner=offline_specialist, **PATIENT)


# --- The thread ----------------------------------------------------------------------------------------------------


def test_both_sides_write_in_the_thread_and_the_timeline_says_so(letter, gp, cardio_secretary):
    message_post(acting_user=gp, referral=letter, body="Le patient est joignable le matin.")
    message_post(acting_user=cardio_secretary, referral=letter, body="  Bien noté.  ")

    assert list(letter.messages.values_list("author", "body")) == [
        (gp.pk, "Le patient est joignable le matin."),
        (cardio_secretary.pk, "Bien noté."),
    ]
    assert list(letter.events.filter(action="message_posted").values_list("actor", flat=True)) == [
        gp.pk,
        cardio_secretary.pk,
    ]
    letter.refresh_from_db()
    assert letter.status == Referral.Status.SENT


def test_an_empty_message_or_one_on_a_closed_request_is_refused(letter, gp):
    with pytest.raises(ApplicationError, match="Écrivez votre message") as refused:
        message_post(acting_user=gp, referral=letter, body="   ")
    assert refused.value.field == "body"

    Referral.objects.filter(pk=letter.pk).update(status=Referral.Status.CLOSED)
    with pytest.raises(ApplicationError, match="Clôturée"):
        message_post(acting_user=gp, referral=letter, body="Encore une chose")
    assert not ReferralMessage.objects.exists()


@pytest.mark.parametrize("persona", ["other_secretary", "gp2", "observer", "coordinator", "outsider"])
def test_nobody_else_writes_in_the_thread(letter, persona, request):
    with pytest.raises(ApplicationError) as refused:
        message_post(acting_user=request.getfixturevalue(persona), referral=letter, body="Bonjour")

    assert refused.value.code == "not_found"
    assert not ReferralMessage.objects.exists()


def test_the_messages_api_lists_and_posts(letter, gp, cardio_secretary, client, signed_in):
    url = f"{API}{letter.public_id}/messages/"
    posted = signed_in(gp).post(url, {"body": "Résultats joints."}, content_type="application/json")
    assert posted.status_code == 201, posted.content
    assert set(posted.json()) == {"author", "body", "at", "mine"}
    assert (posted.json()["author"], posted.json()["mine"]) == ("Alice Martin", True)

    client.logout()
    thread = signed_in(cardio_secretary).get(url).json()
    assert [(row["body"], row["mine"]) for row in thread] == [("Résultats joints.", False)]

    empty = signed_in(cardio_secretary).post(url, {"body": ""}, content_type="application/json")
    assert empty.status_code == 400 and empty.json()["detail"] == "Écrivez votre message."


@pytest.mark.parametrize("persona", ["other_secretary", "gp2", "observer"])
def test_the_messages_api_answers_404_to_whoever_may_not_see_the_request(letter, gp, persona, request, signed_in):
    message_post(acting_user=gp, referral=letter, body="Confidentiel")
    other = signed_in(request.getfixturevalue(persona))
    url = f"{API}{letter.public_id}/messages/"

    assert other.get(url).status_code == 404
    assert other.post(url, {"body": "Bonjour"}, content_type="application/json").status_code == 404
    assert ReferralMessage.objects.count() == 1


# --- Forward -------------------------------------------------------------------------------------------------------


def test_the_secretary_forwards_to_a_colleague_of_the_practice(letter, cardio_secretary, cardio, colleague):
    referral_acknowledge(acting_user=cardio_secretary, referral=letter)
    due = letter.due_at

    referral_forward(acting_user=cardio_secretary, referral=letter, to_practitioner=colleague, note="Son domaine")

    letter.refresh_from_db()
    assert (letter.recipient_practitioner, letter.status, letter.due_at) == (colleague, Referral.Status.SENT, due)
    event = letter.events.last()
    assert (event.action, event.from_status, event.to_status) == ("forwarded", "acknowledged", "sent")
    assert event_note(event) == "Transférée de Chloé Rousseau à Damien Leclerc.\nSon domaine"


def test_forwarding_to_someone_outside_the_practice_is_refused(letter, cardio_secretary, gp2):
    outside = Practitioner.objects.get(user=gp2)

    with pytest.raises(ApplicationError, match="ne travaille dans aucun des cabinets du destinataire") as refused:
        referral_forward(acting_user=cardio_secretary, referral=letter, to_practitioner=outside)

    assert refused.value.field == "practitioner"
    letter.refresh_from_db()
    assert letter.recipient_practitioner.user.email == "chloe@cpts.test"
    assert not letter.events.filter(action="forwarded").exists()


def test_a_request_to_the_practice_forwarded_has_the_colleague_as_its_one_recipient(
    gp, cardio_practice, cardio_secretary, colleague
):
    to_practice = referral_send(acting_user=gp, kind="letter", recipient_practice=cardio_practice, **PATIENT)

    referral_forward(acting_user=cardio_secretary, referral=to_practice, to_practitioner=colleague)

    to_practice.refresh_from_db()
    assert (to_practice.recipient_practitioner, to_practice.recipient_practice) == (colleague, None)
    assert "Cabinet de cardiologie du Centre" in event_note(to_practice.events.last())


def test_the_sender_does_not_forward(letter, gp, colleague):
    with pytest.raises(ApplicationError) as refused:
        referral_forward(acting_user=gp, referral=letter, to_practitioner=colleague)

    assert refused.value.code == "forbidden"  # they see the request: it is not theirs to change


def test_an_answered_request_is_not_forwarded(letter, cardio_secretary, cardio_practice, colleague):
    referral_accept(acting_user=cardio_secretary, referral=letter, appointment_at=_in_days(9), site=cardio_practice)

    with pytest.raises(ApplicationError, match="Impossible depuis le statut « Acceptée »"):
        referral_forward(acting_user=cardio_secretary, referral=letter, to_practitioner=colleague)


def test_the_api_forwards_by_public_id_and_refuses_in_french(letter, cardio_secretary, colleague, gp2, signed_in):
    secretary = signed_in(cardio_secretary)
    url = f"{API}{letter.public_id}/forward/"

    outside = Practitioner.objects.get(user=gp2)
    refused = secretary.post(url, {"practitioner": str(outside.public_id)}, content_type="application/json")
    assert refused.status_code == 400 and refused.json()["field"] == "practitioner"
    missing = secretary.post(url, {}, content_type="application/json")
    assert missing.status_code == 400 and "Choisissez le confrère" in missing.json()["detail"]

    forwarded = secretary.post(url, {"practitioner": str(colleague.public_id)}, content_type="application/json")
    assert forwarded.status_code == 200, forwarded.content
    assert (forwarded.json()["recipient"], forwarded.json()["status"]) == ("Damien Leclerc", "sent")


# --- Convert -------------------------------------------------------------------------------------------------------


def test_the_expert_turns_a_teleexpertise_into_a_letter(gp, cardiologist, cardio):
    cardio.answers_teleexpertise = True
    cardio.save()
    question = referral_send(acting_user=gp, kind="teleexpertise", recipient_practitioner=cardio, **PATIENT)

    referral_convert(acting_user=cardiologist, referral=question, note="Souffle à ausculter : je le vois.")

    question.refresh_from_db()
    assert (question.kind, question.status) == (Referral.Kind.LETTER, Referral.Status.ACKNOWLEDGED)
    assert question.first_response_at is not None
    event = question.events.last()
    assert (event.action, event.from_status, event.to_status) == ("converted", "sent", "acknowledged")
    assert event_note(event) == "Télé-expertise convertie en Adressage (courrier)\nSouffle à ausculter : je le vois."


def test_the_secretary_turns_a_letter_into_a_teleexpertise_when_the_specialist_answers_them(
    letter, cardio_secretary, cardio
):
    with pytest.raises(ApplicationError, match="ne répond pas aux demandes de télé-expertise"):
        referral_convert(acting_user=cardio_secretary, referral=letter, note="Un avis suffit")
    letter.refresh_from_db()
    assert letter.kind == Referral.Kind.LETTER

    cardio.answers_teleexpertise = True
    cardio.save()
    referral_convert(acting_user=cardio_secretary, referral=letter, note="Un avis suffit")

    letter.refresh_from_db()
    assert (letter.kind, letter.status) == (Referral.Kind.TELEEXPERTISE, Referral.Status.ACKNOWLEDGED)


def test_converting_needs_a_reason_and_the_recipient_s_side(letter, cardio_secretary, gp):
    with pytest.raises(ApplicationError, match="Dites pourquoi") as refused:
        referral_convert(acting_user=cardio_secretary, referral=letter, note=" ")
    assert refused.value.field == "note"

    with pytest.raises(ApplicationError) as refused:
        referral_convert(acting_user=gp, referral=letter, note="Je préfère un avis")
    assert refused.value.code == "forbidden"


def test_the_api_converts(gp, cardiologist, cardio, signed_in):
    cardio.answers_teleexpertise = True
    cardio.save()
    question = referral_send(acting_user=gp, kind="teleexpertise", recipient_practitioner=cardio, **PATIENT)

    converted = signed_in(cardiologist).post(
        f"{API}{question.public_id}/convert/", {"note": "À examiner"}, content_type="application/json"
    )

    assert converted.status_code == 200, converted.content
    assert (converted.json()["kind"], converted.json()["status"]) == ("letter", "acknowledged")


# --- Sent outside the portal -----------------------------------------------------------------------------------------


def test_who_uses_the_portal(letter, offline_letter, gp, cardio_practice, offline_practice, offline_specialist):
    assert recipient_uses_portal(letter) is True
    assert recipient_uses_portal(offline_letter) is False
    to_practice = referral_send(acting_user=gp, kind="letter", recipient_practice=offline_practice, **PATIENT)
    assert recipient_uses_portal(to_practice) is False

    secretary = UserFactory(email="secretariat.pneumo@cpts.test")
    role_grant_create(user=secretary, role=Role.SECRETARY, practices=[offline_practice])
    assert recipient_uses_portal(offline_letter) is True
    assert recipient_uses_portal(to_practice) is True


def test_the_gp_sees_the_recipient_s_channels_meant_for_professionals(offline_letter, gp):
    channels = outside_channels_for(offline_letter, gp)

    # The preferred MSSanté box first, the practice's public fax; no website, no regulators' line.
    assert [(channel.kind, channel.value) for channel in channels] == [
        ("mssante", "odile.noel@medecin.mssante.fr"),
        ("fax", "+33251446161"),
    ]


def test_the_gp_records_a_letter_sent_by_fax(offline_letter, gp):
    referral_mark_sent_outside(acting_user=gp, referral=offline_letter, via="fax", detail="02 51 44 61 61")

    offline_letter.refresh_from_db()
    assert (offline_letter.sent_outside_via, offline_letter.sent_outside_detail) == ("fax", "+33251446161")
    assert offline_letter.status == Referral.Status.SENT
    event = offline_letter.events.last()
    assert (event.action, event_note(event)) == ("sent_outside", "Fax : +33251446161")


def test_recording_a_send_outside_is_checked(offline_letter, letter, gp, gp2):
    with pytest.raises(ApplicationError, match="n'est pas une adresse MSSanté") as refused:
        referral_mark_sent_outside(acting_user=gp, referral=offline_letter, via="mssante", detail="noel@gmail.com")
    assert refused.value.field == "detail"
    with pytest.raises(ApplicationError, match="Choisissez comment"):
        referral_mark_sent_outside(acting_user=gp, referral=offline_letter, via="pigeon", detail="toit")
    with pytest.raises(ApplicationError, match="utilise le portail"):
        referral_mark_sent_outside(acting_user=gp, referral=letter, via="fax", detail="02 51 44 61 61")
    with pytest.raises(ApplicationError) as refused:
        referral_mark_sent_outside(acting_user=gp2, referral=offline_letter, via="post", detail="12 rue de la Gare")
    assert refused.value.code == "not_found"

    offline_letter.refresh_from_db()
    assert offline_letter.sent_outside_via == ""


def test_the_gp_then_keeps_the_status_up_to_date(offline_letter, gp):
    referral_mark_sent_outside(acting_user=gp, referral=offline_letter, via="post", detail="12 rue de la Gare")

    appointment = _in_days(20)
    referral_outside_update(
        acting_user=gp, referral=offline_letter, status="accepted", appointment_at=appointment, note="Par téléphone"
    )
    offline_letter.refresh_from_db()
    assert (offline_letter.status, offline_letter.appointment_at) == (Referral.Status.ACCEPTED, appointment)
    assert offline_letter.handled_by.last_name == "Noël" and offline_letter.first_response_at is not None

    referral_outside_update(acting_user=gp, referral=offline_letter, status="closed")
    offline_letter.refresh_from_db()
    assert offline_letter.status == Referral.Status.CLOSED and offline_letter.closed_at is not None
    assert list(offline_letter.events.values_list("action", flat=True)) == [
        "sent",
        "sent_outside",
        "outside_updated",
        "outside_updated",
    ]


def test_a_decline_recorded_by_the_gp_needs_the_reason(offline_letter, gp):
    referral_mark_sent_outside(acting_user=gp, referral=offline_letter, via="phone", detail="02 51 44 61 61")

    with pytest.raises(ApplicationError, match="motif du refus") as refused:
        referral_outside_update(acting_user=gp, referral=offline_letter, status="declined")
    assert refused.value.field == "note"
    with pytest.raises(ApplicationError, match="dans le futur"):
        referral_outside_update(acting_user=gp, referral=offline_letter, status="accepted", appointment_at=_in_days(-1))

    referral_outside_update(acting_user=gp, referral=offline_letter, status="declined", note="Ne prend plus")
    offline_letter.refresh_from_db()
    assert (offline_letter.status, offline_letter.decline_reason) == (Referral.Status.DECLINED, "Ne prend plus")


def test_only_the_sender_updates_and_only_a_request_sent_outside(offline_letter, letter, gp, gp2):
    referral_mark_sent_outside(acting_user=gp, referral=offline_letter, via="phone", detail="02 51 44 61 61")

    with pytest.raises(ApplicationError) as refused:
        referral_outside_update(acting_user=gp2, referral=offline_letter, status="closed")
    assert refused.value.code == "not_found"
    with pytest.raises(ApplicationError, match="suit son cours dans le portail"):
        referral_outside_update(acting_user=gp, referral=letter, status="closed")
    for referral in (offline_letter, letter):
        referral.refresh_from_db()
        assert referral.status == Referral.Status.SENT


def test_the_api_records_the_send_and_the_answer(offline_letter, gp, signed_in):
    api = signed_in(gp)
    base = f"{API}{offline_letter.public_id}"

    sent = api.post(
        f"{base}/sent-outside/",
        {"via": "mssante", "detail": "Odile.Noel@medecin.mssante.fr"},
        content_type="application/json",
    )
    assert sent.status_code == 200, sent.content
    assert (sent.json()["sent_outside_via"], sent.json()["sent_outside_detail"]) == (
        "mssante",
        "odile.noel@medecin.mssante.fr",
    )
    refused = api.post(f"{base}/outside-status/", {"status": "answered"}, content_type="application/json")
    assert refused.status_code == 400 and refused.json()["field"] == "status"
    accepted = api.post(
        f"{base}/outside-status/",
        {"status": "accepted", "appointment_at": _in_days(5).isoformat()},
        content_type="application/json",
    )
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"


# --- The pages -------------------------------------------------------------------------------------------------------


def test_the_sender_sees_the_channels_and_records_the_send_in_one_tap(offline_letter, gp, signed_in):
    gp_client = signed_in(gp)
    page = gp_client.get(reverse("referrals:handling_sent_outside", args=[offline_letter.public_id]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "odile.noel@medecin.mssante.fr" in html and "Envoyée par ce moyen" in html
    assert "pneumo-gare.example.fr" not in html

    response = gp_client.post(
        reverse("referrals:handling_sent_outside", args=[offline_letter.public_id]),
        {"via": "mssante", "detail": "odile.noel@medecin.mssante.fr", "next": "/demandes/x/"},
    )

    assert response.status_code == 302 and response["Location"] == "/demandes/x/#referral-handling"  # back where it was
    offline_letter.refresh_from_db()
    assert offline_letter.sent_outside_via == "mssante"
    after = gp_client.get(reverse("referrals:handling_sent_outside", args=[offline_letter.public_id]))
    assert "Réponse du destinataire" in after.content.decode()


def test_a_wrong_fax_number_on_the_page_is_a_400_in_french(offline_letter, gp, signed_in):
    response = signed_in(gp).post(
        reverse("referrals:handling_sent_outside", args=[offline_letter.public_id]), {"via": "fax", "detail": "123"}
    )

    assert response.status_code == 400
    assert "Numéro de téléphone invalide" in response.content.decode()
    offline_letter.refresh_from_db()
    assert offline_letter.sent_outside_via == ""


def test_the_secretary_forwards_from_the_page_and_the_fragment_comes_back(
    letter, cardio_secretary, colleague, signed_in
):
    secretary = signed_in(cardio_secretary)
    page = secretary.get(reverse("referrals:handling_forward", args=[letter.public_id]))
    assert "Damien Leclerc" in page.content.decode() and "Transférer" in page.content.decode()

    response = secretary.post(
        reverse("referrals:handling_forward", args=[letter.public_id]),
        {"practitioner": str(colleague.public_id)},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200 and 'id="referral-handling"' in response.content.decode()
    letter.refresh_from_db()
    assert letter.recipient_practitioner == colleague


def test_the_convert_form_needs_a_reason(letter, cardio_secretary, cardio, signed_in):
    cardio.answers_teleexpertise = True
    cardio.save()
    url = reverse("referrals:handling_convert", args=[letter.public_id])

    refused = signed_in(cardio_secretary).post(url, {"note": ""}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 400 and 'id="referral-handling"' in refused.content.decode()
    converted = signed_in(cardio_secretary).post(url, {"note": "Un avis suffit"})
    assert converted.status_code == 302
    letter.refresh_from_db()
    assert letter.kind == Referral.Kind.TELEEXPERTISE


@pytest.mark.parametrize("persona", ["other_secretary", "gp2", "observer"])
def test_the_handling_pages_answer_404_to_whoever_may_not_see_the_request(
    letter, persona, request, colleague, signed_in
):
    other = signed_in(request.getfixturevalue(persona))

    for name in ("handling_forward", "handling_convert", "handling_sent_outside"):
        assert other.get(reverse(f"referrals:{name}", args=[letter.public_id])).status_code == 404
    forward = reverse("referrals:handling_forward", args=[letter.public_id])
    assert other.post(forward, {"practitioner": str(colleague.public_id)}).status_code == 404
    status = reverse("referrals:handling_outside_status", args=[letter.public_id])
    assert other.post(status, {"status": "closed"}).status_code == 404
    letter.refresh_from_db()
    assert (letter.status, letter.recipient_practitioner.last_name) == (Referral.Status.SENT, "Rousseau")


def test_the_sender_cannot_use_the_recipient_s_forms(letter, gp, colleague, signed_in):
    response = signed_in(gp).post(
        reverse("referrals:handling_forward", args=[letter.public_id]), {"practitioner": str(colleague.public_id)}
    )

    assert response.status_code == 403  # the sender sees the request, but forwarding is the recipient's
    assert get_referral_for_user(gp, letter.public_id).recipient_practitioner.last_name == "Rousseau"


# --- The letter ------------------------------------------------------------------------------------------------------


def test_the_letter_names_the_medecin_traitant_and_lists_the_attachments(gp, cardio, gp2):
    attending = Practitioner.objects.get(user=gp2)
    referral = referral_send(
        acting_user=gp, kind="letter", recipient_practitioner=cardio, attending_practitioner=attending, **PATIENT
    )
    attachment_add(acting_user=gp, referral=referral, uploaded_file=upload("ECG du 3 mars.pdf", pdf_bytes()))
    attachment_add(
        acting_user=gp, referral=referral, uploaded_file=upload("radio.png", image_bytes("PNG"), "image/png")
    )

    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(referral_letter_pdf(referral))).pages)

    assert f"Bob Benali — RPPS {attending.rpps}" in text
    assert "ECG du 3 mars.pdf (PDF)" in text and "radio.png (PNG)" in text
    assert "Pièces jointes Aucune" not in " ".join(text.split())


def test_the_letter_names_the_medecin_traitant_as_written_when_not_in_the_directory(gp, cardio):
    referral = referral_send(
        acting_user=gp, kind="letter", recipient_practitioner=cardio, attending_label="Dr Paul Girard, Luçon", **PATIENT
    )

    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(referral_letter_pdf(referral))).pages)

    assert "Dr Paul Girard, Luçon" in text
    assert "Pièces jointes Aucune" in " ".join(text.split())

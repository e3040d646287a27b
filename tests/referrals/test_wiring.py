"""The parts of the referrals meet: documents sent with the new request (all or nothing), the billing warnings
shown to the GP before a tele-expertise, the request page's sections for each side, the compte-rendu through
the API, and the menu each role gets."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from directory.models import Practice
from referrals.models import Referral, ReferralAttachment
from referrals.services import referral_accept, referral_send
from tests.referrals.conftest import (
    NEW_REQUEST_URL,
    PATIENT,
    RECIPIENT_NOTICES_URL,
    daytime_in,
    detail_url,
    image_bytes,
    new_request_form,
    pdf_bytes,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def cardio(cardiologist):
    entry = cardiologist.practitioner
    entry.answers_teleexpertise = True
    entry.save(update_fields=["answers_teleexpertise"])
    return entry


def _file(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_documents_chosen_in_the_form_go_with_the_request(signed_in, gp, cardio):
    data = new_request_form(
        cardio, attachments=[_file("ecg.pdf", pdf_bytes()), _file("photo.jpg", image_bytes("JPEG"))]
    )

    response = signed_in(gp).post(NEW_REQUEST_URL, data)

    referral = Referral.objects.get()
    assert response.status_code == 302
    attachments = ReferralAttachment.objects.filter(referral=referral).order_by("original_name")
    assert [(a.original_name, a.content_type) for a in attachments] == [
        ("ecg.pdf", "application/pdf"),
        ("photo.jpg", "image/jpeg"),
    ]
    page = signed_in(gp).get(detail_url(referral)).content.decode()
    assert "ecg.pdf" in page and "photo.jpg" in page


def test_a_refused_document_sends_nothing_and_keeps_what_was_typed(signed_in, gp, cardio):
    data = new_request_form(
        cardio, attachments=[_file("ecg.pdf", pdf_bytes()), _file("virus.pdf", b"MZ\x90\x00 not a pdf")]
    )

    response = signed_in(gp).post(NEW_REQUEST_URL, data)

    assert response.status_code == 400
    page = response.content.decode()
    assert "PDF, JPEG ou PNG" in page and "Durand" in page and "Essoufflement" in page
    assert not Referral.objects.exists() and not ReferralAttachment.objects.exists()


def test_the_form_warns_before_a_teleexpertise_without_consent(signed_in, gp, cardio):
    recipient = f"practitioner:{cardio.public_id}"
    query = {"recipient": recipient, "kind": "teleexpertise", "patient_birth_date": "1958-03-14"}

    without = signed_in(gp).get(RECIPIENT_NOTICES_URL, query).content.decode()
    with_consent = signed_in(gp).get(RECIPIENT_NOTICES_URL, {**query, "teleexpertise_consent": "on"}).content.decode()

    assert "ne serait pas facturable" in without and "consentement" in without
    assert "ne serait pas facturable" not in with_consent


def test_the_request_page_shows_each_side_its_sections(signed_in, gp, cardio, cardio_secretary, cardio_practice):
    teleexpertise = referral_send(
        acting_user=gp, kind="teleexpertise", recipient_practitioner=cardio, teleexpertise_consent=True, **PATIENT
    )

    sender = signed_in(gp).get(detail_url(teleexpertise)).content.decode()
    secretary = signed_in(cardio_secretary).get(detail_url(teleexpertise)).content.decode()

    assert "Pièces jointes" in sender and "Pièces jointes" in secretary
    assert "Transférer à un confrère du cabinet" not in sender
    assert "Convertir en" in secretary and "Convertir en" not in sender


def test_the_api_closes_with_a_compte_rendu(signed_in, gp, cardio, cardio_secretary, cardio_practice):
    letter = referral_send(acting_user=gp, kind="letter", recipient_practitioner=cardio, **PATIENT)
    referral_accept(
        acting_user=cardio_secretary,
        referral=letter,
        appointment_at=daytime_in(3),
        site=Practice.objects.get(pk=cardio_practice.pk),
    )

    response = signed_in(cardio_secretary).post(
        f"/api/v1/referrals/{letter.public_id}/close/",
        {"report": "Échographie normale. Pas de suivi nécessaire."},
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["closing_report"] == "Échographie normale. Pas de suivi nécessaire."
    letter.refresh_from_db()
    assert letter.status == "closed" and letter.closing_report.startswith("Échographie normale")


@pytest.mark.parametrize(
    ("persona", "shown", "hidden"),
    [
        (
            "gp",
            {"Mes demandes", "Demandes reçues", "Actes de télé-expertise"},
            {"Demandes en retard", "Tarifs de télé-expertise"},
        ),
        (
            "cardio_secretary",
            {"Demandes reçues"},
            {"Mes demandes", "Actes de télé-expertise", "Tarifs de télé-expertise"},
        ),
        (
            "coordinator",
            {"Demandes en retard", "Tableau de bord des demandes", "Tarifs de télé-expertise"},
            {"Mes demandes", "Demandes reçues"},
        ),
        (
            "observer",
            {"Tableau de bord des demandes"},
            {"Mes demandes", "Demandes en retard", "Tarifs de télé-expertise"},
        ),
    ],
)
def test_each_role_finds_its_referral_pages_in_the_menu(request, signed_in, persona, shown, hidden):
    page = signed_in(request.getfixturevalue(persona)).get(reverse("home")).content.decode()

    for label in shown:
        assert label in page, label
    for label in hidden:
        assert label not in page, label


def test_a_specialist_of_another_specialty_gets_404_everywhere_and_nothing_is_logged(
    signed_in, gp, cardio, cardio_practice, territory, dermato_practice
):
    from accounts.models import AccessLog
    from accounts.roles import Role
    from directory.models import Activity
    from directory.services import role_grant_create
    from referrals.services.attachments import attachment_add
    from tests.conftest import enrol_totp
    from tests.factories import PractitionerFactory, UserFactory

    dermatologist = UserFactory(email="david@cpts.test", first_name="David", last_name="Roux")
    entry = PractitionerFactory(first_name="David", last_name="Roux", territory=territory)
    Activity.objects.create(practitioner=entry, practice=dermato_practice)
    role_grant_create(user=dermatologist, role=Role.PROFESSIONAL, practitioner=entry)
    enrol_totp(dermatologist)
    letter = referral_send(acting_user=gp, kind="letter", recipient_practitioner=cardio, **PATIENT)
    document = attachment_add(acting_user=gp, referral=letter, uploaded_file=_file("ecg.pdf", pdf_bytes()))
    AccessLog.objects.all().delete()
    client = signed_in(dermatologist)
    api = f"/api/v1/referrals/{letter.public_id}/"

    for url in (
        detail_url(letter),
        reverse("referrals:letter", args=[letter.public_id]),
        reverse("referrals:attachment_list", args=[letter.public_id]),
        reverse("referrals:attachment_download", args=[letter.public_id, document.public_id]),
        api,
        f"{api}letter.pdf",
        f"{api}attachments/",
        f"{api}attachments/{document.public_id}/",
        f"{api}messages/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.get("/api/v1/referrals/").json()["results"] == []
    assert not AccessLog.objects.filter(user=dermatologist).exists()

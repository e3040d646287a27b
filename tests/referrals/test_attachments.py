"""Documents joined to a request: PDF, JPEG and PNG only, recognised by their content and not by their name, 10 Mo
at most, 20 per request, stored under a random name; only the two sides of the request add or read them, every
download is in the access log; the page and the API do the same."""

import hashlib
import io
from pathlib import Path

import pytest
from django.urls import reverse
from pypdf import PdfWriter

from accounts.models import AccessLog
from core.errors import ApplicationError
from directory.models import Practitioner
from referrals.models import Referral, ReferralAttachment
from referrals.services import referral_cancel, referral_send
from referrals.services.attachments import (
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS_PER_REFERRAL,
    attachment_add,
    attachments_add_many,
)
from referrals.timeline import event_note
from tests.referrals.conftest import PATIENT, image_bytes, pdf_bytes, upload

API = "/api/v1/referrals/"


def pdf_of_size(size: int) -> bytes:
    """A real PDF of exactly ``size`` bytes: its metadata string grows it byte for byte (the offsets written at
    its end take a few more digits, hence the second round)."""
    padding = size
    for _round in range(3):
        content = pdf_bytes(padding=padding)
        padding += size - len(content)
    assert len(content) == size
    return content


WINDOWS_PROGRAM = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200 + b"This program"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def referral(gp, cardiologist):
    return referral_send(
        acting_user=gp, kind="letter", recipient_practitioner=Practitioner.objects.get(user=cardiologist), **PATIENT
    )


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


# --- The service ---------------------------------------------------------------------------------------------------


def test_the_gp_joins_a_pdf_stored_under_a_random_name_with_its_fingerprint(referral, gp, settings):
    content = pdf_bytes()

    attachment = attachment_add(
        acting_user=gp, referral=referral, uploaded_file=upload("ECG Durand.pdf", content), purpose=""
    )

    attachment.refresh_from_db()
    assert (attachment.content_type, attachment.size, attachment.original_name) == (
        "application/pdf",
        len(content),
        "ECG Durand.pdf",
    )
    assert attachment.purpose == ReferralAttachment.Purpose.REQUEST
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    assert "Durand" not in attachment.file.name and attachment.file.name.startswith(f"referrals/{referral.public_id}/")
    assert [path.read_bytes() for path in stored_files(settings)] == [content]
    event = referral.events.last()
    assert (event.action, event.actor, event_note(event)) == ("attachment_added", gp, "ECG Durand.pdf (PDF)")
    assert AccessLog.objects.filter(
        action="create", subject_type="referral_attachment", subject_id=str(attachment.public_id)
    ).exists()


def test_a_program_renamed_as_a_pdf_is_refused_and_nothing_is_stored(referral, gp, settings):
    with pytest.raises(ApplicationError, match="seuls les documents PDF, JPEG et PNG") as refused:
        attachment_add(acting_user=gp, referral=referral, uploaded_file=upload("resultats.pdf", WINDOWS_PROGRAM))

    assert refused.value.field == "file"
    assert not ReferralAttachment.objects.exists() and stored_files(settings) == []
    assert not referral.events.filter(action="attachment_added").exists()


def test_a_png_called_pdf_is_kept_as_the_png_it_is(referral, gp):
    attachment = attachment_add(
        acting_user=gp, referral=referral, uploaded_file=upload("radio.pdf", image_bytes("PNG"), "application/pdf")
    )

    assert attachment.content_type == "image/png"


def test_a_jpeg_is_accepted(referral, gp):
    attachment = attachment_add(
        acting_user=gp, referral=referral, uploaded_file=upload("photo.jpg", image_bytes("JPEG"), "image/jpeg")
    )

    assert attachment.content_type == "image/jpeg"


def _damaged(name: str) -> bytes:
    """Files whose first bytes are right and whose body is not."""
    if name == "garbage after a pdf header":
        return b"%PDF-1.7\nnot really a pdf\n%%EOF"
    if name == "truncated pdf":
        content = pdf_bytes()
        return content[: len(content) // 2]
    if name == "pdf without pages":
        buffer = io.BytesIO()
        PdfWriter().write(buffer)
        return buffer.getvalue()
    if name == "png with a wrong checksum":
        content = bytearray(image_bytes("PNG", size=(400, 300)))
        content[len(content) // 2] ^= 0xFF
        return bytes(content)
    if name == "truncated jpeg":
        content = image_bytes("JPEG", size=(400, 300))
        return content[: len(content) // 2]
    raise ValueError(name)


@pytest.mark.parametrize(
    "damage",
    [
        "garbage after a pdf header",
        "truncated pdf",
        "pdf without pages",
        "png with a wrong checksum",
        "truncated jpeg",
    ],
)
def test_a_damaged_document_with_the_right_first_bytes_is_refused(referral, gp, damage):
    with pytest.raises(ApplicationError, match="endommagé"):
        attachment_add(acting_user=gp, referral=referral, uploaded_file=upload("scan.pdf", _damaged(damage)))

    assert not ReferralAttachment.objects.exists()


def test_ten_megabytes_pass_and_one_byte_more_is_refused(referral, gp):
    exactly = pdf_of_size(MAX_ATTACHMENT_BYTES)
    assert attachment_add(acting_user=gp, referral=referral, uploaded_file=upload("gros.pdf", exactly)).size == (
        10 * 1024 * 1024
    )

    with pytest.raises(ApplicationError, match=r"Le fichier dépasse 10 Mo\."):
        attachment_add(acting_user=gp, referral=referral, uploaded_file=upload("trop.pdf", exactly + b"\n"))
    assert ReferralAttachment.objects.count() == 1


def test_an_empty_file_is_refused(referral, gp):
    with pytest.raises(ApplicationError, match=r"Le fichier est vide\."):
        attachment_add(acting_user=gp, referral=referral, uploaded_file=upload("vide.pdf", b""))


def test_a_request_holds_twenty_documents_at_most(referral, gp):
    png = image_bytes("PNG")
    attachments_add_many(
        acting_user=gp,
        referral=referral,
        uploaded_files=[upload(f"page-{n}.png", png, "image/png") for n in range(MAX_ATTACHMENTS_PER_REFERRAL)],
    )

    with pytest.raises(ApplicationError, match="au plus 20 pièces jointes"):
        attachment_add(acting_user=gp, referral=referral, uploaded_file=upload("21.png", png, "image/png"))
    assert referral.attachments.count() == 20


def test_several_files_are_joined_all_or_none(referral, gp, settings):
    with pytest.raises(ApplicationError, match="seuls les documents"):
        attachments_add_many(
            acting_user=gp,
            referral=referral,
            uploaded_files=[upload("ok.pdf", pdf_bytes()), upload("virus.pdf", WINDOWS_PROGRAM)],
        )

    assert not ReferralAttachment.objects.exists() and stored_files(settings) == []


def test_nothing_is_joined_to_a_cancelled_request(referral, gp):
    referral_cancel(acting_user=gp, referral=referral)

    with pytest.raises(ApplicationError, match="Annulée"):
        attachment_add(acting_user=gp, referral=referral, uploaded_file=upload("tard.pdf", pdf_bytes()))


def test_each_side_says_what_its_documents_are(referral, gp, cardio_secretary):
    answer = attachment_add(
        acting_user=cardio_secretary, referral=referral, uploaded_file=upload("cr.pdf", pdf_bytes())
    )
    assert answer.purpose == ReferralAttachment.Purpose.ANSWER

    with pytest.raises(ApplicationError, match="Nature de pièce jointe impossible") as refused:
        attachment_add(acting_user=gp, referral=referral, uploaded_file=upload("cr.pdf", pdf_bytes()), purpose="report")
    assert refused.value.field == "purpose"


@pytest.mark.parametrize("persona", ["other_secretary", "gp2", "observer", "coordinator", "outsider"])
def test_nobody_else_joins_a_document(referral, persona, request):
    with pytest.raises(ApplicationError) as refused:
        attachment_add(
            acting_user=request.getfixturevalue(persona), referral=referral, uploaded_file=upload("x.pdf", pdf_bytes())
        )

    assert refused.value.code == "not_found"
    assert not ReferralAttachment.objects.exists()


# --- The API -------------------------------------------------------------------------------------------------------


def test_the_api_uploads_lists_and_serves_a_document_as_stored(referral, gp, cardio_secretary, client, signed_in):
    png = image_bytes("PNG")
    created = signed_in(gp).post(
        f"{API}{referral.public_id}/attachments/", {"file": upload("radio.pdf", png, "application/pdf")}
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert set(body) == {
        "id",
        "name",
        "content_type",
        "type_label",
        "size",
        "sha256",
        "purpose",
        "uploaded_by",
        "uploaded_at",
        "download_url",
    }
    assert (body["name"], body["content_type"], body["size"], body["purpose"]) == (
        "radio.pdf",
        "image/png",
        len(png),
        "request",
    )

    client.logout()
    secretary = signed_in(cardio_secretary)
    assert [row["id"] for row in secretary.get(f"{API}{referral.public_id}/attachments/").json()] == [body["id"]]
    download = secretary.get(body["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == png
    assert download["Content-Type"] == "image/png"
    assert download["Content-Disposition"] == 'attachment; filename="radio.pdf.png"'
    assert download["X-Content-Type-Options"] == "nosniff"


def test_the_api_refuses_a_bad_file_in_french(referral, gp, signed_in):
    url = f"{API}{referral.public_id}/attachments/"
    refused = signed_in(gp).post(url, {"file": upload("facture.pdf", WINDOWS_PROGRAM)})
    assert refused.status_code == 400
    assert refused.json()["field"] == "file" and "PDF, JPEG et PNG" in refused.json()["detail"]

    missing = signed_in(gp).post(url, {"purpose": "request"})
    assert missing.status_code == 400 and missing.json()["field"] == "file"

    too_big = signed_in(gp).post(url, {"file": upload("gros.pdf", b"%PDF-" + b"0" * MAX_ATTACHMENT_BYTES)})
    assert too_big.status_code == 400 and too_big.json()["detail"] == "Le fichier dépasse 10 Mo."
    assert not ReferralAttachment.objects.exists()


@pytest.mark.parametrize("persona", ["other_secretary", "gp2", "observer"])
def test_whoever_may_not_see_the_request_gets_404_on_its_documents(referral, gp, persona, request, client, signed_in):
    attachment = attachment_add(acting_user=gp, referral=referral, uploaded_file=upload("ecg.pdf", pdf_bytes()))
    other = signed_in(request.getfixturevalue(persona))
    base = f"{API}{referral.public_id}/attachments/"

    assert other.get(base).status_code == 404
    assert other.get(f"{base}{attachment.public_id}/").status_code == 404
    assert other.post(base, {"file": upload("x.pdf", pdf_bytes())}).status_code == 404
    assert ReferralAttachment.objects.count() == 1


def test_every_download_leaves_a_row_in_the_access_log(referral, gp, cardio_secretary, client, signed_in):
    attachment = attachment_add(acting_user=gp, referral=referral, uploaded_file=upload("ecg.pdf", pdf_bytes()))
    url = f"{API}{referral.public_id}/attachments/{attachment.public_id}/"
    secretary = signed_in(cardio_secretary)

    secretary.get(url)
    secretary.get(url)

    rows = AccessLog.objects.filter(action="read", subject_id=str(referral.public_id), via=url)
    assert list(rows.values_list("user_email", flat=True)) == [cardio_secretary.email] * 2


# --- The pages -----------------------------------------------------------------------------------------------------


def test_the_page_form_joins_a_document_and_goes_back_to_the_request(referral, gp, signed_in):
    url = reverse("referrals:attachment_list", args=[referral.public_id])

    response = signed_in(gp).post(
        url, {"file": upload("bilan.pdf", pdf_bytes()), "purpose": "request", "next": "/demandes/ma-demande/"}
    )

    assert response.status_code == 302 and response["Location"] == "/demandes/ma-demande/#referral-attachments"
    assert referral.attachments.get().original_name == "bilan.pdf"


def test_with_htmx_the_list_comes_back_with_the_new_document(referral, gp, signed_in):
    url = reverse("referrals:attachment_list", args=[referral.public_id])

    response = signed_in(gp).post(
        url,
        {"file": upload("bilan.png", image_bytes("PNG"), "image/png"), "purpose": "request"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="referral-attachments"' in html and "bilan.png" in html and "<html" not in html
    download = reverse("referrals:attachment_download", args=[referral.public_id, referral.attachments.get().public_id])
    assert download in html


def test_a_refused_file_on_the_page_is_a_400_with_the_french_message(referral, gp, signed_in):
    url = reverse("referrals:attachment_list", args=[referral.public_id])

    response = signed_in(gp).post(url, {"file": upload("virus.pdf", WINDOWS_PROGRAM), "purpose": "request"})

    assert response.status_code == 400
    assert "seuls les documents PDF, JPEG et PNG sont acceptés" in response.content.decode()
    assert not ReferralAttachment.objects.exists()


def test_the_page_serves_the_document_for_download(referral, gp, cardio_secretary, signed_in):
    attachment = attachment_add(acting_user=gp, referral=referral, uploaded_file=upload("ecg.pdf", pdf_bytes()))

    response = signed_in(cardio_secretary).get(
        reverse("referrals:attachment_download", args=[referral.public_id, attachment.public_id])
    )

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("persona", ["other_secretary", "gp2", "observer"])
def test_the_pages_answer_404_to_whoever_may_not_see_the_request(referral, gp, persona, request, signed_in):
    attachment = attachment_add(acting_user=gp, referral=referral, uploaded_file=upload("ecg.pdf", pdf_bytes()))
    other = signed_in(request.getfixturevalue(persona))

    assert other.get(reverse("referrals:attachment_list", args=[referral.public_id])).status_code == 404
    download = reverse("referrals:attachment_download", args=[referral.public_id, attachment.public_id])
    assert other.get(download).status_code == 404
    upload_url = reverse("referrals:attachment_list", args=[referral.public_id])
    assert other.post(upload_url, {"file": upload("x.pdf", pdf_bytes())}).status_code == 404
    assert referral.attachments.count() == 1
    assert Referral.objects.get().status == Referral.Status.SENT

"""What the referrals' tests share (the project's personas are in ``tests/conftest.py``): the patient of their
requests and real documents to join."""

import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from pypdf import PdfWriter

PATIENT = {
    "patient_family_name": "Durand",
    "patient_given_names": "Louise Marie",
    "patient_birth_date": datetime.date(1958, 3, 14),
    "patient_sex": "F",
    "reason": "Essoufflement à l'effort",
    "question": "Bilan cardiologique ?",
}


def pdf_bytes(padding: int = 0) -> bytes:
    """A real one-page PDF (``padding`` bytes of metadata make it bigger)."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    if padding:
        writer.add_metadata({"/Padding": "x" * padding})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def image_bytes(image_format: str, size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise(size, 60).convert("RGB").save(buffer, format=image_format)
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def daytime_in(days: int, hour: int = 10) -> datetime.datetime:
    """An appointment ``days`` from today at ``hour`` in Paris: not whatever hour the test runs at (an
    appointment before 07:00 or after 21:00 is refused unless the secretary confirms the hour)."""
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0)))


NEW_REQUEST_URL = reverse("referrals:new")
RECIPIENT_NOTICES_URL = reverse("referrals:recipient_notices")


def detail_url(referral) -> str:
    return reverse("referrals:detail", args=[referral.public_id])


def new_request_form(to, **changes) -> dict:
    """What a GP types in the new-request form."""
    return {
        "kind": "letter",
        "recipient": f"{to._meta.model_name}:{to.public_id}",
        "patient_family_name": "Durand",
        "patient_given_names": "Louise Marie",
        "patient_birth_date": "1958-03-14",
        "patient_sex": "F",
        "patient_phone": "06 12 34 56 78",
        "patient_email": "louise.durand@exemple.fr",
        "contact_consent": "on",
        "reason": "Essoufflement à l'effort",
        "question": "Bilan cardiologique ?",
        "history": "HTA depuis 2015",
        "urgency": "rapid",
        **changes,
    }

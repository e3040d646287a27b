"""At 390 and 1280 px: the cardiology secretary follows the inbox's link to choose how her practice hears of new
requests and picks "à chaque nouvelle demande"; the next routine request then reaches her by e-mail at once.
The GP opens the accepted request and downloads the appointment slip to print for the patient."""

import datetime
import io
import re
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from notifications.models import OutboundMessage
from notifications.services import message_deliver
from referrals.models import NewRequestNotices
from referrals.services import referral_accept, referral_send
from tests.browser.steps import AuthenticatorApp, enter_authenticator_code, sign_in_with_password
from tests.conftest import totp_secret_of
from tests.referrals.conftest import PATIENT

pytestmark = pytest.mark.parametrize("viewport", ["phone", "desktop"])


def _sign_in(page, user, password):
    page.goto("/demandes/reception/")
    sign_in_with_password(page, user.email, password)
    enter_authenticator_code(page, AuthenticatorApp(totp_secret_of(user)).code())


def test_the_secretary_chooses_to_hear_of_each_new_request(
    page, visit, shot, password, gp, cardiologist, cardio_secretary, cardio_practice
):
    _sign_in(page, cardio_secretary, password)
    visit("/demandes/reception/")
    page.get_by_role("link", name="Être prévenu par e-mail des nouvelles demandes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Être prévenu des nouvelles demandes")
    section = page.get_by_role("region", name=cardio_practice.name)
    expect(section.get_by_label("Dans le récapitulatif du matin")).to_be_checked()  # the default
    shot("choice")

    section.get_by_label("À chaque nouvelle demande").check()
    section.get_by_role("button", name=f"Enregistrer pour {cardio_practice.name}").click()

    expect(page.get_by_text(f"Choix enregistré pour {cardio_practice.name}")).to_be_visible()
    expect(
        page.get_by_role("region", name=cardio_practice.name).get_by_label("À chaque nouvelle demande")
    ).to_be_checked()
    shot("saved")
    assert NewRequestNotices.objects.get(practice=cardio_practice).when == "each_request"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    referral_send(acting_user=gp, kind="letter", recipient_practitioner=cardiologist.practitioner, **PATIENT)
    row = OutboundMessage.objects.get(template="referral_new_request", recipient=cardio_secretary.email)
    mail.outbox.clear()
    assert message_deliver(message_id=row.pk) == "sent"
    assert "Nouvelle demande de Alice Martin" in mail.outbox[0].subject
    assert "Durand" not in mail.outbox[0].body


def test_the_gp_downloads_the_appointment_slip(
    page, visit, shot, password, gp, cardiologist, cardio_secretary, cardio_practice
):
    referral = referral_send(acting_user=gp, kind="letter", recipient_practitioner=cardiologist.practitioner, **PATIENT)
    referral_accept(
        acting_user=cardio_secretary,
        referral=referral,
        # 14:30 in ten days: a night hour would ask for a confirmation.
        appointment_at=timezone.make_aware(
            datetime.datetime.combine(timezone.localdate() + datetime.timedelta(days=10), datetime.time(14, 30))
        ),
        site=cardio_practice,
    )
    _sign_in(page, gp, password)
    visit(f"/demandes/{referral.public_id}/")
    link = page.get_by_role("link", name="Fiche de rendez-vous pour le patient (PDF)")
    shot("request-with-documents")

    with page.expect_download() as download_info:
        link.click()
    content = Path(download_info.value.path()).read_bytes()
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    assert "Votre rendez-vous" in text and cardio_practice.name in text
    assert re.search(r"\d{2}:\d{2}", text)

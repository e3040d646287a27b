"""The new-request form keeps a GP from sending what they did not mean, at 390 px and at 1280 px: the reason
counts its characters as one types, a phone that is not one is refused on its field, and a patient a colleague
already sent to the same cardiologist this month is asked about before the request goes, then sent once the GP
ticks "Envoyer quand même"."""

import re

import pytest
from playwright.sync_api import expect

from directory.models import Practitioner
from referrals.models import Referral
from referrals.services import referral_send
from tests.browser.steps import AuthenticatorApp, enter_authenticator_code, sign_in_with_password
from tests.conftest import totp_secret_of
from tests.referrals.conftest import PATIENT

REQUEST_PAGE = re.compile(r"/demandes/[0-9a-f-]{36}/$")


@pytest.fixture
def earlier_request(gp, cardiologist):
    """Alice Martin sent Louise Durand to Dr Rousseau this morning."""
    return referral_send(
        acting_user=gp,
        kind="letter",
        recipient_practitioner=Practitioner.objects.get(user=cardiologist),
        **{**PATIENT, "reason": "Souffle systolique"},
    )


def test_gp_is_told_of_a_wrong_phone_and_of_the_same_patient_sent_already_then_sends_anyway(
    page, visit, shot, audit, password, gp2, cardiologist, earlier_request
):
    rousseau = Practitioner.objects.get(user=cardiologist)

    visit("/accounts/login/")
    sign_in_with_password(page, gp2.email, password)
    enter_authenticator_code(page, AuthenticatorApp(totp_secret_of(gp2)).code())
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bonjour Bob")
    visit(f"/demandes/nouvelle/?praticien={rousseau.public_id}")
    expect(page.get_by_role("radio", name=re.compile("Chloé Rousseau"))).to_be_checked()

    page.get_by_label("Nom de naissance").fill("DURAND")
    page.get_by_label("Prénoms").fill("louise marie")
    page.get_by_label("Date de naissance").fill("1958-03-14")
    page.get_by_role("radio", name="Féminin").check()
    page.get_by_label("Téléphone portable du patient").fill("abcdefghij")
    page.get_by_label("Le patient accepte d'être prévenu par SMS ou e-mail").check()

    # The reason counts as one types, and says when it is too long (nothing is cut).
    reason = page.get_by_role("textbox", name="Motif", exact=True)
    expect(page.get_by_text("300 caractères au plus.")).to_be_visible()
    reason.fill("x" * 310)
    expect(page.locator("#id_reason_counter")).to_have_text("310 / 300 caractères : 10 de trop, raccourcissez le motif")
    expect(reason).to_have_value("x" * 310)
    expect(reason).to_have_attribute("aria-invalid", "true")
    reason.fill("Palpitations à l'effort")
    expect(page.locator("#id_reason_counter")).to_have_text("23 / 300 caractères")
    expect(reason).not_to_have_attribute("aria-invalid", "true")
    page.get_by_label("Aucune allergie connue").check()
    shot("motif-compte")

    # A phone that is not one: the form comes back with the message on the field.
    page.get_by_role("button", name="Envoyer la demande").click()
    expect(page.get_by_role("alert").first).to_contain_text("La demande n'est pas partie")
    expect(page.locator("#id_patient_phone_error")).to_contain_text("Numéro de téléphone du patient invalide")
    expect(page.get_by_role("alert").first).to_contain_text("choisissez-les de nouveau")
    expect(page.get_by_label("Prénoms")).to_have_value("louise marie")
    audit()
    shot("telephone-refuse")
    assert Referral.objects.count() == 1

    # The same patient, already sent to Dr Rousseau this month by a colleague: asked before it goes.
    page.get_by_label("Téléphone portable du patient").fill("06 12 34 56 78")
    page.get_by_role("button", name="Envoyer la demande").click()
    warning = page.locator("#duplicate-warning")
    expect(warning).to_contain_text("Une demande existe déjà pour ce patient chez ce destinataire")
    expect(warning).to_contain_text("par un autre professionnel du territoire, statut : Envoyée")
    expect(warning).not_to_contain_text("Souffle")
    audit()
    shot("meme-patient")
    assert Referral.objects.count() == 1

    warning.get_by_label("Envoyer quand même").check()
    page.get_by_role("button", name="Envoyer la demande").click()

    expect(page).to_have_url(REQUEST_PAGE)
    expect(page.get_by_role("status")).to_contain_text("Demande envoyée.")
    shot("envoyee")
    sent = Referral.objects.exclude(pk=earlier_request.pk).get()
    assert (sent.patient_phone, sent.no_known_allergies, sent.reason) == (
        "+33612345678",
        True,
        "Palpitations à l'effort",
    )

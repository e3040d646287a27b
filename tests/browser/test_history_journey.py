"""At 390 and 1280 px: the GP opens her answered tele-expertise and reads its history in French (who did what,
the act billed on each side, signed by the portal), then switches the portal to English and reads the same
history in English, without a server error."""

import re
from importlib import import_module

import pytest
from django.apps import apps
from playwright.sync_api import expect

from referrals.services import referral_answer, referral_send
from tests.browser.steps import AuthenticatorApp, enter_authenticator_code, sign_in_with_password
from tests.conftest import totp_secret_of
from tests.referrals.conftest import PATIENT

pytestmark = pytest.mark.parametrize("viewport", ["phone", "desktop"])


@pytest.fixture
def tariffs(transactional_db):
    """The tariffs of the migration: an earlier browser test's flush emptied the table."""
    import_module("referrals.migrations.0004_initial_tariffs").load(apps, None)


@pytest.fixture
def answered(tariffs, gp, cardiologist):
    cardio = cardiologist.practitioner
    cardio.answers_teleexpertise = True
    cardio.save()
    question = referral_send(
        acting_user=gp, kind="teleexpertise", recipient_practitioner=cardio, teleexpertise_consent=True, **PATIENT
    )
    return referral_answer(acting_user=cardiologist, referral=question, answer="Bloc de branche droit isolé, bénin.")


def test_the_gp_reads_the_history_in_french_then_in_english(page, visit, shot, password, gp, answered):
    page.goto(f"/demandes/{answered.public_id}/")
    sign_in_with_password(page, gp.email, password)
    enter_authenticator_code(page, AuthenticatorApp(totp_secret_of(gp)).code())
    visit(f"/demandes/{answered.public_id}/")

    history = page.get_by_role("region", name="Historique")
    expect(history).to_contain_text("Acte de télé-expertise facturable (requérant)")
    expect(history).to_contain_text(re.compile(r"Acte facturable \(médecin requérant\) : RQD, 10,00 €, le \d\d/\d\d/"))
    expect(history).to_contain_text("Portail (facturation)")
    history.scroll_into_view_if_needed()
    shot("historique-en-francais")

    page.get_by_label("Langue").select_option("en")
    page.get_by_role("button", name="Changer").click()
    page.wait_for_url(re.compile(rf"/demandes/{answered.public_id}/$"))

    history = page.get_by_role("region", name="History")
    expect(history).to_contain_text("Portal (billing)")
    expect(history).to_contain_text("Billable act (requesting doctor): RQD, ")
    expect(history).not_to_contain_text("Acte facturable")
    shot("history-in-english")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

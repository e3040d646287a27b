"""Issue 11, at 390 and 1280 px: the cardiology secretary opens a request and finds what to do in the first screen,
the secondary actions folded below; a refused appointment lists its errors at the top, and each error's link puts
the cursor in its field. The GP's "Mes demandes" holds a day's work (19 requests) in a few screens, finds a
patient by name without the accents, and sorts newest first; the inbox filters by kind and shows each reason's
first words."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from directory.models import Activity, Practitioner
from referrals.models import Referral
from referrals.services import referral_answer, referral_send
from tests.browser.steps import AuthenticatorApp, enter_authenticator_code, sign_in_with_password
from tests.conftest import totp_secret_of
from tests.factories import PractitionerFactory
from tests.referrals.conftest import PATIENT

pytestmark = pytest.mark.parametrize("viewport", ["phone", "desktop"])

# The top of the main action's button must be within the first screen (844 px high on the phone, 900 on desktop).
FIRST_SCREEN_PX = 900
# 19 requests, a day's work, in a few screens on the phone (the stacked cards took 6,400 px).
DAY_OF_REQUESTS = 19
MY_REQUESTS_MAX_PX = 2500


def _sign_in(page, user, password, path):
    page.goto(path)
    sign_in_with_password(page, user.email, password)
    enter_authenticator_code(page, AuthenticatorApp(totp_secret_of(user)).code())
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))


def _top(locator) -> float:
    """Where the element starts, in CSS pixels from the top of the page."""
    return locator.evaluate("element => element.getBoundingClientRect().top + window.scrollY")


def test_the_secretary_finds_the_next_action_first_and_each_error_leads_to_its_field(
    page, visit, shot, audit, password, gp, cardiologist, cardio_secretary, territory, cardio_practice
):
    cardio = Practitioner.objects.get(user=cardiologist)
    cardio.answers_teleexpertise = True  # the letter may be converted: every secondary action is offered
    cardio.save(update_fields=["answers_teleexpertise"])
    colleague = PractitionerFactory(first_name="Damien", last_name="Leclerc", territory=territory)
    Activity.objects.create(practitioner=colleague, practice=cardio_practice)
    referral = referral_send(acting_user=gp, kind="letter", recipient_practitioner=cardio, **PATIENT)
    url = f"/demandes/{referral.public_id}/"

    _sign_in(page, cardio_secretary, password, url)
    visit(url)
    acknowledge = page.get_by_role("button", name="Prendre en compte")
    assert _top(acknowledge) < FIRST_SCREEN_PX
    for folded in ("Transférer à un confrère du cabinet", "Convertir en : Télé-expertise", "Joindre un document"):
        summary = page.locator("summary", has_text=folded)
        expect(summary).to_be_visible()
        assert _top(summary) > _top(acknowledge), folded
        expect(summary.locator("xpath=..")).not_to_have_attribute("open", "")
    expect(page.get_by_role("button", name="Transférer", exact=True)).to_be_hidden()  # folded until asked for
    shot("request-first-screen")

    acknowledge.click()
    expect(page.get_by_role("status")).to_have_text("Demande prise en compte.")
    accept = page.locator("summary", has_text="Accepter et donner un rendez-vous")
    assert _top(accept) < FIRST_SCREEN_PX

    # An appointment with no date and an impossible hour: refused, the errors listed at the top.
    accept.click()
    page.get_by_label("Heure").fill("03:00")
    page.get_by_label("Date du rendez-vous").fill("")
    page.get_by_role("button", name="Accepter avec ce rendez-vous").click()
    banner = page.get_by_role("alert").filter(has_text="Rien n'a été enregistré")
    expect(banner).to_be_visible()
    expect(banner).to_be_focused()  # read first
    assert _top(banner) < FIRST_SCREEN_PX / 2
    shot("errors-at-the-top")
    banner.get_by_role("link", name="Indiquez la date du rendez-vous.").click()
    expect(page.get_by_label("Date du rendez-vous")).to_be_focused()
    audit()
    shot("error-link-focuses-the-field")

    referral.refresh_from_db()
    assert referral.status == Referral.Status.ACKNOWLEDGED


def test_a_written_answer_closes_without_a_visit_report(page, visit, shot, password, gp, cardiologist):
    cardio = Practitioner.objects.get(user=cardiologist)
    cardio.answers_teleexpertise = True
    cardio.save(update_fields=["answers_teleexpertise"])
    question = referral_send(
        acting_user=gp, kind="teleexpertise", recipient_practitioner=cardio, teleexpertise_consent=True, **PATIENT
    )
    referral_answer(acting_user=cardiologist, referral=question, answer="Pas d'indication à une consultation.")
    url = f"/demandes/{question.public_id}/"

    _sign_in(page, cardiologist, password, url)
    visit(url)
    expect(page.get_by_text("Clôturer avec un compte-rendu")).to_have_count(0)
    page.locator("summary", has_text="Clôturer la demande").click()
    expect(page.get_by_label("Compte-rendu")).to_have_count(0)
    shot("close-after-written-answer")
    page.get_by_role("button", name="Clôturer la demande").click()
    expect(page.get_by_role("status")).to_have_text("Demande clôturée.")
    question.refresh_from_db()
    assert (question.status, question.closing_report) == ("closed", "")


def test_a_days_requests_fit_a_few_screens_and_a_patient_is_found_by_name(
    page, visit, shot, password, gp, cardiologist
):
    cardio = Practitioner.objects.get(user=cardiologist)
    names = ["Lefèvre"] + [f"Patient{chr(ord('A') + number)}" for number in range(DAY_OF_REQUESTS - 1)]
    for number, family_name in enumerate(names):
        referral = referral_send(
            acting_user=gp,
            kind="letter",
            recipient_practitioner=cardio,
            **{**PATIENT, "patient_family_name": family_name, "patient_given_names": "Béatrice"},
        )
        Referral.objects.filter(pk=referral.pk).update(sent_at=timezone.now() - datetime.timedelta(days=number))

    _sign_in(page, gp, password, "/demandes/")
    visit("/demandes/")
    expect(page.get_by_text(f"{DAY_OF_REQUESTS} demandes")).to_be_visible()
    height = page.evaluate("document.documentElement.scrollHeight")
    shot("mes-demandes")
    if page.viewport_size["width"] < 768:
        assert height < MY_REQUESTS_MAX_PX, height

    page.get_by_label("Ordre").select_option(label="Les plus récentes d'abord")
    expect(page).to_have_url(re.compile(r"sort=newest"))
    expect(page.locator("#sent-results tbody tr").first).to_contain_text("LEFÈVRE")

    page.get_by_label("Patient").fill("lefevre")
    page.get_by_role("button", name="Chercher").click()
    expect(page.get_by_text("1 demande", exact=True)).to_be_visible()
    expect(page.locator("#sent-results tbody tr")).to_have_count(1)
    expect(page.locator("#sent-results")).to_contain_text("LEFÈVRE Béatrice")
    shot("patient-found")


def test_the_inbox_filters_by_kind_and_shows_the_reasons_first_words(
    page, visit, shot, password, gp, cardiologist, cardio_secretary
):
    cardio = Practitioner.objects.get(user=cardiologist)
    cardio.answers_teleexpertise = True
    cardio.save(update_fields=["answers_teleexpertise"])
    long_reason = (
        "Douleur thoracique atypique à l'effort depuis trois semaines, sans irradiation, chez une patiente "
        "hypertendue traitée, ECG de repos normal"
    )
    referral_send(acting_user=gp, kind="letter", recipient_practitioner=cardio, **{**PATIENT, "reason": long_reason})
    referral_send(
        acting_user=gp,
        kind="teleexpertise",
        recipient_practitioner=cardio,
        teleexpertise_consent=True,
        **{**PATIENT, "patient_family_name": "Avis", "reason": "Bloc de branche droit"},
    )

    _sign_in(page, cardio_secretary, password, "/demandes/reception/")
    visit("/demandes/reception/")
    expect(page.get_by_label("Statut").locator("option", has_text="Brouillon")).to_have_count(0)
    expect(page.get_by_text("Douleur thoracique atypique à l'effort depuis trois semaines")).to_be_visible()
    expect(page.get_by_text("ECG de repos normal")).to_have_count(0)
    shot("inbox")

    page.get_by_label("Type").select_option(label="Télé-expertise")
    expect(page).to_have_url(re.compile(r"kind=teleexpertise"))
    expect(page.locator("#inbox-results tbody tr")).to_have_count(1)
    expect(page.locator("#inbox-results")).to_contain_text("AVIS")
    shot("inbox-teleexpertise")

"""The coordinators' next steps on late requests: the home tile counts what the overdue list lists, each row
opens the request's status (parties, dates, steps; never the patient) and offers to call the recipient."""

import datetime

import pytest
from django.urls import reverse

from accounts.roles import Role
from directory.models import ContactChannel, Practitioner
from directory.services import role_grant_create
from referrals.models import Referral
from referrals.services import referral_send
from tests.conftest import enrol_totp
from tests.factories import TerritoryFactory, UserFactory
from tests.referrals.conftest import PATIENT

OVERDUE_URL = reverse("referrals:coordination_overdue")


def _late(referral, hours=72):
    shift = datetime.timedelta(hours=hours)
    Referral.objects.filter(pk=referral.pk).update(sent_at=referral.sent_at - shift, due_at=referral.due_at - shift)
    return referral


def _send(gp, cardiologist, number=0):
    """A request for one more patient (a second one for the same patient would ask "envoyer quand même ?")."""
    patient = {**PATIENT, "patient_family_name": f"{PATIENT['patient_family_name']}{'-Morel' * number}"}
    return referral_send(
        acting_user=gp,
        kind="letter",
        urgency="urgent",
        recipient_practitioner=Practitioner.objects.get(user=cardiologist),
        **patient,
    )


@pytest.fixture
def late_requests(gp, cardiologist):
    return [_late(_send(gp, cardiologist, number)) for number in range(3)]


@pytest.fixture
def cardio_phone(cardio_practice):
    return ContactChannel.objects.create(
        practice=cardio_practice, audience="professionals", kind="secretary", value="+33240000001"
    )


def test_the_home_tile_says_how_many_are_late_and_the_list_it_opens_lists_as_many(
    late_requests, gp, cardiologist, signed_in, coordinator
):
    _send(gp, cardiologist, 3)  # on time: neither counted nor listed
    browser = signed_in(coordinator)

    home = browser.get("/").content.decode()
    listing = browser.get(OVERDUE_URL).content.decode()

    assert f'href="{OVERDUE_URL}" class="tile-count-alert">3 en retard</a>' in home
    assert "3 demandes de votre territoire ont passé leur date cible" in listing
    for referral in late_requests:  # each row opens its request's status
        assert reverse("referrals:coordination_referral_status", args=[referral.public_id]) in listing


def test_each_late_row_opens_its_status_and_offers_to_call_the_recipient(
    late_requests, cardio_phone, signed_in, coordinator
):
    listing = signed_in(coordinator).get(OVERDUE_URL).content.decode()

    assert listing.count('href="tel:+33240000001"') == 3
    assert "02 40 00 00 01" in listing


def test_the_status_page_shows_parties_dates_steps_and_phones_but_no_patient(
    late_requests, cardio_phone, signed_in, coordinator
):
    referral = late_requests[0]

    response = signed_in(coordinator).get(reverse("referrals:coordination_referral_status", args=[referral.public_id]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Chloé Rousseau" in html and "Alice Martin" in html
    assert "Envoyée" in html and "1 jour de retard" in html  # 72 h since sending, 24 h past the 48 h target
    assert 'href="tel:+33240000001"' in html and "Appeler le 02 40 00 00 01" in html
    assert "Demande envoyée" in html  # the steps
    for forbidden in (PATIENT["patient_family_name"], PATIENT["reason"], PATIENT["question"], "1958"):
        assert forbidden not in html


def test_a_request_of_another_territory_answers_404(late_requests, signed_in):
    other = UserFactory(email="olga@cpts.test")
    role_grant_create(user=other, role=Role.COORDINATOR, territory=TerritoryFactory(name="CPTS du Marais"))
    enrol_totp(other)
    url = reverse("referrals:coordination_referral_status", args=[late_requests[0].public_id])

    assert signed_in(other).get(url).status_code == 404


@pytest.mark.parametrize("persona", ["gp", "cardiologist", "cardio_secretary", "observer"])
def test_only_coordinators_open_a_status_page(late_requests, persona, request, signed_in):
    url = reverse("referrals:coordination_referral_status", args=[late_requests[0].public_id])

    assert signed_in(request.getfixturevalue(persona)).get(url).status_code == 403

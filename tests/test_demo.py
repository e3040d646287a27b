"""The demo territory: one command, idempotent, the accounts every role needs, listed in demo mode only."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from accounts.roles import Role, roles_of
from cpts_portal.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from directory import selectors
from directory.models import Practice, Practitioner, RoleGrant

EXPECTED_ACCOUNTS = {
    "coordinateur@demo.cpts.test": {Role.COORDINATOR},
    "generaliste@demo.cpts.test": {Role.PROFESSIONAL},
    "generaliste2@demo.cpts.test": {Role.PROFESSIONAL},
    "cardiologue@demo.cpts.test": {Role.PROFESSIONAL},
    "dermatologue@demo.cpts.test": {Role.PROFESSIONAL},
    "secretaire.cardio@demo.cpts.test": {Role.SECRETARY},
    "secretaire.autre@demo.cpts.test": {Role.SECRETARY},
    "regulateur@demo.cpts.test": {Role.REGULATOR},
    "observateur@demo.cpts.test": {Role.OBSERVER},
}


@pytest.fixture
def demo(db, settings):
    settings.DEMO_MODE = True
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_demo_creates_every_account_with_its_role(demo):
    for email, roles in EXPECTED_ACCOUNTS.items():
        user = User.objects.get(email=email)
        assert roles_of(user) == roles, email
        assert user.check_password(DEMO_PASSWORD)


def test_seed_demo_prints_the_shared_password(demo):
    assert DEMO_PASSWORD in demo
    assert "secretaire.cardio@demo.cpts.test" in demo


def test_seed_demo_is_idempotent(demo):
    counts = (User.objects.count(), Practitioner.objects.count(), Practice.objects.count(), RoleGrant.objects.count())

    call_command("seed_demo", stdout=StringIO())

    assert counts == (
        User.objects.count(),
        Practitioner.objects.count(),
        Practice.objects.count(),
        RoleGrant.objects.count(),
    )


def test_cardiology_secretary_works_for_the_cardiologists_practice_and_the_other_does_not(demo):
    cardiologist = User.objects.get(email="cardiologue@demo.cpts.test")
    secretary = User.objects.get(email="secretaire.cardio@demo.cpts.test")
    other = User.objects.get(email="secretaire.autre@demo.cpts.test")
    cardio_practice = selectors.practices_served_by(cardiologist).get()

    assert list(selectors.practices_served_by(secretary)) == [cardio_practice]
    assert cardio_practice not in selectors.practices_served_by(other)


def test_seed_demo_refuses_outside_demo_mode(db, settings):
    settings.DEMO_MODE = False

    with pytest.raises(CommandError, match="DEMO_MODE"):
        call_command("seed_demo")
    assert not User.objects.exists()


def test_login_page_lists_the_demo_accounts_in_demo_mode(client, demo):
    page = client.get("/accounts/login/").content.decode()

    assert DEMO_PASSWORD in page
    for account in DEMO_ACCOUNTS:
        assert account.email in page


def test_login_page_never_lists_them_outside_demo_mode(client, demo, settings):
    settings.DEMO_MODE = False

    page = client.get("/accounts/login/").content.decode()

    assert DEMO_PASSWORD not in page
    assert "coordinateur@demo.cpts.test" not in page


def test_demo_professional_signs_in_without_enrolling_mfa(client, demo):
    response = client.post("/accounts/login/", {"login": "cardiologue@demo.cpts.test", "password": DEMO_PASSWORD})

    assert response.status_code == 302
    assert client.get("/compte/").status_code == 200

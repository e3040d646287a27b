"""Signing in: e-mail and password, a second factor for roles that reach patient data, lock-out on brute force."""

from datetime import timedelta

import pyotp
import pytest
from django.urls import reverse

from accounts.models import User
from tests.conftest import totp_secret_of

LOGIN = "/accounts/login/"


def post_login(client, email, password):
    return client.post(LOGIN, {"login": email, "password": password})


def test_login_page_is_in_french(client, db):
    response = client.get(LOGIN)

    assert response.status_code == 200
    assert '<html lang="fr"' in response.content.decode()
    assert "Connexion" in response.content.decode()


def test_observer_signs_in_with_email_and_password(client, observer, password):
    response = post_login(client, observer.email.upper(), password)

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    dashboard = client.get(reverse("home"))
    assert "Bonjour Hugo" in dashboard.content.decode()


def test_wrong_password_is_refused_with_a_french_message(client, observer):
    response = post_login(client, observer.email, "not-the-password")

    assert response.status_code == 200
    assert "mot de passe sont incorrects" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_professional_with_totp_is_asked_for_a_code_before_the_dashboard(client, gp, password):
    response = post_login(client, gp.email, password)

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session

    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200
    assert "_auth_user_id" not in client.session

    code = pyotp.TOTP(totp_secret_of(gp)).now()
    right = client.post(reverse("mfa_authenticate"), {"code": code})
    assert right.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    assert int(client.session["_auth_user_id"]) == gp.pk


def test_professional_without_second_factor_is_sent_to_enrol_before_any_page(client, gp_without_mfa, password):
    post_login(client, gp_without_mfa.email, password)

    response = client.get(reverse("accounts:profile"))

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    page = client.get(response["Location"])
    assert "double authentification" in page.content.decode()


def test_api_refuses_a_professional_without_second_factor(client, gp_without_mfa):
    client.force_login(gp_without_mfa)

    response = client.get("/api/v1/me/")

    assert response.status_code == 403
    assert "double authentification" in response.json()["detail"]


def test_enrolling_totp_opens_the_portal(client, gp_without_mfa, password):
    post_login(client, gp_without_mfa.email, password)
    activation = client.get(reverse("mfa_activate_totp"))
    secret = activation.context["form"].secret

    response = client.post(reverse("mfa_activate_totp"), {"code": pyotp.TOTP(secret).now()})

    assert response.status_code == 302
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_observer_is_not_required_to_enrol(client, observer):
    client.force_login(observer)

    assert client.get(reverse("accounts:profile")).status_code == 200


def test_demo_mode_waives_the_second_factor(client, gp_without_mfa, settings):
    settings.DEMO_MODE = True
    client.force_login(gp_without_mfa)

    assert client.get(reverse("accounts:profile")).status_code == 200


def test_brute_force_locks_the_address_out_with_a_clear_french_message(client, observer, password):
    for _attempt in range(5):
        post_login(client, observer.email, "guess")

    response = post_login(client, observer.email, password)

    assert response.status_code in (200, 429)
    assert "Trop de tentatives de connexion échouées : ce compte est bloqué pendant 5 minutes" in (
        response.content.decode()
    )
    assert "_auth_user_id" not in client.session


def test_lock_out_of_one_address_does_not_block_another(client, observer, outsider, password):
    for _attempt in range(5):
        post_login(client, observer.email, "guess")

    response = post_login(client, outsider.email, password)

    assert response.status_code == 302


def test_public_sign_up_is_closed(client, db):
    response = client.post(
        "/accounts/signup/",
        {"email": "x@cpts.test", "password1": "a-long-password-1", "password2": "a-long-password-1"},
    )

    assert "les inscriptions sont actuellement fermées" in response.content.decode()
    assert not User.objects.filter(email="x@cpts.test").exists()


@pytest.mark.parametrize("path", ["/", "/compte/", "/envois/", "/compte/journal-acces/"])
def test_pages_need_a_session_except_the_welcome_page(client, db, path):
    response = client.get(path)

    if path == "/":
        assert response.status_code == 200
        assert "Se connecter" in response.content.decode()
    else:
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN)


def test_unverified_address_gets_a_verification_email_through_the_outbox(client, db):
    from django.core import mail

    from accounts.services import user_create
    from notifications.models import OutboundMessage
    from notifications.tasks import deliver_message

    user_create(email="nouveau@cpts.test", password="un-mot-de-passe-long", email_verified=False)

    response = client.post(LOGIN, {"login": "nouveau@cpts.test", "password": "un-mot-de-passe-long"})

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    row = OutboundMessage.objects.get(recipient="nouveau@cpts.test")
    deliver_message.apply(args=[row.pk])
    assert len(mail.outbox) == 1
    assert "/accounts/confirm-email/" in mail.outbox[0].body


def test_recovery_codes_are_shown_right_after_enrolment_without_the_password_again(client, gp_without_mfa, password):
    post_login(client, gp_without_mfa.email, password)
    secret = client.get(reverse("mfa_activate_totp")).context["form"].secret
    client.post(reverse("mfa_activate_totp"), {"code": pyotp.TOTP(secret).now()})

    response = client.get(reverse("mfa_view_recovery_codes"))

    assert response.status_code == 200


def test_removing_a_factor_set_up_earlier_asks_for_the_password_again(client, gp, password):
    from allauth.mfa.models import Authenticator
    from django.utils import timezone

    Authenticator.objects.filter(user=gp).update(created_at=timezone.now() - timedelta(hours=2))
    client.force_login(gp)

    response = client.get(reverse("mfa_deactivate_totp"))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")

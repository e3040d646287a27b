"""Security keys (WebAuthn) count as a second factor, for sign-in, the pages and the API.

The browser journey (tests/browser/test_webauthn.py) uses Chromium's virtual authenticator. Here a software
key built with fido2 answers allauth's challenges, so that the rules are checked without a browser.
"""

import json
import os

import pytest
from allauth.mfa.models import Authenticator
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from django.urls import reverse
from fido2.cose import ES256
from fido2.utils import sha256
from fido2.webauthn import (
    AttestationObject,
    AttestedCredentialData,
    AuthenticationResponse,
    AuthenticatorAssertionResponse,
    AuthenticatorAttestationResponse,
    AuthenticatorData,
    CollectedClientData,
    RegistrationResponse,
)

from accounts.permissions import mfa_required_but_missing

pytestmark = pytest.mark.django_db


class SoftwareSecurityKey:
    """A security key in memory: it registers one credential and signs the challenges of its relying party."""

    origin = "https://testserver"  # the test client's host; fido2 accepts an https origin of the RP ID

    def __init__(self):
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.counter = 0

    def register(self, creation_options: dict) -> dict:
        options = creation_options["publicKey"]
        public_key = ES256.from_cryptography_key(self.private_key.public_key())
        credential = AttestedCredentialData.create(b"\0" * 16, self.credential_id, public_key)
        flags = AuthenticatorData.FLAG.UP | AuthenticatorData.FLAG.UV | AuthenticatorData.FLAG.AT
        auth_data = AuthenticatorData.create(sha256(options["rp"]["id"].encode()), flags, self.counter, credential)
        response = RegistrationResponse(
            raw_id=self.credential_id,
            response=AuthenticatorAttestationResponse(
                client_data=CollectedClientData.create("webauthn.create", options["challenge"], self.origin),
                attestation_object=AttestationObject.create("none", auth_data, {}),
            ),
        )
        return dict(response)

    def sign(self, request_options: dict) -> dict:
        options = request_options["publicKey"]
        self.counter += 1
        flags = AuthenticatorData.FLAG.UP | AuthenticatorData.FLAG.UV
        auth_data = AuthenticatorData.create(sha256(options["rpId"].encode()), flags, self.counter)
        client_data = CollectedClientData.create("webauthn.get", options["challenge"], self.origin)
        signature = self.private_key.sign(auth_data + client_data.hash, ec.ECDSA(hashes.SHA256()))
        response = AuthenticationResponse(
            raw_id=self.credential_id,
            response=AuthenticatorAssertionResponse(
                client_data=client_data, authenticator_data=auth_data, signature=signature
            ),
        )
        return dict(response)


def post_login(client, email, password):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def add_security_key(client, name: str) -> SoftwareSecurityKey:
    key = SoftwareSecurityKey()
    page = client.get(reverse("mfa_add_webauthn"))
    assert page.status_code == 200, page
    credential = key.register(page.context["js_data"]["creation_options"])
    response = client.post(reverse("mfa_add_webauthn"), {"name": name, "credential": json.dumps(credential)})
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    return key


def test_a_professional_whose_only_factor_is_a_security_key_counts_as_enrolled(client, gp_without_mfa, password):
    # Before any factor, the portal sends her to the authenticator app's enrolment page.
    post_login(client, gp_without_mfa.email, password)
    assert client.get(reverse("home"))["Location"] == reverse("mfa_activate_totp")

    # She adds a security key instead (allauth also gives her recovery codes): the portal opens.
    key = add_security_key(client, "Clé USB du cabinet")
    types = set(Authenticator.objects.filter(user=gp_without_mfa).values_list("type", flat=True))
    assert types == {Authenticator.Type.WEBAUTHN, Authenticator.Type.RECOVERY_CODES}
    assert not mfa_required_but_missing(gp_without_mfa)
    assert client.get(reverse("home")).status_code == 200
    assert client.get("/api/v1/me/").status_code == 200

    # At the next sign-in the key is asked for, and opens the portal.
    client.post(reverse("account_logout"))
    response = post_login(client, gp_without_mfa.email, password)
    assert response["Location"] == reverse("mfa_authenticate")
    page = client.get(reverse("mfa_authenticate"))
    assert "Utiliser ma clé de sécurité" in page.content.decode()
    assertion = key.sign(page.context["js_data"]["request_options"])

    response = client.post(reverse("mfa_authenticate"), {"credential": json.dumps(assertion)})

    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == gp_without_mfa.pk
    assert client.get(reverse("home")).status_code == 200


def test_a_key_that_did_not_sign_the_challenge_does_not_open_the_portal(client, gp_without_mfa, password):
    client.force_login(gp_without_mfa)
    add_security_key(client, "Clé USB du cabinet")
    client.post(reverse("account_logout"))
    post_login(client, gp_without_mfa.email, password)
    page = client.get(reverse("mfa_authenticate"))

    [registered] = Authenticator.objects.filter(user=gp_without_mfa, type=Authenticator.Type.WEBAUTHN)
    impostor = SoftwareSecurityKey()  # another key, claiming her credential ID: its signature does not match
    impostor.credential_id = registered.wrap().authenticator_data.credential_data.credential_id
    assertion = impostor.sign(page.context["js_data"]["request_options"])

    response = client.post(reverse("mfa_authenticate"), {"credential": json.dumps(assertion)})

    assert response.status_code == 200
    assert "La clé de sécurité n'a pas été reconnue" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_security_key_alone_satisfies_the_mfa_rule(gp_without_mfa):
    assert mfa_required_but_missing(gp_without_mfa)

    Authenticator.objects.create(
        user=gp_without_mfa, type=Authenticator.Type.WEBAUTHN, data={"name": "Clé USB", "credential": {}}
    )

    assert not mfa_required_but_missing(gp_without_mfa)

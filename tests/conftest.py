"""Personas shared by every test: a territory with two practices and one person per role.

- ``gp`` (Dr Alice Martin, GP at the Tilleuls practice) and ``gp2`` (Dr Bob Benali, another practice);
- ``cardiologist`` (Dr Chloé Rousseau) at the cardiology practice, whose secretary is ``cardio_secretary``;
- ``other_secretary`` works for the dermatology practice only;
- ``coordinator``, ``regulator`` and ``observer`` of the territory; ``outsider`` has an account and no role.

Every persona who reaches patient data has a TOTP device (``totp_secret_of``), as production requires;
the ``*_without_mfa`` fixtures build the same people before enrolment.
"""

import os
from datetime import timedelta

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings as django_settings
from django.utils import timezone

from accounts.roles import Role
from directory.models import Activity
from directory.services import role_grant_create
from tests.factories import (
    TEST_PASSWORD,
    PracticeFactory,
    PractitionerFactory,
    SpecialtyFactory,
    TerritoryFactory,
    UserFactory,
)

_TOTP_SECRETS: dict[int, str] = {}

# Under pytest-xdist the workers share one Redis database: each counts under a key prefix of its own, so that
# one worker emptying its keys (``_empty_cache``) never resets the rate-limit counters another is testing.
# Set before any test touches the cache (the cache objects read the prefix when they are first created).
if worker := os.environ.get("PYTEST_XDIST_WORKER"):
    django_settings.CACHES["default"]["KEY_PREFIX"] = f"{django_settings.CACHES['default']['KEY_PREFIX']}-{worker}"


@pytest.fixture(autouse=True)
def _outbox_is_the_mail_backend(settings):
    # pytest-django swaps EMAIL_BACKEND for locmem; the portal's mail must still go through the outbox,
    # whose delivery uses OUTBOX_EMAIL_BACKEND (locmem in tests, so mail.outbox shows what was delivered).
    settings.EMAIL_BACKEND = "notifications.email.OutboxEmailBackend"
    settings.OUTBOX_EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SMS_BACKEND = "notifications.sms.LocmemSmsBackend"
    from notifications.sms import LocmemSmsBackend

    LocmemSmsBackend.outbox.clear()


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings, tmp_path_factory):
    # Attachments written by the tests land in a folder pytest removes, not in the project's var/media.
    settings.MEDIA_ROOT = tmp_path_factory.getbasetemp() / "media"


@pytest.fixture(autouse=True)
def _empty_cache():
    # Rate-limit counters live in the (real) Redis cache: each test starts with none. Only the tests' own
    # keys are removed (not FLUSHDB): the same Redis database is the Celery broker of the worker tests.
    from django.core.cache import cache

    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match=f"{cache.key_prefix}:*", count=1000))
    if keys:
        client.delete(*keys)
    yield


def enrol_totp(user) -> str:
    """The persona set up their authenticator app weeks ago (not during this sign-in)."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    Authenticator.objects.filter(user=user).update(created_at=timezone.now() - timedelta(days=30))
    _TOTP_SECRETS[user.pk] = secret
    return secret


def totp_secret_of(user) -> str:
    return _TOTP_SECRETS[user.pk]


@pytest.fixture
def password():
    return TEST_PASSWORD


@pytest.fixture
def territory(db):
    return TerritoryFactory(name="CPTS du Bocage", slug="bocage")


@pytest.fixture
def gp_practice(territory):
    return PracticeFactory(name="Maison de santé des Tilleuls", territory=territory)


@pytest.fixture
def gp2_practice(territory):
    return PracticeFactory(name="Cabinet médical du Port", territory=territory)


@pytest.fixture
def cardio_practice(territory):
    return PracticeFactory(name="Cabinet de cardiologie du Centre", territory=territory)


@pytest.fixture
def dermato_practice(territory):
    return PracticeFactory(name="Centre dermatologique des Halles", territory=territory)


def _professional(email, first_name, last_name, practice, territory, specialty):
    user = UserFactory(email=email, first_name=first_name, last_name=last_name)
    practitioner = PractitionerFactory(first_name=first_name, last_name=last_name, territory=territory)
    practitioner.specialties.add(specialty)
    Activity.objects.create(practitioner=practitioner, practice=practice)
    role_grant_create(user=user, role=Role.PROFESSIONAL, practitioner=practitioner)
    return user


@pytest.fixture
def gp_without_mfa(territory, gp_practice):
    return _professional("alice@cpts.test", "Alice", "Martin", gp_practice, territory, SpecialtyFactory())


@pytest.fixture
def gp(gp_without_mfa):
    enrol_totp(gp_without_mfa)
    return gp_without_mfa


@pytest.fixture
def gp2(territory, gp2_practice):
    user = _professional("bob@cpts.test", "Bob", "Benali", gp2_practice, territory, SpecialtyFactory())
    enrol_totp(user)
    return user


@pytest.fixture
def cardiologist(territory, cardio_practice):
    specialty = SpecialtyFactory(code="SM04", label="Cardiologie et maladies vasculaires")
    user = _professional("chloe@cpts.test", "Chloé", "Rousseau", cardio_practice, territory, specialty)
    enrol_totp(user)
    return user


@pytest.fixture
def cardio_secretary(cardio_practice):
    user = UserFactory(email="denise@cpts.test", first_name="Denise", last_name="Moreau")
    role_grant_create(user=user, role=Role.SECRETARY, practices=[cardio_practice])
    enrol_totp(user)
    return user


@pytest.fixture
def other_secretary(dermato_practice):
    user = UserFactory(email="eve@cpts.test", first_name="Eve", last_name="Girard")
    role_grant_create(user=user, role=Role.SECRETARY, practices=[dermato_practice])
    enrol_totp(user)
    return user


@pytest.fixture
def coordinator_without_mfa(territory):
    user = UserFactory(email="fanny@cpts.test", first_name="Fanny", last_name="Durand")
    role_grant_create(user=user, role=Role.COORDINATOR, territory=territory)
    return user


@pytest.fixture
def coordinator(coordinator_without_mfa):
    enrol_totp(coordinator_without_mfa)
    return coordinator_without_mfa


@pytest.fixture
def regulator(territory):
    user = UserFactory(email="gaston@cpts.test", first_name="Gaston", last_name="Fontaine")
    role_grant_create(user=user, role=Role.REGULATOR, territory=territory)
    enrol_totp(user)
    return user


@pytest.fixture
def observer(territory):
    # Observers read aggregated figures only: no patient data, so no second factor required.
    user = UserFactory(email="hugo@cpts.test", first_name="Hugo", last_name="Petit")
    role_grant_create(user=user, role=Role.OBSERVER, territory=territory)
    return user


@pytest.fixture
def outsider(db):
    return UserFactory(email="ivan@cpts.test", first_name="Ivan", last_name="Leroy")


@pytest.fixture
def signed_in(client):
    """``signed_in(user)`` returns the test client with ``user``'s session, MFA passed."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture(autouse=True)
def _french_by_default():
    # A request activates its language in the thread and nothing resets it: a test that asked for English
    # would otherwise leave the messages of the next tests in English.
    from django.utils import translation

    translation.activate("fr")
    yield
    translation.deactivate()

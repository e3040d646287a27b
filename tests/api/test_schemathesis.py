"""Schemathesis explores every operation of the OpenAPI schema with a coordinator's token: no server error."""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.throttling import UserRateThrottle
from schemathesis.checks import not_a_server_error

from accounts.services import api_token_create


@pytest.fixture
def api_schema(db):
    # As Django's test client does: keep the test's database connection open across WSGI requests.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def coordinator_token(coordinator):
    _token, key = api_token_create(user=coordinator, name="schemathesis")
    return key


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_never_answers_a_server_error(case, coordinator_token):
    case.call_and_validate(headers={"Authorization": f"Token {coordinator_token}"}, checks=[not_a_server_error])


@pytest.fixture
def handled_referral(gp, cardiologist):
    """A request the cardiology secretary handles: the actions' bodies are explored on a request they may act on."""
    from directory.models import Practitioner
    from referrals.services import referral_send
    from tests.referrals.conftest import PATIENT

    return referral_send(
        acting_user=gp, kind="letter", recipient_practitioner=Practitioner.objects.get(user=cardiologist), **PATIENT
    )


@pytest.fixture
def secretary_token(cardio_secretary):
    _token, key = api_token_create(user=cardio_secretary, name="schemathesis")
    return key


@schema.include(path_regex=r"^/api/v1/referrals/\{public_id\}/[a-z-]+/$", method="POST").parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_actions_on_a_request_the_caller_handles_never_answer_a_server_error(
    case, handled_referral, secretary_token, cardio_secretary
):
    from django.core.cache import cache

    # Hundreds of calls a minute: the per-user throttle would answer most of them 429 before any action ran.
    cache.delete(UserRateThrottle.cache_format % {"scope": "user", "ident": cardio_secretary.pk})
    case.path_parameters = {"public_id": str(handled_referral.public_id)}
    case.call_and_validate(headers={"Authorization": f"Token {secretary_token}"}, checks=[not_a_server_error])

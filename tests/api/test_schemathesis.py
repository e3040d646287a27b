"""Schemathesis explores every operation of the OpenAPI schema with a coordinator's token: no server error."""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
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

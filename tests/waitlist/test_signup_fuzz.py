"""Schemathesis explores the anonymous sign-up operations (throttling off): whatever the body, never a server
error."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from tests.api.test_schemathesis import api_schema  # noqa: F401 (the fixture the schema is read from)

schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture
def _open_signups(settings, waiting_list):
    settings.WAITLIST_SIGNUP_RATE = None


@schema.include(path_regex=r"^/api/v1/waitlist/signups/").parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_signup_api_never_answers_a_server_error(case, _open_signups):
    case.call_and_validate(checks=[not_a_server_error])

"""Signed, expiring links for patients without an account (waiting list, SNP bookings)."""

import time
from datetime import timedelta
from unittest import mock

import pytest

from accounts.signed_links import patient_link_read, patient_link_token, patient_link_url
from core.errors import ApplicationError

WEEK = timedelta(days=7)


def test_a_link_gives_back_its_subject():
    token = patient_link_token(purpose="waitlist", subject_id="3f2a")

    assert patient_link_read(purpose="waitlist", token=token, max_age=WEEK) == "3f2a"


def test_link_url_is_absolute_for_messages(settings):
    settings.SITE_URL = "https://portail.cpts.test"

    url = patient_link_url(purpose="waitlist", subject_id="3f2a", path="/liste/suivi/")

    assert url.startswith("https://portail.cpts.test/liste/suivi/")
    assert url.endswith("/")


def test_expired_link_says_so_in_french():
    eight_days_ago = time.time() - 8 * 86400
    with mock.patch("time.time", return_value=eight_days_ago):
        token = patient_link_token(purpose="waitlist", subject_id="3f2a")

    with pytest.raises(ApplicationError, match="expiré") as error:
        patient_link_read(purpose="waitlist", token=token, max_age=WEEK)
    assert error.value.code == "link_expired"


def test_link_made_for_one_purpose_is_refused_for_another():
    token = patient_link_token(purpose="snp-booking", subject_id="3f2a")

    with pytest.raises(ApplicationError, match="pas valide"):
        patient_link_read(purpose="waitlist", token=token, max_age=WEEK)


def test_tampered_link_is_refused():
    token = patient_link_token(purpose="waitlist", subject_id="3f2a")

    with pytest.raises(ApplicationError, match="pas valide"):
        patient_link_read(purpose="waitlist", token=token[:-2] + "xx", max_age=WEEK)


def test_bumping_the_version_revokes_earlier_links():
    old = patient_link_token(purpose="waitlist", subject_id="3f2a", version=1)
    new = patient_link_token(purpose="waitlist", subject_id="3f2a", version=2)

    assert patient_link_read(purpose="waitlist", token=new, max_age=WEEK, current_version=2) == "3f2a"
    with pytest.raises(ApplicationError, match="remplacé"):
        patient_link_read(purpose="waitlist", token=old, max_age=WEEK, current_version=2)

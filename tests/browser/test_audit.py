"""The audit every browser test gets (conftest.py): it sees each page, and it fails on what it must."""

import re

import pytest
from playwright.sync_api import expect

# The machinery is the same at every width: once is enough.
pytestmark = pytest.mark.parametrize("viewport", ["phone"])


def test_every_page_is_audited_even_when_left_at_once(page, visit, request):
    visit("/accounts/login/")
    page.get_by_role("link", name="Mot de passe oublié ?").click()  # no waiting for the new page
    page.get_by_role("link", name="Portail CPTS").click()
    expect(page).to_have_url(re.compile(r"/$"))
    auditor = request.node._a11y_auditor
    auditor.wait()
    paths = [re.sub(r"^https?://[^/]+", "", url) for url in auditor.audited_urls]
    assert paths == ["/accounts/login/", "/accounts/password/reset/", "/"]


def test_a_serious_violation_fails_the_test(page, visit, audit):
    visit("/")
    page.evaluate("() => document.querySelector('main').insertAdjacentHTML('beforeend', '<button></button>')")
    with pytest.raises(pytest.fail.Exception, match=r"\[critical\] button-name"):
        audit()


def test_a_page_wider_than_the_screen_fails_the_test(page, visit, audit):
    visit("/")
    # Styled through the DOM: the Content-Security-Policy blocks an inline style="" attribute.
    page.evaluate(
        """() => {
            const wide = document.createElement("p");
            wide.id = "large";
            wide.textContent = "x";
            wide.style.width = "2000px";
            document.querySelector("main").append(wide);
        }"""
    )
    with pytest.raises(pytest.fail.Exception, match=r"\[layout\] the page scrolls sideways.*p#large"):
        audit()

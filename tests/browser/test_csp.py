"""The strict Content-Security-Policy in a real Chromium: the pages and their HTMX behaviours work under it, and
the browser reports no violation (no inline script, handler or style, nothing evaluated from a string)."""

import json
import re

import pytest
from playwright.sync_api import expect

from directory.models import ContactChannel, Practitioner
from tests.browser.steps import AuthenticatorApp, enter_authenticator_code, sign_in_with_password
from tests.conftest import totp_secret_of

VIOLATION_MARKER = "__csp_violation__"

# Before the page's own scripts: every violation the browser reports is sent to the test through the console.
LISTEN_JS = """
document.addEventListener("securitypolicyviolation", (event) => console.error("MARKER" + JSON.stringify({
  url: location.href, directive: event.violatedDirective, blocked: event.blockedURI, sample: event.sample,
  source: event.sourceFile, line: event.lineNumber,
})));
""".replace("MARKER", VIOLATION_MARKER)


class Violations:
    """What the browser refused on the pages of one test: the events, and the console's own CSP and HTMX eval
    errors (HTMX reports a refused evaluation on the console, not as a violation)."""

    def __init__(self):
        self.found: list[str] = []

    def watch(self, page):
        page.on("console", self._on_console)
        return self

    def _on_console(self, message):
        text = message.text
        if text.startswith(VIOLATION_MARKER):
            self.found.append(json.dumps(json.loads(text[len(VIOLATION_MARKER) :]), ensure_ascii=False))
        elif "Content Security Policy" in text or "evalDisallowed" in text:
            self.found.append(text)


@pytest.fixture
def violations(context, page):
    context.add_init_script(LISTEN_JS)
    return Violations().watch(page)


def test_pages_and_their_behaviours_work_under_the_policy_without_any_violation(
    page, visit, shot, audit, violations, gp, gp2, cardiologist, password
):
    rousseau = Practitioner.objects.get(user=cardiologist)
    ContactChannel.objects.create(
        practitioner=rousseau, audience="professionals", kind="mssante", value="chloe.rousseau@cardio.mssante.fr"
    )
    visit("/accounts/login/")
    sign_in_with_password(page, gp.email, password)
    enter_authenticator_code(page, AuthenticatorApp(totp_secret_of(gp)).code())
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bonjour Alice")

    # The directory search: the results come in as an HTMX fragment, the address bar follows.
    visit("/annuaire/")
    page.get_by_label("Spécialité ou nom").fill("Rousseau")
    page.get_by_label("Spécialité ou nom").press("Enter")
    expect(page.locator("#search-results")).to_contain_text("Chloé Rousseau")
    expect(page).to_have_url(re.compile(r"/annuaire/\?q=Rousseau"))
    audit()
    shot("annuaire")

    # Her page: the copy button (static/js/copy.js) shows and copies.
    page.locator("#search-results").get_by_role("link", name="Chloé Rousseau").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Chloé Rousseau")
    expect(page.get_by_role("button", name="Copier").first).to_be_visible()

    # A new request: Enter in the recipient search runs the HTMX search (static/js/portal.js) without sending
    # the form; choosing a recipient asks for the notices about them (the "recipient-change" event).
    page.get_by_role("button", name="Adresser un patient").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nouvelle demande")
    search = page.get_by_label("Ou chercher un autre professionnel")
    search.fill("Benali")
    with page.expect_request(re.compile(r"/demandes/nouvelle/destinataires/\?")):
        search.press("Enter")
    expect(page).to_have_url(re.compile(r"/demandes/nouvelle/\?praticien="))  # the form was not sent
    results = page.locator("#recipient-results")
    expect(results.get_by_role("radio").first).to_be_visible()
    with page.expect_response(re.compile(r"/demandes/nouvelle/destinataire/\?")) as notices:
        results.get_by_role("radio").first.check()
    assert notices.value.ok
    audit()
    shot("nouvelle-demande")

    assert violations.found == []


def test_api_docs_render_under_the_policy(browser, live_server, db):
    # Swagger UI is a third-party page: no accessibility audit here, only the policy.
    context = browser.new_context(base_url=live_server.url)
    context.add_init_script(LISTEN_JS)
    page = context.new_page()
    violations = Violations().watch(page)

    response = page.goto("/api/docs/")

    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "style-src 'self' 'unsafe-inline';" in policy  # the one exception, for Swagger UI's drawing
    expect(page.locator(".swagger-ui .title")).to_contain_text("API", timeout=15000)
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    context.close()
    assert violations.found == []

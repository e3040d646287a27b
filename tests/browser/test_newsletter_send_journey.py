"""Issue 14, at 390 and 1280 px: the coordinator sends a test of the issue to themselves, is stopped until they
tick the confirmation, sends it, and watches the progress bar fill by itself (HTMX) while the batches leave for a
real SMTP server; then reads who received it. Nothing the CSP refuses on the way."""

import datetime
import re

from django.utils import timezone
from playwright.sync_api import expect

from newsletter.models import Edition, Issue, Item, Section, Subscriber
from notifications.models import OutboundMessage
from notifications.smtp_sink import SmtpSink
from tests.browser.steps import AuthenticatorApp, enter_authenticator_code, sign_in_with_password
from tests.browser.test_csp import LISTEN_JS, Violations
from tests.conftest import totp_secret_of
from tests.newsletter.sending_helpers import run_chain


def test_the_coordinator_sends_a_test_then_the_issue_and_watches_it_leave(
    page, context, visit, shot, audit, password, coordinator, territory, settings
):
    context.add_init_script(LISTEN_JS)
    violations = Violations().watch(page)
    issue = Issue.objects.create(
        territory=territory,
        month=timezone.localdate().replace(day=1),
        edition=Edition.PUBLIC,
        title="La lettre du mois",
        editorial="Bonjour à **toutes et tous**.",
    )
    Item.objects.create(issue=issue, section=Section.NEWS, position=10, title="Vaccination", body="Le mardi.")
    for number in range(3):
        Subscriber.objects.create(
            territory=territory,
            email=f"lecteur{number}@exemple.fr",
            editions=[Edition.PUBLIC],
            source=Subscriber.Source.FORM,
            confirmed_at=timezone.now() - datetime.timedelta(days=3),
        )

    with SmtpSink() as sink:
        for name, value in sink.backend_settings().items():
            setattr(settings, name, value)
        visit("/accounts/login/")
        sign_in_with_password(page, coordinator.email, password)
        enter_authenticator_code(page, AuthenticatorApp(totp_secret_of(coordinator)).code())
        visit(f"/lettre/coordination/{issue.public_id}/")
        panel = page.locator("section.nl-send")
        expect(panel).to_contain_text("3 abonnés confirmés reçoivent cette édition")
        shot("avant-envoi")

        panel.get_by_role("button", name=re.compile("^M'envoyer un test")).click()
        expect(page.locator(".messages")).to_contain_text("Un e-mail de test part")
        test_message = OutboundMessage.objects.get(template="newsletter_issue", recipient=coordinator.email)
        assert test_message.context["test"] is True

        # The browser refuses the form until the box is ticked (required); the server would answer 400 too.
        page.get_by_role("button", name="Envoyer maintenant").click()
        assert Issue.objects.get(pk=issue.pk).status == Issue.Status.DRAFT
        page.get_by_label(re.compile("J'envoie ce numéro à 3 abonnés")).check()
        page.get_by_role("button", name="Envoyer maintenant").click()
        expect(page.locator("#send-progress")).to_contain_text("0 sur 3 traités")
        audit()
        shot("envoi-en-cours")

        run_chain(Issue.objects.get(pk=issue.pk))  # what the worker does, batch after batch
        expect(page.locator("#send-progress")).to_contain_text("3 sur 3 traités", timeout=10_000)
        assert dict(sink.received) == {f"lecteur{n}@exemple.fr": 1 for n in range(3)}
        shot("envoye")

        page.get_by_role("link", name="Voir les envois, les retours en erreur et les désinscriptions").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Envois du numéro")
        expect(page.locator("table")).to_contain_text("lecteur0@exemple.fr")
        shot("envois")
    assert violations.found == [], "\n".join(violations.found)

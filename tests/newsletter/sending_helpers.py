"""Fixtures of the sending tests: a draft with items, subscribers in every state, a real SMTP server (the outbox's
SMTP backend delivers to it) and a helper that runs the chain of batch tasks to its end, as a worker would."""

import datetime

import pytest
from django.utils import timezone

from newsletter.models import Edition, Issue, Item, Section, Subscriber
from newsletter.tasks import send_issue_batch
from notifications.smtp_sink import SmtpSink

MONTH = datetime.date(2026, 11, 1)


def subscriber(territory, email, *, editions=(Edition.PUBLIC,), confirmed=True, **fields) -> Subscriber:
    return Subscriber.objects.create(
        territory=territory,
        email=email,
        editions=list(editions),
        source=Subscriber.Source.FORM,
        confirmed_at=timezone.now() if confirmed else None,
        **fields,
    )


@pytest.fixture
def draft(territory, coordinator):
    issue = Issue.objects.create(
        territory=territory,
        month=MONTH,
        edition=Edition.PUBLIC,
        title="La lettre de novembre",
        editorial="Bonjour à **toutes et tous**.",
        created_by=coordinator,
    )
    Item.objects.create(issue=issue, section=Section.NEWS, position=10, title="Vaccination", body="Le *mardi*.")
    return issue


@pytest.fixture
def audience(territory):
    """Three confirmed public subscribers, and four who must receive nothing of the public edition."""
    return {
        "readers": [subscriber(territory, f"lecteur{n}@exemple.fr") for n in range(3)],
        "unconfirmed": subscriber(territory, "pas-confirme@exemple.fr", confirmed=False),
        "professional_only": subscriber(territory, "pro@exemple.fr", editions=[Edition.PROFESSIONAL]),
        "unsubscribed": subscriber(territory, "parti@exemple.fr", unsubscribed_at=timezone.now()),
        "bounced": subscriber(territory, "inconnu@exemple.fr", hard_bounced_at=timezone.now()),
    }


@pytest.fixture
def sink(settings):
    """A real SMTP server; the outbox delivers to it. ``sink.refused`` can name addresses it refuses (550)."""
    with SmtpSink() as server:
        for name, value in server.backend_settings().items():
            setattr(settings, name, value)
        yield server


def run_chain(issue: Issue, *, limit: int = 1000) -> list[dict]:
    """Runs the send's batch tasks one after the other until the chain stops (what a worker does)."""
    steps = []
    for _ in range(limit):
        issue.refresh_from_db()
        if issue.status != Issue.Status.SENDING or issue.send_chain is None:
            break
        step = send_issue_batch.apply(args=(issue.pk, str(issue.send_chain))).get()
        steps.append(step)
        if not step["more"]:
            break
    issue.refresh_from_db()
    return steps

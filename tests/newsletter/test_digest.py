# ruff: noqa: F811 (the fixtures imported from the helpers are requested by name)
"""The weekly digest: a professional asks for it on their account page; on Monday they receive last week's
directory changes (professional wording) on the newsletter's machinery, once; a week without a change sends
nothing; its link leaves the digest only; a public subscriber can never choose it."""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.roles import Role
from directory.models import ChangeEvent
from directory.services import role_grant_create
from newsletter.models import DIGEST, Edition, Issue, Subscriber
from newsletter.services.digest import digest_open, weekly_digests_send
from newsletter.services.subscriptions import account_receives_digest
from tests.conftest import enrol_totp
from tests.factories import PractitionerFactory, UserFactory
from tests.newsletter.render_helpers import doctor, event
from tests.newsletter.sending_helpers import run_chain, sink, subscriber  # noqa: F401
from tests.newsletter.subscribers_helpers import page_text

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2026, 11, 30)  # the job runs on Monday 7 December for the week of 30 November


@pytest.fixture
def professional(territory):
    user = UserFactory(email="dr.petit@cabinet.fr")
    entry = PractitionerFactory(territory=territory, first_name="Anne", last_name="Petit")
    role_grant_create(user=user, role=Role.PROFESSIONAL, practitioner=entry)
    enrol_totp(user)
    return user


@pytest.fixture
def week_events(territory):
    arriving = doctor(territory, "Léa", "Moreau")
    leaving = doctor(territory, "Jean", "Dupont")
    return [
        event(arriving, ChangeEvent.Kind.ARRIVAL, MONDAY + datetime.timedelta(days=2)),
        event(leaving, ChangeEvent.Kind.DEPARTURE, MONDAY + datetime.timedelta(days=6), note="Relais par le Dr Roy"),
        event(leaving, ChangeEvent.Kind.MOVED_PRACTICE, MONDAY - datetime.timedelta(days=1)),  # the week before
    ]


def ask_for_the_digest(client):
    return client.post(reverse("newsletter:account_subscription"), {"digest": "1"})


def test_a_professional_asks_for_the_digest_and_receives_last_weeks_changes_once(
    signed_in, professional, territory, week_events, sink
):
    client = signed_in(professional)
    assert ask_for_the_digest(client).status_code == 302
    assert account_receives_digest(professional)
    assert "Ne plus recevoir le récapitulatif" in page_text(client.get(reverse("newsletter:account_subscription")))

    assert weekly_digests_send(today=MONDAY + datetime.timedelta(days=7)) == {"sent": 1, "quiet": 0}
    digest = Issue.objects.get(edition=DIGEST)
    run_chain(digest)
    assert dict(sink.received) == {"dr.petit@cabinet.fr": 1}
    text = sink.messages[0].get_body(("plain",)).get_content()
    assert "Léa Moreau" in text and "Relais par le Dr Roy" in text  # the professional wording, note included
    assert "Semaine du 30 novembre 2026" in text
    assert "change de cabinet" not in text and "exerce désormais" not in text  # the week before is not in it
    # The job runs again (a retried task, a second beat): nothing leaves twice.
    assert weekly_digests_send(today=MONDAY + datetime.timedelta(days=7)) == {"sent": 0, "quiet": 0}
    assert sink.total() == 1


def test_the_digests_link_leaves_the_digest_only(signed_in, professional, territory, week_events, sink):
    ask_for_the_digest(signed_in(professional))
    weekly_digests_send(today=MONDAY + datetime.timedelta(days=7))
    run_chain(Issue.objects.get(edition=DIGEST))
    header = str(sink.messages[0]["List-Unsubscribe"]).replace("\n", "").replace(" ", "")
    url = re.fullmatch(r"<https?://[^/]+([^>]+)>", header).group(1)
    assert url.endswith("?seulement=digest")
    response = Client(enforce_csrf_checks=True).post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and "récapitulatif hebdomadaire" in page_text(response)
    row = Subscriber.objects.get(user=professional)
    assert row.editions == [Edition.PROFESSIONAL] and row.receives  # still gets the monthly letter
    assert not account_receives_digest(professional)


def test_a_week_without_changes_sends_nothing(signed_in, professional, territory, sink):
    ask_for_the_digest(signed_in(professional))
    assert weekly_digests_send(today=MONDAY + datetime.timedelta(days=7)) == {"sent": 0, "quiet": 1}
    assert not Issue.objects.filter(edition=DIGEST).exists() and sink.total() == 0


def test_nobody_asked_nothing_is_opened(territory, week_events):
    subscriber(territory, "lecteur@exemple.fr", editions=[Edition.PUBLIC, Edition.PROFESSIONAL])
    assert weekly_digests_send(today=MONDAY + datetime.timedelta(days=7)) == {"sent": 0, "quiet": 0}
    assert digest_open(territory=territory, monday=MONDAY).items.count() == 2  # what it would have said


def test_a_public_subscriber_cannot_choose_the_digest(client, territory):
    response = client.post(
        "/api/v1/newsletter/subscriptions/",
        {"email": "a@exemple.fr", "editions": [DIGEST]},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert not Subscriber.objects.exists()


def test_an_account_without_a_professional_role_cannot_ask_for_it(signed_in, coordinator):
    response = ask_for_the_digest(signed_in(coordinator))
    assert response.status_code == 403

"""The queue stays true: six months after the last confirmation the household is asked "toujours sans médecin
traitant ?" (SMS and e-mail, with a link to a page whose button confirms), reminded twice two weeks apart, then
made inactive with the reason recorded. The beat task runs for real here, with the dates moved back as time
would; each step goes once however often it runs. Opening the link confirms nothing; the button does, and brings
an inactive household back with its first date."""

import datetime
import html
import re

import pytest
from django.conf import settings
from django.utils import timezone

from notifications.models import OutboundMessage
from notifications.services import message_render
from waitlist.models import RECONFIRM_AFTER_DAYS, Entry, EntryEvent
from waitlist.tasks import send_reconfirmations

pytestmark = pytest.mark.django_db

HEALTH_WORDS = ("ald", "affection", "grossesse", "handicap", "traitement", "css", "ame ", "priorit", "diagnostic")


def page_of(response) -> str:
    return html.unescape(response.content.decode())


def _run(**expected):
    return send_reconfirmations.apply().get() == {"asked": 0, "reminded": 0, "inactivated": 0, **expected}


def _days_pass(entry, days):
    """As if ``days`` had passed since the entry's last confirmation and its last message."""
    shift = datetime.timedelta(days=days)
    entry.refresh_from_db()
    Entry.objects.filter(pk=entry.pk).update(
        confirmed_at=entry.confirmed_at - shift,
        last_reminder_at=entry.last_reminder_at - shift if entry.last_reminder_at else None,
    )


def _sent(template):
    return OutboundMessage.objects.filter(template=template)


@pytest.fixture
def six_months_old(waiting_entry):
    since = timezone.now() - datetime.timedelta(days=RECONFIRM_AFTER_DAYS + 1)
    return waiting_entry(waiting_since=since, phone="+33612345678", email="jeanne@exemple.test", ald=True)


def test_nothing_is_asked_before_six_months(waiting_entry):
    waiting_entry(waiting_since=timezone.now() - datetime.timedelta(days=RECONFIRM_AFTER_DAYS - 1))

    assert _run()
    assert not OutboundMessage.objects.exists()


def test_the_whole_timeline_ask_two_reminders_then_inactive(six_months_old):
    entry = six_months_old

    assert _run(asked=1)
    assert _run()  # a second run the same day sends nothing
    assert sorted(_sent("waitlist_reconfirm").values_list("channel", flat=True)) == ["email", "sms"]

    _days_pass(entry, 13)
    assert _run()
    _days_pass(entry, 1)
    assert _run(reminded=1)
    assert _run()
    _days_pass(entry, 14)
    assert _run(reminded=1)
    assert _sent("waitlist_reconfirm_reminder").count() == 4  # two reminders, SMS and e-mail
    last = message_render(_sent("waitlist_reconfirm_reminder").filter(channel="email").latest("created_at"))
    assert "dernier rappel" in last["text"]

    _days_pass(entry, 14)
    assert _run(inactivated=1)
    assert _run()

    entry.refresh_from_db()
    assert entry.status == Entry.Status.INACTIVE and entry.closed_at is not None
    assert entry.closed_reason.startswith("Sans réponse aux trois demandes de confirmation")
    assert entry.events.filter(kind=EntryEvent.Kind.REMINDED).count() == 3
    assert entry.events.get(kind=EntryEvent.Kind.INACTIVATED).details == {"reason": "no_reconfirmation"}
    assert _sent("waitlist_inactivated").count() == 2


def test_the_messages_carry_the_confirm_link_and_no_health_word(six_months_old):
    send_reconfirmations.apply()

    for message in _sent("waitlist_reconfirm"):
        rendered = message_render(message)
        text = " ".join(rendered.values())
        assert "toujours sans médecin traitant" in text.lower()
        assert f"{settings.SITE_URL}/liste-attente/suivi/" in text and "/confirmer/" in text
        assert not [word for word in HEALTH_WORDS if word in text.lower()], text
        assert "Jeanne" not in text and "Durand" not in text
        assert message.recipient_kind == OutboundMessage.RecipientKind.PATIENT


def _confirm_path(message) -> str:
    url = re.search(r"https?://\S+/confirmer/", " ".join(message_render(message).values())).group(0)
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def test_opening_the_link_confirms_nothing_the_button_does(client, six_months_old):
    send_reconfirmations.apply()
    path = _confirm_path(_sent("waitlist_reconfirm").get(channel="sms"))

    opened = client.get(path)
    assert opened.status_code == 200 and "Je suis toujours sans médecin traitant" in page_of(opened)
    six_months_old.refresh_from_db()
    assert six_months_old.reminders_sent == 1

    response = client.post(path)

    assert response.status_code == 302 and response["Location"].endswith("?fait=confirmed")
    six_months_old.refresh_from_db()
    assert (six_months_old.reminders_sent, six_months_old.last_reminder_at) == (0, None)
    assert timezone.now() - six_months_old.confirmed_at < datetime.timedelta(minutes=1)
    assert six_months_old.events.filter(kind=EntryEvent.Kind.CONFIRMED, by_patient=True).count() == 1
    _days_pass(six_months_old, 30)
    assert _run()  # the six months start again


def test_an_inactive_household_that_confirms_is_back_with_its_first_date(client, six_months_old):
    first_date = six_months_old.waiting_since
    send_reconfirmations.apply()
    for _step in range(3):
        _days_pass(six_months_old, 14)
        send_reconfirmations.apply()
    six_months_old.refresh_from_db()
    assert six_months_old.status == Entry.Status.INACTIVE
    path = _confirm_path(_sent("waitlist_inactivated").get(channel="email"))

    assert "en pause" in page_of(client.get(path))
    client.post(path)

    six_months_old.refresh_from_db()
    assert six_months_old.status == Entry.Status.WAITING
    assert six_months_old.waiting_since == first_date
    assert (six_months_old.closed_at, six_months_old.closed_reason) == (None, "")


def test_entries_not_waiting_are_left_alone(waiting_entry):
    old = timezone.now() - datetime.timedelta(days=RECONFIRM_AFTER_DAYS + 10)
    for status in (Entry.Status.WITHDRAWN, Entry.Status.MATCHED, Entry.Status.PROPOSED):
        entry = waiting_entry(waiting_since=old)
        Entry.objects.filter(pk=entry.pk).update(status=status)

    assert _run()


def test_a_withdrawn_household_gets_no_reminder(six_months_old, client):
    send_reconfirmations.apply()
    Entry.objects.filter(pk=six_months_old.pk).update(status=Entry.Status.WITHDRAWN)
    _days_pass(six_months_old, 14)

    assert _run()


def test_the_beat_schedule_runs_the_task_daily():
    entry = settings.CELERY_BEAT_SCHEDULE["waitlist-reconfirmations"]

    assert entry["task"] == "waitlist.tasks.send_reconfirmations"

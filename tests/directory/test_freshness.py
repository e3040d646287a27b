"""Entries stay true: a monthly task asks the owner of every entry confirmed more than six months ago whether it is
still right, through the outbox; the link opens a page whose button (never the opening itself) confirms it.
Whoever may edit an entry confirms it from its page."""

import datetime
import re
import time
from urllib.parse import urlsplit

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from cpts_portal.celery import app as celery_app
from directory.models import Audience, ContactChannel, EntryRevision, Practitioner
from directory.services.upkeep import (
    confirmation_address,
    confirmation_link_url,
    confirmation_requests_send,
)
from directory.tasks import send_confirmation_requests
from notifications.models import OutboundMessage
from notifications.tasks import deliver_message
from tests.factories import PractitionerFactory

Kind = ContactChannel.Kind
NOW = timezone.now()


def aged(practitioner, *, days: int, confirmed: bool = False, asked_days_ago: int | None = None):
    """Backdates an entry: created (or confirmed) ``days`` ago, perhaps asked ``asked_days_ago`` days ago."""
    moment = NOW - datetime.timedelta(days=days)
    fields = {"last_confirmed_at": moment} if confirmed else {"created_at": moment}
    if asked_days_ago is not None:
        fields["confirmation_requested_at"] = NOW - datetime.timedelta(days=asked_days_ago)
    Practitioner.objects.filter(pk=practitioner.pk).update(**fields)
    practitioner.refresh_from_db()
    return practitioner


def channel(practitioner, kind, value, *, preferred=False, audience=Audience.PROFESSIONALS, practice=None):
    return ContactChannel.objects.create(
        practitioner=practitioner, practice=practice, audience=audience, kind=kind, value=value, preferred=preferred
    )


def token_of(url: str) -> str:
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[1]


@pytest.fixture
def old_entry(territory):
    """Dr Lucie Faure, created eight months ago, never confirmed, reachable at an e-mail address of her own."""
    practitioner = PractitionerFactory(first_name="Lucie", last_name="Faure", territory=territory)
    channel(practitioner, Kind.EMAIL, "lucie.faure@exemple.fr")
    channel(practitioner, Kind.PROFESSIONAL_LINE, "02 51 00 00 42", preferred=True)
    return aged(practitioner, days=240)


# --- The monthly e-mail -----------------------------------------------------------------------------------------


def test_the_monthly_task_asks_every_owner_due_once_and_through_the_outbox(territory, gp):
    gp_entry = aged(Practitioner.objects.get(user=gp), days=200)  # linked account: its e-mail is used
    with_email = aged(PractitionerFactory(territory=territory), days=300, confirmed=True)
    channel(with_email, Kind.MSSANTE, "dr.x@exemple.mssante.fr", preferred=True)
    channel(with_email, Kind.EMAIL, "second@exemple.fr")
    channel(with_email, Kind.EMAIL, "premier@exemple.fr", preferred=True, audience=Audience.PUBLIC)
    mssante_only = aged(PractitionerFactory(territory=territory), days=400)
    channel(mssante_only, Kind.MSSANTE, "dr.y@exemple.mssante.fr")
    asked_long_ago = aged(PractitionerFactory(territory=territory), days=250, asked_days_ago=40)
    channel(asked_long_ago, Kind.EMAIL, "relance@exemple.fr")
    # Not asked: confirmed recently, asked 10 days ago, no address of their own (a practice's is a secretariat's).
    recent = aged(PractitionerFactory(territory=territory), days=30, confirmed=True)
    channel(recent, Kind.EMAIL, "recent@exemple.fr")
    asked_recently = aged(PractitionerFactory(territory=territory), days=250, asked_days_ago=10)
    channel(asked_recently, Kind.EMAIL, "deja@exemple.fr")
    no_address = aged(PractitionerFactory(territory=territory), days=250)
    channel(no_address, Kind.PHONE, "02 51 00 00 01")
    young = PractitionerFactory(territory=territory)
    channel(young, Kind.EMAIL, "jeune@exemple.fr")

    assert send_confirmation_requests.apply().get() == 4

    rows = OutboundMessage.objects.filter(template="directory_confirmation_request")
    assert sorted(rows.values_list("recipient", flat=True)) == sorted(
        [gp.email, "premier@exemple.fr", "dr.y@exemple.mssante.fr", "relance@exemple.fr"]
    )
    month = timezone.now().strftime("%Y-%m")
    assert rows.get(recipient=gp.email).idempotency_key == f"directory-confirmation:{gp_entry.public_id}:{month}"
    for practitioner in (gp_entry, with_email, mssante_only, asked_long_ago):
        practitioner.refresh_from_db()
        assert practitioner.confirmation_requested_at > NOW
    for practitioner in (recent, asked_recently, no_address, young):
        before = practitioner.confirmation_requested_at
        practitioner.refresh_from_db()
        assert practitioner.confirmation_requested_at == before

    # A second run (a retried task, a beat restarted) sends nothing.
    assert send_confirmation_requests.apply().get() == 0
    assert OutboundMessage.objects.filter(template="directory_confirmation_request").count() == 4


def test_the_address_chosen_is_the_account_then_an_email_then_mssante(territory, gp, gp_practice):
    assert confirmation_address(Practitioner.objects.get(user=gp)) == gp.email
    entry = PractitionerFactory(territory=territory)
    assert confirmation_address(entry) == ""
    channel(entry, Kind.EMAIL, "cabinet@exemple.fr", practice=gp_practice)
    assert confirmation_address(entry) == ""
    channel(entry, Kind.MSSANTE, "b@exemple.mssante.fr")
    assert confirmation_address(entry) == "b@exemple.mssante.fr"
    channel(entry, Kind.EMAIL, "a@exemple.fr")
    assert confirmation_address(entry) == "a@exemple.fr"


def test_the_email_summarises_the_entry_with_a_confirmation_link_and_a_link_to_edit(old_entry):
    assert confirmation_requests_send() == 1
    row = OutboundMessage.objects.get(template="directory_confirmation_request")
    assert deliver_message.apply(args=[row.pk]).get() == "sent"

    (email,) = mail.outbox
    assert email.to == ["lucie.faure@exemple.fr"]
    assert email.subject == "[CPTS] Ces informations sont-elles toujours justes ?"
    assert "Voici ce que l'annuaire de la CPTS dit de Lucie Faure." in email.body
    assert f"Lucie Faure — RPPS {old_entry.rpps}" in email.body
    assert "Ligne réservée aux professionnels (Professionnels de santé) : 02 51 00 00 42" in email.body
    confirm = re.search(r"https?://\S+/annuaire/confirmer/\S+/", email.body).group(0)
    edit = reverse("directory:claim_start", kwargs={"practitioner_id": old_entry.public_id})  # no account yet
    assert edit in email.body
    html = email.alternatives[0][0]
    assert confirm in html
    assert "Tout est juste" in html


def test_a_confirmation_resets_the_clock(client, old_entry):
    confirmation_requests_send()
    client.post(urlsplit(confirmation_link_url(old_entry)).path)

    # Next month, nothing is due for her.
    assert confirmation_requests_send(now=NOW + datetime.timedelta(days=35)) == 0
    # Six months after her confirmation, she is asked again.
    assert confirmation_requests_send(now=NOW + datetime.timedelta(days=190)) == 1


def test_the_task_is_scheduled_every_month():
    entry = settings.CELERY_BEAT_SCHEDULE["directory-confirmation-requests"]

    assert entry["task"] == "directory.tasks.send_confirmation_requests"
    assert entry["task"] in celery_app.tasks
    assert isinstance(entry["schedule"], crontab)
    assert entry["schedule"].day_of_month == {2}
    assert entry["schedule"].month_of_year == set(range(1, 13))


# --- The confirmation link ---------------------------------------------------------------------------------------


def test_opening_the_link_shows_the_entry_and_only_the_button_confirms_it(client, old_entry):
    channel(old_entry, Kind.PHONE, "02 51 00 00 77", audience=Audience.PUBLIC)
    path = urlsplit(confirmation_link_url(old_entry)).path

    page = client.get(path)
    assert page.status_code == 200
    content = page.content.decode()
    assert "Ces informations sont-elles toujours justes ?" in content
    # Whoever holds the link sees what the public sees: the professional line stays hidden.
    assert "02 51 00 00 77" in content
    assert "02 51 00 00 42" not in content
    assert "Tout est juste" in content
    old_entry.refresh_from_db()
    assert old_entry.last_confirmed_at is None  # a mail scanner opening the link confirms nothing
    assert not EntryRevision.objects.filter(action=EntryRevision.Action.CONFIRMED).exists()

    response = client.post(path)
    assert response.status_code == 200
    assert "La fiche de Lucie Faure est confirmée à jour." in response.content.decode()
    old_entry.refresh_from_db()
    assert old_entry.last_confirmed_at > NOW
    assert not old_entry.is_stale
    revision = EntryRevision.objects.get(practitioner=old_entry, action=EntryRevision.Action.CONFIRMED)
    assert (revision.actor, revision.actor_label) == (None, "Lien de confirmation")
    assert revision.territory == old_entry.territory
    assert revision.before == {"last_confirmed_at": None}


def test_a_confirmation_link_confirms_once_then_is_refused_in_french(client, old_entry):
    path = urlsplit(confirmation_link_url(old_entry)).path
    assert client.post(path).status_code == 200
    old_entry.refresh_from_db()
    first_confirmation = old_entry.last_confirmed_at

    for replay in (client.get(path), client.post(path)):
        assert replay.status_code == 400
        assert "Ce lien a déjà servi" in replay.content.decode()
        assert "02 51 00 00 42" not in replay.content.decode()
    old_entry.refresh_from_db()
    assert old_entry.last_confirmed_at == first_confirmation
    assert EntryRevision.objects.filter(practitioner=old_entry, action=EntryRevision.Action.CONFIRMED).count() == 1


def test_next_months_link_works_after_this_one_was_used(client, old_entry):
    client.post(urlsplit(confirmation_link_url(old_entry)).path)
    old_entry.refresh_from_db()

    assert client.post(urlsplit(confirmation_link_url(old_entry)).path).status_code == 200


def test_a_tampered_confirmation_link_is_refused_in_french(client, old_entry):
    path = urlsplit(confirmation_link_url(old_entry)).path
    tampered = path[:-8] + "AAAAAAA/"

    for response in (client.get(tampered), client.post(tampered)):
        assert response.status_code == 400
        assert "Ce lien n&#x27;est pas valide." in response.content.decode()
    old_entry.refresh_from_db()
    assert old_entry.last_confirmed_at is None


def test_an_expired_confirmation_link_is_refused_in_french(client, old_entry, monkeypatch):
    real_time = time.time
    with monkeypatch.context() as patch:
        patch.setattr(time, "time", lambda: real_time() - 31 * 24 * 3600)  # sent 31 days ago
        path = urlsplit(confirmation_link_url(old_entry)).path

    response = client.post(path)

    assert response.status_code == 400
    assert "Ce lien a expiré." in response.content.decode()
    old_entry.refresh_from_db()
    assert old_entry.last_confirmed_at is None


def test_a_link_of_a_claim_does_not_confirm_an_entry(client, old_entry):
    # Links are signed per purpose: the claim link's token is refused here.
    from accounts.signed_links import patient_link_token

    token = patient_link_token(purpose="directory-claim", subject_id=str(old_entry.public_id))
    response = client.post(reverse("directory:confirm_link", kwargs={"token": token}))

    assert response.status_code == 400
    old_entry.refresh_from_db()
    assert old_entry.last_confirmed_at is None


# --- Confirming from the entry's page ----------------------------------------------------------------------------


def confirm_url(practitioner):
    return reverse("directory:entry_confirm", kwargs={"practitioner_id": practitioner.public_id})


@pytest.mark.parametrize("persona", ["cardiologist", "cardio_secretary", "coordinator"])
def test_whoever_may_edit_the_entry_confirms_it_from_its_page(client, cardiologist, persona, request):
    user = request.getfixturevalue(persona)
    entry = Practitioner.objects.get(user=cardiologist)
    client.force_login(user)

    response = client.post(confirm_url(entry))

    assert response.status_code == 302
    assert response["Location"] == reverse("directory:practitioner_detail", kwargs={"practitioner_id": entry.public_id})
    entry.refresh_from_db()
    assert entry.last_confirmed_at is not None
    revision = EntryRevision.objects.get(practitioner=entry, action=EntryRevision.Action.CONFIRMED)
    assert revision.actor == user


@pytest.mark.parametrize("persona", ["gp", "other_secretary", "outsider", "regulator"])
def test_others_cannot_confirm_an_entry(client, cardiologist, persona, request):
    entry = Practitioner.objects.get(user=cardiologist)
    client.force_login(request.getfixturevalue(persona))

    assert client.post(confirm_url(entry)).status_code == 403
    entry.refresh_from_db()
    assert entry.last_confirmed_at is None
    assert not EntryRevision.objects.filter(action=EntryRevision.Action.CONFIRMED).exists()


def test_confirming_from_the_page_needs_a_post_and_a_signed_in_user(client, cardiologist):
    entry = Practitioner.objects.get(user=cardiologist)

    response = client.post(confirm_url(entry))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    client.force_login(cardiologist)
    assert client.get(confirm_url(entry)).status_code == 405
    entry.refresh_from_db()
    assert entry.last_confirmed_at is None


# --- Stale entries, for the coordinator ---------------------------------------------------------------------------


def test_the_coordinator_lists_the_entries_unconfirmed_for_a_year(client, territory, coordinator):
    stale = aged(PractitionerFactory(first_name="Odile", last_name="Ancienne", territory=territory), days=400)
    aged(PractitionerFactory(first_name="Paul", last_name="Recent", territory=territory), days=200)
    elsewhere = aged(PractitionerFactory(first_name="Yves", last_name="Ailleurs"), days=500)
    client.force_login(coordinator)

    page = client.get(reverse("directory:upkeep_stale")).content.decode()

    assert stale.is_stale and elsewhere.is_stale
    assert "Odile Ancienne" in page
    assert "Paul Recent" not in page
    assert "Yves Ailleurs" not in page
    assert "1 fiche n'a pas été confirmée depuis plus d'un an" in page


def test_only_coordinators_see_the_stale_entries(client, gp):
    client.force_login(gp)
    assert client.get(reverse("directory:upkeep_stale")).status_code == 403

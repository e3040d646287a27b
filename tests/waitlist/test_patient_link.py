"""The patient's signed link: the status page says where the household stands in words (waiting since, the level
without a diagnosis, proposed, matched and how to book, inactive); a tampered, expired or replaced link is
refused in French; "lien perdu ?" sends the link again and says the same thing whether the address is on the list
or not, a few times an hour at most."""

import datetime
import html

import pytest
from django.core import signing
from django.utils import timezone

from accounts.signed_links import patient_link_token
from directory.models import Audience, ContactChannel
from notifications.models import OutboundMessage
from waitlist.models import Entry, Pledge, Proposal
from waitlist.services.common import entry_follow_link

pytestmark = pytest.mark.django_db


def page_of(response) -> str:
    return html.unescape(response.content.decode())


def follow_path(entry, suffix=""):
    return "/" + entry_follow_link(entry).split("://", 1)[1].split("/", 1)[1] + suffix


def test_the_status_page_says_since_when_and_the_level_without_a_diagnosis(client, waiting_entry):
    since = timezone.now() - datetime.timedelta(days=40)
    entry = waiting_entry(birth_date=datetime.date(1948, 1, 2), waiting_since=since)

    response = client.get(follow_path(entry))

    page = page_of(response)
    assert response.status_code == 200
    assert "Vous êtes sur la liste d'attente depuis le" in page
    assert "Niveau de priorité" in page and "Standard" in page  # 70 ans et plus (+2) stays below 3
    assert "70 ans et plus" in page  # what they declared, in words
    assert "Jeanne Durand" in page and "06 12 34 56 78" in page
    assert "Modifier mes informations" in page and "Effacer mes données" in page


def test_a_proposed_household_is_told_a_gp_looks_at_it_without_naming_the_gp(client, waiting_entry, gp_entry):
    entry = waiting_entry()
    pledge = _pledge(gp_entry, entry)
    Proposal.objects.create(
        pledge=pledge,
        entry=entry,
        batch=pledge.public_id,
        distance_km=1.2,
        priority_level=entry.priority_level,
        household_size=1,
        expires_at=timezone.now() + datetime.timedelta(days=7),
    )
    Entry.objects.filter(pk=entry.pk).update(status=Entry.Status.PROPOSED)

    page = page_of(client.get(follow_path(entry)))

    assert "proposée à un médecin près de chez vous" in page and "Il doit répondre avant le" in page
    assert gp_entry.last_name not in page


def test_a_matched_household_reads_who_and_how_to_book(client, waiting_entry, gp_entry):
    entry = waiting_entry()
    ContactChannel.objects.create(
        practitioner=gp_entry, audience=Audience.PUBLIC, kind="phone", value="+33251000001", preferred=True
    )
    pledge = _pledge(gp_entry, entry)
    Proposal.objects.create(
        pledge=pledge,
        entry=entry,
        batch=pledge.public_id,
        distance_km=1.2,
        priority_level=0,
        household_size=1,
        expires_at=timezone.now(),
        status=Proposal.Status.ACCEPTED,
        answered_at=timezone.now(),
    )
    Entry.objects.filter(pk=entry.pk).update(status=Entry.Status.MATCHED)

    page = page_of(client.get(follow_path(entry)))

    assert "Un médecin accepte de vous accueillir" in page
    assert gp_entry.last_name in page and "02 51 00 00 01" in page


def test_an_inactive_household_is_offered_to_come_back(client, waiting_entry):
    entry = waiting_entry()
    Entry.objects.filter(pk=entry.pk).update(status=Entry.Status.INACTIVE)

    page = page_of(client.get(follow_path(entry)))

    assert "en pause" in page and "Je suis toujours sans médecin traitant" in page


def test_a_tampered_link_is_refused_in_french(client, waiting_entry):
    path = follow_path(waiting_entry())

    response = client.get(path[:-4] + "xyz/")

    assert response.status_code == 404
    assert "Ce lien n'est pas valide" in page_of(response)
    assert "Recevoir mon lien de suivi" in page_of(response)


def test_an_expired_link_says_how_to_get_a_new_one(client, waiting_entry, monkeypatch):
    entry = waiting_entry()
    token = patient_link_token(purpose="waitlist", subject_id=str(entry.public_id), version=entry.link_version)
    two_years_on = timezone.now().timestamp() + 2 * 365 * 86400
    monkeypatch.setattr(signing.time, "time", lambda: two_years_on)

    response = client.get(f"/liste-attente/suivi/{token}/")

    assert response.status_code == 400 and "Ce lien a expiré" in page_of(response)


def test_a_link_replaced_by_a_newer_one_is_refused(client, waiting_entry):
    entry = waiting_entry()
    old = follow_path(entry)
    Entry.objects.filter(pk=entry.pk).update(link_version=entry.link_version + 1)

    response = client.get(old)

    assert response.status_code == 400 and "remplacé par un plus récent" in page_of(response)


def test_a_link_of_another_purpose_is_refused(client, waiting_entry):
    entry = waiting_entry()
    token = patient_link_token(purpose="snp-booking", subject_id=str(entry.public_id), version=entry.link_version)

    assert client.get(f"/liste-attente/suivi/{token}/").status_code == 404


# --- Lost link ---------------------------------------------------------------------------------------------------


def _resent():
    return OutboundMessage.objects.filter(template="waitlist_link_resent")


def test_a_lost_link_is_sent_again_to_the_address_typed(client, waiting_entry):
    entry = waiting_entry(phone="+33612345678", email="jeanne@exemple.test")

    response = client.post("/liste-attente/lien-perdu/", {"address": "06 12 34 56 78"})

    assert response.status_code == 200
    assert "Si une inscription utilise ce téléphone" in page_of(response)
    message = _resent().get()
    assert (message.channel, message.recipient) == ("sms", "+33612345678")
    assert message.context["follow_url"] == entry_follow_link(entry)
    client.post("/liste-attente/lien-perdu/", {"address": "JEANNE@exemple.test"})
    assert _resent().filter(channel="email", recipient="jeanne@exemple.test").count() == 1


def test_the_lost_link_page_says_the_same_for_an_address_not_on_the_list(client, waiting_entry):
    waiting_entry(phone="+33612345678")
    known = page_of(client.post("/liste-attente/lien-perdu/", {"address": "0612345678"}))
    unknown = page_of(client.post("/liste-attente/lien-perdu/", {"address": "0699999999"}))

    def main(page):
        return page.split("<main", 1)[1].split("</main>", 1)[0]

    assert main(known) == main(unknown)
    assert _resent().count() == 1


def test_an_erased_household_gets_no_link_back(client, waiting_entry):
    entry = waiting_entry(phone="+33612345678")
    Entry.objects.filter(pk=entry.pk).update(status=Entry.Status.ERASED)

    assert client.post("/liste-attente/lien-perdu/", {"address": "0612345678"}).status_code == 200
    assert not _resent().exists()


def test_the_lost_link_page_is_rate_limited_per_address(client, waiting_entry):
    waiting_entry(phone="+33612345678")
    for _try in range(3):
        assert client.post("/liste-attente/lien-perdu/", {"address": "0612345678"}).status_code == 200

    response = client.post("/liste-attente/lien-perdu/", {"address": "0612345678"})

    assert response.status_code == 429 and "réessayez dans une heure" in page_of(response)


def test_the_lost_link_page_refuses_what_is_neither_a_phone_nor_an_email(client):
    response = client.post("/liste-attente/lien-perdu/", {"address": "bonjour"})

    assert response.status_code == 400
    page = page_of(response)
    assert "Tapez un numéro de téléphone" in page and 'value="bonjour"' in page


def _pledge(practitioner, entry):
    today = timezone.localdate()
    return Pledge.objects.create(
        practitioner=practitioner,
        waiting_list=entry.waiting_list,
        capacity=5,
        radius_km=10,
        starts_on=today,
        until=today + datetime.timedelta(days=90),
    )

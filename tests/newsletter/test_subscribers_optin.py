"""The subscriber's side: subscribing on the page or through the API with double opt-in (the link opens a page,
only its button confirms), never telling whether an address was there, the public edition only for the public,
leaving in one click (RFC 8058, no CSRF token, no session) or from the footer page, editions, export, erasure;
a reused, tampered or expired link is refused in French."""

import json

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from newsletter import protection
from newsletter.models import Subscriber, SubscriptionConsent
from newsletter.services import subscriptions as services
from notifications.models import OutboundMessage
from tests.newsletter.subscribers_helpers import confirmation_path, page_text, path_of, subscriber

URL = "/lettre/abonnement/"
API = "/api/v1/newsletter/subscriptions/"


@pytest.fixture(autouse=True)
def _no_fill_delay(monkeypatch):
    monkeypatch.setattr(protection, "MIN_FILL_SECONDS", 0)


def form_data(client, **changes):
    page = client.get(URL)
    data = {"form_started": page.context["started"], "site_web": "", "email": "Jeanne.Durand@Exemple.fr"}
    data["editions"] = ["public"]
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def subscribe(client, **changes):
    return client.post(URL, form_data(client, **changes))


def confirmed(territory, email="lea@exemple.fr", editions=("public",)):
    row = services.subscription_request(territory=territory, email=email, editions=list(editions))
    return services.subscription_confirm(subscriber=row)


# --- Subscribing ------------------------------------------------------------------------------------------------


def test_the_page_offers_the_public_edition_only_and_says_why(client, territory):
    page = client.get(URL)

    assert page.status_code == 200
    assert [value for value, _label in page.context["form"].fields["editions"].choices] == ["public"]
    assert "réservée aux professionnels de santé" in page_text(page)


def test_a_visitor_subscribes_and_is_sent_to_check_the_mailbox(client, territory):
    response = subscribe(client)

    assert response.status_code == 302 and response["Location"] == "/lettre/abonnement/envoye/"
    row = subscriber("jeanne.durand@exemple.fr")
    assert row.email == "jeanne.durand@exemple.fr" and row.editions == ["public"] and row.confirmed_at is None
    assert row.source == "form" and row.territory == territory
    consent = row.consents.get()
    assert consent.action == "given" and consent.how == "formulaire du site"
    message = OutboundMessage.objects.get(template="newsletter_confirm")
    assert message.recipient == "jeanne.durand@exemple.fr" and message.recipient_kind == "patient"
    assert "Vérifiez votre boîte" in page_text(client.get("/lettre/abonnement/envoye/"))


def test_an_invalid_address_answers_400_in_french_keeping_what_was_typed(client, territory):
    response = subscribe(client, email="jeanne.exemple.fr")

    assert response.status_code == 400
    assert "Cette adresse e-mail n'est pas valide" in page_text(response)
    assert 'value="jeanne.exemple.fr"' in page_text(response)
    assert not Subscriber.objects.exists() and not OutboundMessage.objects.exists()


def test_a_public_visitor_cannot_choose_the_professional_edition(client, territory):
    response = subscribe(client, editions=["professional"])

    assert response.status_code == 400 and not Subscriber.objects.exists()
    api = client.post(API, {"email": "a@exemple.fr", "editions": ["professional"]}, content_type="application/json")
    assert api.status_code == 400 and api.json()["field"] == "editions"
    assert "réservée aux professionnels" in api.json()["detail"]


def test_no_edition_chosen_is_refused_in_french(client, territory):
    response = subscribe(client, editions=None)

    assert response.status_code == 400 and "Choisissez au moins une édition" in page_text(response)


def test_a_robot_filling_the_honeypot_or_too_fast_is_refused(client, territory, monkeypatch):
    assert subscribe(client, site_web="http://spam").status_code == 400
    monkeypatch.setattr(protection, "MIN_FILL_SECONDS", 60)
    too_fast = subscribe(client)
    assert too_fast.status_code == 400 and "trop vite" in page_text(too_fast)
    assert not Subscriber.objects.exists()


def test_a_flood_from_one_connection_is_refused_with_429(client, territory, settings):
    settings.NEWSLETTER_SUBSCRIBE_RATE = "2/hour"
    assert subscribe(client, email="a@exemple.fr").status_code == 302
    assert subscribe(client, email="b@exemple.fr").status_code == 302
    assert subscribe(client, email="c@exemple.fr").status_code == 429


def test_subscribing_again_never_reveals_whether_the_address_was_there(client, territory):
    confirmed(territory, "lea@exemple.fr")
    OutboundMessage.objects.all().delete()

    known = subscribe(client, email="LEA@exemple.fr")
    unknown = subscribe(client, email="nouvelle@exemple.fr")

    assert known.status_code == unknown.status_code == 302 and known["Location"] == unknown["Location"]
    already = OutboundMessage.objects.get(recipient="lea@exemple.fr")
    assert already.template == "newsletter_already_subscribed" and "manage_url" in already.context
    assert Subscriber.objects.filter(email__iexact="lea@exemple.fr").count() == 1
    api_known = client.post(API, {"email": "lea@exemple.fr", "editions": ["public"]}, content_type="application/json")
    api_new = client.post(API, {"email": "z@exemple.fr", "editions": ["public"]}, content_type="application/json")
    assert api_known.status_code == api_new.status_code == 201
    assert api_known.json()["status"] == api_new.json()["status"] == "confirmation_sent"


def test_an_unconfirmed_address_subscribing_again_gets_a_new_confirmation(client, territory):
    subscribe(client, email="lea@exemple.fr")
    subscribe(client, email="lea@exemple.fr")

    assert OutboundMessage.objects.filter(template="newsletter_confirm", recipient="lea@exemple.fr").count() == 2
    assert Subscriber.objects.count() == 1


def test_confirmation_mails_to_one_address_are_limited(client, territory, settings):
    for _ in range(protection.CONFIRMATIONS_PER_HOUR_PER_ADDRESS + 2):
        assert subscribe(client, email="lea@exemple.fr").status_code == 302
    sent = OutboundMessage.objects.filter(recipient="lea@exemple.fr").count()
    assert sent == protection.CONFIRMATIONS_PER_HOUR_PER_ADDRESS


def test_the_api_subscribes_with_201_and_sends_the_confirmation(client, territory):
    response = client.post(API, {"email": " Paul@Exemple.FR ", "editions": ["public"]}, content_type="application/json")

    assert response.status_code == 201
    assert response.json() == {"email": "paul@exemple.fr", "editions": ["public"], "status": "confirmation_sent"}
    assert OutboundMessage.objects.filter(template="newsletter_confirm", recipient="paul@exemple.fr").exists()


def test_the_api_refuses_bad_input_in_french(client, territory):
    bad_email = client.post(API, {"email": "paul", "editions": ["public"]}, content_type="application/json")
    bad_edition = client.post(API, {"email": "p@exemple.fr", "editions": ["weekly"]}, content_type="application/json")
    no_edition = client.post(API, {"email": "p@exemple.fr", "editions": []}, content_type="application/json")

    assert bad_email.status_code == 400 and "n'est pas valide" in bad_email.json()["detail"]
    assert bad_edition.status_code == 400 and bad_edition.json()["field"] == "editions"
    assert no_edition.status_code == 400 and "au moins une édition" in no_edition.json()["detail"]
    assert not Subscriber.objects.exists()


def test_the_api_is_throttled(client, territory, settings):
    settings.NEWSLETTER_SUBSCRIBE_RATE = "1/hour"
    body = {"email": "p@exemple.fr", "editions": ["public"]}
    assert client.post(API, body, content_type="application/json").status_code == 201
    assert client.post(API, body, content_type="application/json").status_code == 429


# --- Confirming -------------------------------------------------------------------------------------------------


def test_opening_the_confirmation_link_confirms_nothing_the_button_does(client, territory):
    subscribe(client, email="lea@exemple.fr")
    path = confirmation_path("lea@exemple.fr")

    opened = Client().get(path)

    assert opened.status_code == 200 and "Confirmer mon abonnement" in page_text(opened)
    assert subscriber("lea@exemple.fr").confirmed_at is None
    pressed = client.post(path)
    assert pressed.status_code == 200 and "Abonnement confirmé" in page_text(pressed)
    row = subscriber("lea@exemple.fr")
    assert row.confirmed_at is not None and row.receives
    assert list(row.consents.values_list("action", flat=True)) == ["given", "confirmed"]


def test_a_reused_confirmation_link_is_refused_in_french(client, territory):
    subscribe(client, email="lea@exemple.fr")
    path = confirmation_path("lea@exemple.fr")
    client.post(path)

    again = client.post(path)
    opened = client.get(path)

    assert again.status_code == 410 and "Ce lien a déjà servi" in page_text(again)
    assert opened.status_code == 410
    assert subscriber("lea@exemple.fr").consents.filter(action="confirmed").count() == 1


def test_a_tampered_confirmation_link_is_refused_in_french(client, territory):
    subscribe(client, email="lea@exemple.fr")
    path = confirmation_path("lea@exemple.fr")

    response = client.post(path[:-5] + "abcd/")

    assert response.status_code == 400 and "Ce lien n'est pas valide" in page_text(response)
    assert subscriber("lea@exemple.fr").confirmed_at is None


def test_an_expired_confirmation_link_is_refused_in_french(client, territory, monkeypatch):
    subscribe(client, email="lea@exemple.fr")
    path = confirmation_path("lea@exemple.fr")
    eight_days_on = timezone.now().timestamp() + 8 * 86400
    monkeypatch.setattr(signing.time, "time", lambda: eight_days_on)

    response = client.post(path)

    assert response.status_code == 410 and "Ce lien a expiré" in page_text(response)
    assert subscriber("lea@exemple.fr").confirmed_at is None


def test_a_link_made_for_another_purpose_does_not_confirm(client, territory):
    row = services.subscription_request(territory=territory, email="lea@exemple.fr", editions=["public"])
    unsubscribe_path = path_of(services.unsubscribe_url(row)).replace("/lettre/desinscription/", "")

    response = client.post(f"/lettre/abonnement/confirmer/{unsubscribe_path}")

    assert response.status_code == 400 and subscriber("lea@exemple.fr").confirmed_at is None


# --- Leaving ----------------------------------------------------------------------------------------------------


def test_unsubscribe_headers_name_an_https_url_and_the_one_click_post(territory, settings):
    settings.SITE_URL = "https://cpts.example.fr"
    row = confirmed(territory)

    headers = services.unsubscribe_headers(row)

    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["List-Unsubscribe"].startswith("<https://cpts.example.fr/lettre/desinscription/")
    assert headers["List-Unsubscribe"].endswith("/>")


def test_the_mail_clients_one_click_post_unsubscribes_without_csrf_token_nor_session(territory):
    row = confirmed(territory)
    url = path_of(services.unsubscribe_headers(row)["List-Unsubscribe"][1:-1])
    mail_client = Client(enforce_csrf_checks=True)

    response = mail_client.post(url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")

    assert response.status_code == 200
    row.refresh_from_db()
    assert row.unsubscribed_at is not None and not row.receives
    withdrawn = row.consents.get(action="withdrawn")
    assert withdrawn.editions == ["public"]


def test_the_footer_link_shows_a_button_and_the_button_unsubscribes(client, territory):
    row = confirmed(territory)
    url = path_of(services.unsubscribe_url(row))

    page = client.get(url)

    assert page.status_code == 200 and "Me désinscrire" in page_text(page)
    assert subscriber("lea@exemple.fr").unsubscribed_at is None
    done = client.post(url)
    assert done.status_code == 200 and "Désinscription faite" in page_text(done)
    assert subscriber("lea@exemple.fr").unsubscribed_at is not None


def test_a_reused_or_tampered_unsubscribe_link_is_refused_in_french(client, territory):
    row = confirmed(territory)
    url = path_of(services.unsubscribe_url(row))
    client.post(url)

    again = client.post(url)
    tampered = client.post(url[:-5] + "zzzz/")

    assert again.status_code == 410 and "déjà désinscrit" in page_text(again)
    assert tampered.status_code == 400 and "Ce lien n'est pas valide" in page_text(tampered)
    assert subscriber("lea@exemple.fr").consents.filter(action="withdrawn").count() == 1


def test_subscribing_again_after_leaving_revokes_the_old_links_and_needs_a_new_confirmation(client, territory):
    row = confirmed(territory)
    old_unsubscribe = path_of(services.unsubscribe_url(row))
    services.subscription_unsubscribe(subscriber=row)

    subscribe(client, email="lea@exemple.fr")

    row = subscriber("lea@exemple.fr")
    assert row.confirmed_at is None and row.unsubscribed_at is None and row.link_version == 1
    assert client.get(old_unsubscribe).status_code == 410
    client.post(confirmation_path("lea@exemple.fr"))
    assert subscriber("lea@exemple.fr").receives


# --- Managing, export, erasure ----------------------------------------------------------------------------------


def test_the_manage_page_changes_editions_within_what_the_address_may_receive(client, territory):
    row = confirmed(territory, editions=("public",))
    url = path_of(services.manage_url(row))

    page = client.get(url)
    professional = client.post(url, {"action": "editions", "editions": ["professional"]})
    none = client.post(url, {"action": "editions"})

    assert page.status_code == 200 and "Mes éditions" in page_text(page)
    assert professional.status_code == 400 and none.status_code == 400
    assert subscriber("lea@exemple.fr").editions == ["public"]


def test_the_subscriber_downloads_their_data_as_json(client, territory):
    row = confirmed(territory)
    url = path_of(services.manage_url(row))

    response = client.post(url + "export/")

    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["adresse"] == "lea@exemple.fr" and data["editions"] == ["public"]
    assert [consent["action"] for consent in data["consentements"]] == ["given", "confirmed"]
    assert client.get(url + "export/").status_code == 405


def test_the_subscriber_erases_their_data_and_the_outbox_rows_to_them(client, territory):
    row = confirmed(territory)
    url = path_of(services.manage_url(row))
    assert OutboundMessage.objects.filter(recipient="lea@exemple.fr").exists()

    confirm_page = client.get(url + "effacer/")
    assert confirm_page.status_code == 200 and subscriber("lea@exemple.fr")
    done = client.post(url + "effacer/")

    assert done.status_code == 200 and "Données effacées" in page_text(done)
    assert not Subscriber.objects.filter(email__iexact="lea@exemple.fr").exists()
    assert not OutboundMessage.objects.filter(recipient="lea@exemple.fr").exists()
    assert not SubscriptionConsent.objects.exists()
    left = Subscriber.objects.get()
    assert left.name == "" and left.user is None and not left.receives
    assert client.get(url).status_code == 410


def test_the_confirmation_mail_tells_what_and_how_long(client, territory):
    from notifications.services import message_render

    subscribe(client, email="lea@exemple.fr")
    rendered = message_render(OutboundMessage.objects.get(template="newsletter_confirm"))

    assert "Confirmez votre abonnement" in rendered["subject"]
    assert "7 jours" in rendered["text"] and territory.name in rendered["text"]

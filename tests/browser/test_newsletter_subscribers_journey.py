"""Browser journey at 390 and 1280 px: a reader subscribes to the public edition (an address mistyped first: the
page says so and keeps it), opens the confirmation link of the e-mail (nothing is confirmed yet), presses the
button and is subscribed."""

import re

from playwright.sync_api import expect

from newsletter import protection
from newsletter.models import Subscriber
from tests.factories import TerritoryFactory


def test_a_reader_subscribes_and_confirms_with_the_button(page, visit, shot, monkeypatch):
    from notifications.models import OutboundMessage
    from notifications.services import message_render

    monkeypatch.setattr(protection, "MIN_FILL_SECONDS", 0)  # a robot-fast test, not a robot
    TerritoryFactory(name="CPTS du Bocage")

    visit("/lettre/abonnement/")
    expect(page.get_by_role("heading", level=1)).to_have_text("S'abonner à la lettre de la CPTS")
    expect(page.get_by_label("Édition grand public")).to_be_checked()
    page.get_by_label("Votre adresse e-mail").fill("lea.roux@exemple")
    page.get_by_role("button", name="M'abonner").click()
    expect(page.get_by_text("Cette adresse e-mail n'est pas valide")).to_be_visible()
    expect(page.get_by_label("Votre adresse e-mail")).to_have_value("lea.roux@exemple")
    shot("adresse-invalide")

    page.get_by_label("Votre adresse e-mail").fill("lea.roux@exemple.fr")
    page.get_by_role("button", name="M'abonner").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vérifiez votre boîte e-mail")
    shot("verifiez-votre-boite")

    text = message_render(OutboundMessage.objects.get(template="newsletter_confirm"))["text"]
    link = re.search(r"https?://\S+/lettre/abonnement/confirmer/\S+/", text).group(0)
    visit(re.sub(r"^https?://[^/]+", "", link))
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirmer votre abonnement")
    assert Subscriber.objects.get().confirmed_at is None  # opening the link confirmed nothing
    shot("confirmer")
    page.get_by_role("button", name="Confirmer mon abonnement").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Abonnement confirmé")
    shot("abonnement-confirme")
    assert Subscriber.objects.get().receives

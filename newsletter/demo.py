"""The demo newsletter of the demo territory (``seed_demo`` calls ``seed_newsletter_demo``): a few hundred
subscribers of both editions, most confirmed (by the form, by an import from the CPTS's former mailing tool, or
through a professional account), some waiting for their confirmation, a few unsubscribed and one whose address
bounced for good.

Rows are written in bulk; running it again changes nothing (the territory's subscribers are looked for first).
Addresses are invented, on a test domain.
"""

import datetime
import random

from django.db import transaction
from django.utils import timezone

from directory.models import Territory
from directory.scale import FIRST_NAMES, LAST_NAMES
from newsletter.models import Edition, Subscriber, SubscriptionConsent

SUBSCRIBERS = 320
DEMO_DOMAIN = "lecteurs.demo.cpts.test"
IMPORT_SOURCE = "import : ancien outil d'envoi de la CPTS (consentements de 2024)"


def _editions(rng: random.Random) -> list[str]:
    roll = rng.random()
    if roll < 0.6:
        return [Edition.PUBLIC]
    if roll < 0.85:
        return [Edition.PROFESSIONAL]
    return [Edition.PROFESSIONAL, Edition.PUBLIC]


@transaction.atomic
def seed_newsletter_demo(territory: Territory) -> int:
    existing = Subscriber.objects.filter(territory=territory).count()
    if existing:
        return existing
    rng = random.Random(21)
    now = timezone.now()
    subscribers, signed_up_at = [], []
    for index in range(SUBSCRIBERS):
        first, last = rng.choice(FIRST_NAMES).title(), rng.choice(LAST_NAMES).title()
        source = rng.choices(list(Subscriber.Source), weights=[55, 35, 10])[0]
        signed_up = now - datetime.timedelta(days=rng.randint(1, 700))
        confirmed = None if source == Subscriber.Source.FORM and rng.random() < 0.12 else signed_up
        signed_up_at.append(signed_up)
        subscribers.append(
            Subscriber(
                territory=territory,
                email=f"{first}.{last}.{index}@{DEMO_DOMAIN}".lower().replace(" ", "-"),
                name=f"{first} {last}",
                editions=[Edition.PROFESSIONAL] if source == Subscriber.Source.ACCOUNT else _editions(rng),
                source=source,
                confirmed_at=confirmed,
                unsubscribed_at=now - datetime.timedelta(days=rng.randint(1, 60)) if rng.random() < 0.04 else None,
                hard_bounced_at=now - datetime.timedelta(days=3) if index == 7 else None,
            )
        )
    Subscriber.objects.bulk_create(subscribers)
    how = {
        Subscriber.Source.FORM: "formulaire du site",
        Subscriber.Source.IMPORT: IMPORT_SOURCE,
        Subscriber.Source.ACCOUNT: "compte professionnel",
    }
    consents = []
    for subscriber, signed_up in zip(subscribers, signed_up_at, strict=True):
        consents.append(
            SubscriptionConsent(
                subscriber=subscriber,
                action=SubscriptionConsent.Action.GIVEN,
                editions=subscriber.editions,
                at=signed_up,
                how=how[subscriber.source],
            )
        )
        if subscriber.confirmed_at and subscriber.source == Subscriber.Source.FORM:
            consents.append(
                SubscriptionConsent(
                    subscriber=subscriber,
                    action=SubscriptionConsent.Action.CONFIRMED,
                    editions=subscriber.editions,
                    at=subscriber.confirmed_at,
                    how="lien de confirmation",
                )
            )
        if subscriber.unsubscribed_at:
            consents.append(
                SubscriptionConsent(
                    subscriber=subscriber,
                    action=SubscriptionConsent.Action.WITHDRAWN,
                    editions=subscriber.editions,
                    at=subscriber.unsubscribed_at,
                    how="désinscription en un clic",
                )
            )
    SubscriptionConsent.objects.bulk_create(consents)
    return len(subscribers)

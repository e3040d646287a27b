"""The demo newsletter of the demo territory (``seed_demo`` calls ``seed_newsletter_demo``): the public issues of
the two months before the last one, marked sent (with an editorial), next to this month's professional and
public drafts filled from the demo directory's events and the apps' figures through the service the page uses; a
few hundred
subscribers of both editions, most confirmed (by the form, by an import from the CPTS's former mailing tool, or
through a professional account), some waiting for their confirmation, a few unsubscribed and one whose address
bounced for good.

Rows are written in bulk; running it again changes nothing (the territory's subscribers are looked for first).
Addresses are invented, on a test domain.
"""

import datetime
import random
import unicodedata

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from directory.models import Territory
from directory.scale import FIRST_NAMES, LAST_NAMES
from newsletter.models import Edition, Issue, Subscriber, SubscriptionConsent
from newsletter.services.issues import issue_open, issue_open_both, issue_update
from newsletter.services.subscriptions import professional_accounts_subscribe

SUBSCRIBERS = 320
DEMO_DOMAIN = "lecteurs.demo.cpts.test"


def _ascii(address: str) -> str:
    """« hervé » as « herve »: an address must be one the subscription form accepts (ASCII before the @)."""
    return unicodedata.normalize("NFKD", address).encode("ascii", "ignore").decode("ascii")


IMPORT_SOURCE = "import : ancien outil d'envoi de la CPTS (consentements de 2024)"


def _editions(rng: random.Random) -> list[str]:
    roll = rng.random()
    if roll < 0.6:
        return [Edition.PUBLIC]
    if roll < 0.85:
        return [Edition.PROFESSIONAL]
    return [Edition.PROFESSIONAL, Edition.PUBLIC]


PAST_EDITORIALS = [
    "Bienvenue aux nouveaux membres de la CPTS. Ce mois-ci : la ligne de soins non programmés ouvre le samedi "
    "matin, et la liste d'attente des patients sans médecin traitant a trouvé un médecin à ses premiers inscrits.",
    "La campagne de vaccination contre la grippe commence : les pharmacies et les infirmiers du territoire "
    "vaccinent sans rendez-vous. Merci aux médecins qui ont pris un engagement d'accueil.",
]


def _month_before(month, count: int):
    for _step in range(count):
        month = (month - datetime.timedelta(days=1)).replace(day=1)
    return month


def _seed_issues(territory: Territory, coordinator: User) -> None:
    """Two past public issues marked sent, then this month's drafts (the services fill them)."""
    if Issue.objects.filter(territory=territory).exists():
        return
    this_month = timezone.localdate().replace(day=1)
    for months_back, editorial in zip((3, 2), PAST_EDITORIALS, strict=True):
        month = _month_before(this_month, months_back)
        issue = issue_open(acting_user=coordinator, month=month, edition=Edition.PUBLIC, territory=territory)
        issue_update(acting_user=coordinator, issue=issue, title=issue.title, editorial=editorial)
        sent_at = timezone.make_aware(
            datetime.datetime.combine(_month_before(this_month, months_back - 1), datetime.time(9))
        )
        Issue.objects.filter(pk=issue.pk).update(status=Issue.Status.SENT, sending_started_at=sent_at, sent_at=sent_at)
    issue_open_both(acting_user=coordinator, month=this_month, territory=territory)


@transaction.atomic
def seed_newsletter_demo(territory: Territory, coordinator: User) -> int:
    _seed_issues(territory, coordinator)
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
                email=_ascii(f"{first}.{last}.{index}@{DEMO_DOMAIN}".lower().replace(" ", "-")),
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
    _deliver_past_issues(territory)
    # What the nightly job does: the demo's professional accounts receive the professional edition already.
    professional_accounts_subscribe()
    return len(subscribers)


def _deliver_past_issues(territory: Territory) -> None:
    """The past issues went through the real sending (deliveries, outbox rows), to a mail backend that drops
    the messages (the demo's subscribers are invented), then dated back to their month."""
    from django.test.utils import override_settings

    from newsletter.services.sending import send_batch, start_sending

    dummy = "django.core.mail.backends.dummy.EmailBackend"
    for issue in Issue.objects.filter(territory=territory, status=Issue.Status.SENT, deliveries__isnull=True):
        sent_at = issue.sent_at
        with override_settings(OUTBOX_EMAIL_BACKEND=dummy, NEWSLETTER_SEND_RATE_PER_MINUTE=0):
            Issue.objects.filter(pk=issue.pk).update(status=Issue.Status.DRAFT)
            issue = start_sending(Issue.objects.select_for_update().get(pk=issue.pk))
            while send_batch(issue_id=issue.pk, chain=str(issue.send_chain)).more:
                pass
        Issue.objects.filter(pk=issue.pk).update(sending_started_at=sent_at, sent_at=sent_at)
        issue.deliveries.update(sent_at=sent_at)

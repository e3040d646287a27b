"""Subscribers: subscribing with double opt-in, confirming, leaving in one click, the professionals' accounts,
the import from another tool, a subscriber's export and erasure.

- A subscription from the site (page or API) is unconfirmed until the person presses the button of the page the
  e-mailed link opens (``CONFIRM_PURPOSE``, valid ``CONFIRM_MAX_AGE``): opening the link confirms nothing.
- The public chooses the public edition only: the professional edition goes to professionals with an account
  (``account_subscription_ensure``) or imported as such by the coordination.
- Subscribing an address already there answers exactly the same (nothing tells whether it was): an unconfirmed or
  unsubscribed address gets a new confirmation e-mail, a confirmed one an e-mail "you are already subscribed" with
  its management link.
- Unsubscribe and management links (``UNSUBSCRIBE_PURPOSE``, ``MANAGE_PURPOSE``) last years: they sit in every
  issue. Every link carries ``link_version``; an erasure or a new opt-in after leaving bumps it, revoking them.
- Outbox keys of this module all contain the subscriber's public id, so an erasure finds them
  (``messages_erase_for(about=...)``); the sending part keys its messages the same way.
"""

from __future__ import annotations

import csv
import datetime
import io
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Role, has_role
from accounts.signed_links import patient_link_read, patient_link_token
from core.errors import ApplicationError
from directory.models import RoleGrant, Territory
from newsletter.models import DIGEST, Delivery, Edition, Subscriber, SubscriptionConsent
from newsletter.services.deliveries import deliveries_sync
from notifications.models import OutboundMessage
from notifications.services import message_enqueue, messages_erase_for

CONFIRM_PURPOSE = "newsletter-confirm"
UNSUBSCRIBE_PURPOSE = "newsletter-unsubscribe"
ONLY_PARAMETER = "seulement"  # ?seulement=digest on the digest's unsubscribe link
MANAGE_PURPOSE = "newsletter-manage"
CONFIRM_MAX_AGE = datetime.timedelta(days=7)
# Links that sit in every issue sent: they must still work when a reader opens an old letter.
UNSUBSCRIBE_MAX_AGE = datetime.timedelta(days=3650)
MANAGE_MAX_AGE = datetime.timedelta(days=3650)

HOW_FORM = "formulaire du site"
HOW_ACCOUNT = "compte"
HOW_SUBSCRIBER = "lien de gestion"


def _how_import(source: str) -> str:
    return f"import : {source}"


# --- Input ------------------------------------------------------------------------------------------------------


def email_normalised(email: str) -> str:
    """The address stored: trimmed, lower-case, checked (a French refusal on the field ``email`` otherwise)."""
    address = (email or "").strip().lower()
    try:
        validate_email(address)
    except ValidationError:
        raise ApplicationError(
            _("Cette adresse e-mail n'est pas valide : vérifiez-la (exemple : prenom.nom@exemple.fr)."), field="email"
        ) from None
    return address


def editions_checked(editions, *, professional_allowed: bool) -> list[str]:
    chosen = sorted(set(editions or []))
    if not chosen:
        raise ApplicationError(_("Choisissez au moins une édition de la lettre."), field="editions")
    unknown = [value for value in chosen if value not in Edition.values]
    if unknown:
        raise ApplicationError(
            _("Édition inconnue : %(value)s. Les éditions sont « public » et « professional ».")
            % {"value": ", ".join(unknown)},
            field="editions",
        )
    if Edition.PROFESSIONAL in chosen and not professional_allowed:
        raise ApplicationError(
            _(
                "L'édition des professionnels est réservée aux professionnels de santé qui ont un compte sur le "
                "portail (ils la reçoivent d'office) ou que la coordination a inscrits. Choisissez l'édition grand "
                "public."
            ),
            field="editions",
        )
    return chosen


def default_territory() -> Territory | None:
    """The territory of the public pages when none is named: the portal serves one CPTS (the first created)."""
    return Territory.objects.order_by("pk").first()


def territory_for_slug(slug: str | None) -> Territory:
    territory = Territory.objects.filter(slug=slug).first() if slug else default_territory()
    if territory is None:
        raise ApplicationError(_("Ce territoire n'existe pas."), field="territory", code="not_found")
    return territory


# --- Links ------------------------------------------------------------------------------------------------------


def _token(purpose: str, subscriber: Subscriber) -> str:
    return patient_link_token(purpose=purpose, subject_id=str(subscriber.public_id), version=subscriber.link_version)


def confirm_url(subscriber: Subscriber) -> str:
    return f"{settings.SITE_URL}{reverse('newsletter:confirm', args=[_token(CONFIRM_PURPOSE, subscriber)])}"


def unsubscribe_url(subscriber: Subscriber) -> str:
    """The footer link and the ``List-Unsubscribe`` target (the same URL takes the RFC 8058 POST)."""
    return unsubscribe_url_for(public_id=str(subscriber.public_id), link_version=subscriber.link_version)


def unsubscribe_url_for(*, public_id: str, link_version: int, only: str = "") -> str:
    """``unsubscribe_url`` from what an outbox row keeps (the link is signed when the message is rendered, so a
    retry days later still carries a fresh one). ``only=DIGEST``: the weekly digest's link leaves the digest only."""
    token = patient_link_token(purpose=UNSUBSCRIBE_PURPOSE, subject_id=public_id, version=link_version)
    suffix = f"?{ONLY_PARAMETER}={DIGEST}" if only == DIGEST else ""
    return f"{settings.SITE_URL}{reverse('newsletter:unsubscribe', args=[token])}{suffix}"


def manage_url(subscriber: Subscriber) -> str:
    return f"{settings.SITE_URL}{reverse('newsletter:manage', args=[_token(MANAGE_PURPOSE, subscriber)])}"


def unsubscribe_headers(subscriber: Subscriber) -> dict[str, str]:
    """The headers every issue sent to ``subscriber`` carries (RFC 2369 and RFC 8058 one-click)."""
    return unsubscribe_headers_for(unsubscribe_url(subscriber))


def unsubscribe_headers_for(url: str) -> dict[str, str]:
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


_MAX_AGES = {CONFIRM_PURPOSE: CONFIRM_MAX_AGE, UNSUBSCRIBE_PURPOSE: UNSUBSCRIBE_MAX_AGE, MANAGE_PURPOSE: MANAGE_MAX_AGE}


def subscriber_for_link(*, purpose: str, token: str) -> Subscriber:
    """The subscriber a link names, or a French ``ApplicationError`` (``link_invalid``, ``link_expired``,
    ``link_revoked``): a tampered, expired or revoked link, or one whose subscriber was erased."""
    public_id = patient_link_read(purpose=purpose, token=token, max_age=_MAX_AGES[purpose])
    try:
        subscriber = Subscriber.objects.select_related("territory").get(public_id=uuid.UUID(public_id))
    except (Subscriber.DoesNotExist, ValueError):
        raise ApplicationError(_("Ce lien n'est plus valable."), code="link_revoked") from None
    patient_link_read(purpose=purpose, token=token, max_age=_MAX_AGES[purpose], current_version=subscriber.link_version)
    return subscriber


# --- Messages ---------------------------------------------------------------------------------------------------


def _edition_labels(editions) -> list[str]:
    return [str(Edition(value).label) for value in editions if value in Edition.values]


def recipient_kind_of(subscriber: Subscriber) -> str:
    # A member of the public is masked on the outbox page like a patient; an account's address is not.
    if subscriber.user_id is None:
        return OutboundMessage.RecipientKind.PATIENT
    return OutboundMessage.RecipientKind.PROFESSIONAL


def _send_confirmation(subscriber: Subscriber) -> None:
    message_enqueue(
        channel=OutboundMessage.Channel.EMAIL,
        recipient=subscriber.email,
        template="newsletter_confirm",
        context={
            "territory": subscriber.territory.name,
            "editions": _edition_labels(subscriber.editions),
            "confirm_url": confirm_url(subscriber),
            "valid_days": CONFIRM_MAX_AGE.days,
        },
        idempotency_key=f"newsletter-confirm:{subscriber.public_id}:{subscriber.link_version}:{uuid.uuid4().hex}",
        recipient_kind=recipient_kind_of(subscriber),
        territory_id=subscriber.territory_id,
    )


def _send_already_subscribed(subscriber: Subscriber) -> None:
    message_enqueue(
        channel=OutboundMessage.Channel.EMAIL,
        recipient=subscriber.email,
        template="newsletter_already_subscribed",
        context={
            "territory": subscriber.territory.name,
            "editions": _edition_labels(subscriber.editions),
            "manage_url": manage_url(subscriber),
        },
        idempotency_key=f"newsletter-already:{subscriber.public_id}:{uuid.uuid4().hex}",
        recipient_kind=recipient_kind_of(subscriber),
        territory_id=subscriber.territory_id,
    )


def _consent(subscriber: Subscriber, action: str, *, how: str, at=None, editions=None) -> SubscriptionConsent:
    return SubscriptionConsent.objects.create(
        subscriber=subscriber,
        action=action,
        editions=list(editions if editions is not None else subscriber.editions),
        at=at or timezone.now(),
        how=how,
    )


# --- Subscribing and confirming ---------------------------------------------------------------------------------


def _existing(territory: Territory, email: str) -> Subscriber | None:
    return (
        Subscriber.objects.select_for_update()
        .select_related("territory")
        .filter(territory=territory, email__iexact=email)
        .first()
    )


@transaction.atomic
def subscription_request(
    *, territory: Territory, email: str, editions, acting_user=None, send_mail: bool = True
) -> Subscriber:
    """A subscription asked on the site (page or API): the same answer whether the address was there or not.

    New, unconfirmed or unsubscribed: a confirmation e-mail (a new opt-in after leaving revokes the old links);
    confirmed: an e-mail "already subscribed" with the management link, and nothing changes. ``send_mail`` False
    (the caller's per-address limit is reached) records the request but sends nothing."""
    address = email_normalised(email)
    professional_allowed = acting_user is not None and has_role(acting_user, Role.PROFESSIONAL)
    chosen = editions_checked(editions, professional_allowed=professional_allowed)
    subscriber = _existing(territory, address)
    if subscriber is not None and subscriber.receives:
        if send_mail:
            _send_already_subscribed(subscriber)
        return subscriber
    if subscriber is None:
        subscriber = Subscriber(territory=territory, email=address, source=Subscriber.Source.FORM)
    elif subscriber.unsubscribed_at is not None:
        subscriber.unsubscribed_at = None
        subscriber.confirmed_at = None
        subscriber.link_version += 1
    subscriber.editions = chosen
    subscriber.full_clean(validate_constraints=False)
    subscriber.save()
    _consent(subscriber, SubscriptionConsent.Action.GIVEN, how=HOW_FORM)
    if send_mail:
        _send_confirmation(subscriber)
    return subscriber


@transaction.atomic
def subscription_confirm(*, subscriber: Subscriber) -> Subscriber:
    """The button of the confirmation page. A second press, or the link of an address already confirmed, is
    refused (``link_used``): the link has served."""
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    if subscriber.unsubscribed_at is not None:
        raise ApplicationError(
            _("Cette adresse s'est désinscrite depuis : abonnez-vous à nouveau sur le site pour recevoir la lettre."),
            code="link_revoked",
        )
    if subscriber.confirmed_at is not None:
        raise ApplicationError(
            _("Ce lien a déjà servi : votre abonnement est confirmé. Rien d'autre à faire."), code="link_used"
        )
    now = timezone.now()
    subscriber.confirmed_at = now
    subscriber.hard_bounced_at = None  # the person just proved the address works
    subscriber.save(update_fields=["confirmed_at", "hard_bounced_at", "updated_at"])
    _consent(subscriber, SubscriptionConsent.Action.CONFIRMED, how=HOW_FORM, at=now)
    return subscriber


@transaction.atomic
def subscription_unsubscribe(*, subscriber: Subscriber, how: str = HOW_SUBSCRIBER, only: str = "") -> Subscriber:
    """Leaves every edition (the one-click link, the footer page), or only the weekly digest (``only=DIGEST``,
    the digest's own link). A reused link is refused (``link_used``)."""
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    if only == DIGEST and subscriber.unsubscribed_at is None:
        if DIGEST not in subscriber.editions:
            raise ApplicationError(
                _("Vous êtes déjà désinscrit(e) du récapitulatif hebdomadaire de l'annuaire."), code="link_used"
            )
        now = timezone.now()
        subscriber.editions = [value for value in subscriber.editions if value != DIGEST]
        if not subscriber.editions:
            subscriber.unsubscribed_at = now
        subscriber.save(update_fields=["editions", "unsubscribed_at", "updated_at"])
        _consent(subscriber, SubscriptionConsent.Action.WITHDRAWN, how=how, at=now, editions=[DIGEST])
        return subscriber
    if subscriber.unsubscribed_at is not None:
        raise ApplicationError(_("Vous êtes déjà désinscrit(e) : vous ne recevez plus la lettre."), code="link_used")
    now = timezone.now()
    subscriber.unsubscribed_at = now
    subscriber.save(update_fields=["unsubscribed_at", "updated_at"])
    _consent(subscriber, SubscriptionConsent.Action.WITHDRAWN, how=how, at=now)
    return subscriber


@transaction.atomic
def subscription_editions_update(*, subscriber: Subscriber, editions) -> Subscriber:
    """The management page: which editions to receive (at least one; leaving them all is the unsubscribe)."""
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    allowed = Edition.PROFESSIONAL in subscriber.editions or subscriber.user_id is not None
    chosen = editions_checked(editions, professional_allowed=allowed)
    dropped = sorted(set(subscriber.editions) - set(chosen))
    added = sorted(set(chosen) - set(subscriber.editions))
    subscriber.editions = chosen
    subscriber.save(update_fields=["editions", "updated_at"])
    if dropped:
        _consent(subscriber, SubscriptionConsent.Action.WITHDRAWN, how=HOW_SUBSCRIBER, editions=dropped)
    if added:
        _consent(subscriber, SubscriptionConsent.Action.CONFIRMED, how=HOW_SUBSCRIBER, editions=added)
    return subscriber


# --- Professionals with an account --------------------------------------------------------------------------------


def _professional_territory_ids(user) -> list[int]:
    return sorted(
        {
            territory_id
            for territory_id in RoleGrant.objects.filter(user=user, role=Role.PROFESSIONAL).values_list(
                "practitioner__territory_id", flat=True
            )
            if territory_id
        }
    )


def _withdrew_professional(subscriber: Subscriber) -> bool:
    return subscriber.consents.filter(
        action=SubscriptionConsent.Action.WITHDRAWN, editions__contains=[Edition.PROFESSIONAL]
    ).exists()


@transaction.atomic
def account_subscription_ensure(*, user) -> list[Subscriber]:
    """A professional's account receives the professional edition of their territories by default: subscribed,
    confirmed, source "account". An address that left the professional edition once is left alone. Safe to
    call again (for each professional account, at sign-up or from a periodic job)."""
    if not user.email or not has_role(user, Role.PROFESSIONAL):
        return []
    address = user.email.strip().lower()
    rows = []
    for territory in Territory.objects.filter(pk__in=_professional_territory_ids(user)):
        subscriber = _existing(territory, address)
        now = timezone.now()
        if subscriber is None:
            subscriber = Subscriber.objects.create(
                territory=territory,
                email=address,
                editions=[Edition.PROFESSIONAL],
                source=Subscriber.Source.ACCOUNT,
                confirmed_at=now,
                user=user,
            )
            _consent(subscriber, SubscriptionConsent.Action.CONFIRMED, how=HOW_ACCOUNT, at=now)
        elif subscriber.user_id is None or Edition.PROFESSIONAL not in subscriber.editions:
            if subscriber.user_id is None:
                subscriber.user = user
            if Edition.PROFESSIONAL not in subscriber.editions and not _withdrew_professional(subscriber):
                subscriber.editions = sorted({*subscriber.editions, Edition.PROFESSIONAL})
                if subscriber.unsubscribed_at is not None or subscriber.confirmed_at is None:
                    subscriber.unsubscribed_at, subscriber.confirmed_at = None, now
                _consent(
                    subscriber, SubscriptionConsent.Action.CONFIRMED, how=HOW_ACCOUNT, editions=[Edition.PROFESSIONAL]
                )
            subscriber.save()
        rows.append(subscriber)
    return rows


def professional_accounts_subscribe() -> int:
    """``account_subscription_ensure`` for every professional account (the demo, a periodic job): how many
    addresses it subscribed or linked."""
    from accounts.models import User

    users = User.objects.filter(role_grants__role=Role.PROFESSIONAL, is_active=True).distinct()
    return sum(len(account_subscription_ensure(user=user)) for user in users)


@transaction.atomic
def account_subscription_set(*, user, receive: bool) -> list[Subscriber]:
    """The toggle of the account page: receive the professional edition, or leave it (the other editions the
    address chose stay)."""
    if receive:
        rows = list(Subscriber.objects.select_for_update().filter(user=user))
        address = (user.email or "").strip().lower()
        if not rows:
            rows = account_subscription_ensure(user=user)
        now = timezone.now()
        for subscriber in rows:
            if Edition.PROFESSIONAL in subscriber.editions and subscriber.receives:
                continue
            subscriber.editions = sorted({*subscriber.editions, Edition.PROFESSIONAL})
            subscriber.unsubscribed_at = None
            subscriber.confirmed_at = subscriber.confirmed_at or now
            if address:
                subscriber.email = address
            subscriber.save()
            _consent(subscriber, SubscriptionConsent.Action.CONFIRMED, how=HOW_ACCOUNT, editions=[Edition.PROFESSIONAL])
        return rows
    rows = list(Subscriber.objects.select_for_update().filter(user=user))
    for subscriber in rows:
        if Edition.PROFESSIONAL not in subscriber.editions:
            continue
        subscriber.editions = [value for value in subscriber.editions if value != Edition.PROFESSIONAL]
        if not subscriber.editions:
            subscriber.unsubscribed_at = timezone.now()
        subscriber.save()
        _consent(subscriber, SubscriptionConsent.Action.WITHDRAWN, how=HOW_ACCOUNT, editions=[Edition.PROFESSIONAL])
    return rows


def account_receives_digest(user) -> bool:
    return Subscriber.objects.filter(
        user=user, editions__contains=[DIGEST], confirmed_at__isnull=False, unsubscribed_at__isnull=True
    ).exists()


@transaction.atomic
def account_digest_set(*, user, receive: bool) -> list[Subscriber]:
    """The account page's second toggle: the weekly digest of the directory's changes (professionals only)."""
    if not has_role(user, Role.PROFESSIONAL):
        raise ApplicationError(_("Le récapitulatif de l'annuaire est réservé aux professionnels."), code="forbidden")
    rows = list(Subscriber.objects.select_for_update().filter(user=user))
    if receive and not rows:
        rows = account_subscription_ensure(user=user)
    now = timezone.now()
    for subscriber in rows:
        if receive and DIGEST not in subscriber.editions:
            subscriber.editions = sorted({*subscriber.editions, DIGEST})
            subscriber.unsubscribed_at = None
            subscriber.confirmed_at = subscriber.confirmed_at or now
            subscriber.save()
            _consent(subscriber, SubscriptionConsent.Action.CONFIRMED, how=HOW_ACCOUNT, editions=[DIGEST])
        elif not receive and DIGEST in subscriber.editions:
            subscriber.editions = [value for value in subscriber.editions if value != DIGEST]
            if not subscriber.editions:
                subscriber.unsubscribed_at = now
            subscriber.save()
            _consent(subscriber, SubscriptionConsent.Action.WITHDRAWN, how=HOW_ACCOUNT, editions=[DIGEST])
    return rows


# --- Export and erasure -----------------------------------------------------------------------------------------


def subscriber_export(*, subscriber: Subscriber) -> dict:
    """Everything the portal keeps about the address (the JSON download of the management page)."""

    def when(value):
        return value.isoformat() if value else None

    deliveries = Delivery.objects.filter(subscriber=subscriber).select_related("issue").order_by("created_at")
    return {
        "adresse": subscriber.email,
        "nom": subscriber.name,
        "territoire": subscriber.territory.name,
        "editions": list(subscriber.editions),
        "origine": subscriber.get_source_display(),
        "inscrit_le": when(subscriber.created_at),
        "confirme_le": when(subscriber.confirmed_at),
        "desinscrit_le": when(subscriber.unsubscribed_at),
        "adresse_en_echec_le": when(subscriber.hard_bounced_at),
        "consentements": [
            {
                "action": consent.action,
                "editions": list(consent.editions),
                "le": when(consent.at),
                "comment": consent.how,
            }
            for consent in subscriber.consents.order_by("at", "pk")
        ],
        "envois": [
            {
                "lettre": f"{delivery.issue.month:%Y-%m}",
                "edition": delivery.issue.edition,
                "statut": delivery.status,
                "envoyee_le": when(delivery.sent_at),
            }
            for delivery in deliveries
        ],
    }


@transaction.atomic
def subscriber_erase(*, subscriber: Subscriber) -> None:
    """Erases the address: the row keeps no address, name, account or consent (only what the issues' counts
    need: its deliveries' statuses), every link is revoked, and the outbox rows sent to it are deleted."""
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    address = subscriber.email
    deliveries_sync(subscriber=subscriber)  # the issues' counts keep what the deleted outbox rows said
    messages_erase_for([address], about=[str(subscriber.public_id)])
    subscriber.consents.all().delete()
    subscriber.bounces.update(detail="")
    subscriber.deliveries.update(error="")
    subscriber.email = f"efface-{uuid.uuid4().hex}@invalid"
    subscriber.name = ""
    subscriber.user = None
    subscriber.unsubscribed_at = subscriber.unsubscribed_at or timezone.now()
    subscriber.link_version += 1
    subscriber.save()


# --- Import -----------------------------------------------------------------------------------------------------


@dataclass
class RejectedLine:
    line: int
    email: str
    reason: str


@dataclass
class ImportReport:
    confirmed: int = 0
    unconfirmed: int = 0
    rejected: list[RejectedLine] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.confirmed + self.unconfirmed


def _reader(content: bytes | str) -> csv.DictReader:
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ApplicationError(
                _("Le fichier n'est pas en UTF-8 : enregistrez-le en « CSV UTF-8 » puis envoyez-le à nouveau."),
                field="file",
            ) from None
    content = content.lstrip("\ufeff")
    header = content.splitlines()[0] if content.strip() else ""
    delimiter = ";" if header.count(";") > header.count(",") else ","
    reader = csv.DictReader(io.StringIO(content), delimiter=delimiter)
    columns = {(name or "").strip().lower() for name in reader.fieldnames or []}
    if not {"email", "consented_at"} <= columns:
        raise ApplicationError(
            _(
                "La première ligne doit nommer les colonnes « email » et « consented_at » (et, si vous voulez, "
                "« name »)."
            ),
            field="file",
        )
    return reader


def _consented_at(raw: str) -> datetime.datetime | None:
    """The consent date of a line (an ISO date or date-time, Europe/Paris when it has no offset); ValueError."""
    value = raw.strip()
    if not value:
        return None
    if len(value) == 10:
        moment = datetime.datetime.combine(datetime.date.fromisoformat(value), datetime.time())
    else:
        moment = datetime.datetime.fromisoformat(value)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    if moment > timezone.now():
        raise ValueError("future")
    return moment


def subscribers_import(
    *, territory: Territory, content: bytes | str, edition: str, consent_source: str
) -> ImportReport:
    """Imports the subscribers of another tool (the command and the coordinator's page). Each line with its
    ``consented_at`` comes confirmed, with a consent "import : <source>" at that date; a line without it comes
    unconfirmed and gets the double opt-in e-mail. Rejected lines (bad address or date, a duplicate in the file,
    an address already subscribed) are reported with their number and the reason; the others are imported."""
    if edition not in Edition.values:
        raise ApplicationError(_("Édition inconnue : choisissez « public » ou « professional »."), field="edition")
    source = (consent_source or "").strip()
    if not source:
        raise ApplicationError(_("Dites d'où viennent les consentements (l'outil d'origine)."), field="consent_source")
    reader = _reader(content)
    report = ImportReport()
    lines = []
    seen = set()
    for number, raw in enumerate(reader, start=2):
        row = {(key or "").strip().lower(): (value or "") for key, value in raw.items() if key is not None}
        typed = row.get("email", "").strip()
        if not any(value.strip() for value in row.values() if isinstance(value, str)):
            continue  # an empty line
        try:
            address = email_normalised(typed)
        except ApplicationError as error:
            report.rejected.append(RejectedLine(number, typed, error.message))
            continue
        if address in seen:
            report.rejected.append(RejectedLine(number, typed, _("Adresse déjà présente plus haut dans le fichier.")))
            continue
        seen.add(address)
        try:
            consented_at = _consented_at(row.get("consented_at", ""))
        except ValueError:
            report.rejected.append(
                RejectedLine(
                    number,
                    typed,
                    _("Date de consentement invalide « %(value)s » : attendu une date passée AAAA-MM-JJ.")
                    % {"value": row.get("consented_at", "").strip()},
                )
            )
            continue
        lines.append((number, address, row.get("name", "").strip()[:200], consented_at))
    existing = set(
        Subscriber.objects.annotate(address=Lower("email"))
        .filter(territory=territory, address__in=[line[1] for line in lines])
        .values_list("address", flat=True)
    )
    with transaction.atomic():
        new = []
        for number, address, name, consented_at in lines:
            if address in existing:
                report.rejected.append(RejectedLine(number, address, _("Adresse déjà abonnée à la lettre.")))
                continue
            new.append(
                Subscriber(
                    territory=territory,
                    email=address,
                    name=name,
                    editions=[edition],
                    source=Subscriber.Source.IMPORT,
                    confirmed_at=consented_at,
                )
            )
        Subscriber.objects.bulk_create(new, batch_size=1000)
        now = timezone.now()
        how = _how_import(source)[:300]
        SubscriptionConsent.objects.bulk_create(
            [
                SubscriptionConsent(
                    subscriber=subscriber,
                    action=SubscriptionConsent.Action.CONFIRMED
                    if subscriber.confirmed_at
                    else SubscriptionConsent.Action.GIVEN,
                    editions=[edition],
                    at=subscriber.confirmed_at or now,
                    how=how,
                )
                for subscriber in new
            ],
            batch_size=1000,
        )
        for subscriber in new:
            subscriber.territory = territory
            if subscriber.confirmed_at:
                report.confirmed += 1
            else:
                report.unconfirmed += 1
                _send_confirmation(subscriber)
    report.rejected.sort(key=lambda rejected: rejected.line)
    return report

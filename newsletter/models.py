"""The territory's monthly newsletter: issues, their sections and items, subscribers and their consents,
deliveries, bounces and unsubscribes.

- An ``Issue`` is one month's letter of one territory for one edition (professional or public); it goes draft →
  scheduled → sending → sent. Its ``Item`` rows sit in sections, in order; an item filled from the directory keeps
  its source event (``source_event``), so a second fill adds nothing.
- A ``Subscriber`` is one address of one territory with the editions it chose; it receives anything only once
  ``confirmed_at`` is set (double opt-in, or an import with its consent date, or an account). Each consent given
  or withdrawn is a ``SubscriptionConsent`` row (what, when, how).
- A ``Delivery`` is one issue to one subscriber, unique in the database: a send resumed after a crash never
  writes a second one. Its outbox row carries the message; ``Bounce`` rows record what came back (a hard bounce
  stops further sends).

Every change goes through ``newsletter.services``; reads through ``newsletter.selectors``.
"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from core.models import TimestampedModel
from directory.models import ChangeEvent, Territory


class Edition(models.TextChoices):
    PROFESSIONAL = "professional", _("Édition des professionnels")
    PUBLIC = "public", _("Édition grand public")


# The weekly "what changed in the directory" digest is an issue of its own kind, sent on the same machinery to the
# subscribers who chose it (professionals only); ``month`` is then the Monday of its week.
DIGEST = "digest"
ISSUE_KINDS = [*Edition.choices, (DIGEST, _("Récapitulatif hebdomadaire de l'annuaire"))]


class Issue(TimestampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        SCHEDULED = "scheduled", _("Programmée")
        SENDING = "sending", _("Envoi en cours")
        SENT = "sent", _("Envoyée")

    territory = models.ForeignKey(Territory, on_delete=models.PROTECT, related_name="newsletter_issues")
    month = models.DateField(_("mois"))  # the first day of the month
    edition = models.CharField(_("édition"), max_length=12, choices=ISSUE_KINDS)
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    title = models.CharField(_("titre"), max_length=200, blank=True)
    editorial = models.TextField(_("éditorial (Markdown)"), blank=True)
    scheduled_for = models.DateTimeField(_("envoi programmé le"), null=True, blank=True)
    sending_started_at = models.DateTimeField(null=True, blank=True)
    # The sending runs as a chain of batch tasks that carries this token: a resumed send gets a new one, and a
    # step of the old chain that still comes along stops. The heartbeat tells the resume whether a chain lives.
    send_chain = models.UUIDField(null=True, blank=True)
    send_heartbeat_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("envoyée le"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("numéro de la lettre")
        verbose_name_plural = _("numéros de la lettre")
        ordering = ["-month", "edition"]
        constraints = [
            models.UniqueConstraint(fields=["territory", "month", "edition"], name="newsletter_one_issue_per_month"),
            models.CheckConstraint(
                condition=Q(month__day=1) | Q(edition=DIGEST), name="newsletter_issue_month_first_day"
            ),
        ]

    def __str__(self):
        return f"{self.get_edition_display()} — {self.month:%m/%Y}"


class Section(models.TextChoices):
    """Where an item sits, in the order the letter shows them."""

    EDITORIAL = "editorial", _("Éditorial")
    NEWS = "news", _("Actualités")
    EVENTS = "events", _("Agenda")
    ARRIVALS = "arrivals", _("Arrivées")
    DEPARTURES = "departures", _("Départs et retraites")
    MOVES = "moves", _("Changements de cabinet")
    NEW_MEMBERS = "new_members", _("Nouveaux membres de la CPTS")
    NEW_PLACES = "new_places", _("Nouveaux établissements")
    FIGURES = "figures", _("Les chiffres du mois")
    USEFUL = "useful", _("Informations utiles")


class Item(models.Model):
    """One block of an issue: written by the coordinator (news, an event) or filled from the directory's change
    event, then edited, reordered or left out."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="items")
    section = models.CharField(_("rubrique"), max_length=12, choices=Section.choices)
    position = models.PositiveIntegerField(_("ordre"), default=0)
    title = models.CharField(_("titre"), max_length=200)
    body = models.TextField(_("texte (Markdown)"), blank=True)
    included = models.BooleanField(_("dans la lettre"), default=True)
    # Events: when, where, how to register.
    event_starts_at = models.DateTimeField(_("date de l'événement"), null=True, blank=True)
    event_place = models.CharField(_("lieu"), max_length=200, blank=True)
    registration_url = models.URLField(_("lien d'inscription"), blank=True)
    image = models.ForeignKey(
        "StoredImage", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("image")
    )
    source_event = models.ForeignKey(
        ChangeEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="newsletter_items"
    )

    class Meta:
        verbose_name = _("élément de la lettre")
        verbose_name_plural = _("éléments de la lettre")
        ordering = ["issue", "position", "id"]
        constraints = [
            # A second fill from the directory adds nothing: one item per source event in an issue.
            models.UniqueConstraint(
                fields=["issue", "source_event"],
                condition=Q(source_event__isnull=False),
                name="newsletter_item_one_per_source_event",
            ),
        ]

    def __str__(self):
        return self.title


class StoredImage(TimestampedModel):
    """An image uploaded for the letter, checked and resized once (the web page, the e-mail and the PDF all use
    this file)."""

    file = models.ImageField(_("fichier"), upload_to="newsletter/%Y/%m/")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    alt_text = models.CharField(_("texte alternatif"), max_length=300)

    class Meta:
        verbose_name = _("image de la lettre")
        verbose_name_plural = _("images de la lettre")

    def __str__(self):
        return self.alt_text


class Subscriber(TimestampedModel):
    """One address subscribed to a territory's letter, with the editions it chose. Receives nothing until
    confirmed; a hard bounce or an unsubscribe stops everything."""

    class Source(models.TextChoices):
        FORM = "form", _("Formulaire du site")
        IMPORT = "import", _("Import d'un autre outil")
        ACCOUNT = "account", _("Compte professionnel")

    territory = models.ForeignKey(Territory, on_delete=models.PROTECT, related_name="newsletter_subscribers")
    email = models.EmailField(_("adresse e-mail"))
    name = models.CharField(_("nom"), max_length=200, blank=True)
    editions = ArrayField(
        models.CharField(max_length=12, choices=ISSUE_KINDS), verbose_name=_("éditions"), default=list
    )
    source = models.CharField(_("origine"), max_length=8, choices=Source.choices)
    confirmed_at = models.DateTimeField(_("confirmé le"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("désinscrit le"), null=True, blank=True)
    hard_bounced_at = models.DateTimeField(_("adresse en échec définitif le"), null=True, blank=True)
    # Signed into the confirmation and unsubscribe links; bumped to revoke them (after an erasure, a new opt-in).
    link_version = models.PositiveIntegerField(default=0)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="newsletter_subscriptions",
    )

    class Meta:
        verbose_name = _("abonné")
        verbose_name_plural = _("abonnés")
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), "territory", name="newsletter_one_subscriber_per_address"),
        ]
        indexes = [models.Index(fields=["territory", "confirmed_at"], name="newsletter_subscr_confirmed")]

    def __str__(self):
        return self.email

    @property
    def edition_labels(self) -> list[str]:
        labels = dict(ISSUE_KINDS)
        return [str(labels.get(value, value)) for value in self.editions]

    @property
    def receives(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None and self.hard_bounced_at is None


class SubscriptionConsent(models.Model):
    """Each consent given or withdrawn: what (editions), when, how (form, import with its source, account)."""

    class Action(models.TextChoices):
        GIVEN = "given", _("Consentement donné")
        CONFIRMED = "confirmed", _("Consentement confirmé (double opt-in)")
        WITHDRAWN = "withdrawn", _("Consentement retiré")

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="consents")
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    editions = ArrayField(models.CharField(max_length=12, choices=Edition.choices), default=list)
    at = models.DateTimeField(_("date"))
    how = models.CharField(_("comment"), max_length=300)  # "formulaire du site", "import : <source>", "compte"

    class Meta:
        verbose_name = _("consentement à la lettre")
        verbose_name_plural = _("consentements à la lettre")
        ordering = ["subscriber", "at"]

    def __str__(self):
        return f"{self.get_action_display()} ({self.at:%d/%m/%Y})"


class Delivery(models.Model):
    """One issue sent to one subscriber: unique in the database, so a resumed or repeated send writes no second
    copy. Its outbox row is the message itself."""

    class Status(models.TextChoices):
        PENDING = "pending", _("À envoyer")
        SENT = "sent", _("Envoyée")
        FAILED = "failed", _("En échec")
        # The subscriber left (unsubscribed, erased, a hard bounce) between the start of the send and its turn.
        SKIPPED = "skipped", _("Non envoyée (désinscrit entre-temps)")

    issue = models.ForeignKey(Issue, on_delete=models.PROTECT, related_name="deliveries")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(_("statut"), max_length=8, choices=Status.choices, default=Status.PENDING)
    message_id = models.BigIntegerField(_("message de l'outbox"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(_("erreur"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("envoi de la lettre")
        verbose_name_plural = _("envois de la lettre")
        constraints = [models.UniqueConstraint(fields=["issue", "subscriber"], name="newsletter_one_delivery")]
        indexes = [models.Index(fields=["issue", "status"], name="newsletter_delivery_status")]

    def __str__(self):
        return f"{self.issue} → {self.subscriber_id}"


class Bounce(models.Model):
    """What came back for an address: a hard bounce stops further sends, a soft one is only counted."""

    class Kind(models.TextChoices):
        HARD = "hard", _("Définitif (adresse inconnue)")
        SOFT = "soft", _("Temporaire (boîte pleine, serveur indisponible)")

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="bounces")
    delivery = models.ForeignKey(Delivery, on_delete=models.SET_NULL, null=True, blank=True, related_name="bounces")
    kind = models.CharField(_("type"), max_length=4, choices=Kind.choices)
    detail = models.CharField(_("détail"), max_length=500, blank=True)
    at = models.DateTimeField(_("date"), auto_now_add=True)

    class Meta:
        verbose_name = _("retour en erreur")
        verbose_name_plural = _("retours en erreur")
        ordering = ["-at"]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.at:%d/%m/%Y})"

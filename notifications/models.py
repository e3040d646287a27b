"""The outbox: every e-mail and SMS the portal sends is a row here first, written in the caller's transaction."""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimestampedModel


class OutboundMessage(TimestampedModel):
    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")

    class Status(models.TextChoices):
        PENDING = "pending", _("En attente")
        SENDING = "sending", _("En cours d'envoi")
        SENT = "sent", _("Envoyé")
        FAILED = "failed", _("En échec")

    class RecipientKind(models.TextChoices):
        # Coordinators never see patients: a patient's address or number is masked on the outbox page.
        PROFESSIONAL = "professional", _("Professionnel ou compte du portail")
        PATIENT = "patient", _("Patient")

    channel = models.CharField(_("canal"), max_length=10, choices=Channel.choices)
    recipient = models.CharField(_("destinataire"), max_length=254)
    recipient_kind = models.CharField(
        _("type de destinataire"), max_length=20, choices=RecipientKind.choices, default=RecipientKind.PROFESSIONAL
    )
    # The directory territory the message belongs to, given by the caller: an id, not a foreign key, because
    # the outbox sits below the directory. Empty for mail written by Django itself (allauth) and invitations.
    territory_id = models.PositiveIntegerField(_("territoire"), null=True, blank=True)
    template = models.CharField(_("modèle"), max_length=120)
    context = models.JSONField(_("contexte"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    language = models.CharField(_("langue"), max_length=8, default="fr")
    # Files sent with an e-mail (the appointment as an .ics): [{"filename", "mimetype", "content"}], the content
    # in base64. The row is the message's only copy (Redis carries its id only), so a retry attaches them again.
    attachments = models.JSONField(_("pièces jointes"), default=list, blank=True)
    # Callers derive it from what the message is about ("referral-accepted:<id>"): writing the same
    # message twice yields one row, so a retried service never sends twice.
    idempotency_key = models.CharField(_("clé d'idempotence"), max_length=200, unique=True)
    status = models.CharField(_("état"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    last_error = models.TextField(_("dernière erreur"), blank=True)
    next_attempt_at = models.DateTimeField(_("prochaine tentative"), default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # The receiving server refused the address for good (an SMTP 5xx on the recipient): never tried again, and
    # the sender (the newsletter) counts it as a hard bounce.
    recipient_refused = models.BooleanField(_("adresse refusée"), default=False)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("message sortant")
        verbose_name_plural = _("messages sortants")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_status_next"),
            models.Index(fields=["status", "territory_id"], name="outbox_status_territory"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
                name="outbox_sent_has_date",
            )
        ]

    def __str__(self):
        return f"{self.get_channel_display()} {self.template} → {self.recipient} ({self.get_status_display()})"


class VerificationCode(TimestampedModel):
    """A 6-digit code sent to a phone or an e-mail address to prove it is the person's (a public SNP booking, a
    waiting-list sign-up). Only its keyed hash is kept; it works once, for a few minutes, for a few tries."""

    purpose = models.CharField(max_length=40)
    address = models.CharField(max_length=254)  # the E.164 number or the lower-cased e-mail address
    code_hash = models.CharField(max_length=64)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["purpose", "address", "created_at"], name="verification_code_lookup")]

    def __str__(self):
        return f"{self.purpose} {self.created_at:%Y-%m-%d %H:%M}"

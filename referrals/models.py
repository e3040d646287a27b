"""Referral letters and tele-expertise requests: one request, its timeline of events and its messages.

A request goes from a GP (the sender, a directory entry) to exactly one recipient: a practitioner, a practice or
a priority pathway. Its status moves only through the services (``referrals.services``), each transition writing
a ``ReferralEvent``. The patient's identity and the clinical text live on the request: they are read through
``referrals.selectors``, which scope them to the people who need them and write the access log.
"""

import datetime
import uuid

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.identifiers import validate_nir
from core.models import TimestampedModel
from directory.models import Practice, Practitioner, Territory


class Urgency(models.TextChoices):
    URGENT = "urgent", _("Urgent")
    RAPID = "rapid", _("Rapide")
    ROUTINE = "routine", _("Habituel")


# Target delays before a first answer, unless a pathway says otherwise.
DEFAULT_TARGET_DELAYS = {
    Urgency.URGENT: datetime.timedelta(hours=48),
    Urgency.RAPID: datetime.timedelta(days=7),
    Urgency.ROUTINE: datetime.timedelta(days=30),
}


class Pathway(TimestampedModel):
    """A priority pathway ("porte d'entrée unique", e.g. suspected cancer): a request sent to it reaches every
    responder; the first to accept owns it."""

    territory = models.ForeignKey(Territory, on_delete=models.PROTECT, related_name="pathways")
    name = models.CharField(_("nom"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    target_delay = models.DurationField(
        _("délai cible"), null=True, blank=True, help_text=_("Vide : le délai de l'urgence choisie.")
    )
    responder_practitioners = models.ManyToManyField(
        Practitioner, blank=True, related_name="pathways", verbose_name=_("professionnels répondants")
    )
    responder_practices = models.ManyToManyField(
        Practice, blank=True, related_name="pathways", verbose_name=_("cabinets répondants")
    )
    active = models.BooleanField(_("ouvert"), default=True)

    class Meta:
        verbose_name = _("parcours prioritaire")
        verbose_name_plural = _("parcours prioritaires")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["territory", "name"], name="pathway_unique_name")]

    def __str__(self):
        return self.name


_RECIPIENT_FIELDS = ("recipient_practitioner", "recipient_practice", "pathway")


def _only(chosen: str) -> models.Q:
    """The recipient is ``chosen`` and nothing else."""
    return models.Q(**{f"{name}__isnull": name != chosen for name in _RECIPIENT_FIELDS})


class Referral(TimestampedModel):
    class Kind(models.TextChoices):
        LETTER = "letter", _("Adressage (courrier)")
        TELEEXPERTISE = "teleexpertise", _("Télé-expertise")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        SENT = "sent", _("Envoyée")
        ACKNOWLEDGED = "acknowledged", _("Prise en compte")
        NEEDS_INFO = "needs_info", _("Informations demandées")
        ACCEPTED = "accepted", _("Acceptée")
        DECLINED = "declined", _("Refusée")
        ANSWERED = "answered", _("Répondue")
        CLOSED = "closed", _("Clôturée")
        CANCELLED = "cancelled", _("Annulée")

    class Sex(models.TextChoices):
        FEMALE = "F", _("Féminin")
        MALE = "M", _("Masculin")
        OTHER = "X", _("Autre ou non précisé")

    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    urgency = models.CharField(_("urgence"), max_length=10, choices=Urgency.choices, default=Urgency.ROUTINE)

    sender = models.ForeignKey(Practitioner, on_delete=models.PROTECT, related_name="referrals_sent")
    sender_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="referrals_sent"
    )
    recipient_practitioner = models.ForeignKey(
        Practitioner, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals_received"
    )
    recipient_practice = models.ForeignKey(
        Practice, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals_received"
    )
    pathway = models.ForeignKey(Pathway, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals")

    # The patient, as the letter names them; phone and e-mail only serve status messages, with consent.
    patient_family_name = models.CharField(_("nom de naissance"), max_length=150)
    patient_used_name = models.CharField(_("nom d'usage"), max_length=150, blank=True)
    patient_given_names = models.CharField(_("prénoms"), max_length=200)
    patient_birth_date = models.DateField(_("date de naissance"))
    patient_sex = models.CharField(_("sexe"), max_length=1, choices=Sex.choices)
    patient_ins = models.CharField(_("INS (NIR)"), max_length=15, blank=True, validators=[validate_nir])
    patient_phone = models.CharField(_("téléphone du patient"), max_length=20, blank=True)
    patient_email = models.EmailField(_("e-mail du patient"), blank=True)
    contact_consent = models.BooleanField(_("le patient accepte d'être prévenu par SMS ou e-mail"), default=False)

    # The patient's declared médecin traitant: the directory entry when known, else as the GP wrote it. The
    # letter names them and the tele-expertise answer goes to them too.
    attending_practitioner = models.ForeignKey(
        Practitioner,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("médecin traitant"),
    )
    attending_label = models.CharField(_("médecin traitant (si absent de l'annuaire)"), max_length=200, blank=True)
    # Tele-expertise is billed only with the patient's prior consent, recorded when the GP asks.
    teleexpertise_consent = models.BooleanField(_("le patient consent à la télé-expertise"), default=False)

    reason = models.CharField(_("motif"), max_length=300)
    question = models.TextField(_("question clinique"), blank=True)
    history = models.TextField(_("antécédents utiles"), blank=True)
    treatments = models.TextField(_("traitements en cours"), blank=True)
    allergies = models.TextField(_("allergies connues"), blank=True)
    # Said only when the GP ticks it: an empty ``allergies`` means "not filled in", never "none known".
    no_known_allergies = models.BooleanField(_("aucune allergie connue"), default=False)

    # The recipient's side: who took it (the first responder of a pathway owns it), the appointment or the
    # written answer, or why it was declined and to whom the GP may turn instead.
    handled_by = models.ForeignKey(
        Practitioner, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals_handled"
    )
    appointment_at = models.DateTimeField(_("rendez-vous le"), null=True, blank=True)
    appointment_site = models.ForeignKey(
        Practice, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("lieu")
    )
    appointment_instructions = models.TextField(_("consignes pour le patient"), blank=True)
    decline_reason = models.TextField(_("motif du refus"), blank=True)
    suggested_practitioner = models.ForeignKey(
        Practitioner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confrère suggéré"),
    )
    answer = models.TextField(_("réponse écrite"), blank=True)
    closing_report = models.TextField(_("compte-rendu"), blank=True)

    # The recipient does not use the portal: the GP sent the letter another way and updates the status.
    sent_outside_via = models.CharField(_("envoyée hors du portail par"), max_length=20, blank=True)
    sent_outside_detail = models.CharField(_("adresse ou numéro utilisé"), max_length=255, blank=True)

    # Set at sending: the territory whose coordinators follow the request (the sender's).
    territory = models.ForeignKey(Territory, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals")

    # Closing survey of a tele-expertise, answered by the requesting GP.
    survey_avoided_visit = models.BooleanField(_("a évité une consultation en présentiel"), null=True, blank=True)
    survey_avoided_emergency = models.BooleanField(_("a évité un passage aux urgences"), null=True, blank=True)
    survey_answered_at = models.DateTimeField(_("questionnaire rempli le"), null=True, blank=True)

    sent_at = models.DateTimeField(_("envoyée le"), null=True, blank=True)
    due_at = models.DateTimeField(_("réponse attendue avant"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("première réponse le"), null=True, blank=True)
    closed_at = models.DateTimeField(_("clôturée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("demande")
        verbose_name_plural = _("demandes")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=_only("recipient_practitioner") | _only("recipient_practice") | _only("pathway"),
                name="referral_exactly_one_recipient",
            ),
            models.CheckConstraint(
                condition=models.Q(no_known_allergies=False) | models.Q(allergies=""),
                name="referral_no_known_allergies_without_allergies",
                violation_error_message=_(
                    "Vous avez coché « Aucune allergie connue » et décrit des allergies : gardez l'un ou l'autre."
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["recipient_practice", "status"], name="referral_practice_status"),
            models.Index(fields=["recipient_practitioner", "status"], name="referral_practitioner_status"),
            models.Index(fields=["sender", "status"], name="referral_sender_status"),
            models.Index(fields=["status", "due_at"], name="referral_status_due"),
            models.Index(fields=["territory", "status", "due_at"], name="referral_territory_status_due"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.public_id}"


class ReferralEvent(models.Model):
    """One line of a request's timeline: who did what, when, from which status to which."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("date"), auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    actor_label = models.CharField(_("par"), max_length=255, blank=True)
    action = models.CharField(_("action"), max_length=30)
    from_status = models.CharField(_("statut avant"), max_length=20, blank=True)
    to_status = models.CharField(_("statut après"), max_length=20, blank=True)
    # What happened, stored as data and rendered in the reader's language by ``referrals.timeline``.
    note_code = models.CharField(_("code de la remarque"), max_length=30, blank=True)
    note_params = models.JSONField(_("valeurs de la remarque"), default=dict, blank=True)
    # What a user typed (a reason, a message), kept as it was.
    note = models.TextField(_("remarque"), blank=True)

    class Meta:
        verbose_name = _("événement d'une demande")
        verbose_name_plural = _("événements des demandes")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.at:%d/%m/%Y %H:%M} {self.action}"


class ReferralMessage(models.Model):
    """The thread of a request: the GP and the recipient's side write to each other (needs info, answers)."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    author_label = models.CharField(_("auteur"), max_length=255)
    body = models.TextField(_("message"))
    at = models.DateTimeField(_("date"), auto_now_add=True)

    class Meta:
        verbose_name = _("message d'une demande")
        verbose_name_plural = _("messages des demandes")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.author_label} {self.at:%d/%m/%Y %H:%M}"


def attachment_path(attachment: "ReferralAttachment", filename: str) -> str:
    """Stored under a random name: the patient's file name never reaches the disk or a URL."""
    return f"referrals/{attachment.referral.public_id}/{uuid.uuid4().hex}"


class ReferralAttachment(models.Model):
    """A document joined to a request (PDF, JPEG, PNG), its type read from its content."""

    class Purpose(models.TextChoices):
        REQUEST = "request", _("Pièce de la demande")
        INFO = "info", _("Complément d'information")
        REPORT = "report", _("Compte-rendu")
        ANSWER = "answer", _("Pièce de la réponse")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="attachments")
    purpose = models.CharField(_("nature"), max_length=10, choices=Purpose.choices, default=Purpose.REQUEST)
    file = models.FileField(_("fichier"), upload_to=attachment_path, max_length=255)
    original_name = models.CharField(_("nom du fichier"), max_length=255)
    content_type = models.CharField(_("type"), max_length=50)
    size = models.PositiveIntegerField(_("taille (octets)"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    uploaded_by_label = models.CharField(_("déposé par"), max_length=255)
    uploaded_at = models.DateTimeField(_("déposé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("pièce jointe")
        verbose_name_plural = _("pièces jointes")
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.original_name


class Tariff(models.Model):
    """A tele-expertise act and its price from a date (the CNAM changes them; the coordinator keeps this table,
    never the code). The price in force on the act's date is the one with the latest ``valid_from`` before it."""

    class Side(models.TextChoices):
        REQUESTER = "requester", _("Requérant")
        EXPERT = "expert", _("Requis (expert)")

    side = models.CharField(_("côté"), max_length=10, choices=Side.choices)
    code = models.CharField(_("code de l'acte"), max_length=10)
    label = models.CharField(_("libellé"), max_length=200)
    amount = models.DecimalField(_("montant (€)"), max_digits=7, decimal_places=2, validators=[MinValueValidator(0)])
    overseas = models.BooleanField(_("outre-mer"), default=False)
    valid_from = models.DateField(_("en vigueur à partir du"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tarif de télé-expertise")
        verbose_name_plural = _("tarifs de télé-expertise")
        ordering = ["side", "overseas", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["side", "overseas", "valid_from"], name="tariff_one_per_side_and_date")
        ]

    def __str__(self):
        return f"{self.code} {self.amount} € ({self.valid_from:%d/%m/%Y})"


class BillingRecord(models.Model):
    """What one side may bill for an answered tele-expertise: the act, its price on the day, for whom."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="billing_records")
    practitioner = models.ForeignKey(Practitioner, on_delete=models.PROTECT, related_name="teleexpertise_acts")
    side = models.CharField(_("côté"), max_length=10, choices=Tariff.Side.choices)
    code = models.CharField(_("code de l'acte"), max_length=10)
    amount = models.DecimalField(_("montant (€)"), max_digits=7, decimal_places=2)
    act_date = models.DateField(_("date de l'acte"))
    # Who the cap counts: the INS when given, else birth name, first names and birth date, normalised.
    patient_key = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("acte de télé-expertise facturable")
        verbose_name_plural = _("actes de télé-expertise facturables")
        ordering = ["-act_date", "id"]
        constraints = [models.UniqueConstraint(fields=["referral", "side"], name="billing_one_per_side")]
        indexes = [
            models.Index(fields=["practitioner", "act_date"], name="billing_practitioner_date"),
            models.Index(fields=["practitioner", "side", "patient_key"], name="billing_cap"),
        ]

    def __str__(self):
        return f"{self.code} {self.act_date:%d/%m/%Y}"


class NewRequestNotices(models.Model):
    """How the members of a practice (its secretaries, its practitioners) hear of a new request that is not
    urgent: an e-mail at each one, or the morning digest only. An urgent request is e-mailed at once whatever
    the choice; a practice without a row has chosen the digest."""

    class When(models.TextChoices):
        EACH_REQUEST = "each_request", _("À chaque nouvelle demande")
        MORNING_DIGEST = "morning_digest", _("Dans le récapitulatif du matin")

    practice = models.OneToOneField(Practice, on_delete=models.CASCADE, related_name="new_request_notices")
    when = models.CharField(
        _("prévenir des nouvelles demandes"), max_length=20, choices=When.choices, default=When.MORNING_DIGEST
    )
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("avis de nouvelle demande")
        verbose_name_plural = _("avis de nouvelle demande")

    def __str__(self):
        return f"{self.practice}: {self.get_when_display()}"

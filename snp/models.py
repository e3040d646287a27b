"""Non-scheduled care ("soins non programmés"): slots that professionals publish once, each open to the
audiences they choose, and the bookings that regulators, pharmacists, nurses, other GPs or the patient make.

A slot belongs to a practitioner at one of their sites; a weekly ``SlotPattern`` writes its slots ahead (in the
wall-clock time of Europe/Paris, so "11:30" stays 11:30 across daylight-saving changes). Times are stored in
UTC. A slot is booked at most once: the services lock its row, and a partial unique index on the live booking
of a slot backs them. The patient's identity lives on the booking and is read through ``snp.selectors``, which
scope it and write the access log. Every change goes through ``snp.services``.
"""

import datetime

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import ArrayField, DateTimeRangeField, RangeOperators
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Func, Q
from django.utils.translation import gettext_lazy as _

from core.models import TimestampedModel
from directory.models import Commune, Practice, Practitioner, Territory

MIN_SLOT_MINUTES = 5
MAX_SLOT_MINUTES = 240
# How far ahead a weekly pattern is written out (the beat task keeps this window filled).
PATTERN_HORIZON = datetime.timedelta(weeks=8)


class SlotKind(models.TextChoices):
    IN_PRACTICE = "in_practice", _("Au cabinet")
    HOME_VISIT = "home_visit", _("Visite à domicile")
    TELECONSULTATION = "teleconsultation", _("Téléconsultation")
    ASSISTED_TELECONSULTATION = "assisted_teleconsultation", _("Téléconsultation assistée (infirmier au domicile)")


class BookingAudience(models.TextChoices):
    """Who may book a slot. The professional chooses per slot (and per pattern); ``public`` is off by default."""

    SAS = "sas", _("SAS / 15")
    LINE_116117 = "116117", _("116 117")
    SOS = "sos", _("SOS Médecins")
    CPTS_LINE = "cpts_line", _("Ligne de la CPTS")
    PHARMACISTS = "pharmacists", _("Pharmaciens")
    NURSES = "nurses", _("Infirmiers")
    GPS = "gps", _("Médecins généralistes de la CPTS")
    PUBLIC = "public", _("Patients (réservation directe)")


# The services a regulator's grant may name: each books for its own audience.
REGULATOR_SERVICES = (
    BookingAudience.SAS,
    BookingAudience.LINE_116117,
    BookingAudience.SOS,
    BookingAudience.CPTS_LINE,
)
DEFAULT_AUDIENCES = [BookingAudience.SAS, BookingAudience.CPTS_LINE]


class ReasonCategory(models.TextChoices):
    """A category, never the reason itself: nothing clinical leaves the booking in a message."""

    FEVER_INFECTION = "fever_infection", _("Fièvre, infection")
    PAIN = "pain", _("Douleur")
    INJURY = "injury", _("Traumatisme léger, plaie")
    SKIN = "skin", _("Peau")
    RESPIRATORY = "respiratory", _("Respiratoire")
    DIGESTIVE = "digestive", _("Digestif")
    URINARY = "urinary", _("Urinaire")
    PRESCRIPTION = "prescription", _("Renouvellement urgent, certificat")
    CHILD = "child", _("Enfant")
    OTHER = "other", _("Autre")


class Sex(models.TextChoices):
    FEMALE = "F", _("Femme")
    MALE = "M", _("Homme")
    OTHER = "X", _("Autre ou non précisé")


class SlotPattern(TimestampedModel):
    """A weekly pattern: "Mon-Fri 11:30 and 17:45, 20 min, until 31 March", at one site, for chosen audiences.
    Its slots are written ``PATTERN_HORIZON`` ahead; each can then be withdrawn or booked on its own."""

    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="snp_patterns")
    site = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="snp_patterns")
    kind = models.CharField(_("type"), max_length=30, choices=SlotKind.choices, default=SlotKind.IN_PRACTICE)
    # ISO weekdays: 1 Monday … 7 Sunday.
    weekdays = ArrayField(
        models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(7)]),
        verbose_name=_("jours"),
    )
    # Wall-clock times in Europe/Paris.
    times = ArrayField(models.TimeField(), verbose_name=_("heures"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("durée (minutes)"), validators=[MinValueValidator(MIN_SLOT_MINUTES), MaxValueValidator(MAX_SLOT_MINUTES)]
    )
    audiences = ArrayField(
        models.CharField(max_length=20, choices=BookingAudience.choices), verbose_name=_("qui peut réserver")
    )
    starts_on = models.DateField(_("à partir du"))
    ends_on = models.DateField(_("jusqu'au"))
    active = models.BooleanField(_("active"), default=True)
    # The last day written out, so that the beat task extends only what is missing.
    expanded_until = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("série de créneaux")
        verbose_name_plural = _("séries de créneaux")
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="snp_pattern_dates_order"),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=MIN_SLOT_MINUTES, duration_minutes__lte=MAX_SLOT_MINUTES),
                name="snp_pattern_duration_range",
            ),
        ]

    def __str__(self):
        return f"{self.practitioner} @ {self.site}"


class TsTzRange(Func):
    """``tstzrange(start, end)`` (half-open), for the overlap exclusion."""

    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class Slot(TimestampedModel):
    """One slot of one practitioner at one site, open to ``audiences``."""

    class Status(models.TextChoices):
        FREE = "free", _("Libre")
        BOOKED = "booked", _("Réservé")
        WITHDRAWN = "withdrawn", _("Retiré")

    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="snp_slots")
    site = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="snp_slots")
    # The site's territory, copied so that the board filters slots without a join.
    territory = models.ForeignKey(Territory, on_delete=models.PROTECT, related_name="snp_slots")
    pattern = models.ForeignKey(SlotPattern, on_delete=models.SET_NULL, null=True, blank=True, related_name="slots")
    kind = models.CharField(_("type"), max_length=30, choices=SlotKind.choices, default=SlotKind.IN_PRACTICE)
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))
    audiences = ArrayField(
        models.CharField(max_length=20, choices=BookingAudience.choices), verbose_name=_("qui peut réserver")
    )
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.FREE)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("créneau")
        verbose_name_plural = _("créneaux")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="snp_slot_ends_after_start"),
            models.CheckConstraint(condition=~Q(audiences=[]), name="snp_slot_has_audience"),
            # A practitioner is in one place at a time: live slots never overlap (withdrawn ones may).
            ExclusionConstraint(
                name="snp_slot_no_overlap",
                expressions=[
                    ("practitioner", RangeOperators.EQUAL),
                    (TsTzRange("starts_at", "ends_at"), RangeOperators.OVERLAPS),
                ],
                condition=~Q(status="withdrawn"),
            ),
            # A pattern writes each of its slots once, however often it is expanded.
            models.UniqueConstraint(fields=["pattern", "starts_at"], name="snp_slot_unique_per_pattern"),
        ]
        indexes = [
            models.Index(fields=["territory", "starts_at"], name="snp_slot_board", condition=Q(status="free")),
            models.Index(fields=["practitioner", "starts_at"], name="snp_slot_practitioner_week"),
        ]

    def __str__(self):
        return f"{self.practitioner} {self.starts_at:%Y-%m-%d %H:%M}"


class Booking(TimestampedModel):
    """A patient booked on a slot, by a regulator's service, a pharmacist, a nurse, a GP, or the patient."""

    class Status(models.TextChoices):
        BOOKED = "booked", _("Réservé")
        CANCELLED = "cancelled", _("Annulé")
        HONOURED = "honoured", _("Honoré")
        NO_SHOW = "no_show", _("Patient absent")

    class CancelledBy(models.TextChoices):
        PRACTICE = "practice", _("le cabinet")
        BOOKER = "booker", _("la régulation")
        PATIENT = "patient", _("le patient")

    class Recall(models.TextChoices):
        TO_DO = "to_do", _("À rappeler")
        DONE = "done", _("Rappelé")
        UNREACHABLE = "unreachable", _("Injoignable")

    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="bookings")
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.BOOKED)
    # Through which audience it was booked (the regulator's service, "pharmacists", "public"…).
    audience = models.CharField(_("réservé par"), max_length=20, choices=BookingAudience.choices)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="snp_bookings"
    )
    patient_family_name = models.CharField(_("nom"), max_length=150)
    patient_given_names = models.CharField(_("prénoms"), max_length=150)
    patient_birth_date = models.DateField(_("date de naissance"))
    patient_sex = models.CharField(_("sexe"), max_length=1, choices=Sex.choices)
    patient_phone = models.CharField(_("téléphone"), max_length=20, blank=True)
    patient_email = models.EmailField(_("e-mail"), blank=True)
    patient_commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="+", verbose_name=_("commune"))
    has_gp = models.BooleanField(_("a un médecin traitant"))
    gp_practitioner = models.ForeignKey(
        Practitioner, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("médecin")
    )
    reason_category = models.CharField(_("motif (catégorie)"), max_length=20, choices=ReasonCategory.choices)
    contact_consent = models.BooleanField(_("accepte d'être contacté (SMS, e-mail)"), default=False)
    # Signed into the patient's cancellation link; bumped when it is used, so a link works once.
    link_version = models.PositiveIntegerField(default=1)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.CharField(max_length=10, choices=CancelledBy.choices, blank=True)
    cancel_reason = models.CharField(_("motif d'annulation"), max_length=300, blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)
    outcome_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note_for_gp = models.TextField(_("mot pour le médecin traitant"), blank=True, max_length=1000)
    recall = models.CharField(_("rappel"), max_length=12, choices=Recall.choices, blank=True)

    class Meta:
        verbose_name = _("réservation")
        verbose_name_plural = _("réservations")
        constraints = [
            # No double booking: at most one booking of a slot is not cancelled.
            models.UniqueConstraint(
                fields=["slot"], condition=~Q(status="cancelled"), name="snp_booking_one_live_per_slot"
            ),
        ]

    def __str__(self):
        return f"{self.slot} ({self.get_status_display()})"


class RegulatedCall(TimestampedModel):
    """A call a regulator handled: booked on a slot, or not (advice, emergency department…), so that both the
    demand and the unmet demand are counted."""

    class Outcome(models.TextChoices):
        BOOKED = "booked", _("Créneau réservé")
        ADVICE = "advice", _("Conseil")
        EMERGENCY = "emergency", _("Orienté vers les urgences")
        ON_CALL = "on_call", _("Orienté vers le médecin de garde")
        NO_SLOT = "no_slot", _("Aucun créneau disponible")

    territory = models.ForeignKey(Territory, on_delete=models.PROTECT, related_name="snp_calls")
    audience = models.CharField(_("service"), max_length=20, choices=BookingAudience.choices)
    outcome = models.CharField(_("issue"), max_length=12, choices=Outcome.choices)
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reason_category = models.CharField(max_length=20, choices=ReasonCategory.choices, blank=True)
    booking = models.OneToOneField(Booking, on_delete=models.SET_NULL, null=True, blank=True, related_name="call")
    received_at = models.DateTimeField(_("reçu le"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("appel régulé")
        verbose_name_plural = _("appels régulés")
        indexes = [models.Index(fields=["territory", "received_at"], name="snp_call_territory_day")]

    def __str__(self):
        return f"{self.get_audience_display()} {self.received_at:%Y-%m-%d %H:%M} ({self.get_outcome_display()})"


class SharedOffer(models.Model):
    """A territory lets a neighbouring one see and book its slots (each direction is one row)."""

    territory = models.ForeignKey(Territory, on_delete=models.CASCADE, related_name="snp_shared_with")
    shares_with = models.ForeignKey(Territory, on_delete=models.CASCADE, related_name="snp_shared_by")

    class Meta:
        verbose_name = _("offre partagée avec un territoire voisin")
        verbose_name_plural = _("offres partagées avec des territoires voisins")
        constraints = [
            models.UniqueConstraint(fields=["territory", "shares_with"], name="snp_shared_offer_unique"),
            models.CheckConstraint(condition=~Q(territory=models.F("shares_with")), name="snp_shared_offer_other"),
        ]

    def __str__(self):
        return f"{self.territory} → {self.shares_with}"


class NurseOnCall(TimestampedModel):
    """The nurses' on-call rota: which nurse covers which communes, from when to when (weekends, holidays)."""

    territory = models.ForeignKey(Territory, on_delete=models.CASCADE, related_name="snp_nurse_rota")
    nurse = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="snp_on_call")
    communes = models.ManyToManyField(Commune, related_name="+", verbose_name=_("communes couvertes"))
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))

    class Meta:
        verbose_name = _("astreinte infirmière")
        verbose_name_plural = _("astreintes infirmières")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="snp_on_call_ends_after_start")
        ]

    def __str__(self):
        return f"{self.nurse} {self.starts_at:%Y-%m-%d %H:%M}"


class UnfilledSlotTariff(models.Model):
    """What a territory pays per unfilled slot from a date on (the basis of the professionals' compensation)."""

    territory = models.ForeignKey(Territory, on_delete=models.CASCADE, related_name="snp_tariffs")
    valid_from = models.DateField(_("à partir du"))
    amount_cents = models.PositiveIntegerField(_("montant par créneau non pourvu (centimes)"))

    class Meta:
        verbose_name = _("tarif des créneaux non pourvus")
        verbose_name_plural = _("tarifs des créneaux non pourvus")
        ordering = ["-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["territory", "valid_from"], name="snp_tariff_unique_date"),
        ]

    def __str__(self):
        return f"{self.territory} {self.valid_from}: {self.amount_cents / 100:.2f} €"


class TerritoryLine(TimestampedModel):
    """The CPTS's own phone line for non-scheduled care, shown to the public with its hours (one per territory)."""

    territory = models.OneToOneField(Territory, on_delete=models.CASCADE, related_name="snp_line")
    phone = models.CharField(_("numéro de la ligne"), max_length=20)
    hours = models.CharField(_("horaires de la ligne"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("ligne de soins non programmés de la CPTS")
        verbose_name_plural = _("lignes de soins non programmés des CPTS")

    def __str__(self):
        return f"{self.territory}: {self.phone}"

    @property
    def display_phone(self) -> str:
        """ "02 61 91 99 00", as the directory shows numbers."""
        from directory.contact_values import display_value

        return display_value("phone", self.phone)


class SnpCalendarFeed(TimestampedModel):
    """A professional's private iCalendar URL: their SNP slots and bookings, for the calendar app of their phone.

    The token in the URL is the only key (calendar apps send no cookie), so it is long and random, shown only to
    the professional, and revocable: a revoked feed answers 404, and a new one has a new token. The patient's
    name is left out unless the professional opts in (their calendar app may sync it to a third party)."""

    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="snp_calendar_feeds")
    token = models.CharField(max_length=64, unique=True, editable=False)
    include_patient_names = models.BooleanField(_("afficher le nom des patients"), default=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("agenda privé SNP")
        verbose_name_plural = _("agendas privés SNP")
        constraints = [
            # One live URL per professional: a new one replaces the revoked one.
            models.UniqueConstraint(
                fields=["practitioner"], condition=Q(revoked_at__isnull=True), name="snp_calendar_feed_one_live"
            ),
        ]

    def __str__(self):
        return f"{self.practitioner} ({'révoqué' if self.revoked_at else 'actif'})"

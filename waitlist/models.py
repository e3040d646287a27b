"""The waiting list of patients without a GP ("patients sans médecin traitant").

- A ``WaitingList`` is the queue one or more territories share (the seven CPTS of a département may keep one);
  a territory belongs to at most one list. Its ``PriorityRules`` say how facts become a priority level
  (``waitlist.priority``).
- An ``Entry`` is one sign-up: a household that waits together (its ``HouseholdMember`` rows, the first one the
  main member), one contact (phone and/or e-mail, verified by a code), one commune, one consent record, one
  status. The household is the unit of the queue: it is proposed whole to one GP or not at all.
- A GP's ``Pledge`` ("12 new patients over 3 months, within 10 km") is drawn in batches of ``Proposal`` rows; a
  partial unique index keeps an entry from being proposed to two GPs at once.
- A ``HandoverPlan`` spreads a departing GP's patients over months against the receiving GPs' pledges.
- Every change leaves an ``EntryEvent`` (the audit); a professional's remark is an ``EntryNote``. Events hold no
  identity, so that erasing an entry (``waitlist.services``) leaves only anonymous rows.

Identity and contact live on ``Entry`` and ``HouseholdMember`` only; they are read through ``waitlist.selectors``
(scoped, logged) and changed through ``waitlist.services``.
"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TimestampedModel
from directory.models import Commune, Practitioner, Territory

# How far ahead a pledge may run, and how many patients one pledge may offer (a "10,000" is a typo).
MAX_PLEDGE_CAPACITY = 500
MAX_PLEDGE_MONTHS = 24
MAX_RADIUS_KM = 100
MAX_TRAVEL_KM = 100
MAX_HOUSEHOLD_SIZE = 12
# A proposal left unanswered this long goes back to the queue; an entry is asked to re-confirm this often.
PROPOSAL_TIMEOUT_DAYS = 7
RECONFIRM_AFTER_DAYS = 182


class WaitingList(TimestampedModel):
    """One queue, for one territory or several that share it (a département)."""

    name = models.CharField(_("nom"), max_length=200)
    slug = models.SlugField(_("identifiant court"), max_length=80, unique=True)
    territories = models.ManyToManyField(
        Territory, through="WaitingListTerritory", related_name="waiting_lists", verbose_name=_("territoires")
    )

    class Meta:
        verbose_name = _("liste d'attente")
        verbose_name_plural = _("listes d'attente")
        ordering = ["name"]

    def __str__(self):
        return self.name


class WaitingListTerritory(models.Model):
    waiting_list = models.ForeignKey(WaitingList, on_delete=models.CASCADE, related_name="memberships")
    # A territory keeps at most one list: a patient of its communes is in exactly one queue.
    territory = models.OneToOneField(Territory, on_delete=models.CASCADE, related_name="waiting_list_membership")

    class Meta:
        verbose_name = _("territoire de la liste")
        verbose_name_plural = _("territoires de la liste")

    def __str__(self):
        return f"{self.territory} → {self.waiting_list}"


class PriorityRules(models.Model):
    """How a list turns facts into a level: a weight per criterion and the score each level starts at (see
    ``waitlist.priority``, which holds the defaults and the validation). Each change bumps ``version`` and
    recomputes the waiting entries' levels."""

    waiting_list = models.OneToOneField(WaitingList, on_delete=models.CASCADE, related_name="priority_rules")
    weights = models.JSONField(_("poids des critères"), default=dict)
    # [{"min_score": 0, "label": "Standard"}, {"min_score": 3, "label": "Prioritaire"}, …], by increasing score.
    levels = models.JSONField(_("niveaux"), default=list)
    version = models.PositiveIntegerField(_("version"), default=1)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("règles de priorité")
        verbose_name_plural = _("règles de priorité")

    def __str__(self):
        return f"{self.waiting_list} (v{self.version})"


class Sex(models.TextChoices):
    FEMALE = "F", _("Femme")
    MALE = "M", _("Homme")
    OTHER = "X", _("Autre ou non précisé")


class Situation(models.TextChoices):
    """Why the person has no GP (what the CPTS reports to the ARS; never a diagnosis)."""

    GP_RETIRED = "gp_retired", _("Mon médecin est parti ou a pris sa retraite")
    MOVED_HERE = "moved_here", _("Je viens d'emménager dans le secteur")
    NEVER_HAD = "never_had", _("Je n'ai jamais eu de médecin traitant")
    GP_REFUSES = "gp_refuses", _("Mon médecin ne peut plus me suivre")


class SignupSource(models.TextChoices):
    """Who typed the sign-up: it changes nothing to the priority, but the coordinator sees it."""

    SELF = "self", _("La personne elle-même")
    RELATIVE = "relative", _("Un proche")
    PROFESSIONAL = "professional", _("Un professionnel de santé ou social")
    HANDOVER = "handover", _("Le cabinet d'un médecin qui part (inscription groupée)")


class FlaggedBy(models.TextChoices):
    NOBODY = "", _("Personne")
    PROFESSIONAL = "professional", _("Un professionnel de santé ou social")
    ELECTED_OFFICIAL = "elected_official", _("Un élu")


class Entry(TimestampedModel):
    """One sign-up: a household waiting for a GP together, with one contact and one status."""

    class Status(models.TextChoices):
        UNVERIFIED = "unverified", _("Contact à vérifier")
        WAITING = "waiting", _("En attente")
        PROPOSED = "proposed", _("Proposé à un médecin")
        MATCHED = "matched", _("Médecin trouvé par la CPTS")
        WITHDRAWN = "withdrawn", _("Retiré (médecin trouvé par ailleurs ou autre raison)")
        INACTIVE = "inactive", _("Inactif (sans nouvelles)")
        MERGED = "merged", _("Fusionné avec une autre inscription")
        ERASED = "erased", _("Effacé à la demande")

    waiting_list = models.ForeignKey(WaitingList, on_delete=models.PROTECT, related_name="entries")
    status = models.CharField(_("statut"), max_length=12, choices=Status.choices, default=Status.UNVERIFIED)
    # Kept after erasure (the public report counts by commune); everything naming the person is wiped.
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="+", verbose_name=_("commune"))
    phone = models.CharField(_("téléphone"), max_length=16, blank=True)  # E.164
    email = models.EmailField(_("e-mail"), blank=True)
    phone_verified_at = models.DateTimeField(null=True, blank=True)
    email_verified_at = models.DateTimeField(null=True, blank=True)
    situation = models.CharField(_("situation"), max_length=12, choices=Situation.choices)
    max_distance_km = models.PositiveSmallIntegerField(
        _("distance maximale acceptée (km)"), validators=[MinValueValidator(1), MaxValueValidator(MAX_TRAVEL_KM)]
    )
    source = models.CharField(_("inscrit par"), max_length=12, choices=SignupSource.choices, default=SignupSource.SELF)
    flagged_by = models.CharField(_("signalé par"), max_length=16, choices=FlaggedBy.choices, blank=True, default="")
    household_size = models.PositiveSmallIntegerField(
        _("taille du foyer"), default=1, validators=[MinValueValidator(1), MaxValueValidator(MAX_HOUSEHOLD_SIZE)]
    )
    # The queue's order: computed by ``waitlist.priority`` from the members' facts and the list's rules, or the
    # coordinator's override when there is one (``level_override``, with its reason), stored so that a draw at a
    # million entries reads an index.
    priority_level = models.PositiveSmallIntegerField(_("niveau de priorité"), default=0)
    priority_score = models.PositiveSmallIntegerField(_("score de priorité"), default=0)
    priority_reasons = ArrayField(models.CharField(max_length=30), default=list, blank=True)
    level_override = models.PositiveSmallIntegerField(_("niveau fixé par la coordination"), null=True, blank=True)
    level_override_reason = models.CharField(_("raison du niveau fixé"), max_length=300, blank=True)
    # Set when the contact is verified: the queue's "oldest first" starts there.
    waiting_since = models.DateTimeField(_("en attente depuis"), null=True, blank=True)
    # Re-confirmation ("toujours sans médecin traitant ?"): last confirmed, and the reminders sent since.
    confirmed_at = models.DateTimeField(_("confirmée le"), null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(_("relances envoyées"), default=0)
    last_reminder_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(_("clôturée le"), null=True, blank=True)
    closed_reason = models.CharField(_("raison de la clôture"), max_length=300, blank=True)
    # Signed into the patient's links; bumped to revoke every link sent so far (after erasure, for instance).
    link_version = models.PositiveIntegerField(default=0)
    # A suspected duplicate is kept and flagged for the coordinator; the person is never told.
    duplicate_suspected = models.BooleanField(_("doublon possible"), default=False)
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="merged_entries"
    )
    handover_plan = models.ForeignKey(
        "HandoverPlan", on_delete=models.SET_NULL, null=True, blank=True, related_name="entries"
    )

    class Meta:
        verbose_name = _("inscription")
        verbose_name_plural = _("inscriptions")
        ordering = ["-priority_level", "waiting_since", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="waiting") | Q(waiting_since__isnull=False), name="waitlist_waiting_has_since"
            ),
        ]
        indexes = [
            models.Index(fields=["waiting_list", "status"], name="waitlist_entry_list_status"),
            # The draw, read in the queue's order: the list's waiting entries, highest level first, then oldest (then
            # id, the draw's last key). A GP's draw stops after a batch of entries in reach, a few rows into the
            # index (0.6 ms at 1 million sign-ups against 212 ms sorting every entry of the communes in reach).
            models.Index(
                "waiting_list",
                models.F("priority_level").desc(),
                "waiting_since",
                "id",
                name="waitlist_entry_queue",
                condition=Q(status="waiting"),
            ),
        ]

    def __str__(self):
        return f"Inscription {self.public_id}"


class HouseholdMember(models.Model):
    """One person of a sign-up, with the facts the priority reads (never a diagnosis: "ALD: yes" only)."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="members")
    position = models.PositiveSmallIntegerField(default=0)  # 0: the main member, whom the contact reaches
    family_name = models.CharField(_("nom"), max_length=150)
    given_names = models.CharField(_("prénoms"), max_length=150)
    birth_date = models.DateField(_("date de naissance"))
    sex = models.CharField(_("sexe"), max_length=1, choices=Sex.choices)
    ald = models.BooleanField(_("affection de longue durée (ALD)"), default=False)
    pregnancy = models.BooleanField(_("grossesse en cours"), default=False)
    disability = models.BooleanField(_("situation de handicap"), default=False)
    precarity = models.BooleanField(_("complémentaire santé solidaire (CSS) ou AME"), default=False)
    treatment_renewal = models.BooleanField(_("traitement régulier à renouveler"), default=False)

    class Meta:
        verbose_name = _("membre du foyer")
        verbose_name_plural = _("membres du foyer")
        ordering = ["entry", "position"]
        constraints = [models.UniqueConstraint(fields=["entry", "position"], name="waitlist_member_position")]
        indexes = [models.Index(fields=["birth_date"], name="waitlist_member_birth_date")]

    def __str__(self):
        return f"{self.given_names} {self.family_name}"


class ConsentRecord(models.Model):
    """The consent to the processing of health data, as given: the text shown, its version, when, by whom."""

    entry = models.OneToOneField(Entry, on_delete=models.CASCADE, related_name="consent")
    version = models.CharField(_("version du texte"), max_length=20)
    text = models.TextField(_("texte présenté"))
    given_at = models.DateTimeField(_("donné le"))
    given_by = models.CharField(_("donné par"), max_length=12, choices=SignupSource.choices)
    # For a bulk handover: the practice's statement that each patient agreed (who recorded it, on which import).
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("consentement")
        verbose_name_plural = _("consentements")

    def __str__(self):
        return f"Consentement {self.version} du {self.given_at:%d/%m/%Y}"


class Pledge(TimestampedModel):
    """A GP's capacity: how many new patients, until when, how far, families or not, discreet or not."""

    class Status(models.TextChoices):
        OPEN = "open", _("Ouverte")
        CLOSED = "closed", _("Close")

    practitioner = models.ForeignKey(Practitioner, on_delete=models.PROTECT, related_name="waitlist_pledges")
    waiting_list = models.ForeignKey(WaitingList, on_delete=models.PROTECT, related_name="pledges")
    capacity = models.PositiveSmallIntegerField(
        _("nombre de nouveaux patients"), validators=[MinValueValidator(1), MaxValueValidator(MAX_PLEDGE_CAPACITY)]
    )
    radius_km = models.PositiveSmallIntegerField(
        _("rayon (km)"), validators=[MinValueValidator(1), MaxValueValidator(MAX_RADIUS_KM)]
    )
    starts_on = models.DateField(_("à partir du"))
    until = models.DateField(_("jusqu'au"))
    families_welcome = models.BooleanField(_("familles bienvenues"), default=True)
    # Never shown publicly nor to other professionals: only the GP, and the coordination that plans with it.
    discreet = models.BooleanField(_("discrète"), default=False)
    status = models.CharField(_("statut"), max_length=8, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("engagement d'accueil")
        verbose_name_plural = _("engagements d'accueil")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(until__gte=models.F("starts_on")), name="waitlist_pledge_period"),
            models.CheckConstraint(
                condition=Q(capacity__gte=1, capacity__lte=MAX_PLEDGE_CAPACITY), name="waitlist_pledge_capacity"
            ),
        ]

    def __str__(self):
        return f"{self.practitioner} : {self.capacity} patients"


class Proposal(TimestampedModel):
    """An entry proposed to a GP's pledge, answered within ``PROPOSAL_TIMEOUT_DAYS`` or given back to the queue."""

    class Status(models.TextChoices):
        PENDING = "pending", _("En attente de réponse")
        ACCEPTED = "accepted", _("Acceptée")
        DECLINED = "declined", _("Refusée")
        EXPIRED = "expired", _("Sans réponse, remise dans la file")
        CANCELLED = "cancelled", _("Annulée (inscription retirée)")

    pledge = models.ForeignKey(Pledge, on_delete=models.PROTECT, related_name="proposals")
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="proposals")
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.PENDING)
    batch = models.UUIDField(_("tirage"))
    distance_km = models.FloatField(_("distance (km)"))
    # What the GP saw when the batch was drawn (the entry's level may change afterwards).
    priority_level = models.PositiveSmallIntegerField(_("niveau de priorité"))
    household_size = models.PositiveSmallIntegerField(_("taille du foyer"))
    expires_at = models.DateTimeField(_("à répondre avant le"))
    answered_at = models.DateTimeField(_("répondue le"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decline_reason = models.CharField(_("raison du refus"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("proposition")
        verbose_name_plural = _("propositions")
        ordering = ["-created_at"]
        constraints = [
            # An entry is proposed to one GP at a time, whatever two draws do at the same instant.
            models.UniqueConstraint(
                fields=["entry"], condition=Q(status="pending"), name="waitlist_one_pending_proposal_per_entry"
            ),
        ]
        indexes = [
            models.Index(fields=["pledge", "status"], name="waitlist_proposal_pledge"),
            models.Index(fields=["expires_at"], condition=Q(status="pending"), name="waitlist_proposal_expiry"),
        ]


class HandoverPlan(TimestampedModel):
    """A departing GP's patients spread over months against the receiving GPs' pledges."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("En préparation")
        ACTIVE = "active", _("En cours")
        DONE = "done", _("Terminé")

    waiting_list = models.ForeignKey(WaitingList, on_delete=models.PROTECT, related_name="handover_plans")
    departing_practitioner = models.ForeignKey(Practitioner, on_delete=models.PROTECT, related_name="handover_plans")
    departure_on = models.DateField(_("date de départ"))
    first_month = models.DateField(_("premier mois"))  # the first day of a month
    months = models.PositiveSmallIntegerField(
        _("nombre de mois"), validators=[MinValueValidator(1), MaxValueValidator(MAX_PLEDGE_MONTHS)]
    )
    status = models.CharField(_("statut"), max_length=8, choices=Status.choices, default=Status.DRAFT)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("plan de reprise de patientèle")
        verbose_name_plural = _("plans de reprise de patientèle")
        ordering = ["-created_at"]


class HandoverAllocation(models.Model):
    """How many of the departing GP's patients one receiving pledge takes in one month of the plan."""

    plan = models.ForeignKey(HandoverPlan, on_delete=models.CASCADE, related_name="allocations")
    month = models.DateField(_("mois"))  # the first day of the month
    pledge = models.ForeignKey(Pledge, on_delete=models.PROTECT, related_name="handover_allocations")
    planned = models.PositiveSmallIntegerField(_("patients prévus"))

    class Meta:
        verbose_name = _("répartition mensuelle")
        verbose_name_plural = _("répartitions mensuelles")
        ordering = ["plan", "month"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "month", "pledge"], name="waitlist_allocation_unique"),
        ]

    def __str__(self):
        return f"{self.month:%m/%Y} : {self.planned}"


class DuplicateSuspicion(models.Model):
    """Two sign-ups that may be the same person (names close, same birth date and sex), for the coordinator."""

    class Status(models.TextChoices):
        OPEN = "open", _("À examiner")
        MERGED = "merged", _("Fusionnées")
        DISMISSED = "dismissed", _("Personnes différentes")

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="duplicate_suspicions")
    other = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="+")
    similarity = models.FloatField(_("ressemblance"))
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("doublon possible")
        verbose_name_plural = _("doublons possibles")
        constraints = [models.UniqueConstraint(fields=["entry", "other"], name="waitlist_duplicate_pair")]

    def __str__(self):
        return f"Doublon possible ({self.similarity:.2f})"


class EntryEvent(models.Model):
    """The audit of an entry: what changed, when, by whom (an account, or the patient through their link, or
    the system). ``details`` never holds a name, a birth date or a contact: the row survives erasure."""

    class Kind(models.TextChoices):
        SIGNED_UP = "signed_up", _("Inscription")
        VERIFIED = "verified", _("Contact vérifié")
        UPDATED = "updated", _("Mise à jour")
        LEVEL_CHANGED = "level_changed", _("Niveau recalculé")
        LEVEL_OVERRIDDEN = "level_overridden", _("Niveau fixé par la coordination")
        PROPOSED = "proposed", _("Proposée à un médecin")
        ACCEPTED = "accepted", _("Acceptée par un médecin")
        DECLINED = "declined", _("Refusée par un médecin")
        EXPIRED = "expired", _("Proposition sans réponse")
        CONFIRMED = "confirmed", _("Toujours sans médecin (reconfirmée)")
        REMINDED = "reminded", _("Relance de reconfirmation")
        INACTIVATED = "inactivated", _("Rendue inactive")
        WITHDRAWN = "withdrawn", _("Retirée")
        MERGED = "merged", _("Fusionnée")
        ERASED = "erased", _("Effacée")
        DUPLICATE_FLAGGED = "duplicate_flagged", _("Doublon possible signalé")

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    at = models.DateTimeField(_("date"), auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    by_patient = models.BooleanField(_("par la personne (lien reçu)"), default=False)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("événement d'inscription")
        verbose_name_plural = _("historique des inscriptions")
        ordering = ["entry", "at", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.at:%d/%m/%Y})"


class EntryNote(models.Model):
    """A remark on an entry by a professional or the coordination ("proposition expirée, remise en file").
    Deleted with the identity on erasure: free text may name the person."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="notes")
    text = models.TextField(_("note"), max_length=2000)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    at = models.DateTimeField(_("date"), auto_now_add=True)

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ["entry", "at"]

    def __str__(self):
        return f"Note du {self.at:%d/%m/%Y}"


class HandoverProposal(models.Model):
    """Which month's allocation of a handover plan a proposal was made for: the plan page counts, per month and
    receiving pledge, what was planned, proposed and accepted."""

    proposal = models.OneToOneField(Proposal, on_delete=models.CASCADE, related_name="handover")
    allocation = models.ForeignKey(HandoverAllocation, on_delete=models.PROTECT, related_name="proposals")

    class Meta:
        verbose_name = _("proposition d'un plan de reprise")
        verbose_name_plural = _("propositions des plans de reprise")

    def __str__(self):
        return f"{self.allocation} : proposition {self.proposal_id}"

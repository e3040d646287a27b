"""The territory's directory, and the role grants whose scopes point at it.

Reference data (communes, professions, specialties), territories, practitioners and their practices, who works
where; how to reach each of them and for whom (contact channels), the digital tools they use, their absences and
the changes the newsletter reports (arrivals, departures…).
"""

import datetime

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, GistIndex, OpClass
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Func, TextField
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role
from core.identifiers import validate_adeli, validate_finess, validate_rpps, validate_siret
from core.models import TimestampedModel
from directory.languages import validate_language_code


class SearchText(Func):
    """``directory_search_text(text)``: lower case, no accents, words separated by single spaces.

    A SQL function created by migration 0003: an IMMUTABLE wrapper around ``unaccent`` (which is only STABLE, so
    it cannot appear in an index by itself). Names are indexed and compared through it, so "Saint-Gilles",
    "saint gilles" and "SAINT GILLES" are the same text for the search and its index.
    """

    function = "directory_search_text"
    output_field = TextField()


class LlToEarth(Func):
    """``ll_to_earth(latitude, longitude)``: a point of earthdistance (a ``cube``), IMMUTABLE, so indexable.

    GiST indexes on it serve ``earth_box(centre, radius) @> ll_to_earth(...)``: the radius search reads the
    index, then ``earth_distance`` refines the box to the circle on those few rows only.
    """

    function = "ll_to_earth"
    output_field = models.FloatField()  # an ``earth``: no Django field maps it; only used inside SQL


class Commune(models.Model):
    """A French commune (or an arrondissement of Paris, Lyon, Marseille), from the INSEE official geographic code.

    Reference data loaded by a migration from ``directory/data/communes-fr.csv.gz`` (see its README).
    """

    insee_code = models.CharField(_("code INSEE"), max_length=5, primary_key=True)
    name = models.CharField(_("nom"), max_length=100)
    postal_codes = ArrayField(models.CharField(max_length=5), verbose_name=_("codes postaux"), default=list)
    department = models.CharField(_("département"), max_length=3, db_index=True)
    region = models.CharField(_("région"), max_length=3)
    population = models.PositiveIntegerField(_("population"), default=0)
    # The town hall's position; unknown for a few overseas or newly merged communes.
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)

    class Meta:
        verbose_name = _("commune")
        verbose_name_plural = _("communes")
        ordering = ["name"]
        indexes = [
            # "which communes does 85000 serve?": postal_codes @> ARRAY['85000'].
            GinIndex(fields=["postal_codes"], name="commune_postal_codes_gin"),
            # Name search by prefix (LIKE 'la roche%') and by trigram similarity, on the normalised name. An
            # expression index rather than a stored normalised column: nothing to keep in step when a name
            # changes, and the query states the same expression, so PostgreSQL matches it to the index.
            GinIndex(
                OpClass(SearchText(F("name")), name="gin_trgm_ops"),
                name="commune_name_search_trgm",
            ),
            # Practices without a position of their own are placed at their commune's town hall.
            GistIndex(LlToEarth(F("latitude"), F("longitude")), name="commune_position_earth_gist"),
        ]

    def __str__(self):
        return f"{self.name} ({self.department})"


class Profession(models.Model):
    """A health profession, keyed by its code in the RPPS nomenclature (TRE_G15: 10 Médecin, 60 Infirmier…)."""

    code = models.CharField(_("code RPPS"), max_length=4, unique=True)
    label = models.CharField(_("libellé"), max_length=200)
    synonyms = ArrayField(
        models.CharField(max_length=50), verbose_name=_("synonymes de recherche"), default=list, blank=True
    )

    class Meta:
        verbose_name = _("profession")
        verbose_name_plural = _("professions")
        ordering = ["label"]

    def __str__(self):
        return self.label


class Territory(TimestampedModel):
    """A CPTS: the territory its professionals share."""

    name = models.CharField(_("nom"), max_length=200)
    slug = models.SlugField(_("identifiant court"), max_length=80, unique=True)
    communes = models.ManyToManyField(Commune, blank=True, related_name="territories", verbose_name=_("communes"))

    class Meta:
        verbose_name = _("territoire (CPTS)")
        verbose_name_plural = _("territoires (CPTS)")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Specialty(models.Model):
    """A specialty ("savoir-faire"), keyed by its code in the RPPS nomenclature (TRE_R38: SM54, SM04…)."""

    code = models.CharField(_("code RPPS"), max_length=10, unique=True)
    label = models.CharField(_("libellé"), max_length=200)
    profession = models.ForeignKey(
        Profession, on_delete=models.PROTECT, null=True, blank=True, related_name="specialties"
    )
    # What people type instead of the official label: "cardio", "dermato", "MG"… (compared without accents).
    synonyms = ArrayField(
        models.CharField(max_length=50), verbose_name=_("synonymes de recherche"), default=list, blank=True
    )

    class Meta:
        verbose_name = _("spécialité")
        verbose_name_plural = _("spécialités")
        ordering = ["label"]

    def __str__(self):
        return self.label


class PracticeTag(models.TextChoices):
    """What a colleague or a patient needs to know of a practice, in a word: searched and shown as badges."""

    HOME_VISITS = "home_visits", _("Visites à domicile")
    ULTRASOUND = "ultrasound", _("Échographie sur place")
    CHILDREN = "children", _("Enfants")
    WITHOUT_APPOINTMENT = "without_appointment", _("Consultation sans rendez-vous")
    TELECONSULTATION = "teleconsultation", _("Téléconsultation")
    EMERGENCY_SLOTS = "emergency_slots", _("Créneaux d'urgence pour les confrères")
    ECG = "ecg", _("ECG sur place")
    SMALL_SURGERY = "small_surgery", _("Petite chirurgie")
    GYNAECOLOGY = "gynaecology", _("Suivi gynécologique")
    SPORTS_MEDICINE = "sports_medicine", _("Médecine du sport")
    PALLIATIVE_CARE = "palliative_care", _("Soins palliatifs")
    ELDERLY = "elderly", _("Personnes âgées")


class AccessibilityTag(models.TextChoices):
    WHEELCHAIR = "wheelchair", _("Accessible en fauteuil roulant")
    GROUND_FLOOR = "ground_floor", _("De plain-pied")
    LIFT = "lift", _("Ascenseur")
    DISABLED_PARKING = "disabled_parking", _("Place de stationnement PMR")
    HEARING_LOOP = "hearing_loop", _("Boucle magnétique")
    PUBLIC_TRANSPORT = "public_transport", _("Desservi par les transports en commun")


class Source(models.TextChoices):
    """Who wrote a row: the CPTS by hand (never overwritten by an import) or the national RPPS import."""

    MANUAL = "manual", _("Saisie dans le portail")
    RPPS_IMPORT = "rpps_import", _("Import national RPPS")


# An entry not confirmed for this long is flagged stale in search; after half of it, the owner is asked to confirm.
STALE_AFTER_DAYS = 365
CONFIRMATION_REQUEST_AFTER_DAYS = 182


class Practitioner(TimestampedModel):
    """A health professional of the directory, identified by their RPPS number (ADELI for the few professions
    the national import still identifies that way)."""

    rpps = models.CharField(
        _("numéro RPPS"), max_length=11, unique=True, null=True, blank=True, validators=[validate_rpps]
    )
    adeli = models.CharField(
        _("numéro ADELI"), max_length=9, unique=True, null=True, blank=True, validators=[validate_adeli]
    )
    first_name = models.CharField(_("prénom"), max_length=150)
    last_name = models.CharField(_("nom"), max_length=150)
    civility = models.CharField(_("civilité d'exercice"), max_length=20, blank=True)
    profession = models.ForeignKey(
        Profession,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="practitioners",
        verbose_name=_("profession"),
    )
    specialties = models.ManyToManyField(Specialty, blank=True, related_name="practitioners")
    territory = models.ForeignKey(
        Territory, on_delete=models.PROTECT, related_name="practitioners", null=True, blank=True
    )
    # The account of the professional who claimed this entry (at most one account per entry).
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="practitioner",
    )
    languages = ArrayField(
        models.CharField(max_length=2, validators=[validate_language_code]),
        verbose_name=_("langues parlées"),
        default=list,
        blank=True,
        help_text=_("Codes ISO 639-1 : « en », « es », « ar »…"),
    )
    # Unknown (None) until the practitioner says: the search must not read "unknown" as "no".
    accepting_new_patients = models.BooleanField(
        _("accepte de nouveaux patients (médecin traitant)"), null=True, blank=True
    )
    answers_teleexpertise = models.BooleanField(_("répond aux demandes de télé-expertise"), default=False)
    practice_tags = ArrayField(
        models.CharField(max_length=30, choices=PracticeTag.choices),
        verbose_name=_("particularités de l'exercice"),
        default=list,
        blank=True,
    )
    practice_notes = models.TextField(_("précisions sur l'exercice"), blank=True)
    cpts_member_since = models.DateField(_("membre de la CPTS depuis"), null=True, blank=True)
    last_confirmed_at = models.DateTimeField(_("fiche confirmée le"), null=True, blank=True)
    # When the monthly "is this still right?" e-mail last went out: at most one per period, whatever reruns.
    confirmation_requested_at = models.DateTimeField(_("confirmation demandée le"), null=True, blank=True)
    # Signed into each confirmation link and bumped when one is used: a link confirms once, then is dead. A
    # database default: the national import inserts rows in bulk SQL.
    confirmation_link_version = models.PositiveIntegerField(
        _("version des liens de confirmation"), default=0, db_default=0
    )
    source = models.CharField(_("origine"), max_length=20, choices=Source.choices, default=Source.MANUAL)
    # Last time the national import saw this person (null: never imported).
    rpps_seen_at = models.DateTimeField(_("vu dans l'import national le"), null=True, blank=True)

    class Meta:
        verbose_name = _("professionnel")
        verbose_name_plural = _("professionnels")
        ordering = ["last_name", "first_name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rpps__isnull=False) | models.Q(adeli__isnull=False),
                name="practitioner_has_national_id",
            ),
        ]
        indexes = [
            models.Index(fields=["last_confirmed_at"], name="practitioner_last_confirmed"),
            # Name search, accents and case aside, by word prefix and by trigram (see practitioners_search).
            GinIndex(OpClass(SearchText(F("last_name")), name="gin_trgm_ops"), name="practitioner_last_name_trgm"),
            GinIndex(OpClass(SearchText(F("first_name")), name="gin_trgm_ops"), name="practitioner_first_name_trgm"),
        ]

    def __str__(self):
        return f"{self.first_name} {self.last_name}"

    @property
    def national_id_label(self) -> str:
        return f"RPPS {self.rpps}" if self.rpps else f"ADELI {self.adeli}"

    @property
    def confirmed_or_created_at(self):
        return self.last_confirmed_at or self.created_at

    @property
    def is_stale(self) -> bool:
        reference = self.confirmed_or_created_at
        return reference is None or reference < timezone.now() - datetime.timedelta(days=STALE_AFTER_DAYS)


class Practice(TimestampedModel):
    """A practice or site (cabinet, centre, maison de santé) where practitioners work."""

    name = models.CharField(_("nom"), max_length=200)
    # Null for sites the national import brings outside every territory.
    territory = models.ForeignKey(Territory, on_delete=models.PROTECT, related_name="practices", null=True, blank=True)
    address = models.CharField(_("adresse"), max_length=255, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=5, blank=True)
    city = models.CharField(_("commune"), max_length=150, blank=True)
    # Null for practices entered before communes were loaded; ``city`` keeps what was typed.
    commune = models.ForeignKey(
        Commune, on_delete=models.PROTECT, null=True, blank=True, related_name="practices", verbose_name=_("commune")
    )
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    finess = models.CharField(_("numéro FINESS"), max_length=9, blank=True, validators=[validate_finess])
    siret = models.CharField(_("numéro SIRET"), max_length=14, blank=True, validators=[validate_siret])
    opening_hours = models.TextField(_("horaires d'ouverture"), blank=True)
    secretariat_hours = models.TextField(_("horaires du secrétariat"), blank=True)
    # A maison de santé pluriprofessionnelle: its doctors do not bill tele-expertise between themselves.
    # db_default too: the RPPS import and seed_scale write practices in SQL, without this column.
    is_msp = models.BooleanField(_("maison de santé pluriprofessionnelle (MSP)"), default=False, db_default=False)
    accessibility = ArrayField(
        models.CharField(max_length=30, choices=AccessibilityTag.choices),
        verbose_name=_("accessibilité"),
        default=list,
        blank=True,
    )
    practitioners = models.ManyToManyField(Practitioner, through="Activity", related_name="practices")
    # "Identifiant technique de la structure" of the national extract: how the import finds the site again.
    rpps_structure_id = models.CharField(
        _("identifiant de la structure (RPPS)"), max_length=50, unique=True, null=True, blank=True
    )
    source = models.CharField(_("origine"), max_length=20, choices=Source.choices, default=Source.MANUAL)

    class Meta:
        verbose_name = _("cabinet ou site")
        verbose_name_plural = _("cabinets et sites")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True, longitude__isnull=True)
                | models.Q(latitude__range=(-90, 90), longitude__range=(-180, 180)),
                name="practice_position_complete_and_in_range",
            ),
        ]
        indexes = [GistIndex(LlToEarth(F("latitude"), F("longitude")), name="practice_position_earth_gist")]

    def __str__(self):
        return self.name


class Activity(models.Model):
    """A practitioner works at a practice."""

    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="activities")
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="activities")
    source = models.CharField(_("origine"), max_length=20, choices=Source.choices, default=Source.MANUAL)

    class Meta:
        verbose_name = _("activité")
        verbose_name_plural = _("activités")
        constraints = [models.UniqueConstraint(fields=["practitioner", "practice"], name="activity_unique")]

    def __str__(self):
        return f"{self.practitioner} @ {self.practice}"


# Which scope each role needs: a professional acts for their own entry, a secretary for practices,
# coordination, regulation and observation for a territory.
ROLES_SCOPED_TO_TERRITORY = (Role.COORDINATOR, Role.REGULATOR, Role.OBSERVER)


class RegulatorService(models.TextChoices):
    """The service a regulator's grant works for: it books non-scheduled care for that service's audience."""

    SAS = "sas", _("SAS / 15")
    LINE_116117 = "116117", _("116 117")
    SOS = "sos", _("SOS Médecins")
    CPTS_LINE = "cpts_line", _("Ligne de la CPTS")


class RoleGrant(TimestampedModel):
    """One role held by one person, with its scope. A person can hold several grants."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices)
    territory = models.ForeignKey(
        Territory, on_delete=models.CASCADE, null=True, blank=True, related_name="role_grants"
    )
    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.CASCADE, null=True, blank=True, related_name="role_grants"
    )
    practices = models.ManyToManyField(Practice, blank=True, related_name="role_grants")
    # A regulator's service (empty for the other roles).
    service = models.CharField(_("service"), max_length=20, choices=RegulatorService.choices, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("rôle attribué")
        verbose_name_plural = _("rôles attribués")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role=Role.PROFESSIONAL) | models.Q(practitioner__isnull=False),
                name="rolegrant_professional_has_entry",
            ),
            models.CheckConstraint(
                condition=~models.Q(role__in=ROLES_SCOPED_TO_TERRITORY) | models.Q(territory__isnull=False),
                name="rolegrant_territorial_role_has_territory",
            ),
            models.CheckConstraint(
                condition=models.Q(role=Role.REGULATOR, service__gt="")
                | (~models.Q(role=Role.REGULATOR) & models.Q(service="")),
                name="rolegrant_service_of_regulators",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "territory"],
                condition=models.Q(role__in=ROLES_SCOPED_TO_TERRITORY),
                name="rolegrant_unique_territorial",
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=models.Q(role__in=[Role.PROFESSIONAL, Role.SECRETARY]),
                name="rolegrant_unique_personal",
            ),
        ]

    def __str__(self):
        return f"{self.user} — {self.get_role_display()}"


class RoleGrantEvent(models.Model):
    """A role given or taken back: who, whose, which role and scope, when. Kept when the grant is deleted."""

    class Action(models.TextChoices):
        GRANTED = "granted", _("Attribué")
        REVOKED = "revoked", _("Retiré")

    at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_grant_events")
    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    # The scope as it read at the time (practice names change, entries are merged).
    scope = models.CharField(_("périmètre"), max_length=500, blank=True)
    territory = models.ForeignKey(Territory, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_email = models.EmailField(_("par"), blank=True)

    class Meta:
        verbose_name = _("changement de rôle")
        verbose_name_plural = _("changements de rôle")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.action} {self.role}"


# --- How to reach a practitioner, with what, and when not ------------------------------------------------------


class Audience(models.TextChoices):
    """Who a contact channel is meant for. ``selectors.channels_for_audience`` says who sees which."""

    PUBLIC = "public", _("Public")
    PROFESSIONALS = "professionals", _("Professionnels de santé")
    REGULATORS = "regulators", _("Régulation (SAS / 15)")
    PHARMACISTS_AND_LABS = "pharmacists_labs", _("Pharmacies et laboratoires")


class ContactChannel(TimestampedModel):
    """One way to reach a practitioner, a practice, or a practitioner at one of their practices, for one audience.

    The owner is the (practitioner, practice) pair, either part possibly empty, never both: at most one channel is
    preferred per owner and audience (a partial unique index whose NULLs count as equal). ``value`` is stored
    normalised (E.164 for phone numbers) by ``directory.contact_values``, through ``clean()``.
    """

    class Kind(models.TextChoices):
        PHONE = "phone", _("Téléphone")
        PROFESSIONAL_LINE = "professional_line", _("Ligne réservée aux professionnels")
        SECRETARY = "secretary", _("Secrétariat")
        MSSANTE = "mssante", _("Messagerie sécurisée de santé (MSSanté)")
        EMAIL = "email", _("E-mail")
        FAX = "fax", _("Fax")
        BOOKING_LINK = "booking_link", _("Prise de rendez-vous en ligne")
        WEBSITE = "website", _("Site web")

    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.CASCADE, null=True, blank=True, related_name="contact_channels"
    )
    practice = models.ForeignKey(
        Practice, on_delete=models.CASCADE, null=True, blank=True, related_name="contact_channels"
    )
    audience = models.CharField(_("pour qui"), max_length=20, choices=Audience.choices)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    value = models.CharField(_("coordonnée"), max_length=255)
    hours = models.CharField(
        _("horaires"), max_length=200, blank=True, help_text=_("Par exemple « 9h-12h en semaine ».")
    )
    note = models.CharField(_("remarque"), max_length=255, blank=True)
    preferred = models.BooleanField(_("à utiliser en premier"), default=False)
    source = models.CharField(_("origine"), max_length=20, choices=Source.choices, default=Source.MANUAL)

    class Meta:
        verbose_name = _("moyen de contact")
        verbose_name_plural = _("moyens de contact")
        ordering = ["-preferred", "audience", "kind", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(practitioner__isnull=False) | models.Q(practice__isnull=False),
                name="contactchannel_has_owner",
            ),
            models.UniqueConstraint(
                fields=["practitioner", "practice", "audience"],
                condition=models.Q(preferred=True),
                nulls_distinct=False,
                name="contactchannel_one_preferred_per_owner_audience",
                violation_error_message=_("Un autre moyen de contact est déjà le premier à utiliser pour ce public."),
            ),
        ]
        indexes = [models.Index(fields=["practice", "audience"], name="contactchannel_practice_aud")]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.get_audience_display()}) : {self.value}"

    @property
    def is_callable(self) -> bool:
        """A number to tap to call (a fax is a phone number nobody calls)."""
        return self.kind in (self.Kind.PHONE, self.Kind.PROFESSIONAL_LINE, self.Kind.SECRETARY)

    @property
    def is_mail_address(self) -> bool:
        return self.kind in (self.Kind.MSSANTE, self.Kind.EMAIL)

    @property
    def display_value(self) -> str:
        from directory.contact_values import display_value

        return display_value(self.kind, self.value)

    def clean(self):
        from directory.contact_values import normalised_channel_value

        super().clean()
        if self.kind and self.value:
            try:
                self.value = normalised_channel_value(self.kind, self.value)
            except ValidationError as error:
                raise ValidationError({"value": error}) from None


class DigitalTool(models.Model):
    """A tool of the catalogue the coordinator keeps: MSSanté, Omnidoc, Doctolib…"""

    class Category(models.TextChoices):
        MESSAGING = "messaging", _("Messagerie sécurisée")
        TELEEXPERTISE = "teleexpertise", _("Télé-expertise")
        APPOINTMENTS = "appointments", _("Prise de rendez-vous")
        HEALTH_RECORD = "health_record", _("Dossier partagé")
        COORDINATION = "coordination", _("Coordination des parcours")
        ORIENTATION = "orientation", _("Orientation et admissions")

    name = models.CharField(_("nom"), max_length=100, unique=True)
    slug = models.SlugField(_("identifiant court"), max_length=50, unique=True)
    category = models.CharField(_("catégorie"), max_length=20, choices=Category.choices)

    class Meta:
        verbose_name = _("outil numérique")
        verbose_name_plural = _("outils numériques")
        ordering = ["name"]

    def __str__(self):
        return self.name


class ToolUse(models.TextChoices):
    REFERRALS = "referrals", _("Adressages")
    TELEEXPERTISE = "teleexpertise", _("Télé-expertise")
    APPOINTMENTS = "appointments", _("Rendez-vous")
    RESULTS = "results", _("Résultats")


class PractitionerTool(models.Model):
    """A practitioner uses a tool, for some purposes, under a handle or at a link."""

    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="tools")
    tool = models.ForeignKey(DigitalTool, on_delete=models.PROTECT, related_name="users")
    uses = ArrayField(
        models.CharField(max_length=20, choices=ToolUse.choices), verbose_name=_("pour"), default=list, blank=True
    )
    handle_or_link = models.CharField(_("identifiant ou lien"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("outil utilisé")
        verbose_name_plural = _("outils utilisés")
        constraints = [
            models.UniqueConstraint(fields=["practitioner", "tool"], name="practitionertool_unique"),
        ]

    def __str__(self):
        return f"{self.practitioner} — {self.tool}"


class Absence(TimestampedModel):
    """A practitioner is away from ``starts_on`` to ``ends_on`` included, possibly replaced by a colleague."""

    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="absences")
    starts_on = models.DateField(_("du"))
    ends_on = models.DateField(_("au (inclus)"))
    replacement = models.ForeignKey(
        Practitioner,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replacements",
        verbose_name=_("remplacé par"),
    )
    note = models.CharField(_("remarque"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        ordering = ["starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=F("starts_on")),
                name="absence_ends_after_it_starts",
                violation_error_message=_("La fin de l'absence précède son début."),
            ),
            models.CheckConstraint(
                condition=~models.Q(replacement=F("practitioner")),
                name="absence_replacement_is_someone_else",
                violation_error_message=_("Un professionnel ne se remplace pas lui-même."),
            ),
        ]
        indexes = [models.Index(fields=["practitioner", "ends_on"], name="absence_practitioner_ends")]

    def __str__(self):
        return f"{self.practitioner} : {self.starts_on:%d/%m/%Y} au {self.ends_on:%d/%m/%Y}"


class ChangeEvent(models.Model):
    """Something the territory should hear of: an arrival, a departure… The newsletter and the statistics read them."""

    class Kind(models.TextChoices):
        ARRIVAL = "arrival", _("Arrivée")
        DEPARTURE = "departure", _("Départ")
        RETIREMENT = "retirement", _("Départ en retraite")
        NEW_CPTS_MEMBER = "new_cpts_member", _("Nouveau membre de la CPTS")
        MOVED_PRACTICE = "moved_practice", _("Changement de cabinet")
        # A practice or establishment the national import finds for the first time in the territory.
        NEW_PRACTICE = "new_practice", _("Nouvel établissement")

    # A person's event names them; a new establishment names the practice instead.
    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.CASCADE, related_name="change_events", null=True, blank=True
    )
    practice = models.ForeignKey(
        Practice, on_delete=models.CASCADE, related_name="change_events", null=True, blank=True
    )
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    happened_on = models.DateField(_("date"))
    territory = models.ForeignKey(
        Territory, on_delete=models.SET_NULL, null=True, blank=True, related_name="change_events"
    )
    note = models.CharField(_("remarque"), max_length=255, blank=True)
    # Who takes over a departure or a retirement (the patients, the practice), when the coordination knows it:
    # the newsletter says so, in both editions.
    successor = models.ForeignKey(
        Practitioner,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("qui prend la suite"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("changement dans le territoire")
        verbose_name_plural = _("changements dans le territoire")
        ordering = ["-happened_on", "-id"]
        indexes = [models.Index(fields=["territory", "happened_on"], name="changeevent_territory_date")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(practitioner__isnull=False) | models.Q(kind="new_practice", practice__isnull=False),
                name="changeevent_names_someone_or_a_practice",
            )
        ]

    def __str__(self):
        return f"{self.happened_on:%d/%m/%Y} {self.get_kind_display()} : {self.practitioner or self.practice}"


class EntryRevision(models.Model):
    """One change to the directory: who, when, what, before and after. The coordinator's feed reads these;
    a merge moves them to the entry kept, so history survives."""

    class Action(models.TextChoices):
        CREATED = "created", _("Création")
        UPDATED = "updated", _("Modification")
        DELETED = "deleted", _("Suppression")
        CONFIRMED = "confirmed", _("Confirmation")
        CLAIMED = "claimed", _("Rattachement à un compte")
        MERGED = "merged", _("Fusion")
        IMPORTED = "imported", _("Import national")

    at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Kept when the account goes, and says "Import RPPS" or "Lien de confirmation" when nobody signed in.
    actor_label = models.CharField(_("par"), max_length=255, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.SET_NULL, null=True, blank=True, related_name="revisions"
    )
    practice = models.ForeignKey(Practice, on_delete=models.SET_NULL, null=True, blank=True, related_name="revisions")
    territory = models.ForeignKey(Territory, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # What changed: "practitioner", "practice", "contact_channel", "tool", "absence", "activity"…
    object_type = models.CharField(_("objet"), max_length=40)
    object_label = models.CharField(_("libellé"), max_length=255, blank=True)
    before = models.JSONField(_("avant"), default=dict, blank=True)
    after = models.JSONField(_("après"), default=dict, blank=True)

    class Meta:
        verbose_name = _("modification de l'annuaire")
        verbose_name_plural = _("modifications de l'annuaire")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["territory", "-at"], name="revision_territory_at")]

    def __str__(self):
        return f"{self.at:%d/%m/%Y %H:%M} {self.get_action_display()} {self.object_label}"


class EntryClaim(TimestampedModel):
    """A professional asks to manage their own entry: RPPS, then their e-mail proven by a link, then a
    coordinator's approval opens (or links) their account."""

    class Status(models.TextChoices):
        AWAITING_EMAIL = "awaiting_email", _("En attente de vérification de l'adresse")
        AWAITING_APPROVAL = "awaiting_approval", _("En attente de validation par la coordination")
        APPROVED = "approved", _("Validée")
        REJECTED = "rejected", _("Refusée")

    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="claims")
    email = models.EmailField(_("adresse e-mail"))
    message = models.TextField(_("message à la coordination"), blank=True)
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.AWAITING_EMAIL)
    email_verified_at = models.DateTimeField(_("adresse vérifiée le"), null=True, blank=True)
    # The account that asked, when the claimant was signed in; the account linked, once approved.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="entry_claims"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("décidée le"), null=True, blank=True)
    decision_note = models.CharField(_("motif"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("demande de rattachement")
        verbose_name_plural = _("demandes de rattachement")
        ordering = ["-created_at"]
        constraints = [
            # One open claim per entry and address: asking twice re-sends the link instead.
            models.UniqueConstraint(
                fields=["practitioner", "email"],
                condition=models.Q(status__in=["awaiting_email", "awaiting_approval"]),
                name="entryclaim_one_open_per_entry_and_email",
            ),
        ]

    def __str__(self):
        return f"{self.practitioner} — {self.email} ({self.get_status_display()})"


class ErrorReport(TimestampedModel):
    """ "Signaler une erreur" on an entry: reaches the coordinators of its territory."""

    class Status(models.TextChoices):
        OPEN = "open", _("À traiter")
        RESOLVED = "resolved", _("Traité")

    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="error_reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reporter_email = models.EmailField(_("adresse e-mail de la personne qui signale"), blank=True)
    message = models.TextField(_("ce qui est faux"))
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.OPEN)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(_("traité le"), null=True, blank=True)

    class Meta:
        verbose_name = _("signalement d'erreur")
        verbose_name_plural = _("signalements d'erreur")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "-created_at"], name="errorreport_status_created")]

    def __str__(self):
        return f"{self.practitioner} : {self.message[:60]}"


class PractitionerMerge(models.Model):
    """A duplicate merged into the entry kept: old links and API ids of the duplicate resolve to the kept one."""

    kept = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="merged_duplicates")
    merged_public_id = models.UUIDField(_("identifiant de la fiche fusionnée"), unique=True)
    merged_label = models.CharField(_("fiche fusionnée"), max_length=255)
    merged_snapshot = models.JSONField(_("contenu de la fiche fusionnée"), default=dict)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    merged_at = models.DateTimeField(_("fusionnée le"), default=timezone.now)

    class Meta:
        verbose_name = _("fusion de doublons")
        verbose_name_plural = _("fusions de doublons")
        ordering = ["-merged_at"]

    def __str__(self):
        return f"{self.merged_label} → {self.kept}"


class ResponseStatistic(models.Model):
    """How a specialist, or a specialty of a territory, answers requests: measured nightly by the referrals app
    over the last 6 months and written here through
    ``directory.services.statistics.response_statistics_replace``, so that the directory shows and sorts by them
    without importing referrals."""

    practitioner = models.OneToOneField(
        Practitioner, on_delete=models.CASCADE, null=True, blank=True, related_name="response_statistic"
    )
    territory = models.ForeignKey(Territory, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    specialty = models.ForeignKey(Specialty, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    requests = models.PositiveIntegerField(_("demandes reçues (6 mois)"))
    median_first_response = models.DurationField(_("délai médian de première réponse"), null=True, blank=True)
    median_appointment_delay = models.DurationField(_("délai médian jusqu'au rendez-vous"), null=True, blank=True)
    acceptance_rate = models.FloatField(_("taux d'acceptation"), null=True, blank=True)
    computed_at = models.DateTimeField(_("calculé le"))

    class Meta:
        verbose_name = _("délai de réponse mesuré")
        verbose_name_plural = _("délais de réponse mesurés")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(practitioner__isnull=False, specialty__isnull=True)
                | models.Q(practitioner__isnull=True, specialty__isnull=False),
                name="responsestatistic_practitioner_or_specialty",
            ),
            models.UniqueConstraint(fields=["territory", "specialty"], name="responsestatistic_one_per_specialty"),
        ]
        indexes = [models.Index(fields=["median_first_response"], name="responsestat_first_response")]

    def __str__(self):
        return f"{self.practitioner or self.specialty}: {self.requests}"

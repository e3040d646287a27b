"""The territory's directory, and the role grants whose scopes point at it.

This foundation holds what accounts and roles need: territories, specialties, practitioners, practices and
who works where. The directory issue extends these models (communes, contact channels, tools, absences…).
"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import F, Func, TextField
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role
from cpts_portal.lib.identifiers import validate_rpps
from cpts_portal.lib.models import TimestampedModel


class SearchText(Func):
    """``directory_search_text(text)``: lower case, no accents, words separated by single spaces.

    A SQL function created by migration 0003: an IMMUTABLE wrapper around ``unaccent`` (which is only STABLE, so
    it cannot appear in an index by itself). Names are indexed and compared through it, so "Saint-Gilles",
    "saint gilles" and "SAINT GILLES" are the same text for the search and its index.
    """

    function = "directory_search_text"
    output_field = TextField()


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


class Practitioner(TimestampedModel):
    """A health professional of the directory, identified by their RPPS number."""

    rpps = models.CharField(_("numéro RPPS"), max_length=11, unique=True, validators=[validate_rpps])
    first_name = models.CharField(_("prénom"), max_length=150)
    last_name = models.CharField(_("nom"), max_length=150)
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

    class Meta:
        verbose_name = _("professionnel")
        verbose_name_plural = _("professionnels")
        ordering = ["last_name", "first_name"]

    def __str__(self):
        return f"{self.first_name} {self.last_name}"


class Practice(TimestampedModel):
    """A practice or site (cabinet, centre, maison de santé) where practitioners work."""

    name = models.CharField(_("nom"), max_length=200)
    territory = models.ForeignKey(Territory, on_delete=models.PROTECT, related_name="practices")
    address = models.CharField(_("adresse"), max_length=255, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=5, blank=True)
    city = models.CharField(_("commune"), max_length=150, blank=True)
    practitioners = models.ManyToManyField(Practitioner, through="Activity", related_name="practices")

    class Meta:
        verbose_name = _("cabinet ou site")
        verbose_name_plural = _("cabinets et sites")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Activity(models.Model):
    """A practitioner works at a practice."""

    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="activities")
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="activities")

    class Meta:
        verbose_name = _("activité")
        verbose_name_plural = _("activités")
        constraints = [models.UniqueConstraint(fields=["practitioner", "practice"], name="activity_unique")]

    def __str__(self):
        return f"{self.practitioner} @ {self.practice}"


# Which scope each role needs: a professional acts for their own entry, a secretary for practices,
# coordination, regulation and observation for a territory.
ROLES_SCOPED_TO_TERRITORY = (Role.COORDINATOR, Role.REGULATOR, Role.OBSERVER)


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

"""The territory's directory, and the role grants whose scopes point at it.

This foundation holds what accounts and roles need: territories, specialties, practitioners, practices and
who works where. The directory issue extends these models (communes, contact channels, tools, absences…).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role
from cpts_portal.lib.identifiers import validate_rpps
from cpts_portal.lib.models import TimestampedModel


class Territory(TimestampedModel):
    """A CPTS: the territory its professionals share."""

    name = models.CharField(_("nom"), max_length=200)
    slug = models.SlugField(_("identifiant court"), max_length=80, unique=True)

    class Meta:
        verbose_name = _("territoire (CPTS)")
        verbose_name_plural = _("territoires (CPTS)")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Specialty(models.Model):
    """A profession or medical specialty, keyed by its code in the RPPS nomenclature (e.g. SM54)."""

    code = models.CharField(_("code RPPS"), max_length=10, unique=True)
    label = models.CharField(_("libellé"), max_length=200)

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

"""Input of the directory search and of the coordination pages (searching accounts, inviting one, granting a
role); the editing pages' forms are in ``directory.forms.entries``, the upkeep pages' in ``directory.forms.upkeep``.
Parsing only."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role
from directory import selectors
from directory.models import ROLES_SCOPED_TO_TERRITORY, RegulatorService


class AccountSearchForm(forms.Form):
    q = forms.CharField(label=_("Nom ou adresse e-mail"), required=False, max_length=150)


class AccountInviteForm(forms.Form):
    first_name = forms.CharField(label=_("Prénom"), max_length=150)
    last_name = forms.CharField(label=_("Nom"), max_length=150)
    email = forms.EmailField(
        label=_("Adresse e-mail"),
        max_length=254,
        help_text=_("La personne y recevra un lien pour choisir son mot de passe."),
    )


class PractitionerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, practitioner):
        return f"{practitioner.last_name.upper()} {practitioner.first_name} — {practitioner.national_id_label}"


class RoleGrantForm(forms.Form):
    """The role and the scope it needs; the choices are limited to the coordinator's territories.

    The practices and the directory entries are validated against the whole territory but never rendered as a
    list of it (there may be thousands): the page shows those picked and a few found by a search
    (``GrantScopeSearchForm``)."""

    role = forms.ChoiceField(label=_("Rôle"), choices=[("", "—"), *Role.choices])
    territory = forms.ModelChoiceField(
        label=_("Territoire"),
        queryset=None,
        required=False,
        empty_label="—",
        help_text=_("Coordination, régulation et observation."),
    )
    service = forms.ChoiceField(
        label=_("Service de régulation"),
        choices=[("", "—"), *RegulatorService.choices],
        required=False,
        help_text=_("Régulation : le service pour lequel la personne réserve des soins non programmés."),
    )
    practices = forms.ModelMultipleChoiceField(
        label=_("Cabinets"),
        queryset=None,
        required=False,
        help_text=_("Secrétariat : les cabinets dont la personne traite les demandes."),
    )
    practitioner = PractitionerChoiceField(
        label=_("Fiche de l'annuaire"),
        queryset=None,
        required=False,
        empty_label="—",
        help_text=_("Professionnel de santé : sa fiche, parmi celles qu'aucun compte n'utilise encore."),
    )

    def __init__(self, *args, acting_user, **kwargs):
        super().__init__(*args, **kwargs)
        territories = selectors.territories_coordinated_by(acting_user)
        self.fields["territory"].queryset = territories
        if len(territories) == 1:
            self.fields["territory"].initial = territories[0]
        self.fields["practices"].queryset = selectors.practices_grantable_by(acting_user)
        self.fields["practitioner"].queryset = selectors.practitioners_grantable_by(acting_user)

    def clean(self):
        cleaned = super().clean()
        role = cleaned.get("role")
        if role in ROLES_SCOPED_TO_TERRITORY and not cleaned.get("territory"):
            self.add_error("territory", _("Choisissez le territoire de ce rôle."))
        if role == Role.REGULATOR and not cleaned.get("service"):
            self.add_error("service", _("Choisissez le service de régulation."))
        if role != Role.REGULATOR:
            cleaned["service"] = ""
        if role == Role.SECRETARY and not cleaned.get("practices"):
            self.add_error("practices", _("Choisissez au moins un cabinet pour un rôle de secrétariat."))
        if role == Role.PROFESSIONAL and not cleaned.get("practitioner"):
            self.add_error("practitioner", _("Choisissez la fiche de l'annuaire de ce professionnel."))
        return cleaned


class GrantScopeSearchForm(forms.Form):
    """What the grant form's scope shows: the role chosen, what was typed in its search field, and what is
    already picked (kept checked while the coordinator searches on)."""

    role = forms.ChoiceField(choices=[("", "—"), *Role.choices], required=False)
    practice_q = forms.CharField(label=_("Chercher un cabinet"), required=False, max_length=100)
    practitioner_q = forms.CharField(label=_("Chercher une fiche"), required=False, max_length=100)
    practices = forms.TypedMultipleChoiceField(coerce=int, choices=(), required=False)
    practitioner = forms.TypedChoiceField(coerce=int, choices=(), required=False, empty_value=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Ids only: the selectors keep those of the coordinator's territories, and drop the others.
        self.fields["practices"].valid_value = lambda value: str(value).isdigit()
        self.fields["practitioner"].valid_value = lambda value: str(value).isdigit()

    def scope(self) -> dict:
        """The cleaned search, or an empty one when the input is malformed."""
        if not self.is_valid():
            return {"role": "", "practice_q": "", "practitioner_q": "", "practices": [], "practitioner": None}
        return self.cleaned_data


RADIUS_CHOICES_KM = (5, 10, 20, 30, 50, 100)
_RADIUS_ERROR = _("Le rayon doit être un nombre de kilomètres entre 1 et 200.")

# The languages patients ask for most, named in French (ISO 639-1 codes, as stored on the entries).
SEARCH_LANGUAGES = (
    ("en", _("Anglais")),
    ("de", _("Allemand")),
    ("ar", _("Arabe")),
    ("zh", _("Chinois")),
    ("es", _("Espagnol")),
    ("it", _("Italien")),
    ("nl", _("Néerlandais")),
    ("pl", _("Polonais")),
    ("pt", _("Portugais")),
    ("ro", _("Roumain")),
    ("ru", _("Russe")),
    ("tr", _("Turc")),
    ("uk", _("Ukrainien")),
)


class PractitionerSearchForm(forms.Form):
    """The directory search, read from the query string so that a search is a link to share."""

    q = forms.CharField(label=_("Spécialité ou nom"), required=False, max_length=150)
    place = forms.CharField(label=_("Commune ou code postal"), required=False, max_length=100)
    radius_km = forms.IntegerField(
        label=_("Rayon"),
        required=False,
        min_value=1,
        max_value=200,
        error_messages={"invalid": _RADIUS_ERROR, "min_value": _RADIUS_ERROR, "max_value": _RADIUS_ERROR},
    )
    language = forms.ChoiceField(label=_("Langue parlée"), required=False, choices=[("", _("Toutes"))])
    tool = forms.ChoiceField(label=_("Outil utilisé"), required=False, choices=[("", _("Tous"))])
    accepting_new_patients = forms.BooleanField(label=_("Accepte de nouveaux patients"), required=False)
    teleexpertise = forms.BooleanField(label=_("Répond en télé-expertise"), required=False)
    available_this_week = forms.BooleanField(label=_("Disponible cette semaine"), required=False)
    page = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=10_000,
        error_messages={
            "invalid": _("Numéro de page invalide."),
            "min_value": _("Numéro de page invalide."),
            "max_value": _("Numéro de page invalide."),
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("Toutes")), *SEARCH_LANGUAGES]
        self.fields["tool"].choices = [("", _("Tous")), *selectors.digital_tool_choices()]

    def has_criteria(self) -> bool:
        data = self.cleaned_data
        return any(data.get(name) for name in self.fields if name not in ("radius_km", "page"))

    def search_arguments(self) -> dict:
        """The keyword arguments of ``practitioners_search`` this form asks for (without paging)."""
        data = self.cleaned_data
        return {
            "q": data["q"],
            "place": data["place"],
            "radius_km": data["radius_km"],
            "language": data["language"],
            "tool": data["tool"],
            "accepting_new_patients": True if data["accepting_new_patients"] else None,
            "teleexpertise": True if data["teleexpertise"] else None,
            "available_this_week": data["available_this_week"],
        }

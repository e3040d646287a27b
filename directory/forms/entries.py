"""Input of the practitioner and practice editing pages and of the error report. Parsing only: the services
check what the values mean (RPPS key, phone numbers, MSSanté addresses, dates, permissions)."""

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from directory.forms import SEARCH_LANGUAGES, PractitionerChoiceField
from directory.models import (
    AccessibilityTag,
    Audience,
    ContactChannel,
    PracticeTag,
    Profession,
    Specialty,
    ToolUse,
)
from directory.selectors import entries as entry_selectors

_DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class _UnknownYesNoSelect(forms.NullBooleanSelect):
    """Unknown is not "no": the search must not read an unanswered question as a refusal."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("unknown", _("Non renseigné")), ("true", _("Oui")), ("false", _("Non"))]


class PractitionerDetailsForm(forms.Form):
    """What the practitioner, their secretary or a coordinator edits; the identity fields for coordinators only."""

    profession = forms.ModelChoiceField(
        label=_("Profession"), queryset=Profession.objects.order_by("label"), required=False, empty_label="—"
    )
    specialties = forms.ModelMultipleChoiceField(
        label=_("Spécialités"),
        queryset=Specialty.objects.order_by("label"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("Maintenez Ctrl (ou Cmd) pour en choisir plusieurs."),
    )
    languages = forms.MultipleChoiceField(
        label=_("Langues parlées"),
        choices=SEARCH_LANGUAGES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    other_languages = forms.CharField(
        label=_("Autres langues (codes ISO)"),
        required=False,
        max_length=100,
        help_text=_("Codes à deux lettres séparés par des virgules : « br, eu, vi »."),
    )
    accepting_new_patients = forms.NullBooleanField(
        label=_("Accepte de nouveaux patients comme médecin traitant"),
        required=False,
        widget=_UnknownYesNoSelect,
    )
    answers_teleexpertise = forms.BooleanField(label=_("Répond aux demandes de télé-expertise"), required=False)
    practice_tags = forms.MultipleChoiceField(
        label=_("Particularités de l'exercice"),
        choices=PracticeTag.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    practice_notes = forms.CharField(
        label=_("Précisions sur l'exercice"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Ce qu'un confrère ou un patient doit savoir : consultations sans rendez-vous le samedi…"),
    )
    cpts_member_since = forms.DateField(
        label=_("Membre de la CPTS depuis"), required=False, widget=_DATE_WIDGET, input_formats=["%Y-%m-%d", "%d/%m/%Y"]
    )

    IDENTITY_FIELDS = ("civility", "first_name", "last_name", "rpps", "adeli")

    def __init__(self, *args, identity_editable: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if identity_editable:
            self.fields = {
                "civility": forms.CharField(label=_("Civilité d'exercice"), required=False, max_length=20),
                "first_name": forms.CharField(label=_("Prénom"), max_length=150),
                "last_name": forms.CharField(label=_("Nom"), max_length=150),
                "rpps": forms.CharField(
                    label=_("Numéro RPPS"),
                    required=False,
                    max_length=20,
                    help_text=_("11 chiffres, dont une clé de contrôle."),
                ),
                "adeli": forms.CharField(label=_("Numéro ADELI"), required=False, max_length=20),
                **self.fields,
            }

    def clean(self):
        cleaned = super().clean()
        other = cleaned.pop("other_languages", "") or ""
        codes = [code.strip().lower() for code in other.replace(";", ",").replace(" ", ",").split(",")]
        cleaned["languages"] = [*cleaned.get("languages", []), *[code for code in codes if code]]
        return cleaned

    @classmethod
    def initial_for(cls, practitioner) -> dict:
        common = {code for code, _label in SEARCH_LANGUAGES}
        return {
            "civility": practitioner.civility,
            "first_name": practitioner.first_name,
            "last_name": practitioner.last_name,
            "rpps": practitioner.rpps or "",
            "adeli": practitioner.adeli or "",
            "profession": practitioner.profession_id,
            "specialties": [specialty.pk for specialty in practitioner.specialties.all()],
            "languages": [code for code in practitioner.languages if code in common],
            "other_languages": ", ".join(code for code in practitioner.languages if code not in common),
            "accepting_new_patients": practitioner.accepting_new_patients,
            "answers_teleexpertise": practitioner.answers_teleexpertise,
            "practice_tags": practitioner.practice_tags,
            "practice_notes": practitioner.practice_notes,
            "cpts_member_since": practitioner.cpts_member_since,
        }


class PracticeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, practice):
        place = practice.commune.name if practice.commune_id else practice.city
        return f"{practice.name}, {place}" if place else practice.name


class ContactChannelForm(forms.Form):
    """A channel of a practitioner (optionally at one of their practices) or of a practice."""

    audience = forms.ChoiceField(
        label=_("Pour qui"),
        choices=Audience.choices,
        help_text=_("Le public ne voit que les moyens de contact « Public »."),
    )
    kind = forms.ChoiceField(label=_("Type"), choices=ContactChannel.Kind.choices)
    value = forms.CharField(
        label=_("Coordonnée"),
        max_length=255,
        help_text=_("Numéro, adresse MSSanté (…@…mssante.fr), e-mail ou lien https://"),
    )
    practice = PracticeChoiceField(
        label=_("Au cabinet"),
        queryset=None,
        required=False,
        empty_label=_("Tous ses cabinets"),
    )
    hours = forms.CharField(label=_("Horaires"), required=False, max_length=200, help_text=_("« 9h-12h en semaine »"))
    note = forms.CharField(label=_("Remarque"), required=False, max_length=255)
    preferred = forms.BooleanField(label=_("À utiliser en premier pour ce public"), required=False)

    def __init__(self, *args, practitioner=None, **kwargs):
        super().__init__(*args, **kwargs)
        if practitioner is None:
            del self.fields["practice"]
        else:
            self.fields["practice"].queryset = entry_selectors.practices_of(practitioner)

    @staticmethod
    def initial_for(channel) -> dict:
        return {
            "audience": channel.audience,
            "kind": channel.kind,
            "value": channel.display_value,
            "practice": channel.practice_id if channel.practitioner_id else None,
            "hours": channel.hours,
            "note": channel.note,
            "preferred": channel.preferred,
        }


class PractitionerToolForm(forms.Form):
    tool = forms.ModelChoiceField(label=_("Outil"), queryset=None, empty_label="—")
    uses = forms.MultipleChoiceField(
        label=_("Pour"), choices=ToolUse.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    handle_or_link = forms.CharField(
        label=_("Identifiant ou lien"),
        required=False,
        max_length=255,
        help_text=_("Votre identifiant dans l'outil, ou le lien de votre page (https://…)."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tool"].queryset = entry_selectors.digital_tools()


class AbsenceForm(forms.Form):
    starts_on = forms.DateField(label=_("Du"), widget=_DATE_WIDGET, input_formats=["%Y-%m-%d", "%d/%m/%Y"])
    ends_on = forms.DateField(label=_("Au (inclus)"), widget=_DATE_WIDGET, input_formats=["%Y-%m-%d", "%d/%m/%Y"])
    replacement = PractitionerChoiceField(
        label=_("Remplacé par"),
        queryset=None,
        required=False,
        empty_label=_("Pas de remplaçant"),
        help_text=_("Un professionnel du territoire."),
    )
    note = forms.CharField(label=_("Remarque"), required=False, max_length=255)

    def __init__(self, *args, practitioner, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["replacement"].queryset = entry_selectors.replacement_candidates(practitioner)


class PracticeForm(forms.Form):
    """A practice's details; the commune is typed (name, postal code) and resolved to one INSEE commune."""

    name = forms.CharField(label=_("Nom du cabinet"), max_length=200)
    address = forms.CharField(label=_("Adresse"), required=False, max_length=255)
    commune = forms.CharField(
        label=_("Commune"),
        max_length=150,
        help_text=_("Tapez le nom ou le code postal, puis choisissez dans la liste."),
    )
    postal_code = forms.CharField(label=_("Code postal"), required=False, max_length=10)
    latitude = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    longitude = forms.FloatField(label=_("Longitude"), required=False, min_value=-180, max_value=180)
    finess = forms.CharField(label=_("Numéro FINESS"), required=False, max_length=20)
    siret = forms.CharField(label=_("Numéro SIRET"), required=False, max_length=20)
    opening_hours = forms.CharField(
        label=_("Horaires d'ouverture"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("« Lundi-vendredi 8h-19h, samedi 8h-12h »"),
    )
    secretariat_hours = forms.CharField(
        label=_("Horaires du secrétariat"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    accessibility = forms.MultipleChoiceField(
        label=_("Accessibilité"), choices=AccessibilityTag.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    is_msp = forms.BooleanField(
        label=_("Maison de santé pluriprofessionnelle (MSP)"),
        required=False,
        help_text=_("Les médecins d'une même MSP ne facturent pas de télé-expertise entre eux."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.commune_candidates = []
        # Suggestions while typing (HTMX fills the datalist); without JavaScript the name or postal code typed
        # is resolved on submit, and an ambiguous one is answered with the communes to choose from.
        self.fields["commune"].widget.attrs.update(
            {
                "list": "commune-options",
                "autocomplete": "off",
                "hx-get": reverse_lazy("directory:commune_suggestions"),
                "hx-trigger": "input changed delay:300ms",
                "hx-target": "#commune-options",
                "hx-swap": "innerHTML",
            }
        )

    def clean_commune(self):
        typed = self.cleaned_data["commune"]
        choice = entry_selectors.commune_from_input(typed)
        self.commune_candidates = choice.candidates
        if choice.commune is None:
            if choice.candidates:
                raise forms.ValidationError(
                    _("Plusieurs communes correspondent à « %(typed)s » : choisissez-en une dans la liste."),
                    params={"typed": typed},
                )
            raise forms.ValidationError(
                _("Commune inconnue : « %(typed)s ». Vérifiez l'orthographe ou tapez le code postal."),
                params={"typed": typed},
            )
        return choice.commune

    @staticmethod
    def initial_for(practice) -> dict:
        return {
            "name": practice.name,
            "address": practice.address,
            "commune": entry_selectors.commune_label(practice.commune) if practice.commune_id else practice.city,
            "postal_code": practice.postal_code,
            "latitude": practice.latitude,
            "longitude": practice.longitude,
            "finess": practice.finess,
            "siret": practice.siret,
            "opening_hours": practice.opening_hours,
            "secretariat_hours": practice.secretariat_hours,
            "accessibility": practice.accessibility,
            "is_msp": practice.is_msp,
        }


class ErrorReportForm(forms.Form):
    message = forms.CharField(
        label=_("Qu'est-ce qui est faux ou manque ?"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Par exemple : « Le numéro du secrétariat a changé : 02 51 … »."),
    )
    reporter_email = forms.EmailField(
        label=_("Votre adresse e-mail"),
        required=False,
        max_length=254,
        help_text=_("Pour que la coordination puisse vous répondre."),
    )

    def __init__(self, *args, anonymous: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if anonymous:
            self.fields["reporter_email"].required = True
        else:
            del self.fields["reporter_email"]

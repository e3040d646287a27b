"""Input of the public sign-up page: who signs up, the person, their commune and contact, why they have no GP,
the priority facts (yes or no, never a diagnosis), how far they can travel, the other members of the household
(a formset: "Ajouter une personne" posts the form back with one more row, which works without JavaScript) and
the consent. Parsing only: ``waitlist.services.signup`` decides what is allowed."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from directory.selectors import entries as directory_entries
from waitlist.consent import CONSENT_TEXT
from waitlist.models import MAX_HOUSEHOLD_SIZE, Sex, SignupSource, Situation
from waitlist.services.signup import PUBLIC_SOURCES, PersonDetails, SignupDetails

_DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
FACTS = ("ald", "pregnancy", "disability", "precarity", "treatment_renewal")
DISTANCES = [5, 10, 15, 20, 30, 50, 100]
DEFAULT_DISTANCE = 15
HOUSEHOLD_PREFIX = "household"
# "household[2].birth_date", a service's field for the third other member.
_HOUSEHOLD_FIELD = re.compile(r"^household\[(\d+)\]\.(\w+)$")


def _date_field():
    return forms.DateField(
        label=_("Date de naissance"),
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"),
        input_formats=_DATE_FORMATS,
        # The service says "in the future" and "before 1900"; here only what is not a date at all.
        required=False,
        error_messages={"invalid": _("Indiquez une date de naissance valide (JJ/MM/AAAA).")},
    )


def _fact_fields() -> dict:
    return {
        "ald": forms.BooleanField(label=_("Affection de longue durée (ALD) reconnue"), required=False),
        "pregnancy": forms.BooleanField(label=_("Grossesse en cours"), required=False),
        "disability": forms.BooleanField(label=_("Situation de handicap"), required=False),
        "precarity": forms.BooleanField(
            label=_("Complémentaire santé solidaire (CSS) ou aide médicale de l'État (AME)"), required=False
        ),
        "treatment_renewal": forms.BooleanField(label=_("Un traitement régulier à renouveler"), required=False),
    }


class PersonFields(forms.Form):
    """Identity and facts of one person (the main one in ``SignupForm``, another one in each household row)."""

    family_name = forms.CharField(
        label=_("Nom"), max_length=150, required=False, widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )
    given_names = forms.CharField(
        label=_("Prénom(s)"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    birth_date = _date_field()
    sex = forms.ChoiceField(label=_("Sexe"), choices=[("", _("Choisissez…")), *Sex.choices], required=False)
    ald, pregnancy, disability, precarity, treatment_renewal = _fact_fields().values()

    def person(self) -> PersonDetails:
        data = self.cleaned_data
        return PersonDetails(
            family_name=data.get("family_name", ""),
            given_names=data.get("given_names", ""),
            birth_date=data.get("birth_date"),
            sex=data.get("sex", ""),
            **{fact: bool(data.get(fact)) for fact in FACTS},
        )

    def fact_fields(self):
        return [self[fact] for fact in FACTS]


class MemberForm(PersonFields):
    """Another member of the household: a row left empty is ignored."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("family_name", "given_names", "birth_date"):  # the browser would offer the main person's
            self.fields[name].widget.attrs["autocomplete"] = "off"


class BaseHouseholdFormSet(forms.BaseFormSet):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.error_messages = {
            **self.error_messages,
            "too_many_forms": _(
                "Un foyer compte au plus %(max)s personnes : faites une autre inscription pour les suivantes."
            )
            % {"max": MAX_HOUSEHOLD_SIZE},
            "missing_management_form": _(
                "Ce formulaire est incomplet : rechargez la page puis saisissez à nouveau les personnes du foyer."
            ),
        }

    def people(self) -> list[PersonDetails]:
        """The rows filled in, in their order (``household[i]`` of the service's errors counts these)."""
        self.filled = [form for form in self.forms if form.has_changed()]
        return [form.person() for form in self.filled]


HouseholdFormSet = forms.formset_factory(
    MemberForm,
    formset=BaseHouseholdFormSet,
    extra=0,
    max_num=MAX_HOUSEHOLD_SIZE - 1,
    absolute_max=MAX_HOUSEHOLD_SIZE - 1,
    validate_max=True,
)


class SignupForm(PersonFields):
    """The page's form for the main person and the household's contact, situation, distance and consent."""

    source = forms.ChoiceField(
        label=_("Qui fait l'inscription ?"),
        choices=[(value, label) for value, label in SignupSource.choices if value in PUBLIC_SOURCES],
        initial=SignupSource.SELF,
        widget=forms.RadioSelect,
        required=False,
    )
    commune = forms.CharField(label=_("Commune où la personne habite"), max_length=100, required=False)
    phone = forms.CharField(
        label=_("Téléphone portable"),
        max_length=30,
        required=False,
        help_text=_(
            "Le code de vérification part par SMS au portable, ou par e-mail s'il n'y a pas de portable. "
            "Un des deux suffit."
        ),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )
    email = forms.CharField(
        label=_("Adresse e-mail"),
        max_length=254,
        required=False,
        widget=forms.TextInput(attrs={"type": "email", "autocomplete": "email", "inputmode": "email"}),
    )
    situation = forms.ChoiceField(
        label=_("Pourquoi pas de médecin traitant ?"),
        choices=Situation.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    max_distance_km = forms.TypedChoiceField(
        label=_("Jusqu'où la personne peut-elle aller voir un médecin ?"),
        choices=[(km, _("%(km)s km") % {"km": km}) for km in DISTANCES],
        coerce=int,
        initial=DEFAULT_DISTANCE,
        required=False,
    )
    consent = forms.BooleanField(label=CONSENT_TEXT, required=False)

    # The service's field -> the form's (the commune is typed here, checked there by its INSEE code).
    SERVICE_FIELDS: dict = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.commune_candidates = []

    def clean_commune(self):
        typed = self.cleaned_data["commune"]
        if not typed.strip():
            return None  # the service says it: "Commune inconnue"
        choice = directory_entries.commune_from_input(typed)
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

    def details(self, household: list[PersonDetails]) -> SignupDetails:
        data = self.cleaned_data
        commune = data.get("commune")
        return SignupDetails(
            person=self.person(),
            commune=commune.insee_code if commune is not None else "",
            situation=data.get("situation", ""),
            max_distance_km=data.get("max_distance_km"),
            consent=bool(data.get("consent")),
            phone=data.get("phone", ""),
            email=data.get("email", ""),
            source=data.get("source") or SignupSource.SELF,
            household=household,
        )


def refuse_on_signup(form: SignupForm, household: BaseHouseholdFormSet, field: str | None, message: str) -> None:
    """A service's refusal on the field it names: the main form's, or a household row's (``household[i].x``)."""
    match = _HOUSEHOLD_FIELD.match(field or "")
    if match:
        index, name = int(match[1]), match[2]
        filled = getattr(household, "filled", household.forms)
        if index < len(filled) and name in filled[index].fields:
            filled[index].add_error(name, message)
            return
    if field == "household":
        household._non_form_errors = household.error_class([message], renderer=household.renderer)
        return
    form.add_error(field if field in form.fields else None, message)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code reçu"),
        max_length=12,
        error_messages={"required": _("Tapez le code à 6 chiffres reçu.")},
    )

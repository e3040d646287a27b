"""The SNP pages' forms: they turn what was typed into the services' arguments and say in French what is wrong."""

from django import forms
from django.utils.translation import gettext_lazy as _

from directory.selectors import entries as directory_entries
from snp.models import ReasonCategory, Sex
from snp.services import PatientDetails


class PublicOfferForm(forms.Form):
    """The public page's one question: which commune (a name, a postal code or a suggestion's label)."""

    commune = forms.CharField(label=_("Votre commune"), max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.commune_candidates = []

    def clean_commune(self):
        typed = self.cleaned_data["commune"]
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


class PublicPhoneForm(forms.Form):
    """Step 1 of a patient's own booking: the mobile number the code goes to."""

    phone = forms.CharField(label=_("Votre téléphone portable"), max_length=30)


class PublicBookingForm(forms.Form):
    """Step 2: the code received and who the visit is for (the services check each value)."""

    phone = forms.CharField(widget=forms.HiddenInput, max_length=30)
    code = forms.CharField(label=_("Code reçu par SMS"), max_length=10)
    family_name = forms.CharField(label=_("Nom"), max_length=150)
    given_names = forms.CharField(label=_("Prénom(s)"), max_length=150)
    birth_date = forms.DateField(label=_("Date de naissance"), widget=forms.DateInput(attrs={"type": "date"}))
    sex = forms.ChoiceField(label=_("Sexe"), choices=Sex.choices)
    commune = forms.CharField(label=_("Commune où vous habitez"), max_length=100)
    has_gp = forms.TypedChoiceField(
        label=_("Avez-vous un médecin traitant ?"),
        choices=[("oui", _("Oui")), ("non", _("Non"))],
        coerce=lambda value: value == "oui",
        widget=forms.RadioSelect,
    )
    reason_category = forms.ChoiceField(label=_("Pour quoi, en un mot ?"), choices=ReasonCategory.choices)
    consent = forms.BooleanField(
        label=_(
            "J'accepte que ces informations soient transmises au cabinet qui me reçoit et que l'on me prévienne par "
            "SMS (confirmation, rappel, annulation)."
        )
    )

    clean_commune = PublicOfferForm.clean_commune

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.commune_candidates = []

    def patient(self):
        data = self.cleaned_data
        return PatientDetails(
            family_name=data["family_name"],
            given_names=data["given_names"],
            birth_date=data["birth_date"],
            sex=data["sex"],
            commune_insee=data["commune"].insee_code,
            has_gp=data["has_gp"],
            phone=data["phone"],
        )

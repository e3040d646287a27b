"""Input of the SNP pages: the week's forms (a one-off slot, a weekly pattern, cancelling a booking, the visit's
outcome) and the public pages' (a commune, a patient's own booking). Parsing only: the services decide what is
allowed (the past, the duration, overlaps, audiences, the code), and the coordinators' month and tariff forms."""

import datetime
import re

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from directory.models import Commune, Practitioner, Territory
from directory.selectors import entries as directory_entries
from snp.models import DEFAULT_AUDIENCES, Booking, BookingAudience, ReasonCategory, Sex, SlotKind
from snp.services import PARIS, PatientDetails

_DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
_TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
WEEKDAYS = [
    (1, _("lundi")),
    (2, _("mardi")),
    (3, _("mercredi")),
    (4, _("jeudi")),
    (5, _("vendredi")),
    (6, _("samedi")),
    (7, _("dimanche")),
]
DEFAULT_DURATION = 20


class SiteChoiceMixin:
    """The site is chosen among those the user may publish at (``snp.selectors.week_sites``), by public id; the
    only one is preselected."""

    def _set_sites(self, sites):
        self.sites = {str(site.public_id): site for site in sites}
        field = self.fields["site"]
        field.choices = [(key, site.name) for key, site in self.sites.items()]
        if len(self.sites) == 1:
            field.initial = next(iter(self.sites))

    def clean_site(self):
        return self.sites.get(self.cleaned_data["site"])


def _duration_field():
    # No bounds here: the service says them in French (5 to 240 minutes).
    return forms.IntegerField(
        label=_("Durée (minutes)"),
        initial=DEFAULT_DURATION,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": "5"}),
        error_messages={"required": _("Indiquez la durée du créneau."), "invalid": _("Indiquez un nombre de minutes.")},
    )


def _audiences_field():
    # Not required here: "nobody may book it" is the service's refusal, said once.
    return forms.MultipleChoiceField(
        label=_("Qui peut réserver"),
        choices=BookingAudience.choices,
        initial=[str(audience) for audience in DEFAULT_AUDIENCES],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


def _kind_field():
    return forms.ChoiceField(label=_("Type"), choices=SlotKind.choices, initial=SlotKind.IN_PRACTICE)


def _site_field():
    return forms.ChoiceField(label=_("Lieu"), error_messages={"required": _("Choisissez le lieu du créneau.")})


class SlotPublishForm(SiteChoiceMixin, forms.Form):
    """One slot: its day and time in Paris, how long, where, what kind, who may book it (``public`` off)."""

    SERVICE_FIELDS = {"start": "date"}

    date = forms.DateField(
        label=_("Date"),
        widget=_DATE_INPUT,
        input_formats=_DATE_FORMATS,
        error_messages={"required": _("Indiquez la date du créneau."), "invalid": _("Indiquez une date valide.")},
    )
    time = forms.TimeField(
        label=_("Heure"),
        widget=_TIME_INPUT,
        error_messages={"required": _("Indiquez l'heure du créneau."), "invalid": _("Indiquez une heure (HH:MM).")},
    )
    duration_minutes = _duration_field()
    site = _site_field()
    kind = _kind_field()
    audiences = _audiences_field()

    def __init__(self, *args, sites, **kwargs):
        kwargs.setdefault("auto_id", "id_slot_%s")
        super().__init__(*args, **kwargs)
        self._set_sites(sites)

    def service_inputs(self) -> dict:
        data = self.cleaned_data
        return {
            "start": datetime.datetime.combine(data["date"], data["time"], tzinfo=PARIS),
            "duration_minutes": data["duration_minutes"],
            "site": data["site"],
            "kind": data["kind"],
            "audiences": data["audiences"],
        }


class TimesField(forms.CharField):
    """ "11:30, 17h45" -> [time(11, 30), time(17, 45)]."""

    default_error_messages = {"invalid": _("Indiquez les heures ainsi : 11:30, 17:45.")}

    def to_python(self, value):
        text = super().to_python(value)
        times = []
        for part in filter(None, re.split(r"[\s,;]+", text)):
            match = re.fullmatch(r"(\d{1,2})[:hH](\d{2})?", part)
            if not match:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
            hour, minute = int(match[1]), int(match[2] or 0)
            if hour > 23 or minute > 59:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
            times.append(datetime.time(hour, minute))
        return times


class PatternForm(SiteChoiceMixin, forms.Form):
    """A weekly pattern: days, times, duration, until when, where, what kind, who may book."""

    weekdays = forms.TypedMultipleChoiceField(
        label=_("Jours"), choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple, required=False
    )
    times = TimesField(
        label=_("Heures"),
        required=False,
        max_length=200,
        help_text=_("Séparées par des virgules, par exemple 11:30, 17:45."),
    )
    duration_minutes = _duration_field()
    starts_on = forms.DateField(
        label=_("À partir du"),
        widget=_DATE_INPUT,
        input_formats=_DATE_FORMATS,
        error_messages={"required": _("Indiquez le début de la série."), "invalid": _("Indiquez une date valide.")},
    )
    ends_on = forms.DateField(
        label=_("Jusqu'au"),
        widget=_DATE_INPUT,
        input_formats=_DATE_FORMATS,
        error_messages={"required": _("Indiquez la fin de la série."), "invalid": _("Indiquez une date valide.")},
    )
    site = _site_field()
    kind = _kind_field()
    audiences = _audiences_field()

    def __init__(self, *args, sites, **kwargs):
        kwargs.setdefault("auto_id", "id_pattern_%s")
        super().__init__(*args, **kwargs)
        self._set_sites(sites)
        self.fields["starts_on"].initial = timezone.localdate()

    def service_inputs(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields}


class CancelForm(forms.Form):
    """Why the practice cancels: the booker reads it, the patient never does."""

    reason = forms.CharField(
        label=_("Motif de l'annulation"),
        max_length=300,
        required=False,
        help_text=_("Lu par qui a réservé ; le patient est prévenu sans le motif."),
        widget=forms.TextInput(),
    )


class OutcomeForm(forms.Form):
    """Did the patient come, and a short note for their own GP."""

    outcome = forms.ChoiceField(
        label=_("Le patient est-il venu ?"),
        choices=[(Booking.Status.HONOURED, _("Venu")), (Booking.Status.NO_SHOW, _("Absent"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("Indiquez si le patient est venu.")},
    )
    note = forms.CharField(
        label=_("Mot pour le médecin traitant (facultatif)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class FeedNamesForm(forms.Form):
    include_patient_names = forms.BooleanField(required=False)


# --- The public pages -----------------------------------------------------------------------------------------


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


# --- The coordinators' pages ------------------------------------------------------------------------------------


MONTHS_OFFERED = 13  # this month and the twelve before it
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _first_of_month(day: datetime.date, months_back: int = 0) -> datetime.date:
    index = day.year * 12 + day.month - 1 - months_back
    return datetime.date(index // 12, index % 12 + 1, 1)


class MonthForm(forms.Form):
    """``?mois=AAAA-MM``: the current month by default, one of the last 13."""

    mois = forms.ChoiceField(label=_("Mois"), required=False)

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        today = timezone.localdate()
        months = [_first_of_month(today, back) for back in range(MONTHS_OFFERED)]
        self.fields["mois"].choices = [(f"{m:%Y-%m}", date_format(m, "F Y").capitalize()) for m in months]

    def clean_mois(self) -> datetime.date:
        value = self.cleaned_data.get("mois") or ""
        if not value:
            return _first_of_month(timezone.localdate())
        match = _MONTH.match(value)
        return datetime.date(int(match[1]), int(match[2]), 1)

    @property
    def month(self) -> datetime.date:
        """The month chosen, or the current one when it is not one of those offered (the page says so)."""
        if not self.is_bound:  # the page opened without a choice: this month
            return _first_of_month(timezone.localdate())
        self.is_valid()  # cleaned_data keeps the fields that are valid
        return self.cleaned_data.get("mois") or _first_of_month(timezone.localdate())


class StatisticsForm(MonthForm):
    """The month, and for someone who coordinates or observes several territories, one of them (all by
    default)."""

    territoire = forms.ModelChoiceField(
        label=_("Territoire"), queryset=Territory.objects.none(), required=False, empty_label=_("Tous")
    )

    def __init__(self, data=None, *, territory_ids, **kwargs):
        super().__init__(data, **kwargs)
        self.territory_ids = frozenset(territory_ids)
        self.fields["territoire"].queryset = _territories(territory_ids)
        self.several_territories = len(self.territory_ids) > 1
        if not self.several_territories:
            del self.fields["territoire"]

    @property
    def chosen_territory_ids(self) -> frozenset[int]:
        """The territory chosen, or all of the user's (also when the form is invalid: the page says why)."""
        if self.several_territories and self.is_valid() and self.cleaned_data.get("territoire"):
            return frozenset({self.cleaned_data["territoire"].pk})
        return self.territory_ids


class RecallForm(forms.Form):
    recall = forms.ChoiceField(
        label=_("Résultat du rappel"),
        choices=[(Booking.Recall.DONE, _("Rappel fait")), (Booking.Recall.UNREACHABLE, _("Injoignable"))],
    )


def _territories(ids):
    return Territory.objects.filter(pk__in=sorted(ids)).order_by("name")


class UnfilledTariffForm(forms.Form):
    territory = forms.ModelChoiceField(label=_("Territoire"), queryset=Territory.objects.none())
    amount = forms.DecimalField(
        label=_("Montant par créneau non pourvu (€)"),
        max_digits=7,
        decimal_places=2,
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    valid_from = forms.DateField(label=_("En vigueur à partir du"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, data=None, *, territory_ids, **kwargs):
        super().__init__(data, **kwargs)
        territories = _territories(territory_ids)
        self.fields["territory"].queryset = territories
        if len(territory_ids) == 1:
            # One territory: nothing to choose.
            del self.fields["territory"]


class SharedOfferForm(forms.Form):
    territory = forms.ModelChoiceField(label=_("Territoire qui partage son offre"), queryset=Territory.objects.none())
    shares_with = forms.ModelChoiceField(
        label=_("Territoire voisin"), queryset=Territory.objects.none(), empty_label=_("Choisissez…")
    )

    def __init__(self, data=None, *, territory_ids, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["territory"].queryset = _territories(territory_ids)
        self.single_territory = len(territory_ids) == 1
        neighbours = Territory.objects.order_by("name")
        self.fields["shares_with"].queryset = (
            neighbours.exclude(pk__in=sorted(territory_ids)) if self.single_territory else neighbours
        )
        if self.single_territory:
            self.fields["territory"].widget = forms.HiddenInput()
            self.fields["territory"].initial = next(iter(territory_ids))


class SharedOfferRemoveForm(forms.Form):
    territory = forms.ModelChoiceField(queryset=Territory.objects.none(), widget=forms.HiddenInput())
    shares_with = forms.ModelChoiceField(queryset=Territory.objects.all(), widget=forms.HiddenInput())

    def __init__(self, data=None, *, territory_ids, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["territory"].queryset = _territories(territory_ids)


class NurseOnCallForm(forms.Form):
    """A shift of the nurses' rota: the nurse, the communes they cover, from when to when (Paris time)."""

    territory = forms.ModelChoiceField(label=_("Territoire"), queryset=Territory.objects.none())
    nurse = forms.ModelChoiceField(
        label=_("Infirmier ou infirmière d'astreinte"),
        queryset=Practitioner.objects.none(),
        empty_label=_("Choisissez…"),
    )
    communes = forms.ModelMultipleChoiceField(
        label=_("Communes couvertes"), queryset=Commune.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    starts_at = forms.DateTimeField(
        label=_("Début"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    ends_at = forms.DateTimeField(
        label=_("Fin"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )

    def __init__(self, data=None, *, territory_ids, **kwargs):
        super().__init__(data, **kwargs)
        ids = sorted(territory_ids)
        self.fields["territory"].queryset = _territories(territory_ids)
        self.single_territory = len(ids) == 1
        if self.single_territory:
            self.fields["territory"].widget = forms.HiddenInput()
            self.fields["territory"].initial = ids[0]
        self.fields["nurse"].queryset = Practitioner.objects.filter(
            territory_id__in=ids, profession__code="60"
        ).order_by("last_name", "first_name")
        self.fields["communes"].queryset = Commune.objects.filter(territories__in=ids).distinct().order_by("name")
        self.fields["communes"].label_from_instance = lambda commune: commune.name

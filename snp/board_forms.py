"""Input of the booker's pages: the board's filters, the booking of a slot for a patient, a call recorded without a
booking. Parsing only: the selectors and services decide what is allowed (audiences, radius, the patient's
details, who records calls). The week's and the public pages' forms are in ``snp.forms``."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from directory.selectors import INSEE_IN_LABEL, commune_label, communes_matching
from snp.models import ReasonCategory, RegulatedCall, Sex, SlotKind
from snp.services import PARIS, PatientDetails

RADIUS_CHOICES_KM = (5, 10, 20, 30, 50, 100)
DEFAULT_RADIUS_KM = 30
_DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


class When:
    TODAY = "today"
    TOMORROW = "tomorrow"
    NEXT_48_HOURS = "48h"
    WEEK = "week"
    DATE = "date"


WHEN_CHOICES = [
    (When.TODAY, _("Aujourd'hui")),
    (When.TOMORROW, _("Demain")),
    (When.NEXT_48_HOURS, _("Dans les 48 h")),
    (When.WEEK, _("7 jours")),
    (When.DATE, _("Le jour choisi")),
]


def _midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(), tzinfo=PARIS)


class CommuneField(forms.CharField):
    """A commune typed as a name, a postal code or an INSEE code, or chosen among the suggestions (their label
    ends with the INSEE code): cleaned to the one ``Commune`` it names, refused in French when it names none or
    several."""

    def clean(self, value):
        text = super().clean(value)
        if not text:
            return None
        found = communes_matching(text, limit=2)
        if not found:
            raise forms.ValidationError(_("Commune introuvable : tapez son nom ou son code postal et choisissez."))
        if len(found) > 1 and not INSEE_IN_LABEL.search(text):
            exact = [commune for commune in found if commune.name.casefold() == text.casefold()]
            if len(exact) != 1:
                raise forms.ValidationError(
                    _("Plusieurs communes répondent à « %(text)s » : choisissez-en une dans la liste.") % {"text": text}
                )
            return exact[0]
        return found[0]


def commune_value(commune) -> str:
    """How a commune is written back in its box (the suggestion's label, INSEE code included)."""
    return commune_label(commune) if commune is not None else ""


class BoardFilterForm(forms.Form):
    """The board's filters, all optional: a GET form, so that a filtered board is a link."""

    when = forms.ChoiceField(label=_("Quand"), choices=WHEN_CHOICES, required=False)
    day = forms.DateField(
        label=_("Jour"),
        required=False,
        widget=_DATE_INPUT,
        input_formats=_DATE_FORMATS,
        help_text=_("Pour « Le jour choisi »."),
    )
    place = CommuneField(
        label=_("Près de la commune"),
        required=False,
        max_length=100,
        help_text=_("Nom ou code postal ; choisissez dans la liste pour une commune précise."),
    )
    radius_km = forms.TypedChoiceField(
        label=_("Rayon"),
        choices=[(km, f"{km} km") for km in RADIUS_CHOICES_KM],
        coerce=int,
        required=False,
        empty_value=DEFAULT_RADIUS_KM,
    )
    kind = forms.ChoiceField(label=_("Type"), choices=[("", _("Tous")), *SlotKind.choices], required=False)
    discipline = forms.ChoiceField(label=_("Profession ou spécialité"), choices=[], required=False)
    audience = forms.ChoiceField(label=_("Réserver pour"), choices=[], required=False)
    sort = forms.ChoiceField(
        label=_("Ordre"),
        choices=[("soonest", _("Le plus tôt")), ("nearest", _("Le plus proche"))],
        required=False,
        help_text=_("Le plus proche : de la commune choisie."),
    )

    def __init__(self, *args, disciplines, audiences, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["discipline"].choices = [("", _("Toutes")), *disciplines]
        self.fields["audience"].choices = [("", _("Tous mes publics")), *audiences]
        self.fields["place"].widget.attrs.update(
            {"autocomplete": "off", "list": "place-options", "placeholder": _("La Roche-sur-Yon, 85000…")}
        )

    def clean(self):
        data = super().clean()
        if data.get("when") == When.DATE and not data.get("day"):
            self.add_error("day", _("Choisissez le jour."))
        return data

    def window(self) -> tuple[datetime.datetime, datetime.datetime]:
        """From when to when the board looks, in Paris time; from now on (a past slot cannot be booked)."""
        now = timezone.now()
        today = timezone.localdate(now, PARIS)
        when = self.cleaned_data.get("when") or When.WEEK
        day = self.cleaned_data.get("day")
        if day and when == When.WEEK:  # a day picked while "when" kept its default: that day is meant
            when = When.DATE
        if when == When.TODAY:
            return now, _midnight(today + datetime.timedelta(days=1))
        if when == When.TOMORROW:
            return _midnight(today + datetime.timedelta(days=1)), _midnight(today + datetime.timedelta(days=2))
        if when == When.NEXT_48_HOURS:
            return now, now + datetime.timedelta(hours=48)
        if when == When.DATE and day:
            return max(now, _midnight(day)), _midnight(day + datetime.timedelta(days=1))
        return now, now + datetime.timedelta(days=7)

    def selector_arguments(self) -> dict:
        data = self.cleaned_data
        discipline = data.get("discipline") or ""
        starts_from, starts_before = self.window()
        return {
            "starts_from": starts_from,
            "starts_before": starts_before,
            "commune": data.get("place"),
            "radius_km": data.get("radius_km") or DEFAULT_RADIUS_KM,
            "kind": data.get("kind") or "",
            "profession_code": discipline[2:] if discipline.startswith("p:") else "",
            "specialty_code": discipline[2:] if discipline.startswith("s:") else "",
            "audience": data.get("audience") or "",
            "nearest_first": data.get("sort") == "nearest",
        }


class GpChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, practitioner):
        return f"{practitioner.last_name.upper()} {practitioner.first_name}"


class BookingForm(forms.Form):
    """The patient, as the regulator takes them down on the phone."""

    # A service's refusal names its own argument: mapped to the field that collected it.
    SERVICE_FIELDS = {"commune_insee": "commune", "gp_practitioner": "gp"}

    family_name = forms.CharField(label=_("Nom"), max_length=150)
    given_names = forms.CharField(label=_("Prénoms"), max_length=150)
    birth_date = forms.DateField(label=_("Date de naissance"), widget=_DATE_INPUT, input_formats=_DATE_FORMATS)
    sex = forms.ChoiceField(label=_("Sexe"), choices=Sex.choices, widget=forms.RadioSelect)
    phone = forms.CharField(
        label=_("Téléphone portable"),
        max_length=20,
        required=False,
        help_text=_("Pour le SMS de confirmation et de rappel."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off", "inputmode": "tel"}),
    )
    email = forms.EmailField(label=_("E-mail"), required=False, max_length=254)
    commune = CommuneField(
        label=_("Commune du patient"),
        max_length=100,
        help_text=_("Nom ou code postal, puis choisissez dans la liste."),
    )
    has_gp = forms.TypedChoiceField(
        label=_("Le patient a un médecin traitant"),
        choices=[("yes", _("Oui")), ("no", _("Non"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    gp = GpChoiceField(
        label=_("Son médecin traitant"),
        queryset=None,
        required=False,
        empty_label=_("— Hors CPTS ou inconnu —"),
        help_text=_("S'il est de la CPTS, il sera prévenu après la consultation."),
    )
    reason_category = forms.ChoiceField(
        label=_("Motif (catégorie)"),
        choices=[("", "—"), *ReasonCategory.choices],
        help_text=_("Une catégorie seulement : le motif n'est jamais écrit dans les messages."),
    )
    contact_consent = forms.BooleanField(label=_("Le patient accepte d'être prévenu par SMS et e-mail"), required=False)

    def __init__(self, *args, gps, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["gp"].queryset = gps
        self.fields["commune"].widget.attrs.update({"autocomplete": "off", "list": "commune-options"})
        self.fields["family_name"].widget.attrs.update({"autocomplete": "off"})
        self.fields["given_names"].widget.attrs.update({"autocomplete": "off"})
        self.fields["email"].widget.attrs.update({"autocomplete": "off"})

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "patient": PatientDetails(
                family_name=data["family_name"],
                given_names=data["given_names"],
                birth_date=data["birth_date"],
                sex=data["sex"],
                commune_insee=data["commune"].insee_code,
                has_gp=data["has_gp"],
                phone=data["phone"],
                email=data["email"],
                gp_practitioner=data["gp"] if data["has_gp"] else None,
            ),
            "reason_category": data["reason_category"],
            "contact_consent": data["contact_consent"],
        }


class CallForm(forms.Form):
    """A call that did not end in a booking: how it ended, where the patient was, why (a category)."""

    SERVICE_FIELDS = {"commune_insee": "commune"}

    outcome = forms.ChoiceField(
        label=_("Issue de l'appel"),
        choices=[choice for choice in RegulatedCall.Outcome.choices if choice[0] != RegulatedCall.Outcome.BOOKED],
        widget=forms.RadioSelect,
    )
    commune = CommuneField(
        label=_("Commune du patient"),
        max_length=100,
        required=False,
        help_text=_("Facultatif : nom ou code postal, puis choisissez dans la liste."),
    )
    reason_category = forms.ChoiceField(
        label=_("Motif (catégorie)"), choices=[("", "—"), *ReasonCategory.choices], required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commune"].widget.attrs.update({"autocomplete": "off", "list": "commune-options"})

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "outcome": data["outcome"],
            "commune_insee": data["commune"].insee_code if data["commune"] else "",
            "reason_category": data["reason_category"],
        }

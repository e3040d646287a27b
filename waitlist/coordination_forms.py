"""Input of the coordination pages (the queue's filters, a level fixed by hand, a note, the priority rules, a
merge, a handover plan, its CSV and its monthly numbers). Parsing only: the services decide."""

import datetime
import re

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from directory.selectors import entries as directory_entries
from waitlist.models import MAX_PLEDGE_MONTHS, Entry
from waitlist.priority import CRITERIA, MAX_LEVELS, MAX_WEIGHT, Rules
from waitlist.selectors.coordination import QueueFilters

_UUID = re.compile(r"^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def level_choices(rules: Rules) -> list[tuple[str, str]]:
    return [(str(index), f"{index} — {step['label']}") for index, step in enumerate(rules.levels)]


def parsed_month(value: str) -> datetime.date | None:
    match = _MONTH.match((value or "").strip())
    if not match:
        return None
    try:
        return datetime.date(int(match.group(1)), int(match.group(2)), 1)
    except ValueError:
        return None


class MonthField(forms.CharField):
    """A month as ``AAAA-MM`` (the browser's month picker), cleaned to its first day."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "AAAA-MM", "inputmode": "numeric"})

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        month = parsed_month(value)
        if month is None:
            raise forms.ValidationError(_("Indiquez un mois sous la forme AAAA-MM (par exemple 2027-03)."))
        return month


# --- The queue --------------------------------------------------------------------------------------------------


class QueueFilterForm(forms.Form):
    q = forms.CharField(label=_("Nom ou prénom"), required=False, max_length=100)
    statut = forms.ChoiceField(label=_("Statut"), required=False)
    niveau = forms.ChoiceField(label=_("Niveau"), required=False)
    commune = forms.CharField(
        label=_("Commune"), required=False, max_length=100, help_text=_("Nom, code postal ou code INSEE.")
    )
    reprise = forms.CharField(required=False, widget=forms.HiddenInput())
    origine = forms.ChoiceField(
        label=_("Origine"),
        required=False,
        choices=[("", _("Toutes")), ("yes", _("Reprise d'un médecin qui part")), ("no", _("Inscription directe"))],
    )
    doublons = forms.BooleanField(label=_("Doublons possibles seulement"), required=False)

    def __init__(self, data=None, *, rules: Rules, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["statut"].choices = [("", _("Tous")), *Entry.Status.choices]
        self.fields["statut"].initial = Entry.Status.WAITING
        self.fields["niveau"].choices = [("", _("Tous")), *level_choices(rules)]

    def clean_commune(self):
        typed = self.cleaned_data["commune"].strip()
        if not typed:
            return None
        choice = directory_entries.commune_from_input(typed)
        if choice.commune is None:
            raise forms.ValidationError(
                _("Commune introuvable ou ambiguë : « %(typed)s ». Tapez son code postal ou son code INSEE."),
                params={"typed": typed},
            )
        return choice.commune

    def clean_reprise(self):
        value = self.cleaned_data["reprise"].strip()
        if value and not _UUID.match(value):
            raise forms.ValidationError(_("Plan de reprise inconnu."))
        return value

    def filters(self) -> QueueFilters:
        """The filters typed (the waiting entries by default: ``statut=`` empty lists every status); a field
        refused is left out."""
        self.is_valid()
        data = self.cleaned_data
        status = data.get("statut", Entry.Status.WAITING) if "statut" in self.data else Entry.Status.WAITING
        level = data.get("niveau")
        commune = data.get("commune")
        return QueueFilters(
            status=status,
            level=int(level) if level not in (None, "") else None,
            commune_id=commune.pk if commune else "",
            duplicate=bool(data.get("doublons")),
            handover=data.get("reprise") or data.get("origine") or "",
            search=data.get("q", ""),
        )


# --- One entry --------------------------------------------------------------------------------------------------


class LevelOverrideForm(forms.Form):
    SERVICE_FIELDS = {"level": "level", "reason": "reason"}

    level = forms.ChoiceField(label=_("Niveau fixé"))
    reason = forms.CharField(
        label=_("Raison"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Elle reste dans la fiche, lisible par la coordination (pas de diagnostic)."),
        error_messages={"required": _("Indiquez la raison de ce niveau.")},
    )

    def __init__(self, data=None, *, rules: Rules, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["level"].choices = level_choices(rules)


class EntryNoteForm(forms.Form):
    text = forms.CharField(
        label=_("Note"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("La note est vide.")},
    )


# --- The rules --------------------------------------------------------------------------------------------------


class PriorityRulesForm(forms.Form):
    """One weight per criterion, and up to ``MAX_LEVELS`` levels (a name and the score it starts at); a level
    row left empty is dropped."""

    def __init__(self, data=None, *, rules: Rules, **kwargs):
        super().__init__(data, **kwargs)
        for key, label in CRITERIA.items():
            self.fields[f"weight_{key}"] = forms.IntegerField(
                label=capfirst(label),
                min_value=0,
                max_value=MAX_WEIGHT,
                initial=rules.weights.get(key, 0),
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
                error_messages={
                    "required": _("Indiquez un poids (0 pour ne pas compter ce critère)."),
                    "invalid": _("Un nombre entier."),
                },
            )
        for index in range(MAX_LEVELS):
            step = rules.levels[index] if index < len(rules.levels) else {}
            self.fields[f"level_{index}_label"] = forms.CharField(
                label=_("Nom du niveau %(n)d") % {"n": index}, required=False, max_length=60, initial=step.get("label")
            )
            self.fields[f"level_{index}_min"] = forms.IntegerField(
                label=_("À partir du score"),
                required=False,
                min_value=0,
                max_value=200,
                initial=step.get("min_score"),
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )
        self.fields["level_0_min"].disabled = True
        self.fields["level_0_min"].initial = 0

    def weight_fields(self):
        return [self[f"weight_{key}"] for key in CRITERIA]

    def level_rows(self):
        return [(index, self[f"level_{index}_label"], self[f"level_{index}_min"]) for index in range(MAX_LEVELS)]

    def rules_input(self) -> tuple[dict, list]:
        data = self.cleaned_data
        weights = {key: data[f"weight_{key}"] for key in CRITERIA}
        levels = []
        for index in range(MAX_LEVELS):
            label = (data.get(f"level_{index}_label") or "").strip()
            minimum = 0 if index == 0 else data.get(f"level_{index}_min")
            if not label and minimum is None:
                continue
            levels.append({"label": label, "min_score": minimum})
        return weights, levels


# --- Duplicates -------------------------------------------------------------------------------------------------


class MergeForm(forms.Form):
    keep = forms.UUIDField()
    drop = forms.UUIDField()


class DismissForm(forms.Form):
    entry = forms.UUIDField()
    other = forms.UUIDField()


# --- Handover ---------------------------------------------------------------------------------------------------


class HandoverPlanForm(forms.Form):
    practitioner = forms.ModelChoiceField(
        label=_("Médecin qui part"), queryset=None, empty_label=_("Choisissez…"), to_field_name="public_id"
    )
    departure_on = forms.DateField(
        label=_("Date de départ"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    first_month = MonthField(label=_("Premier mois des propositions"), help_text=_("AAAA-MM"))
    months = forms.IntegerField(
        label=_("Nombre de mois"),
        min_value=1,
        max_value=MAX_PLEDGE_MONTHS,
        initial=6,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    notes = forms.CharField(label=_("Notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, data=None, *, practitioners, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["practitioner"].queryset = practitioners
        self.fields["practitioner"].label_from_instance = lambda p: f"Dr {p.last_name.upper()} {p.first_name}"


class HandoverImportForm(forms.Form):
    SERVICE_FIELDS = {"consent": "consent_confirmed", "file": "file"}

    file = forms.FileField(
        label=_("Fichier CSV des patients"),
        help_text=_("UTF-8 (avec ou sans BOM), séparateur virgule ou point-virgule, une ligne par patient."),
        error_messages={"required": _("Choisissez le fichier à envoyer.")},
    )
    consent_confirmed = forms.BooleanField(
        label=_("Je confirme que chaque patient du fichier a donné son accord au texte ci-dessus."), required=False
    )


class MonthProposeForm(forms.Form):
    month = MonthField()


def allocation_field_name(month: datetime.date, pledge) -> str:
    return f"n_{month:%Y%m}_{pledge.public_id.hex}"


class AllocationsForm(forms.Form):
    """One number per month and receiving pledge (``n_AAAAMM_<pledge>``)."""

    def __init__(self, data=None, *, board, **kwargs):
        super().__init__(data, **kwargs)
        self.cells = {}
        for row in board.months:
            for pledge in board.pledges:
                cell = row.cells.get(pledge.pk)
                name = allocation_field_name(row.month, pledge)
                self.fields[name] = forms.IntegerField(
                    label=_("%(month)s, Dr %(name)s")
                    % {"month": row.month.strftime("%m/%Y"), "name": pledge.practitioner.last_name},
                    required=False,
                    min_value=0,
                    max_value=500,
                    initial=cell.planned if cell else 0,
                    disabled=not (cell and cell.runs),
                    widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "allocation-input"}),
                )
                self.cells[name] = (row.month, pledge.pk)

    def planned(self) -> dict:
        return {
            self.cells[name]: value or 0
            for name, value in self.cleaned_data.items()
            if name in self.cells and not self.fields[name].disabled
        }

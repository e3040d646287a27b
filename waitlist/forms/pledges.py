"""The GP's forms: a pledge ("12 nouveaux patients sur 3 mois, dans un rayon de 10 km, familles bienvenues,
discret") and the reason of a refusal. Parsing only: ``waitlist.services.pledges`` says the bounds in French."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waitlist.services.pledges import months_after

_DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DEFAULT_CAPACITY = 12
DEFAULT_RADIUS_KM = 10
DEFAULT_MONTHS = 3


def _number(label, initial, help_text=""):
    # No bounds here: the service says them, once, in French.
    return forms.IntegerField(
        label=label,
        initial=initial,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={"required": _("Indiquez un nombre."), "invalid": _("Indiquez un nombre entier.")},
    )


class PledgeForm(forms.Form):
    capacity = _number(
        _("Nouveaux patients"), DEFAULT_CAPACITY, _("Des personnes, pas des foyers : une famille de 3 compte pour 3.")
    )
    radius_km = _number(_("Rayon autour de votre cabinet (km)"), DEFAULT_RADIUS_KM)
    until = forms.DateField(
        label=_("Jusqu'au"),
        widget=_DATE_INPUT,
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        error_messages={"required": _("Indiquez la date de fin."), "invalid": _("Date illisible (JJ/MM/AAAA).")},
    )
    families_welcome = forms.BooleanField(
        label=_("Familles bienvenues (un foyer est proposé entier)"), required=False, initial=True
    )
    discreet = forms.BooleanField(
        label=_("Discret : ne pas me montrer aux autres professionnels comme « accepte de nouveaux patients »"),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["until"].initial = months_after(timezone.localdate(), DEFAULT_MONTHS)

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "capacity": data["capacity"],
            "radius_km": data["radius_km"],
            "until": data["until"],
            "families_welcome": data["families_welcome"],
            "discreet": data["discreet"],
        }


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Raison du refus"),
        required=False,  # "a reason is needed" is the service's refusal
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Lue par la coordination, jamais par le patient."),
    )


def default_until() -> datetime.date:
    return months_after(timezone.localdate(), DEFAULT_MONTHS)

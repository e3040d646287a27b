"""The SNP pages' forms: they parse and validate input only; the rules are the services'."""

import datetime
import re

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from directory.models import Territory
from snp.models import Booking

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

"""The choices of the statistics pages and the public report: the list (by its short name, when there are several)
and the month (``?mois=AAAA-MM``, one of the last 13). Parsing only: what a user may read is decided by the
views through ``waitlist.scope``."""

import datetime
import re

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from waitlist.statistics import first_of_month

MONTHS_OFFERED = 13  # this month and the twelve before it
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
EXPORT_FORMATS = ("csv", "xlsx")
EXPORT_KINDS = ("mois", "file")


class StatisticsChoiceForm(forms.Form):
    """``?liste=<slug>&mois=AAAA-MM``. Bound with the query string; a value that is not offered is an error on
    its field, and the page shows the default list and month meanwhile."""

    liste = forms.ChoiceField(label=_("Liste d'attente"), required=False)
    mois = forms.ChoiceField(label=_("Mois"), required=False)

    def __init__(self, data=None, *, lists, default_month_back: int = 0, **kwargs):
        super().__init__(data, **kwargs)
        self.lists = list(lists)
        self.fields["liste"].choices = [(wl.slug, wl.name) for wl in self.lists]
        today = timezone.localdate()
        self.default_month = first_of_month(today, default_month_back)
        months = [first_of_month(today, back) for back in range(MONTHS_OFFERED)]
        self.fields["mois"].choices = [(f"{m:%Y-%m}", date_format(m, "F Y").capitalize()) for m in months]
        self.several_lists = len(self.lists) > 1

    def clean_mois(self) -> datetime.date:
        value = self.cleaned_data.get("mois") or ""
        if not value:
            return self.default_month
        match = _MONTH.match(value)
        return datetime.date(int(match[1]), int(match[2]), 1)

    @property
    def month(self) -> datetime.date:
        if not self.is_bound:
            return self.default_month
        self.is_valid()
        return self.cleaned_data.get("mois") or self.default_month

    @property
    def waiting_list(self):
        """The list chosen, or the first one (also when the choice is not one of the user's: the page says so)."""
        if not self.lists:
            return None
        if self.is_bound and self.is_valid() and self.cleaned_data.get("liste"):
            return next(wl for wl in self.lists if wl.slug == self.cleaned_data["liste"])
        return self.lists[0]


class ExportForm(StatisticsChoiceForm):
    """The coordinator's downloads: ``format`` (csv, xlsx) and ``quoi`` (mois: month by commune by level over
    12 months; file: the queue now by commune, level and status)."""

    format = forms.ChoiceField(label=_("Format"), choices=[(f, f.upper()) for f in EXPORT_FORMATS])
    quoi = forms.ChoiceField(
        label=_("Contenu"),
        choices=[("mois", _("Chiffres par mois, commune et niveau")), ("file", _("File d'attente actuelle"))],
    )

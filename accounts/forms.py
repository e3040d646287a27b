from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import AccessLog


class ApiTokenCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Nom du jeton"),
        max_length=80,
        help_text=_("Pour le reconnaître plus tard, par exemple « logiciel du cabinet »."),
    )


class AccessLogSearchForm(forms.Form):
    email = forms.CharField(label=_("Utilisateur (e-mail)"), required=False, max_length=254)
    subject_type = forms.CharField(label=_("Type de donnée"), required=False, max_length=60)
    subject_id = forms.CharField(label=_("Identifiant de la donnée"), required=False, max_length=64)
    patient_ref = forms.CharField(label=_("Identifiant du patient"), required=False, max_length=64)
    action = forms.ChoiceField(
        label=_("Action"), required=False, choices=[("", _("Toutes")), *AccessLog.Action.choices]
    )
    date_from = forms.DateField(label=_("Du"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("Au"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("date_from") and cleaned.get("date_to") and cleaned["date_from"] > cleaned["date_to"]:
            raise forms.ValidationError(_("La date de début doit précéder la date de fin."))
        return cleaned

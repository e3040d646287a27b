"""Input of the pages that keep the directory true: claims, the change feed's filters, merges. Parsing only:
the services check what the input means (the RPPS of the entry, the coordinator's territory…)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from directory.models import EntryRevision


class ClaimLookupForm(forms.Form):
    rpps = forms.CharField(
        label=_("Votre numéro RPPS"),
        max_length=20,
        help_text=_("11 chiffres, sur votre carte CPS (ou votre numéro ADELI si vous n'avez pas de RPPS)."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


class ClaimStartForm(forms.Form):
    rpps = forms.CharField(
        label=_("Votre numéro RPPS"),
        max_length=20,
        help_text=_("11 chiffres, sur votre carte CPS : il doit être celui de la fiche."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    email = forms.EmailField(
        label=_("Votre adresse e-mail"),
        max_length=254,
        help_text=_("Vous y recevrez un lien pour la vérifier, puis la réponse de la coordination."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    message = forms.CharField(
        label=_("Message à la coordination (facultatif)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ClaimRejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif du refus"),
        max_length=500,
        help_text=_("La personne le reçoit par e-mail."),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Dites pourquoi vous refusez : la personne recevra ce motif.")},
    )


class FeedFilterForm(forms.Form):
    """The filters of the change feed, read from the query string so that a filtered feed is a link."""

    action = forms.ChoiceField(
        label=_("Action"), required=False, choices=[("", _("Toutes")), *EntryRevision.Action.choices]
    )
    object_type = forms.ChoiceField(label=_("Objet"), required=False)
    who = forms.CharField(label=_("Par"), required=False, max_length=100)
    since = forms.DateField(
        label=_("Du"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Date invalide : utilisez le format JJ/MM/AAAA.")},
    )
    until = forms.DateField(
        label=_("Au"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Date invalide : utilisez le format JJ/MM/AAAA.")},
    )
    entry = forms.UUIDField(
        label=_("Fiche"),
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid": _("Cette fiche n'existe pas.")},
    )

    def __init__(self, *args, object_types: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["object_type"].choices = [("", _("Tous")), *object_types]

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            self.add_error("until", _("La date de fin précède la date de début."))
        return cleaned


class MergeForm(forms.Form):
    keep = forms.ChoiceField(
        label=_("Fiche à conserver"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choisissez la fiche à conserver.")},
    )

    def __init__(self, *args, first, second, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["keep"].choices = [(str(first.public_id), str(first)), (str(second.public_id), str(second))]

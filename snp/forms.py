"""The SNP pages' forms: they turn what was typed into the services' arguments and say in French what is wrong."""

from django import forms
from django.utils.translation import gettext_lazy as _

from directory.selectors import entries as directory_entries


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

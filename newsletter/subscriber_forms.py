"""The subscribers' forms: subscribing, choosing editions, the coordinator's import. Parsing only: the rules are
the services'."""

from django import forms
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from newsletter.models import Edition

# A list of a hundred thousand addresses weighs a few megabytes: more is not a subscriber list.
MAX_IMPORT_BYTES = 10 * 1024 * 1024


class SubscribeForm(forms.Form):
    SERVICE_FIELDS = {"email": "email", "editions": "editions"}

    email = forms.CharField(label=_("Votre adresse e-mail"), max_length=254)
    editions = forms.MultipleChoiceField(
        label=_("Éditions"),
        choices=[(Edition.PUBLIC, Edition.PUBLIC.label)],
        widget=forms.CheckboxSelectMultiple,
        initial=[Edition.PUBLIC],
        error_messages={"required": _("Choisissez au moins une édition de la lettre.")},
    )

    def __init__(self, *args, professional: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if professional:
            self.fields["editions"].choices = Edition.choices


class EditionsForm(forms.Form):
    editions = forms.MultipleChoiceField(
        label=_("Éditions reçues"),
        choices=Edition.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choisissez au moins une édition, ou désinscrivez-vous plus bas.")},
    )

    def __init__(self, *args, allowed=(Edition.PUBLIC,), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["editions"].choices = [(value, label) for value, label in Edition.choices if value in allowed]


class ImportForm(forms.Form):
    SERVICE_FIELDS = {"content": "file"}

    file = forms.FileField(label=_("Fichier CSV"), help_text=_("Colonnes email, consented_at (AAAA-MM-JJ), name."))
    edition = forms.ChoiceField(label=_("Édition"), choices=Edition.choices)
    consent_source = forms.CharField(
        label=_("Origine des consentements"), max_length=200, help_text=_("L'outil d'où viennent les abonnés.")
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(
                gettext_now("Le fichier dépasse %(limit)s Mo : coupez-le en plusieurs fichiers.")
                % {"limit": MAX_IMPORT_BYTES // (1024 * 1024)}
            )
        return upload

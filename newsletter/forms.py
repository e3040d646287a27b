"""The newsletter coordinator's forms: parse and validate input only (the services decide)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from newsletter.models import Edition, Section

EDITION_CHOICES = [*Edition.choices, ("both", _("Les deux éditions"))]
WRITTEN_SECTIONS = [(key, label) for key, label in Section.choices if key in ("news", "events", "useful")]


class IssueOpenForm(forms.Form):
    month = forms.CharField(label=_("Mois"), widget=forms.DateInput(attrs={"type": "month"}))
    edition = forms.ChoiceField(label=_("Édition"), choices=EDITION_CHOICES, initial="both")


class IssueEditForm(forms.Form):
    title = forms.CharField(label=_("Titre"), max_length=200)
    editorial = forms.CharField(
        label=_("Éditorial (Markdown)"), required=False, widget=forms.Textarea(attrs={"rows": 6})
    )


class ItemForm(forms.Form):
    title = forms.CharField(label=_("Titre"), max_length=200)
    body = forms.CharField(label=_("Texte (Markdown)"), required=False, widget=forms.Textarea(attrs={"rows": 5}))
    included = forms.BooleanField(label=_("Dans la lettre"), required=False, initial=True)
    event_starts_at = forms.DateTimeField(
        label=_("Date de l'événement"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    event_place = forms.CharField(label=_("Lieu"), max_length=200, required=False)
    registration_url = forms.URLField(label=_("Lien d'inscription"), required=False, assume_scheme="https")


class ItemCreateForm(ItemForm):
    section = forms.ChoiceField(label=_("Rubrique"), choices=WRITTEN_SECTIONS)
    also_in_other_edition = forms.BooleanField(label=_("Aussi dans l'autre édition du mois"), required=False)


class ImageForm(forms.Form):
    file = forms.FileField(label=_("Image (JPEG, PNG, GIF, WebP)"))
    alt_text = forms.CharField(label=_("Texte alternatif"), max_length=300)
    item = forms.IntegerField(widget=forms.HiddenInput)


class ScheduleForm(forms.Form):
    scheduled_for = forms.DateTimeField(
        label=_("Envoyer le"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )


class SendForm(forms.Form):
    """The coordinator confirms the number of recipients shown next to the button."""

    confirm = forms.BooleanField(label=_("Je confirme l'envoi à tous les abonnés de cette édition"))

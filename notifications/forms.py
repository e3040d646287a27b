from django import forms
from django.utils.translation import gettext_lazy as _

from notifications.models import OutboundMessage


class DeliveryCheckForm(forms.Form):
    channel = forms.ChoiceField(label=_("Canal"), choices=OutboundMessage.Channel.choices)
    recipient = forms.CharField(
        label=_("Destinataire"), max_length=254, help_text=_("Adresse e-mail ou numéro de téléphone mobile.")
    )

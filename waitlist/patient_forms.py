"""Input of the patient's pages (their link: update, the code of a new contact, withdraw, erase; the lost link)
and of the coordination's erasure on request. Parsing only: ``waitlist.services.selfservice`` decides."""

from django import forms
from django.utils.translation import gettext_lazy as _

from directory.selectors.entries import commune_from_input
from waitlist.models import MAX_TRAVEL_KM, HouseholdMember
from waitlist.services.selfservice import ERASE_REASONS, MEMBER_FACTS, WITHDRAW_REASONS

FACT_LABELS = {
    "ald": _("Une affection de longue durée (ALD) reconnue"),
    "pregnancy": _("Une grossesse en cours"),
    "disability": _("Une situation de handicap"),
    "precarity": _("La complémentaire santé solidaire (CSS) ou l'AME"),
    "treatment_renewal": _("Un traitement régulier à renouveler"),
}


def fact_field_name(position: int, fact: str) -> str:
    return f"member{position}_{fact}"


class FollowUpdateForm(forms.Form):
    """What the patient may change: the contact (a new one gets a code), the commune, the distance, the
    household's facts (one checkbox per member and fact)."""

    phone = forms.CharField(label=_("Téléphone mobile"), max_length=30, required=False)
    email = forms.CharField(label=_("Adresse e-mail"), max_length=254, required=False)
    commune = forms.CharField(
        label=_("Commune où vous habitez"),
        max_length=100,
        error_messages={"required": _("Indiquez votre commune (nom ou code postal).")},
    )
    max_distance_km = forms.IntegerField(
        label=_("Distance maximale jusqu'au cabinet (km)"),
        min_value=1,
        max_value=MAX_TRAVEL_KM,
        error_messages={
            "required": _("Indiquez jusqu'où vous pouvez aller."),
            "invalid": _("Indiquez un nombre de kilomètres."),
            "min_value": _("Indiquez au moins 1 km."),
            "max_value": _("Indiquez au plus %(limit_value)s km."),
        },
    )

    def __init__(self, *args, members: list[HouseholdMember], **kwargs):
        super().__init__(*args, **kwargs)
        self.members = members
        self.commune_candidates = []
        for member in members:
            for fact in MEMBER_FACTS:
                self.fields[fact_field_name(member.position, fact)] = forms.BooleanField(
                    label=FACT_LABELS[fact], required=False, initial=getattr(member, fact)
                )

    def member_groups(self):
        """For the template: each member with its checkboxes."""
        return [
            (member, [self[fact_field_name(member.position, fact)] for fact in MEMBER_FACTS]) for member in self.members
        ]

    def clean_commune(self):
        choice = commune_from_input(self.cleaned_data["commune"])
        self.commune_candidates = choice.candidates
        if choice.commune is None:
            if choice.candidates:
                raise forms.ValidationError(_("Plusieurs communes correspondent : choisissez-en une dans la liste."))
            raise forms.ValidationError(_("Commune inconnue : vérifiez son nom ou son code postal."))
        return choice.commune

    def facts(self) -> dict[int, dict[str, bool]]:
        return {
            member.position: {
                fact: bool(self.cleaned_data.get(fact_field_name(member.position, fact))) for fact in MEMBER_FACTS
            }
            for member in self.members
        }


class ContactCodeForm(forms.Form):
    channel = forms.ChoiceField(choices=[("phone", "phone"), ("email", "email")], widget=forms.HiddenInput)
    address = forms.CharField(max_length=254, widget=forms.HiddenInput)
    code = forms.CharField(
        label=_("Code reçu (6 chiffres)"),
        max_length=12,
        error_messages={"required": _("Tapez le code à 6 chiffres reçu.")},
    )


class WithdrawForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Pourquoi quittez-vous la liste ?"),
        choices=[(key, label) for key, label in WITHDRAW_REASONS.items()],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choisissez pourquoi vous quittez la liste.")},
    )


class EraseForm(forms.Form):
    understood = forms.BooleanField(
        label=_("J'ai compris : mon inscription et mes données seront effacées définitivement."),
        error_messages={"required": _("Cochez la case pour confirmer l'effacement.")},
    )


class LinkResendForm(forms.Form):
    SERVICE_FIELDS = {"email": "address", "phone": "address"}

    address = forms.CharField(
        label=_("Votre téléphone mobile ou votre adresse e-mail"),
        max_length=254,
        error_messages={"required": _("Tapez le téléphone ou l'adresse e-mail donnés à l'inscription.")},
    )


class CoordinatorEraseForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("D'où vient la demande ?"),
        choices=[("", _("— Choisir —")), *ERASE_REASONS.items()],
        error_messages={"required": _("Indiquez d'où vient la demande d'effacement.")},
    )

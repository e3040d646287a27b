"""Input of the referral pages: the new request, the filters of the lists, and the forms of each action on a
request. Parsing only: the services decide what is allowed (recipient, transitions, INS key, dates)."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError
from directory.models import Specialty
from directory.specialty_families import grouped_specialty_choices
from referrals.dashboard import dashboard_territories
from referrals.models import NewRequestNotices, Referral, ReferralAttachment, Tariff, Urgency
from referrals.rules import OUTSIDE_UPDATES
from referrals.services import (
    APPOINTMENT_DAY_ENDS,
    APPOINTMENT_DAY_STARTS,
    CLINICAL_FIELDS,
    EARLIEST_BIRTH_YEAR,
    PATIENT_FIELDS,
    patient_phone_normalised,
)
from referrals.services.handling import SentOutsideVia

_DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
_LONG_TEXT = 20000
REASON_MAX_LENGTH = Referral._meta.get_field("reason").max_length


def _format(message, values: dict) -> str:
    return str(message) % values


_format_lazy = lazy(_format, str)


def _lazy_format(message, **values):
    """``message % values`` in the language of the request that renders it, not of the import."""
    return _format_lazy(message, values)


def _text(label, *, required=False, rows=3, help_text="", max_length=_LONG_TEXT, required_message=None):
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": rows}),
        help_text=help_text,
        error_messages={"required": required_message} if required_message else None,
    )


class ServiceErrorsMixin:
    """A service's refusal names its own argument (``patient_ins``, ``appointment_at``): ``SERVICE_FIELDS`` maps it
    to the form's field that collected it, for ``core.pages.refuse_on_form``."""

    SERVICE_FIELDS: dict[str, str] = {}

    def action_inputs(self, action) -> dict:
        """The inputs of a ``referrals.permissions.ReferralAction``, from the cleaned data: an input the form
        collects differently has its own ``input_<name>()`` (the appointment's date and time make one input)."""
        inputs = {}
        for name in action.inputs:
            method = getattr(self, f"input_{name}", None)
            inputs[name] = method() if method is not None else self.cleaned_data[name]
        return inputs


class ReferralForm(ServiceErrorsMixin, forms.Form):
    """A letter or a tele-expertise question, to one recipient, for one patient."""

    kind = forms.ChoiceField(
        label=_("Type de demande"),
        choices=Referral.Kind.choices,
        widget=forms.RadioSelect,
        initial=Referral.Kind.LETTER,
    )
    # "practitioner:<public id>", "practice:<public id>" or "pathway:<public id>" (referrals.selectors).
    recipient = forms.CharField(label=_("Destinataire"), required=False, max_length=80)
    recipient_query = forms.CharField(
        label=_("Chercher un professionnel"),
        required=False,
        max_length=150,
        help_text=_("Une spécialité (« cardio », « dermato ») ou un nom."),
    )
    # The recipient's absence was shown before sending (its public id): without it, an absent recipient is
    # shown first, with the replacement, rather than sent to.
    absence_seen = forms.CharField(required=False, max_length=80, widget=forms.HiddenInput)

    patient_family_name = forms.CharField(label=_("Nom de naissance"), max_length=150)
    # Likewise, that nobody on the recipient's side uses the portal was shown (the recipient's form value).
    outside_seen = forms.CharField(required=False, max_length=80, widget=forms.HiddenInput)
    patient_used_name = forms.CharField(label=_("Nom d'usage"), required=False, max_length=150)
    patient_given_names = forms.CharField(label=_("Prénoms"), max_length=200)
    patient_birth_date = forms.DateField(label=_("Date de naissance"), widget=_DATE_INPUT, input_formats=_DATE_FORMATS)
    patient_sex = forms.ChoiceField(label=_("Sexe"), choices=Referral.Sex.choices, widget=forms.RadioSelect)
    patient_phone = forms.CharField(
        label=_("Téléphone portable du patient"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    patient_email = forms.EmailField(
        label=_("E-mail du patient"), required=False, widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    contact_consent = forms.BooleanField(
        label=_("Le patient accepte d'être prévenu par SMS ou e-mail (rendez-vous ou refus, jamais le motif)"),
        required=False,
    )
    patient_ins = forms.CharField(
        label=_("INS (matricule INS / NIR), facultatif"),
        required=False,
        max_length=25,
        help_text=_("15 caractères, clé comprise ; les espaces sont ignorés."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    teleexpertise_consent = forms.BooleanField(
        label=_("Le patient a donné son accord à la télé-expertise"), required=False
    )
    attending_is_me = forms.BooleanField(label=_("C'est moi"), required=False)
    attending_label = forms.CharField(
        label=_("Autre médecin traitant"),
        required=False,
        max_length=200,
        help_text=_("Son nom et sa commune, s'il n'est pas vous."),
    )

    reason = forms.CharField(
        label=_("Motif"),
        max_length=REASON_MAX_LENGTH,
        help_text=_lazy_format(_("%(limit)s caractères au plus."), limit=REASON_MAX_LENGTH),
        # The browser does not cut what is typed (no maxlength): too long, it is said on the field, never cut;
        # static/js/char-counter.js counts as one types.
        widget=forms.TextInput(
            attrs={
                "data-max-chars": REASON_MAX_LENGTH,
                "data-counter-left": _("%(count)s / %(limit)s caractères"),
                "data-counter-over": _("%(count)s / %(limit)s caractères : %(over)s de trop, raccourcissez le motif"),
            }
        ),
        error_messages={
            "required": _("Indiquez le motif de la demande."),
            "max_length": _(
                "Le motif fait %(show_value)d caractères, %(limit_value)d au plus : raccourcissez-le (les détails "
                "vont dans la question clinique)."
            ),
        },
    )
    question = _text(_("Question clinique"), rows=3)
    history = _text(_("Antécédents utiles"), rows=2)
    treatments = _text(_("Traitements en cours"), rows=2)
    allergies = _text(_("Allergies connues"), rows=1, help_text=_("Laissé vide, le courrier dira « Non renseignées »."))
    no_known_allergies = forms.BooleanField(label=_("Aucune allergie connue"), required=False)
    # Shown once the service has found a request of the same patient to the same recipient in the last 30 days.
    confirm_duplicate = forms.BooleanField(label=_("Envoyer quand même"), required=False)
    urgency = forms.ChoiceField(
        label=_("Urgence"), choices=Urgency.choices, widget=forms.RadioSelect, initial=Urgency.ROUTINE
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The browser would cut at maxlength without a word: the counter shows the limit, the server refuses.
        self.fields["reason"].widget.attrs.pop("maxlength", None)

    def clean_patient_ins(self) -> str:
        return "".join(self.cleaned_data["patient_ins"].split()).upper()

    def clean_patient_birth_date(self) -> datetime.date:
        birth_date = self.cleaned_data["patient_birth_date"]
        if birth_date > timezone.localdate():
            raise forms.ValidationError(_("La date de naissance est dans le futur."))
        if birth_date.year < EARLIEST_BIRTH_YEAR:
            raise forms.ValidationError(
                _("La date de naissance est avant %(year)s : vérifiez l'année.") % {"year": EARLIEST_BIRTH_YEAR}
            )
        return birth_date

    def clean_patient_phone(self) -> str:
        try:
            return patient_phone_normalised(self.cleaned_data["patient_phone"])
        except ApplicationError as error:
            raise forms.ValidationError(error.message) from None

    def clean(self):
        data = super().clean()
        if data.get("no_known_allergies") and (data.get("allergies") or "").strip():
            self.add_error(
                "no_known_allergies",
                _("Vous avez coché « Aucune allergie connue » et décrit des allergies : gardez l'un ou l'autre."),
            )
        return data

    def service_arguments(self, *, sender, recipient) -> dict:
        """What ``referral_send`` takes, from the cleaned data and the recipient the view resolved (None: the
        service asks for one)."""
        data = self.cleaned_data
        teleexpertise = data["kind"] == Referral.Kind.TELEEXPERTISE
        recipient_kind = recipient._meta.model_name if recipient is not None else ""
        return {
            "kind": data["kind"],
            "urgency": data["urgency"],
            "recipient_practitioner": recipient if recipient_kind == "practitioner" else None,
            "recipient_practice": recipient if recipient_kind == "practice" else None,
            "pathway": recipient if recipient_kind == "pathway" else None,
            **{name: data[name] for name in (*PATIENT_FIELDS, *CLINICAL_FIELDS)},
            "teleexpertise_consent": teleexpertise and data["teleexpertise_consent"],
            "attending_practitioner": sender if data["attending_is_me"] else None,
            "attending_label": "" if data["attending_is_me"] else data["attending_label"],
            "confirm_duplicate": data["confirm_duplicate"],
        }


class SentFilterForm(forms.Form):
    """The filters of "Mes demandes": status, the patient's name, and the order (overdue first, or newest first)."""

    SORT_OVERDUE = "overdue"
    SORT_NEWEST = "newest"

    status = forms.ChoiceField(
        label=_("Statut"),
        required=False,
        choices=[("", _("Toutes mes demandes")), *Referral.Status.choices],
    )
    q = forms.CharField(
        label=_("Patient"),
        required=False,
        max_length=100,
        strip=True,
        help_text=_("Nom ou prénom, avec ou sans accents."),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    sort = forms.ChoiceField(
        label=_("Ordre"),
        required=False,
        choices=[(SORT_OVERDUE, _("En retard d'abord")), (SORT_NEWEST, _("Les plus récentes d'abord"))],
    )


class InboxFilterForm(forms.Form):
    """The inbox filters; an empty status means every open request. A draft never reaches the recipient's side:
    no such filter."""

    status = forms.ChoiceField(
        label=_("Statut"),
        required=False,
        choices=[
            ("", _("À traiter (ouvertes)")),
            *((value, label) for value, label in Referral.Status.choices if value != Referral.Status.DRAFT),
        ],
    )
    kind = forms.ChoiceField(label=_("Type"), required=False, choices=[("", _("Tous")), *Referral.Kind.choices])
    urgency = forms.ChoiceField(label=_("Urgence"), required=False, choices=[("", _("Toutes")), *Urgency.choices])
    overdue = forms.BooleanField(label=_("En retard seulement"), required=False)


# --- Actions on one request -----------------------------------------------------------------------------------


class MessageForm(ServiceErrorsMixin, forms.Form):
    """Asking for more (recipient's side), answering it (sender), or writing in the thread."""

    message = _text(_("Message"), required=True, rows=4, required_message=_("Écrivez votre message."))

    SERVICE_FIELDS = {"body": "message"}

    def __init__(self, *args, label=None, **kwargs):
        super().__init__(*args, **kwargs)
        if label:
            self.fields["message"].label = label


class AcceptForm(ServiceErrorsMixin, forms.Form):
    """An appointment: day and time (Europe/Paris), at one of the recipient's sites, with instructions."""

    appointment_date = forms.DateField(
        label=_("Date du rendez-vous"),
        widget=_DATE_INPUT,
        input_formats=_DATE_FORMATS,
        error_messages={"required": _("Indiquez la date du rendez-vous.")},
    )
    appointment_time = forms.TimeField(
        label=_("Heure"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        input_formats=["%H:%M", "%Hh%M", "%H:%M:%S"],
        error_messages={"required": _("Indiquez l'heure du rendez-vous.")},
    )
    site = forms.ModelChoiceField(
        label=_("Lieu"),
        queryset=None,
        to_field_name="public_id",
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={
            "required": _("Choisissez le lieu du rendez-vous."),
            "invalid_choice": _("Choisissez un lieu où le destinataire reçoit."),
        },
    )
    instructions = _text(
        _("Consignes pour le patient"),
        rows=2,
        max_length=5000,
        help_text=_(
            "Documents à apporter, à jeun… Le médecin qui adresse les voit et les transmet : le SMS et l'e-mail "
            "au patient ne donnent que la date, l'heure et le lieu (jamais de contenu médical)."
        ),
    )

    confirm_unusual_hour = forms.BooleanField(
        label=_("Je confirme cet horaire inhabituel"),
        required=False,
        help_text=_lazy_format(
            _("Un rendez-vous avant %(starts)s ou après %(ends)s n'est enregistré qu'avec cette case cochée."),
            starts=APPOINTMENT_DAY_STARTS.strftime("%H:%M"),
            ends=APPOINTMENT_DAY_ENDS.strftime("%H:%M"),
        ),
    )

    SERVICE_FIELDS = {"appointment_at": "appointment_date"}

    def __init__(self, *args, sites, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites
        if not self.is_bound:
            only = list(sites[:2])
            if len(only) == 1:
                self.initial["site"] = only[0].public_id

    def input_appointment_at(self) -> datetime.datetime:
        day, time = self.cleaned_data["appointment_date"], self.cleaned_data["appointment_time"]
        return timezone.make_aware(datetime.datetime.combine(day, time))


class DeclineForm(ServiceErrorsMixin, forms.Form):
    """Why not, and to whom the GP may turn instead (a practitioner found in the directory)."""

    reason = _text(_("Motif du refus"), required=True, rows=3, required_message=_("Indiquez le motif du refus."))
    colleague_query = forms.CharField(
        label=_("Suggérer un confrère (facultatif)"),
        required=False,
        max_length=150,
        help_text=_("Une spécialité ou un nom, puis choisissez dans la liste."),
    )
    # The public id of the suggested practitioner, picked from the search results.
    suggested_practitioner = forms.UUIDField(required=False, error_messages={"invalid": _("Confrère introuvable.")})

    # The directory entry the view found for ``suggested_practitioner`` (None: no suggestion).
    suggested = None

    def input_suggested_practitioner(self):
        return self.suggested


class AnswerForm(ServiceErrorsMixin, forms.Form):
    answer = _text(_("Votre réponse"), required=True, rows=6, required_message=_("Écrivez votre réponse."))


class CloseForm(ServiceErrorsMixin, forms.Form):
    report = _text(
        _("Compte-rendu"),
        rows=5,
        help_text=_("Le retour au médecin adresseur ; il reste lisible sur la demande."),
    )
    note = _text(_("Note pour l'historique (facultatif)"), rows=2, max_length=2000)


class CancelForm(ServiceErrorsMixin, forms.Form):
    note = _text(_("Pourquoi (facultatif)"), rows=2, max_length=2000)


# --- Working a request: documents, forward, convert, sent outside the portal -------------------------------------


class AttachmentForm(ServiceErrorsMixin, forms.Form):
    file = forms.FileField(
        label=_("Document"),
        help_text=_("PDF, JPEG ou PNG, 10 Mo au plus."),
        allow_empty_file=True,  # the service says "Le fichier est vide." like the API
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}),
    )
    purpose = forms.ChoiceField(label=_("Nature"), choices=())

    def __init__(self, *args, purposes: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(ReferralAttachment.Purpose.choices)
        self.fields["purpose"].choices = [(value, labels[value]) for value in purposes]


class ForwardForm(ServiceErrorsMixin, forms.Form):
    practitioner = forms.ModelChoiceField(
        label=_("Confrère du cabinet"), queryset=None, to_field_name="public_id", empty_label=None
    )
    note = forms.CharField(
        label=_("Message pour le confrère"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    SERVICE_FIELDS = {"to_practitioner": "practitioner"}

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = candidates

    def input_to_practitioner(self):
        return self.cleaned_data["practitioner"]


class ConvertForm(ServiceErrorsMixin, forms.Form):
    note = forms.CharField(
        label=_("Pourquoi ce changement ?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class SentOutsideForm(ServiceErrorsMixin, forms.Form):
    via = forms.ChoiceField(label=_("Envoyée par"), choices=SentOutsideVia.choices)
    detail = forms.CharField(
        label=_("Adresse, numéro ou lien utilisé"),
        max_length=255,
        help_text=_("Par exemple l'adresse MSSanté ou le numéro de fax."),
    )


class OutsideStatusForm(ServiceErrorsMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("Réponse du destinataire"),
        choices=[(status, Referral.Status(status).label) for status in OUTSIDE_UPDATES],
    )
    appointment_at = forms.DateTimeField(
        label=_("Date et heure du rendez-vous"),
        help_text=_("Si la demande est acceptée."),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    note = forms.CharField(
        label=_("Remarque"),
        help_text=_("Le motif donné par le destinataire, si la demande est refusée."),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


# --- Tele-expertise billing: tariffs, the closing survey, the dashboard's filters ---------------------------


class TariffForm(forms.Form):
    side = forms.ChoiceField(label=_("Côté"), choices=Tariff.Side.choices)
    code = forms.CharField(label=_("Code de l'acte"), max_length=10, help_text=_("Par exemple TE2 ou RQD."))
    label = forms.CharField(label=_("Libellé"), max_length=200)
    amount = forms.DecimalField(
        label=_("Montant (€)"),
        max_digits=7,
        decimal_places=2,
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    overseas = forms.BooleanField(
        label=_("Tarif outre-mer"),
        required=False,
        help_text=_("Pour les médecins exerçant dans un département ou une collectivité d'outre-mer."),
    )
    valid_from = forms.DateField(label=_("En vigueur à partir du"), widget=forms.DateInput(attrs={"type": "date"}))


_YES_NO = [("oui", _("Oui")), ("non", _("Non"))]


class SurveyForm(forms.Form):
    avoided_visit = forms.TypedChoiceField(
        label=_("Cette télé-expertise a-t-elle évité une consultation en présentiel ?"),
        choices=_YES_NO,
        coerce=lambda value: value == "oui",
        widget=forms.RadioSelect,
    )
    avoided_emergency = forms.TypedChoiceField(
        label=_("A-t-elle évité un passage aux urgences ?"),
        choices=_YES_NO,
        coerce=lambda value: value == "oui",
        widget=forms.RadioSelect,
    )


class DashboardFilterForm(forms.Form):
    territory = forms.ModelChoiceField(label=_("Territoire"), queryset=None, required=False, empty_label=_("Tous"))
    specialty = forms.ModelChoiceField(
        label=_("Spécialité"),
        queryset=Specialty.objects.order_by("label"),
        required=False,
        empty_label=_("Toutes"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["territory"].queryset = dashboard_territories(user)
        # The nomenclature has several codes for one discipline (three for general medicine): each option shows
        # its code, those of one discipline grouped under its name. Validation still goes through the queryset.
        specialty = self.fields["specialty"]
        specialty.choices = [("", specialty.empty_label), *grouped_specialty_choices(specialty.queryset)]


class NoticesForm(forms.Form):
    """How one practice hears of new requests that are not urgent (``referrals.services.notices``)."""

    practice = forms.UUIDField(widget=forms.HiddenInput)
    when = forms.ChoiceField(
        label=_("Prévenir par e-mail des nouvelles demandes non urgentes"),
        choices=NewRequestNotices.When.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choisissez quand être prévenu des nouvelles demandes.")},
    )

"""Input and output of the referrals API: parsing only; the services decide."""

from django.urls import reverse
from django.utils.translation import gettext_lazy
from rest_framework import serializers
from rest_framework.fields import empty

from directory.selectors import api as api_selectors
from referrals import timeline
from referrals.models import Referral, ReferralAttachment, Urgency
from referrals.services.attachments import TYPE_LABELS
from referrals.services.handling import OUTSIDE_UPDATES, SentOutsideVia


class PatientSerializer(serializers.Serializer):
    family_name = serializers.CharField(max_length=150)
    used_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    given_names = serializers.CharField(max_length=200)
    birth_date = serializers.DateField(help_text="From 1900-01-01 to today.")
    sex = serializers.ChoiceField(choices=Referral.Sex.choices)
    ins = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    phone = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        default="",
        help_text="A French mobile or landline (06 12 34 56 78 or +33612345678), stored as +33…; else a 400.",
    )
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    contact_consent = serializers.BooleanField(required=False, default=False)


class ReferralCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Referral.Kind.choices)
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.ROUTINE)
    recipient_practitioner = serializers.UUIDField(required=False, allow_null=True, default=None)
    recipient_practice = serializers.UUIDField(required=False, allow_null=True, default=None)
    pathway = serializers.UUIDField(required=False, allow_null=True, default=None)
    patient = PatientSerializer()
    reason = serializers.CharField(max_length=300)
    question = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)
    history = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)
    treatments = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)
    allergies = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)
    no_known_allergies = serializers.BooleanField(
        required=False,
        default=False,
        help_text="The GP states the patient has no known allergy; refused (400) together with `allergies`.",
    )
    confirm_duplicate = serializers.BooleanField(
        required=False,
        default=False,
        help_text=(
            "A request for the same patient (birth name, first names, birth date) to the same recipient in the last "
            "30 days, by anyone of the sender's territory, is refused with a 400 whose `code` is `duplicate` and "
            "`field` `confirm_duplicate`, its `detail` giving the earlier request's date and status: send again "
            "with this true to send anyway."
        ),
    )


_NOT_FILLED_IN = "Empty when the GP did not fill it in (not filled in, never 'none')."


class ReferralSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    kind = serializers.CharField()
    status = serializers.CharField()
    urgency = serializers.CharField()
    sender = serializers.CharField()
    recipient = serializers.SerializerMethodField()
    patient = serializers.SerializerMethodField()
    reason = serializers.CharField()
    question = serializers.CharField(help_text=_NOT_FILLED_IN)
    history = serializers.CharField(help_text=_NOT_FILLED_IN)
    treatments = serializers.CharField(help_text=_NOT_FILLED_IN)
    allergies = serializers.CharField(
        help_text="Empty when the GP did not fill it in: see `no_known_allergies` for a stated absence."
    )
    no_known_allergies = serializers.BooleanField(
        help_text="True only when the GP ticked 'no known allergy'; false with empty `allergies` means unknown."
    )
    sent_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    appointment_at = serializers.DateTimeField()
    appointment_site = serializers.CharField(allow_null=True)
    decline_reason = serializers.CharField()
    answer = serializers.CharField()
    closing_report = serializers.CharField()
    sent_outside_via = serializers.CharField(help_text="Vide si la demande suit son cours dans le portail.")
    sent_outside_detail = serializers.CharField()

    def get_recipient(self, referral) -> str:
        return str(referral.recipient_practitioner or referral.recipient_practice or referral.pathway)

    def get_patient(self, referral) -> dict:
        return {
            "family_name": referral.patient_family_name,
            "given_names": referral.patient_given_names,
            "birth_date": referral.patient_birth_date,
            "sex": referral.patient_sex,
        }


# --- One request body per action ----------------------------------------------------------------------------------
# Each action of ``referrals.permissions.REFERRAL_ACTIONS`` has its serializer here, named after it
# (``accept`` -> ``AcceptActionSerializer``, see ``action_input_serializer``); its validated data are the keyword
# inputs of the action's service (``source`` maps an API field to the service's name where they differ), and its
# docstring is the operation's description in the schema.


class PublicIdField(serializers.UUIDField):
    """A directory entry or practice named by its public id, found through the directory's selector; an unknown id
    is a French 400 on this field."""

    def __init__(self, *, finder, not_found, **kwargs):
        self.finder = finder
        self.not_found = not_found
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        found = self.finder(super().to_internal_value(data))
        if found is None:
            raise serializers.ValidationError(self.not_found)
        return found


class _LeftToTheService:
    """A required input (so the schema says) whose absence reaches the service as an empty value: the service's
    refusal says in French what to give, the same message as on the page."""

    missing_value = None

    def validate_empty_values(self, data):
        if data is empty:
            return True, self.missing_value
        return super().validate_empty_values(data)


class RequiredText(_LeftToTheService, serializers.CharField):
    missing_value = ""

    def __init__(self, *, max_length: int = 20000, **kwargs):
        # A blank one is the service's to refuse, too.
        super().__init__(allow_blank=True, max_length=max_length, **kwargs)


class RequiredChoice(_LeftToTheService, serializers.ChoiceField):
    pass


class RequiredPublicId(_LeftToTheService, PublicIdField):
    pass


def _text(*, max_length: int = 20000, **kwargs) -> serializers.CharField:
    return serializers.CharField(required=False, allow_blank=True, default="", max_length=max_length, **kwargs)


class AcknowledgeActionSerializer(serializers.Serializer):
    """The recipient's side says it has the request in hand (status `sent` -> `acknowledged`). No body."""


class RequestInfoActionSerializer(serializers.Serializer):
    """The recipient's side asks the sender for more before deciding: the question is posted in the thread and
    the request waits for the sender (`needs_info`)."""

    message = RequiredText(help_text="What is missing to decide.")


class ProvideInfoActionSerializer(serializers.Serializer):
    """The sender answers the question asked: the answer is posted in the thread and the request goes back to the
    recipient's side (`needs_info` -> `acknowledged`)."""

    message = RequiredText(help_text="The sender's answer.")


class AcceptActionSerializer(serializers.Serializer):
    """The recipient's side gives an appointment (letters only): the request becomes `accepted`, the sender and,
    if they agreed to be contacted, the patient are told the date, time and place (never clinical content).
    Without `site`, the recipient's only site is used; a recipient who receives at several sites must name one."""

    appointment_at = serializers.DateTimeField(
        help_text="The appointment, in the future and within 18 months (ISO 8601 with offset)."
    )
    site = PublicIdField(
        finder=api_selectors.practice_by_public_id,
        not_found=gettext_lazy("Lieu introuvable : choisissez un lieu où le destinataire reçoit."),
        required=False,
        allow_null=True,
        default=None,
        help_text="Public id of the practice where the recipient receives; optional when they have only one.",
    )
    instructions = _text(
        max_length=5000, help_text="For the sender to pass on (documents to bring…); never sent to the patient."
    )
    confirm_unusual_hour = serializers.BooleanField(
        required=False,
        default=False,
        help_text=(
            "An appointment before 07:00 or after 21:00 (Europe/Paris) is refused (400, `field` "
            "`confirm_unusual_hour`) unless this is true. One more than 18 months ahead is always refused."
        ),
    )


class DeclineActionSerializer(serializers.Serializer):
    """The recipient's side declines, says why, and may suggest a colleague from the directory (`declined`)."""

    reason = RequiredText(help_text="Why the request is declined (shown to the sender).")
    suggested_practitioner = PublicIdField(
        finder=api_selectors.practitioner_by_public_id,
        not_found=gettext_lazy("Confrère introuvable : cherchez-le de nouveau."),
        required=False,
        allow_null=True,
        default=None,
        help_text="Public id of a directory entry to suggest instead.",
    )


class AnswerActionSerializer(serializers.Serializer):
    """The expert answers a tele-expertise question in writing (`answered`); both sides' billing records are
    written with it."""

    answer = RequiredText(help_text="The written answer.")


class CloseActionSerializer(serializers.Serializer):
    """The recipient's side closes a request it accepted, answered or declined (`closed`), with its report."""

    note = _text(help_text="A note for the timeline.")
    report = _text(
        max_length=50000, help_text="The report (compte-rendu) kept on the request; empty keeps the previous one."
    )


class CancelActionSerializer(serializers.Serializer):
    """The sender withdraws a request nobody has answered yet (`cancelled`)."""

    note = _text(help_text="Why, for the timeline.")


class ForwardActionSerializer(serializers.Serializer):
    """The recipient's side hands the request to a colleague working at one of the recipient's practices: the
    colleague becomes its one recipient and the request is `sent` again, its target date unchanged."""

    practitioner = RequiredPublicId(
        finder=api_selectors.practitioner_by_public_id,
        source="to_practitioner",
        not_found=gettext_lazy("Confrère introuvable : choisissez-le parmi ceux du cabinet."),
        help_text="Public id of the colleague's directory entry.",
    )
    note = _text(help_text="A note for the timeline.")


class ConvertActionSerializer(serializers.Serializer):
    """The recipient's side turns a letter into a tele-expertise (when its recipient answers those) or a
    tele-expertise into a letter, before answering; the request becomes `acknowledged`."""

    note = RequiredText(help_text="Why the kind changes (shown on the timeline).")


class SentOutsideActionSerializer(serializers.Serializer):
    """The sender records how they sent the request to a recipient who does not use the portal, and the address,
    number or link used; from then on they keep its status up to date (`outside-status/`)."""

    via = RequiredChoice(choices=SentOutsideVia.choices, help_text="How the request was sent.")
    detail = RequiredText(max_length=255, help_text="The address, number or link used.")


# What the sender may record of a request sent outside the portal (named in the schema by ENUM_NAME_OVERRIDES).
OUTSIDE_STATUS_CHOICES = [(str(status), status.label) for status in OUTSIDE_UPDATES]


class OutsideStatusActionSerializer(serializers.Serializer):
    """The sender of a request sent outside the portal records what the recipient answered: `accepted` (with
    `appointment_at`), `declined` (with the reason in `note`) or `closed`."""

    status = RequiredChoice(choices=OUTSIDE_STATUS_CHOICES, help_text="What the recipient answered.")
    appointment_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="Required with `accepted`: the appointment."
    )
    note = _text(help_text="Required with `declined`: the reason the recipient gave.")


def action_input_serializer(action_name: str) -> type[serializers.Serializer]:
    """The request body of an action of the registry: ``request_info`` -> ``RequestInfoActionSerializer``."""
    return globals()["".join(part.capitalize() for part in action_name.split("_")) + "ActionSerializer"]


class AttachmentSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    name = serializers.CharField(source="original_name")
    content_type = serializers.CharField()
    type_label = serializers.SerializerMethodField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    purpose = serializers.ChoiceField(choices=ReferralAttachment.Purpose.choices)
    uploaded_by = serializers.CharField(source="uploaded_by_label")
    uploaded_at = serializers.DateTimeField()
    download_url = serializers.SerializerMethodField()

    def get_type_label(self, attachment) -> str:
        return TYPE_LABELS.get(attachment.content_type, attachment.content_type)

    def get_download_url(self, attachment) -> str:
        return reverse("api:referral-attachment", args=[attachment.referral.public_id, attachment.public_id])


class AttachmentUploadSerializer(serializers.Serializer):
    # Empty files and every type check are the service's (one French message for the page and the API).
    file = serializers.FileField(allow_empty_file=True)
    purpose = serializers.ChoiceField(
        choices=ReferralAttachment.Purpose.choices, required=False, allow_blank=True, default=""
    )


class MessageSerializer(serializers.Serializer):
    author = serializers.CharField(source="author_label")
    body = serializers.CharField()
    at = serializers.DateTimeField()
    mine = serializers.SerializerMethodField()

    def get_mine(self, message) -> bool:
        request = self.context.get("request")
        return request is not None and message.author_id == request.user.pk


class ReferralEventSerializer(serializers.Serializer):
    """One step of a request's timeline, in the language of the request (``Accept-Language``)."""

    at = serializers.DateTimeField()
    action = serializers.CharField(help_text="What happened: `sent`, `accepted`, `forwarded`, `billed_expert`…")
    label = serializers.SerializerMethodField(help_text="The step's title, as the request page shows it.")
    actor = serializers.SerializerMethodField(help_text="Who took the step (the portal for its own steps).")
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    note = serializers.SerializerMethodField(
        help_text="The step's note as the page shows it: the portal's summary, then what the user typed."
    )
    note_code = serializers.CharField(
        help_text="The portal's summary as a stable code (`billing_act`, `not_billable`, `forwarded`, `converted`, "
        "`sent_outside`, `attachment_added`), empty when there is none."
    )
    note_params = serializers.DictField(
        help_text="The summary's values: amounts in cents (`amount_cents`), days as ISO dates, codes, names."
    )
    typed_note = serializers.CharField(source="note", help_text="What the user typed (a reason, a message), as is.")

    def get_label(self, event) -> str:
        return timeline.event_label(event)

    def get_actor(self, event) -> str:
        return timeline.event_actor(event)

    def get_note(self, event) -> str:
        return timeline.event_note(event)


class MessageCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=20000, allow_blank=True)


class ReferralPageSerializer(serializers.Serializer):
    """One page of 25 requests (``?page=``), overdue and soonest due first."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ReferralSerializer(many=True)

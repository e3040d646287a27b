"""Input and output of the referrals API: parsing only; the services decide."""

from django.urls import reverse
from rest_framework import serializers

from referrals.models import Referral, ReferralAttachment, Urgency
from referrals.services.attachments import TYPE_LABELS
from referrals.services.handling import OUTSIDE_UPDATES, SentOutsideVia


class PatientSerializer(serializers.Serializer):
    family_name = serializers.CharField(max_length=150)
    used_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    given_names = serializers.CharField(max_length=200)
    birth_date = serializers.DateField()
    sex = serializers.ChoiceField(choices=Referral.Sex.choices)
    ins = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
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


class ReferralSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    kind = serializers.CharField()
    status = serializers.CharField()
    urgency = serializers.CharField()
    sender = serializers.CharField()
    recipient = serializers.SerializerMethodField()
    patient = serializers.SerializerMethodField()
    reason = serializers.CharField()
    question = serializers.CharField()
    history = serializers.CharField()
    treatments = serializers.CharField()
    allergies = serializers.CharField()
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


class ActionSerializer(serializers.Serializer):
    message = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)
    answer = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)
    report = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=50000, help_text="Compte-rendu (close/)."
    )
    appointment_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    site = serializers.UUIDField(required=False, allow_null=True, default=None)
    instructions = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    suggested_practitioner = serializers.UUIDField(required=False, allow_null=True, default=None)
    # forward/
    practitioner = serializers.UUIDField(required=False, allow_null=True, default=None)
    # sent-outside/ (``via`` is checked by the service, whose message is French)
    via = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=" / ".join(SentOutsideVia.values), max_length=20
    )
    detail = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)
    # outside-status/
    status = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=" / ".join(str(status) for status in OUTSIDE_UPDATES),
        max_length=20,
    )


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


class MessageCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=20000, allow_blank=True)


class ReferralPageSerializer(serializers.Serializer):
    """One page of 25 requests (``?page=``), overdue and soonest due first."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ReferralSerializer(many=True)

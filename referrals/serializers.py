"""Input and output of the referrals API: parsing only; the services decide."""

from rest_framework import serializers

from referrals.models import Referral, Urgency


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
    appointment_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    site = serializers.UUIDField(required=False, allow_null=True, default=None)
    instructions = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    suggested_practitioner = serializers.UUIDField(required=False, allow_null=True, default=None)

"""Input and output of the SNP API: parsing only; the services decide."""

from rest_framework import serializers

from snp.models import Booking, BookingAudience, ReasonCategory, RegulatedCall, Sex, Slot, SlotKind


class SlotCreateSerializer(serializers.Serializer):
    start = serializers.DateTimeField(help_text="ISO 8601 with its offset; in the future.")
    duration_minutes = serializers.IntegerField(min_value=1, max_value=1440, help_text="From 5 to 240.")
    site = serializers.UUIDField(
        required=False, allow_null=True, default=None, help_text="Left out when the professional has one site."
    )
    practitioner = serializers.UUIDField(
        required=False, allow_null=True, default=None, help_text="For a secretary: whose slot it is."
    )
    kind = serializers.ChoiceField(choices=SlotKind.choices, default=SlotKind.IN_PRACTICE)
    audiences = serializers.ListField(
        child=serializers.ChoiceField(choices=BookingAudience.choices), min_length=1, max_length=8
    )


class SlotSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    status = serializers.ChoiceField(choices=Slot.Status.choices)
    start = serializers.DateTimeField(source="starts_at")
    end = serializers.DateTimeField(source="ends_at")
    duration_minutes = serializers.SerializerMethodField()
    kind = serializers.ChoiceField(choices=SlotKind.choices)
    audiences = serializers.ListField(child=serializers.CharField())
    practitioner = serializers.SerializerMethodField()
    site = serializers.SerializerMethodField()

    def get_duration_minutes(self, slot) -> int:
        return int((slot.ends_at - slot.starts_at).total_seconds() // 60)

    def get_practitioner(self, slot) -> dict:
        entry = slot.practitioner
        return {"id": str(entry.public_id), "name": f"{entry.first_name} {entry.last_name}"}

    def get_site(self, slot) -> dict:
        site = slot.site
        return {
            "id": str(site.public_id),
            "name": site.name,
            "address": site.address,
            "postal_code": site.postal_code,
            "city": site.city,
            "commune": site.commune_id,
        }


class SlotPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = SlotSerializer(many=True)


class BookingPatientSerializer(serializers.Serializer):
    family_name = serializers.CharField(max_length=150)
    given_names = serializers.CharField(max_length=150)
    birth_date = serializers.DateField(help_text="From 1900-01-01 to today.")
    sex = serializers.ChoiceField(choices=Sex.choices)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    commune = serializers.CharField(max_length=5, help_text="INSEE code of the patient's commune.")
    has_gp = serializers.BooleanField()
    gp_practitioner = serializers.UUIDField(
        required=False, allow_null=True, default=None, help_text="Their GP's directory entry, when known."
    )


class BookingCreateSerializer(serializers.Serializer):
    slot = serializers.UUIDField()
    patient = BookingPatientSerializer()
    reason_category = serializers.ChoiceField(choices=ReasonCategory.choices)
    contact_consent = serializers.BooleanField(help_text="The patient agrees to an SMS and an e-mail.")


class BookingSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    status = serializers.ChoiceField(choices=Booking.Status.choices)
    slot = SlotSerializer()
    audience = serializers.ChoiceField(choices=BookingAudience.choices)
    patient = serializers.SerializerMethodField()
    reason_category = serializers.ChoiceField(choices=ReasonCategory.choices)
    contact_consent = serializers.BooleanField()
    cancelled_by = serializers.CharField()
    cancel_reason = serializers.CharField()
    note_for_gp = serializers.CharField()
    recall = serializers.CharField()
    created_at = serializers.DateTimeField()

    def get_patient(self, booking) -> dict:
        gp = booking.gp_practitioner
        return {
            "family_name": booking.patient_family_name,
            "given_names": booking.patient_given_names,
            "birth_date": booking.patient_birth_date.isoformat(),
            "sex": booking.patient_sex,
            "phone": booking.patient_phone,
            "email": booking.patient_email,
            "commune": booking.patient_commune_id,
            "has_gp": booking.has_gp,
            "gp_practitioner": str(gp.public_id) if gp else None,
        }


class BookingPageSerializer(SlotPageSerializer):
    results = BookingSerializer(many=True)


class BookingOutcomeSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=[Booking.Status.HONOURED, Booking.Status.NO_SHOW])
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)


class BookingCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class CallCreateSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=[c for c in RegulatedCall.Outcome.choices if c[0] != "booked"])
    commune = serializers.CharField(max_length=5, required=False, allow_blank=True, default="")
    reason_category = serializers.ChoiceField(
        choices=ReasonCategory.choices, required=False, allow_blank=True, default=""
    )
    received_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class CallSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    outcome = serializers.ChoiceField(choices=RegulatedCall.Outcome.choices)
    audience = serializers.ChoiceField(choices=BookingAudience.choices)
    commune = serializers.CharField(source="commune_id", allow_null=True)
    reason_category = serializers.CharField()
    received_at = serializers.DateTimeField()


class MonthFiguresSerializer(serializers.Serializer):
    month = serializers.DateField()
    slots_offered = serializers.IntegerField()
    slots_booked = serializers.IntegerField()
    slots_unfilled = serializers.IntegerField()
    honoured = serializers.IntegerField()
    no_show = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    calls = serializers.IntegerField()
    calls_by_outcome = serializers.DictField(child=serializers.IntegerField())

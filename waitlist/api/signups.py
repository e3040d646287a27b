"""The public sign-up through the API (no account): ``POST /api/v1/waitlist/signups/`` saves the household and
sends the code, ``POST /api/v1/waitlist/signups/{id}/verify/`` takes it. Throttled per client address with the
page's budget (``SignupThrottle``); the same services as the page, and the same answers whoever else is on the
list."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ErrorSerializer, validated_input
from core.errors import ApplicationError
from waitlist.models import MAX_HOUSEHOLD_SIZE, MAX_TRAVEL_KM, Entry, Sex, SignupSource, Situation
from waitlist.services import signup as services
from waitlist.signup_protection import SignupThrottle

_FACTS = ("ald", "pregnancy", "disability", "precarity", "treatment_renewal")


class _PersonSerializer(serializers.Serializer):
    family_name = serializers.CharField(max_length=150)
    given_names = serializers.CharField(max_length=150)
    birth_date = serializers.DateField(help_text="From 1900-01-01 to today; the age comes from it.")
    sex = serializers.ChoiceField(choices=Sex.choices)
    ald = serializers.BooleanField(default=False, help_text="A recognised long-term condition (yes/no, no diagnosis).")
    pregnancy = serializers.BooleanField(default=False)
    disability = serializers.BooleanField(default=False)
    precarity = serializers.BooleanField(default=False, help_text="Complémentaire santé solidaire (CSS) or AME.")
    treatment_renewal = serializers.BooleanField(default=False, help_text="A regular treatment to renew.")


class SignupMemberSerializer(_PersonSerializer):
    """Another person of the household, with their own facts."""


class SignupCreateSerializer(_PersonSerializer):
    commune = serializers.CharField(max_length=5, help_text="INSEE code of the commune where the household lives.")
    phone = serializers.CharField(
        max_length=30, required=False, allow_blank=True, default="", help_text="French number; a mobile gets the code."
    )
    email = serializers.CharField(
        max_length=254, required=False, allow_blank=True, default="", help_text="Gets the code when there is no mobile."
    )
    situation = serializers.ChoiceField(choices=Situation.choices)
    max_distance_km = serializers.IntegerField(help_text=f"How far they can travel: 1 to {MAX_TRAVEL_KM} km.")
    consent = serializers.BooleanField(help_text="Must be true: the consent to the processing of health data.")
    source = serializers.ChoiceField(
        choices=[(value, label) for value, label in SignupSource.choices if value in services.PUBLIC_SOURCES],
        default=SignupSource.SELF,
        help_text="Who signs up: the person, a relative, a professional on their behalf.",
    )
    household = SignupMemberSerializer(
        many=True,
        required=False,
        default=list,
        help_text=f"The other members of the household (at most {MAX_HOUSEHOLD_SIZE - 1}), proposed together.",
    )

    def validate_household(self, value):
        if len(value) + 1 > MAX_HOUSEHOLD_SIZE:
            raise serializers.ValidationError(
                _("Un foyer compte au plus %(max)s personnes : faites une autre inscription pour les suivantes.")
                % {"max": MAX_HOUSEHOLD_SIZE}
            )
        return value


class SignupSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", help_text="The sign-up's id, for the code step.")
    status = serializers.ChoiceField(choices=Entry.Status.choices)


class SignupVerifySerializer(serializers.Serializer):
    code = serializers.CharField(max_length=12, help_text="The 6 digits received by SMS or e-mail.")


class SignupVerifiedSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Entry.Status.choices)


def _person(data: dict) -> services.PersonDetails:
    return services.PersonDetails(
        family_name=data["family_name"],
        given_names=data["given_names"],
        birth_date=data["birth_date"],
        sex=data["sex"],
        **{fact: data[fact] for fact in _FACTS},
    )


def _first_error(errors, path: str = "") -> tuple[str, str]:
    """The first message of a serializer's errors and where it is: ``household[1].birth_date`` for a member."""
    if isinstance(errors, dict):
        for name, nested in errors.items():
            if nested:
                where = path if name == "non_field_errors" else (f"{path}.{name}" if path else name)
                return _first_error(nested, where)
    if isinstance(errors, list):
        for index, nested in enumerate(errors):
            if isinstance(nested, dict | list):
                if nested:
                    return _first_error(nested, f"{path}[{index}]")
            else:
                return str(nested), path
    return str(errors), path


def _signup_input(data) -> dict:
    serializer = SignupCreateSerializer(data=data)
    if not serializer.is_valid():
        message, field = _first_error(serializer.errors)
        raise ApplicationError(message, field=field or None)
    return serializer.validated_data


_REFUSALS = {
    400: OpenApiResponse(ErrorSerializer, description="Bad input: a French `detail`, the input at fault in `field`."),
    429: OpenApiResponse(ErrorSerializer, description="Too many sign-ups from this address: `Retry-After`."),
}


class SignupCreateView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [SignupThrottle]

    @extend_schema(
        operation_id="v1_waitlist_signups_create",
        summary="S'inscrire sur la liste d'attente (sans compte)",
        description="Saves the household as an unverified sign-up and sends a 6-digit code to the mobile (SMS), "
        "else to the e-mail address. Then `POST …/signups/{id}/verify/` with the code.",
        request=SignupCreateSerializer,
        responses={201: SignupSerializer, **_REFUSALS},
        auth=[],
    )
    def post(self, request):
        data = _signup_input(request.data)
        entry = services.entry_signup(
            details=services.SignupDetails(
                person=_person(data),
                commune=data["commune"],
                situation=data["situation"],
                max_distance_km=data["max_distance_km"],
                consent=data["consent"],
                phone=data["phone"],
                email=data["email"],
                source=data["source"],
                household=[_person(member) for member in data["household"]],
            ),
            acting_user=request.user,
        )
        return Response(SignupSerializer(entry).data, status=201)


class SignupVerifyView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [SignupThrottle]

    @extend_schema(
        operation_id="v1_waitlist_signups_verify",
        summary="Confirmer une inscription avec le code reçu",
        description="Five tries per code; a code lives 10 minutes. The sign-up then waits in the queue and its "
        "contact receives the personal link to follow, update or withdraw it.",
        request=SignupVerifySerializer,
        responses={
            200: SignupVerifiedSerializer,
            404: OpenApiResponse(ErrorSerializer, description="No sign-up waits for a code under this id."),
            **_REFUSALS,
        },
        auth=[],
    )
    def post(self, request, public_id):
        data = validated_input(SignupVerifySerializer, request.data)
        entry = services.entry_verify(entry=services.entry_for_code(public_id), code=data["code"])
        return Response(SignupVerifiedSerializer(entry).data, status=200)

"""``POST /api/v1/newsletter/subscriptions/``: anonymous, throttled per client address with the page's budget
(``SubscribeThrottle``); the same service and the same answer whether the address was subscribed or not."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ErrorSerializer, validated_input
from newsletter import protection
from newsletter.models import Edition
from newsletter.services import subscriptions as services


class SubscriptionCreateSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254, help_text="The address to subscribe (stored lower-case).")
    editions = serializers.ListField(
        child=serializers.ChoiceField(choices=Edition.choices),
        help_text='The editions: ["public"] for the public; "professional" only for a signed-in professional.',
    )
    territory = serializers.SlugField(required=False, help_text="The territory's slug; the portal's CPTS if absent.")


class SubscriptionSerializer(serializers.Serializer):
    email = serializers.CharField()
    editions = serializers.ListField(child=serializers.ChoiceField(choices=Edition.choices))
    status = serializers.CharField(help_text='Always "confirmation_sent": check the mailbox and press the button.')


class SubscriptionCreateView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [protection.SubscribeThrottle]

    @extend_schema(
        operation_id="v1_newsletter_subscriptions_create",
        summary="S'abonner à la lettre de la CPTS (double opt-in)",
        description="Sends a confirmation e-mail whose link opens a page with a button: only that button "
        "confirms. The answer is the same whether the address was already subscribed or not.",
        request=SubscriptionCreateSerializer,
        responses={
            201: SubscriptionSerializer,
            400: OpenApiResponse(ErrorSerializer, description="Bad input: a French `detail`, the field in `field`."),
            404: OpenApiResponse(ErrorSerializer, description="No territory with this slug."),
            429: OpenApiResponse(ErrorSerializer, description="Too many subscriptions from this address."),
        },
        auth=[],
    )
    def post(self, request):
        data = validated_input(SubscriptionCreateSerializer, request.data)
        territory = services.territory_for_slug(data.get("territory"))
        subscriber = services.subscription_request(
            territory=territory,
            email=data["email"],
            editions=data["editions"],
            acting_user=request.user,
            send_mail=protection.address_allowed(data["email"]),
        )
        body = {
            "email": subscriber.email,
            "editions": sorted(set(data["editions"])),
            "status": "confirmation_sent",
        }
        return Response(SubscriptionSerializer(body).data, status=201)

"""The referrals API: the same services and selectors as the pages. Whoever may not see a request gets 404."""

import inspect

from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import BoundedFormParser, ErrorSerializer, validated_input
from core.errors import ApplicationError
from directory.models import Practice, Practitioner
from directory.selectors import api as api_selectors
from referrals import services
from referrals.letters import referral_letter_pdf
from referrals.models import Pathway, Referral
from referrals.permissions import REFERRAL_ACTIONS, ReferralAction
from referrals.rules import action_refusal
from referrals.scope import actor_for
from referrals.selectors import (
    attachment_for_user,
    attachments_of,
    overdue_first,
    pathway_by_public_id,
    referral_for_user,
    referral_list_reads_record,
    referrals_visible_to,
)
from referrals.serializers import (
    AttachmentSerializer,
    AttachmentUploadSerializer,
    MessageCreateSerializer,
    MessageSerializer,
    ReferralCreateSerializer,
    ReferralEventSerializer,
    ReferralPageSerializer,
    ReferralSerializer,
    action_input_serializer,
)
from referrals.services import handling
from referrals.services.attachments import JPEG, PDF, PNG, attachment_add
from referrals.views.handling import attachment_response

_FINDERS = {
    Practitioner: api_selectors.practitioner_by_public_id,
    Practice: api_selectors.practice_by_public_id,
    Pathway: pathway_by_public_id,
}


def _by_public_id(model, public_id, field: str):
    """The directory entry, practice or pathway an input names, through its app's selector; a French 400 when
    it names nothing."""
    if public_id is None:
        return None
    found = _FINDERS[model](public_id)
    if found is None:
        raise ApplicationError(_("Destinataire introuvable."), field=field)
    return found


class ReferralListView(APIView):
    @extend_schema(
        operation_id="v1_referrals_list",
        summary="Mes demandes (envoyées et reçues)",
        parameters=[
            OpenApiParameter("status", str, enum=Referral.Status.values, required=False),
            OpenApiParameter("page", int, required=False, description="Page de 25 demandes, à partir de 1."),
        ],
        responses={200: ReferralPageSerializer},
    )
    def get(self, request):
        referrals = overdue_first(referrals_visible_to(request.user), timezone.now())
        status = request.query_params.get("status", "")
        if status:
            if status not in Referral.Status.values:
                raise ApplicationError(_("Statut inconnu : « %(status)s ».") % {"status": status}, field="status")
            referrals = referrals.filter(status=status)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(referrals, request, view=self)
        # Each row names a patient: one access-log row per request returned, as on the pages.
        referral_list_reads_record(request.user, page, request=request)
        return paginator.get_paginated_response(ReferralSerializer(page, many=True).data)

    @extend_schema(
        operation_id="v1_referrals_create",
        summary="Envoyer une demande",
        request=ReferralCreateSerializer,
        responses={201: ReferralSerializer},
    )
    def post(self, request):
        data = validated_input(ReferralCreateSerializer, request.data)
        patient = data.pop("patient")
        referral = services.referral_send(
            acting_user=request.user,
            kind=data["kind"],
            urgency=data["urgency"],
            recipient_practitioner=_by_public_id(
                Practitioner, data["recipient_practitioner"], "recipient_practitioner"
            ),
            recipient_practice=_by_public_id(Practice, data["recipient_practice"], "recipient_practice"),
            pathway=_by_public_id(Pathway, data["pathway"], "pathway"),
            **{f"patient_{name}": value for name, value in patient.items() if name != "contact_consent"},
            contact_consent=patient["contact_consent"],
            **{name: data[name] for name in services.CLINICAL_FIELDS},
            confirm_duplicate=data["confirm_duplicate"],
        )
        return Response(ReferralSerializer(referral).data, status=201)


class ReferralDetailView(APIView):
    @extend_schema(operation_id="v1_referrals_retrieve", summary="Une demande", responses={200: ReferralSerializer})
    def get(self, request, public_id):
        return Response(ReferralSerializer(referral_for_user(request.user, public_id, request=request)).data)


# --- One operation per action ---------------------------------------------------------------------------------

_ACTION_ERRORS = {
    400: OpenApiResponse(
        ErrorSerializer,
        description="Bad input, or not possible on this request now (its status or kind): a French `detail`, "
        "the input at fault in `field`.",
    ),
    401: OpenApiResponse(ErrorSerializer, description="Not signed in."),
    403: OpenApiResponse(
        ErrorSerializer, description="The caller sees the request, but this action belongs to its other side."
    ),
    404: OpenApiResponse(ErrorSerializer, description="No such request for the caller: they may not see it."),
}


def _action_view(action: ReferralAction) -> type[APIView]:
    """The view of one action of the registry: its own body, parsed by its own serializer, then its service."""
    input_serializer = action_input_serializer(action.name)
    description = inspect.getdoc(input_serializer)

    @extend_schema(
        operation_id=f"v1_referrals_{action.name}",
        summary=action.label,
        description=description,
        request=input_serializer,
        responses={200: OpenApiResponse(ReferralSerializer, description="The request once done."), **_ACTION_ERRORS},
    )
    def post(self, request, public_id):
        actor = actor_for(request.user)
        referral = referral_for_user(actor, public_id, write=True, request=request)
        # The rule the page's buttons follow, before the body is read: 403 for the other side's action, 400 with
        # the reason when the request's status or kind does not allow it now. The service checks it again.
        refusal = action_refusal(action.name, actor, referral)
        if refusal is not None:
            raise refusal
        inputs = validated_input(input_serializer, request.data)
        referral = action.perform(acting_user=request.user, referral=referral, **inputs)
        return Response(ReferralSerializer(referral).data)

    camel = "".join(part.capitalize() for part in action.name.split("_"))
    return type(f"Referral{camel}View", (APIView,), {"post": post, "__doc__": description})


# One view per action of the registry, routed at ``referrals/<id>/<name with dashes>/`` by ``api_urls``.
ACTION_VIEWS: dict[str, type[APIView]] = {name: _action_view(action) for name, action in REFERRAL_ACTIONS.items()}


class ReferralLetterView(APIView):
    @extend_schema(
        operation_id="v1_referrals_letter", summary="Le courrier en PDF", responses={(200, "application/pdf"): bytes}
    )
    def get(self, request, public_id):
        referral = referral_for_user(request.user, public_id, request=request)
        response = HttpResponse(referral_letter_pdf(referral), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="courrier-{referral.public_id}.pdf"'
        return response


class ReferralAttachmentListView(APIView):
    parser_classes = [MultiPartParser, BoundedFormParser]

    @extend_schema(
        operation_id="v1_referrals_attachments_list",
        summary="Les pièces jointes d'une demande",
        responses={200: AttachmentSerializer(many=True)},
    )
    def get(self, request, public_id):
        referral = referral_for_user(request.user, public_id, request=request)
        return Response(AttachmentSerializer(attachments_of(referral), many=True).data)

    @extend_schema(
        operation_id="v1_referrals_attachments_create",
        summary="Joindre un document (PDF, JPEG ou PNG, 10 Mo au plus)",
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: AttachmentSerializer},
    )
    def post(self, request, public_id):
        referral = referral_for_user(request.user, public_id, request=request)
        data = validated_input(AttachmentUploadSerializer, request.data)
        attachment = attachment_add(
            acting_user=request.user, referral=referral, uploaded_file=data["file"], purpose=data["purpose"]
        )
        return Response(AttachmentSerializer(attachment).data, status=201)


class ReferralAttachmentDownloadView(APIView):
    @extend_schema(
        operation_id="v1_referrals_attachments_retrieve",
        summary="Télécharger une pièce jointe",
        responses={(200, PDF): OpenApiTypes.BINARY, (200, JPEG): OpenApiTypes.BINARY, (200, PNG): OpenApiTypes.BINARY},
    )
    def get(self, request, public_id, attachment_id):
        attachment = attachment_for_user(request.user, public_id, attachment_id, request=request)
        if attachment is None:
            raise Http404
        return attachment_response(attachment)


class ReferralMessageListView(APIView):
    @extend_schema(
        operation_id="v1_referrals_messages_list",
        summary="Le fil de messages d'une demande",
        responses={200: MessageSerializer(many=True)},
    )
    def get(self, request, public_id):
        referral = referral_for_user(request.user, public_id, request=request)
        messages = referral.messages.order_by("at", "id")
        return Response(MessageSerializer(messages, many=True, context={"request": request}).data)

    @extend_schema(
        operation_id="v1_referrals_messages_create",
        summary="Écrire dans le fil d'une demande",
        request=MessageCreateSerializer,
        responses={201: MessageSerializer},
    )
    def post(self, request, public_id):
        referral = referral_for_user(request.user, public_id, request=request)
        data = validated_input(MessageCreateSerializer, request.data)
        message = handling.message_post(acting_user=request.user, referral=referral, body=data["body"])
        return Response(MessageSerializer(message, context={"request": request}).data, status=201)


class ReferralEventListView(APIView):
    @extend_schema(
        operation_id="v1_referrals_events_list",
        summary="L'historique d'une demande",
        responses={200: ReferralEventSerializer(many=True)},
    )
    def get(self, request, public_id):
        referral = referral_for_user(request.user, public_id, request=request)
        return Response(ReferralEventSerializer(referral.events.order_by("at", "id"), many=True).data)

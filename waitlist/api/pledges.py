"""The GP's waiting-list API under /api/v1/waitlist/: pledges, their draw, the proposals and their answers. The
same services and selectors as the pages (``waitlist.views.gp``): another GP's pledge or proposal is 404, bad
input a French 400 on its field, a proposal already answered a 409. Only a GP of a territory that keeps a list
(``can_pledge``) reaches it; anyone else gets 403."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsAuthenticatedWithRequiredMfa
from core.api import ErrorSerializer, validated_input
from waitlist.models import MAX_PLEDGE_CAPACITY, MAX_RADIUS_KM, Pledge, Proposal
from waitlist.permissions import can_pledge
from waitlist.priority import CRITERIA
from waitlist.scope import waitlist_actor_for
from waitlist.selectors import pledges as selectors
from waitlist.services import pledges as services

_ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Bad input: a French `detail`, the input at fault in `field`."),
    403: OpenApiResponse(ErrorSerializer, description="The caller is not a GP of a territory keeping a list."),
    404: OpenApiResponse(ErrorSerializer, description="No pledge or proposal of the caller has this id."),
}
_CONFLICT = {409: OpenApiResponse(ErrorSerializer, description="The proposal already has its answer.")}


class IsGpWithList(BasePermission):
    message = _("Réservé aux médecins généralistes d'un territoire qui tient une liste d'attente.")

    def has_permission(self, request, view) -> bool:
        return can_pledge(request.user)


class _GpView(APIView):
    permission_classes = [IsAuthenticatedWithRequiredMfa, IsGpWithList]


# --- Serializers ------------------------------------------------------------------------------------------------


class PledgeCreateSerializer(serializers.Serializer):
    capacity = serializers.IntegerField(help_text=f"New patients (persons): 1 to {MAX_PLEDGE_CAPACITY}.")
    radius_km = serializers.IntegerField(help_text=f"Around the GP's practice: 1 to {MAX_RADIUS_KM} km.")
    until = serializers.DateField(help_text="Last day; at most 24 months ahead.")
    starts_on = serializers.DateField(required=False, allow_null=True, default=None, help_text="Today by default.")
    families_welcome = serializers.BooleanField(default=True, help_text="Households of several are proposed whole.")
    discreet = serializers.BooleanField(default=False, help_text="Never shown to other professionals nor publicly.")


class PledgeSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    status = serializers.ChoiceField(choices=Pledge.Status.choices)
    capacity = serializers.IntegerField()
    radius_km = serializers.IntegerField()
    starts_on = serializers.DateField()
    until = serializers.DateField()
    families_welcome = serializers.BooleanField()
    discreet = serializers.BooleanField()
    persons_taken = serializers.IntegerField(help_text="Persons in accepted and pending proposals.")
    remaining = serializers.IntegerField(help_text="Capacity left for the next draws.")
    pending_count = serializers.IntegerField(help_text="Proposals awaiting the GP's answer.")
    created_at = serializers.DateTimeField()


class PledgePageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = PledgeSerializer(many=True)


class ContactSerializer(serializers.Serializer):
    name = serializers.CharField()
    phone = serializers.CharField(allow_blank=True)
    email = serializers.CharField(allow_blank=True)


class ProposalSerializer(serializers.Serializer):
    """What the GP reads to decide; ``patient`` (name and contact) once accepted only."""

    id = serializers.UUIDField(source="proposal.public_id")
    pledge = serializers.UUIDField(source="proposal.pledge.public_id")
    status = serializers.ChoiceField(source="proposal.status", choices=Proposal.Status.choices)
    priority_level = serializers.IntegerField(help_text="0 is the lowest; a higher level is more urgent.")
    priority_label = serializers.CharField()
    priority_reasons = serializers.ListField(
        child=serializers.ChoiceField(choices=list(CRITERIA)), help_text="The criteria met, never a diagnosis."
    )
    priority_reason_labels = serializers.ListField(child=serializers.CharField(), source="reason_labels")
    distance_km = serializers.FloatField(help_text="From the GP's practice to the commune's town hall.")
    waiting_since = serializers.DateTimeField(allow_null=True)
    waiting_days = serializers.IntegerField()
    age = serializers.IntegerField(allow_null=True, help_text="The main member's age.")
    commune = serializers.CharField(source="commune_insee", help_text="INSEE code.")
    commune_name = serializers.CharField(source="commune")
    household_size = serializers.IntegerField()
    expires_at = serializers.DateTimeField(help_text="Unanswered by then, it goes back to the queue.")
    answered_at = serializers.DateTimeField(source="proposal.answered_at", allow_null=True)
    decline_reason = serializers.CharField(source="proposal.decline_reason")
    patient = serializers.SerializerMethodField()

    @extend_schema_field(ContactSerializer(allow_null=True))
    def get_patient(self, facts):
        if not facts.accepted:
            return None
        return {"name": facts.name, "phone": facts.phone, "email": facts.email}


class DrawSerializer(serializers.Serializer):
    pledge = PledgeSerializer()
    proposals = ProposalSerializer(many=True)


class ProposalPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ProposalSerializer(many=True)


class DeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, allow_blank=True, help_text="Required; read by the coordination.")


# --- Views ------------------------------------------------------------------------------------------------------


class PledgeListView(_GpView):
    @extend_schema(
        operation_id="v1_waitlist_pledges_list",
        summary="Mes engagements d'accueil",
        parameters=[OpenApiParameter("page", int, required=False)],
        responses={200: PledgePageSerializer, 403: _ERRORS[403]},
    )
    def get(self, request):
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(selectors.pledges_of(waitlist_actor_for(request.user)), request, view=self)
        return paginator.get_paginated_response(PledgeSerializer(page, many=True).data)

    @extend_schema(
        operation_id="v1_waitlist_pledges_create",
        summary="M'engager à prendre de nouveaux patients",
        request=PledgeCreateSerializer,
        responses={201: PledgeSerializer, 400: _ERRORS[400], 403: _ERRORS[403]},
    )
    def post(self, request):
        data = validated_input(PledgeCreateSerializer, request.data)
        pledge = services.pledge_create(acting_user=request.user, **data)
        pledge = selectors.pledge_for_user(waitlist_actor_for(request.user), pledge.public_id)
        return Response(PledgeSerializer(pledge).data, status=201)


class PledgeDetailView(_GpView):
    @extend_schema(
        operation_id="v1_waitlist_pledges_retrieve",
        summary="Un de mes engagements",
        responses={200: PledgeSerializer, 403: _ERRORS[403], 404: _ERRORS[404]},
    )
    def get(self, request, public_id):
        return Response(PledgeSerializer(selectors.pledge_for_user(waitlist_actor_for(request.user), public_id)).data)


class PledgeDrawView(_GpView):
    @extend_schema(
        operation_id="v1_waitlist_pledges_draw",
        summary="Tirer un lot de propositions (au plus 5)",
        description="The waiting entries within reach, the highest level first then the oldest, households whole; "
        "an entry is never proposed to two GPs at once. An empty `proposals` means nobody in reach is waiting.",
        request=None,
        responses={201: DrawSerializer, **_ERRORS},
    )
    def post(self, request, public_id):
        actor = waitlist_actor_for(request.user)
        pledge = selectors.pledge_for_user(actor, public_id)
        drawn = services.pledge_draw(pledge=pledge, acting_user=request.user, request=request)
        # Read again for what the GP is shown (the draw logged it): the age, the rules' labels.
        proposals = selectors.proposals_for_gp(actor).filter(pk__in=[proposal.pk for proposal in drawn])
        order = [proposal.pk for proposal in drawn]
        facts = sorted(selectors.proposal_facts(proposals), key=lambda item: order.index(item.proposal.pk))
        body = {"pledge": selectors.pledge_for_user(actor, public_id), "proposals": facts}
        return Response(DrawSerializer(body).data, status=201)


class PledgeCloseView(_GpView):
    @extend_schema(
        operation_id="v1_waitlist_pledges_close",
        summary="Clore un engagement (les propositions sans réponse retournent dans la file)",
        request=None,
        responses={200: PledgeSerializer, 403: _ERRORS[403], 404: _ERRORS[404]},
    )
    def post(self, request, public_id):
        actor = waitlist_actor_for(request.user)
        services.pledge_close(pledge=selectors.pledge_for_user(actor, public_id), acting_user=request.user)
        return Response(PledgeSerializer(selectors.pledge_for_user(actor, public_id)).data)


class ProposalListView(_GpView):
    @extend_schema(
        operation_id="v1_waitlist_proposals_list",
        summary="Les propositions qui m'ont été faites",
        parameters=[
            OpenApiParameter("status", str, required=False, enum=Proposal.Status.values),
            OpenApiParameter("page", int, required=False),
        ],
        responses={200: ProposalPageSerializer, 400: _ERRORS[400], 403: _ERRORS[403]},
    )
    def get(self, request):
        actor = waitlist_actor_for(request.user)
        paginator = PageNumberPagination()
        proposals = selectors.proposals_for_gp(actor, status=request.query_params.get("status", ""))
        page = paginator.paginate_queryset(proposals, request, view=self)
        selectors.proposal_reads_record(actor, page, request=request)
        return paginator.get_paginated_response(ProposalSerializer(selectors.proposal_facts(page), many=True).data)


def _proposal_body(request, public_id) -> dict:
    actor = waitlist_actor_for(request.user)
    [facts] = selectors.proposal_facts([selectors.proposal_for_user(actor, public_id, request=request)])
    return ProposalSerializer(facts).data


class ProposalDetailView(_GpView):
    @extend_schema(
        operation_id="v1_waitlist_proposals_retrieve",
        summary="Une proposition",
        responses={200: ProposalSerializer, 403: _ERRORS[403], 404: _ERRORS[404]},
    )
    def get(self, request, public_id):
        return Response(_proposal_body(request, public_id))


class ProposalAcceptView(_GpView):
    @extend_schema(
        operation_id="v1_waitlist_proposals_accept",
        summary="Accepter : le patient reçoit mes coordonnées, je vois les siennes",
        request=None,
        responses={200: ProposalSerializer, 403: _ERRORS[403], 404: _ERRORS[404], **_CONFLICT},
    )
    def post(self, request, public_id):
        actor = waitlist_actor_for(request.user)
        proposal = selectors.proposal_of_gp(actor, public_id)
        services.proposal_accept(proposal=proposal, acting_user=request.user, request=request)
        return Response(_proposal_body(request, public_id))


class ProposalDeclineView(_GpView):
    @extend_schema(
        operation_id="v1_waitlist_proposals_decline",
        summary="Refuser, avec une raison : l'inscription retourne dans la file à sa place",
        request=DeclineSerializer,
        responses={200: ProposalSerializer, **_ERRORS, **_CONFLICT},
    )
    def post(self, request, public_id):
        actor = waitlist_actor_for(request.user)
        proposal = selectors.proposal_of_gp(actor, public_id)
        data = validated_input(DeclineSerializer, request.data)
        services.proposal_decline(proposal=proposal, acting_user=request.user, reason=data["reason"], request=request)
        return Response(_proposal_body(request, public_id))

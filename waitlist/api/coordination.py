"""The coordination's API under /api/v1/waitlist/: the entries of the lists the caller coordinates (list with the
queue's filters, detail, a level fixed by hand, a merge) and the handover plans. The same selectors and services
as the pages. Anyone who coordinates no list gets 403 on the lists; an entry or a plan of another list is 404."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ErrorSerializer, validated_input
from core.errors import ApplicationError
from directory.models import Practitioner
from waitlist.models import MAX_PLEDGE_MONTHS, Entry, EntryEvent
from waitlist.scope import WaitlistActor, waitlist_actor_for
from waitlist.selectors import coordination as selectors
from waitlist.services import coordination as services
from waitlist.services import handover as handover_services

_ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Bad input: a French `detail`, the input at fault in `field`."),
    403: OpenApiResponse(ErrorSerializer, description="The caller coordinates no waiting list."),
    404: OpenApiResponse(ErrorSerializer, description="Nothing the caller coordinates has this id."),
}


def _coordinator(request) -> WaitlistActor:
    actor = waitlist_actor_for(request.user)
    if not actor.coordinates:
        raise ApplicationError(_("Réservé à la coordination d'une liste d'attente."), code="forbidden")
    return actor


# --- Serializers ------------------------------------------------------------------------------------------------


class WaitlistCommuneSerializer(serializers.Serializer):
    insee = serializers.CharField(source="insee_code")
    name = serializers.CharField()


class WaitlistEntryListItemSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    status = serializers.CharField(help_text="One of: " + ", ".join(Entry.Status.values))
    priority_level = serializers.IntegerField(help_text="A higher level is more urgent.")
    priority_label = serializers.CharField(source="level_label")
    level_overridden = serializers.SerializerMethodField()
    waiting_since = serializers.DateTimeField(allow_null=True)
    commune = WaitlistCommuneSerializer()
    household_size = serializers.IntegerField()
    duplicate_suspected = serializers.BooleanField()
    handover = serializers.SerializerMethodField()
    family_name = serializers.CharField(source="main_family_name", allow_null=True)
    given_names = serializers.CharField(source="main_given_names", allow_null=True)
    age = serializers.IntegerField(source="main_age", allow_null=True)

    def get_level_overridden(self, entry) -> bool:
        return entry.level_override is not None

    def get_handover(self, entry) -> bool:
        return entry.handover_plan_id is not None


class WaitlistEntryPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = WaitlistEntryListItemSerializer(many=True)


class WaitlistMemberSerializer(serializers.Serializer):
    family_name = serializers.CharField()
    given_names = serializers.CharField()
    birth_date = serializers.DateField()
    sex = serializers.CharField(help_text="F, M or X.")
    ald = serializers.BooleanField()
    pregnancy = serializers.BooleanField()
    disability = serializers.BooleanField()
    precarity = serializers.BooleanField()
    treatment_renewal = serializers.BooleanField()


class WaitlistConsentSerializer(serializers.Serializer):
    version = serializers.CharField()
    given_at = serializers.DateTimeField()
    given_by = serializers.CharField()
    text = serializers.CharField()


class WaitlistEventSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="One of: " + ", ".join(EntryEvent.Kind.values))
    at = serializers.DateTimeField()
    by_patient = serializers.BooleanField()
    details = serializers.DictField()


class WaitlistNoteSerializer(serializers.Serializer):
    text = serializers.CharField()
    at = serializers.DateTimeField()
    author = serializers.SerializerMethodField()

    def get_author(self, note) -> str:
        return note.author.email if note.author else ""


class WaitlistEntryProposalSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    distance_km = serializers.FloatField()
    practitioner = serializers.SerializerMethodField()

    def get_practitioner(self, proposal) -> str:
        entry = proposal.pledge.practitioner
        return f"{entry.first_name} {entry.last_name}"


class WaitlistEntryDetailSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField(help_text="One of: " + ", ".join(Entry.Status.values))
    priority_level = serializers.IntegerField()
    priority_label = serializers.CharField()
    priority_score = serializers.IntegerField()
    priority_reasons = serializers.ListField(child=serializers.CharField())
    level_override = serializers.IntegerField(allow_null=True)
    level_override_reason = serializers.CharField(allow_blank=True)
    waiting_since = serializers.DateTimeField(allow_null=True)
    commune = WaitlistCommuneSerializer()
    phone = serializers.CharField(allow_blank=True)
    email = serializers.CharField(allow_blank=True)
    situation = serializers.CharField()
    source = serializers.CharField()
    max_distance_km = serializers.IntegerField()
    household_size = serializers.IntegerField()
    duplicate_suspected = serializers.BooleanField()
    merged_into = serializers.UUIDField(allow_null=True)
    handover_plan = serializers.UUIDField(allow_null=True)
    members = WaitlistMemberSerializer(many=True)
    consent = WaitlistConsentSerializer(allow_null=True)
    events = WaitlistEventSerializer(many=True)
    notes = WaitlistNoteSerializer(many=True)
    proposals = WaitlistEntryProposalSerializer(many=True)


def _detail_data(detail: selectors.EntryDetail) -> dict:
    entry = detail.entry
    return WaitlistEntryDetailSerializer(
        {
            "id": entry.public_id,
            "status": entry.status,
            "priority_level": entry.priority_level,
            "priority_label": detail.level_label,
            "priority_score": entry.priority_score,
            "priority_reasons": entry.priority_reasons,
            "level_override": entry.level_override,
            "level_override_reason": entry.level_override_reason,
            "waiting_since": entry.waiting_since,
            "commune": entry.commune,
            "phone": entry.phone,
            "email": entry.email,
            "situation": entry.situation,
            "source": entry.source,
            "max_distance_km": entry.max_distance_km,
            "household_size": entry.household_size,
            "duplicate_suspected": entry.duplicate_suspected,
            "merged_into": detail.merged_into.public_id if detail.merged_into else None,
            "handover_plan": entry.handover_plan.public_id if entry.handover_plan else None,
            "members": detail.members,
            "consent": detail.consent,
            "events": detail.events,
            "notes": detail.notes,
            "proposals": detail.proposals,
        }
    ).data


class WaitlistOverrideSerializer(serializers.Serializer):
    level = serializers.IntegerField(
        allow_null=True, min_value=0, help_text="The level to fix (0 = the lowest); null gives it back to the rules."
    )
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class WaitlistMergeSerializer(serializers.Serializer):
    into = serializers.UUIDField(help_text="The entry to keep; the one in the path becomes `merged` into it.")


class WaitlistPlanMonthSerializer(serializers.Serializer):
    month = serializers.DateField()
    planned = serializers.IntegerField()
    proposed = serializers.IntegerField()
    accepted = serializers.IntegerField()


class WaitlistHandoverPlanSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    departing_practitioner = serializers.SerializerMethodField()
    departure_on = serializers.DateField()
    first_month = serializers.DateField()
    months = serializers.IntegerField()
    status = serializers.CharField()
    entries_count = serializers.IntegerField()

    def get_departing_practitioner(self, plan) -> dict:
        entry = plan.departing_practitioner
        return {"id": str(entry.public_id), "name": f"{entry.first_name} {entry.last_name}"}


class WaitlistHandoverPlanDetailSerializer(WaitlistHandoverPlanSerializer):
    months_detail = WaitlistPlanMonthSerializer(many=True, help_text="Per month: patients planned, proposed, accepted.")


class WaitlistHandoverPlanPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = WaitlistHandoverPlanSerializer(many=True)


class WaitlistHandoverPlanCreateSerializer(serializers.Serializer):
    practitioner = serializers.UUIDField(help_text="The departing GP's directory entry.")
    departure_on = serializers.DateField()
    first_month = serializers.DateField(help_text="Any day of the first month; stored as its first day.")
    months = serializers.IntegerField(min_value=1, max_value=MAX_PLEDGE_MONTHS)
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


def _plan_detail_data(plan) -> dict:
    board = selectors.handover_plan_board(plan)
    plan.months_detail = [
        {"month": row.month, "planned": row.planned, "proposed": row.proposed, "accepted": row.accepted}
        for row in board.months
    ]
    if not hasattr(plan, "entries_count"):
        plan.entries_count = board.entries_total
    return WaitlistHandoverPlanDetailSerializer(plan).data


# --- Views ------------------------------------------------------------------------------------------------------


class EntryListView(APIView):
    @extend_schema(
        operation_id="v1_waitlist_entries_list",
        summary="La file d'attente des listes que je coordonne",
        parameters=[
            OpenApiParameter("status", str, required=False, description="waiting by default; `all` for every one."),
            OpenApiParameter("level", int, required=False),
            OpenApiParameter("commune", str, required=False, description="INSEE code."),
            OpenApiParameter("duplicate", bool, required=False, description="Only the possible duplicates."),
            OpenApiParameter("handover", str, required=False, description="`yes`, `no` or a handover plan's id."),
            OpenApiParameter("q", str, required=False, description="Names, whatever the accents and the case."),
            OpenApiParameter("page", int, required=False),
        ],
        responses={200: WaitlistEntryPageSerializer, **_ERRORS},
    )
    def get(self, request):
        actor = _coordinator(request)
        params = request.query_params
        status = params.get("status", Entry.Status.WAITING)
        if status == "all":
            status = ""
        if status and status not in Entry.Status.values:
            raise ApplicationError(_("Statut inconnu : « %(status)s ».") % {"status": status}, field="status")
        level = params.get("level", "")
        if level and not level.isdigit():
            raise ApplicationError(_("Le niveau est un nombre entier."), field="level")
        filters = selectors.QueueFilters(
            status=status,
            level=int(level) if level else None,
            commune_id=params.get("commune", "").strip().upper(),
            duplicate=params.get("duplicate", "").lower() in ("1", "true", "yes"),
            handover=params.get("handover", "").strip(),
            search=params.get("q", "")[:100],
        )
        if filters.handover not in ("", "yes", "no") and not selectors.handover_plans_of(actor).filter(
            public_id__in=[filters.handover] if _is_uuid(filters.handover) else []
        ):
            raise ApplicationError(_("Plan de reprise inconnu."), field="handover")
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(selectors.coordination_queue(actor, filters), request, view=self)
        selectors.queue_rows_labelled(page, selectors.rules_by_list(actor.coordinated_list_ids))
        selectors.queue_reads_record(actor, page, request=request)
        return paginator.get_paginated_response(WaitlistEntryListItemSerializer(page, many=True).data)


def _is_uuid(value: str) -> bool:
    try:
        serializers.UUIDField().to_internal_value(value)
    except serializers.ValidationError:
        return False
    return True


class EntryDetailView(APIView):
    @extend_schema(
        operation_id="v1_waitlist_entries_retrieve",
        summary="Une inscription, avec son foyer, son consentement, son historique, ses notes et ses propositions",
        responses={200: WaitlistEntryDetailSerializer, **_ERRORS},
    )
    def get(self, request, public_id):
        detail = selectors.entry_detail_for_coordinator(waitlist_actor_for(request.user), public_id, request=request)
        return Response(_detail_data(detail))


class EntryOverrideView(APIView):
    @extend_schema(
        operation_id="v1_waitlist_entries_override",
        summary="Fixer le niveau d'une inscription (avec sa raison), ou le rendre aux règles (level: null)",
        request=WaitlistOverrideSerializer,
        responses={200: WaitlistEntryDetailSerializer, **_ERRORS},
    )
    def post(self, request, public_id):
        actor = waitlist_actor_for(request.user)
        entry = selectors.entry_for_coordinator(actor, public_id)
        data = validated_input(WaitlistOverrideSerializer, request.data)
        services.entry_level_override(acting_user=request.user, entry=entry, level=data["level"], reason=data["reason"])
        return Response(_detail_data(selectors.entry_detail_for_coordinator(actor, public_id, request=request)))


class EntryMergeView(APIView):
    @extend_schema(
        operation_id="v1_waitlist_entries_merge",
        summary="Fusionner cette inscription dans une autre (la même personne inscrite deux fois)",
        request=WaitlistMergeSerializer,
        responses={
            200: WaitlistEntryDetailSerializer,
            **_ERRORS,
            409: OpenApiResponse(ErrorSerializer, description="One of the two is already merged, erased or matched."),
        },
    )
    def post(self, request, public_id):
        actor = waitlist_actor_for(request.user)
        drop = selectors.entry_for_coordinator(actor, public_id)
        data = validated_input(WaitlistMergeSerializer, request.data)
        try:
            keep = selectors.entry_for_coordinator(actor, data["into"])
        except ApplicationError:
            raise ApplicationError(
                _("L'inscription à garder n'existe pas ou ne relève pas de votre coordination."), field="into"
            ) from None
        keep = services.entries_merge(acting_user=request.user, keep=keep, drop=drop)
        return Response(_detail_data(selectors.entry_detail_for_coordinator(actor, keep.public_id, request=request)))


class HandoverPlanListView(APIView):
    @extend_schema(
        operation_id="v1_waitlist_handover_plans_list",
        summary="Les plans de reprise de patientèle des listes que je coordonne",
        parameters=[OpenApiParameter("page", int, required=False)],
        responses={200: WaitlistHandoverPlanPageSerializer, **_ERRORS},
    )
    def get(self, request):
        actor = _coordinator(request)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(selectors.handover_plans_of(actor), request, view=self)
        return paginator.get_paginated_response(WaitlistHandoverPlanSerializer(page, many=True).data)

    @extend_schema(
        operation_id="v1_waitlist_handover_plans_create",
        summary="Créer le plan de reprise d'un médecin qui part",
        request=WaitlistHandoverPlanCreateSerializer,
        responses={201: WaitlistHandoverPlanDetailSerializer, **_ERRORS},
    )
    def post(self, request):
        actor = _coordinator(request)
        data = validated_input(WaitlistHandoverPlanCreateSerializer, request.data)
        practitioner = selectors.departing_practitioner_choices(actor).filter(public_id=data["practitioner"]).first()
        if practitioner is None:
            practitioner = Practitioner.objects.filter(public_id=data["practitioner"]).first()
        if practitioner is None:
            raise ApplicationError(_("Fiche de l'annuaire introuvable."), field="practitioner")
        plan = handover_services.handover_plan_create(
            acting_user=request.user,
            practitioner=practitioner,
            departure_on=data["departure_on"],
            first_month=data["first_month"],
            months=data["months"],
            notes=data["notes"],
        )
        plan = selectors.handover_plan_for_coordinator(actor, plan.public_id)
        return Response(_plan_detail_data(plan), status=201)


class HandoverPlanDetailView(APIView):
    @extend_schema(
        operation_id="v1_waitlist_handover_plans_retrieve",
        summary="Un plan de reprise, mois par mois : patients prévus, proposés, acceptés",
        responses={200: WaitlistHandoverPlanDetailSerializer, **_ERRORS},
    )
    def get(self, request, public_id):
        plan = selectors.handover_plan_for_coordinator(waitlist_actor_for(request.user), public_id)
        return Response(_plan_detail_data(plan))

"""The SNP API under /api/v1/snp/: the same services and selectors as the pages will use. What the caller may
not see is 404; a slot someone else booked first is 409 with the next free slots the caller may book."""

import datetime

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ErrorSerializer, validated_input
from core.errors import ApplicationError
from directory.selectors import api as directory_api
from snp import services
from snp.scope import snp_actor_for
from snp.selectors import (
    booking_for_user,
    booking_list_reads_record,
    bookings_visible_to,
    month_figures,
    slot_for_user,
    slots_visible_to,
)
from snp.serializers import (
    BookingCancelSerializer,
    BookingCreateSerializer,
    BookingOutcomeSerializer,
    BookingPageSerializer,
    BookingSerializer,
    CallCreateSerializer,
    CallSerializer,
    MonthFiguresSerializer,
    SlotCreateSerializer,
    SlotPageSerializer,
    SlotSerializer,
)

_ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Bad input: a French `detail`, the input at fault in `field`."),
    404: OpenApiResponse(ErrorSerializer, description="Nothing the caller may see has this id."),
}
_CONFLICT = {
    409: OpenApiResponse(
        ErrorSerializer,
        description="« Ce créneau vient d'être réservé » (or withdrawn): `next_slots` lists the soonest free slots "
        "the caller may book instead.",
    )
}


def _entry(public_id, field: str):
    if public_id is None:
        return None
    found = directory_api.practitioner_by_public_id(public_id)
    if found is None:
        raise ApplicationError(_("Fiche de l'annuaire introuvable."), field=field)
    return found


def _site(public_id):
    if public_id is None:
        return None
    found = directory_api.practice_by_public_id(public_id)
    if found is None:
        raise ApplicationError(_("Lieu introuvable."), field="site")
    return found


def _datetime_param(request, name: str) -> datetime.datetime | None:
    raw = request.query_params.get(name, "")
    if not raw:
        return None
    try:
        value = datetime.datetime.fromisoformat(raw)
    except ValueError:
        raise ApplicationError(
            _("Date illisible : « %(value)s » (format ISO 8601).") % {"value": raw}, field=name
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=services.PARIS)
    return value


class SlotListView(APIView):
    @extend_schema(
        operation_id="v1_snp_slots_list",
        summary="Créneaux que je peux réserver ou que je gère",
        parameters=[
            OpenApiParameter("from", str, required=False, description="ISO 8601; now by default."),
            OpenApiParameter("to", str, required=False, description="ISO 8601; a week after `from` by default."),
            OpenApiParameter("commune", str, required=False, description="INSEE code: slots near its town hall."),
            OpenApiParameter("radius_km", float, required=False, description="Around `commune`, 30 by default."),
            OpenApiParameter("status", str, required=False, enum=["free", "booked", "withdrawn"]),
            OpenApiParameter("page", int, required=False),
        ],
        responses={200: SlotPageSerializer, **_ERRORS},
    )
    def get(self, request):
        radius = request.query_params.get("radius_km", "")
        try:
            radius_km = float(radius) if radius else None
        except ValueError:
            raise ApplicationError(_("Rayon illisible : indiquez des kilomètres."), field="radius_km") from None
        slots = slots_visible_to(
            snp_actor_for(request.user),
            starts_from=_datetime_param(request, "from"),
            starts_before=_datetime_param(request, "to"),
            commune_insee=request.query_params.get("commune", "").strip(),
            radius_km=radius_km,
            status=request.query_params.get("status", ""),
        )
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(slots, request, view=self)
        return paginator.get_paginated_response(SlotSerializer(page, many=True).data)

    @extend_schema(
        operation_id="v1_snp_slots_create",
        summary="Publier un créneau",
        request=SlotCreateSerializer,
        responses={201: SlotSerializer, **_ERRORS},
    )
    def post(self, request):
        data = validated_input(SlotCreateSerializer, request.data)
        slot = services.slot_publish(
            acting_user=request.user,
            start=data["start"],
            duration_minutes=data["duration_minutes"],
            audiences=data["audiences"],
            kind=data["kind"],
            practitioner=_entry(data["practitioner"], "practitioner"),
            site=_site(data["site"]),
        )
        return Response(SlotSerializer(slot).data, status=201)


class SlotWithdrawView(APIView):
    @extend_schema(
        operation_id="v1_snp_slots_withdraw",
        summary="Retirer un créneau libre",
        request=None,
        responses={200: SlotSerializer, **_ERRORS},
    )
    def post(self, request, public_id):
        actor = snp_actor_for(request.user)
        slot = services.slot_withdraw(acting_user=request.user, slot=slot_for_user(actor, public_id))
        return Response(SlotSerializer(slot).data)


class BookingListView(APIView):
    @extend_schema(
        operation_id="v1_snp_bookings_list",
        summary="Réservations que je peux lire",
        parameters=[OpenApiParameter("page", int, required=False)],
        responses={200: BookingPageSerializer},
    )
    def get(self, request):
        actor = snp_actor_for(request.user)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(bookings_visible_to(actor), request, view=self)
        booking_list_reads_record(actor, page, request=request)
        return paginator.get_paginated_response(BookingSerializer(page, many=True).data)

    @extend_schema(
        operation_id="v1_snp_bookings_create",
        summary="Réserver un créneau pour un patient",
        request=BookingCreateSerializer,
        responses={201: BookingSerializer, **_ERRORS, **_CONFLICT},
    )
    def post(self, request):
        data = validated_input(BookingCreateSerializer, request.data)
        actor = snp_actor_for(request.user)
        slot = slot_for_user(actor, data["slot"])
        patient = data["patient"]
        details = services.PatientDetails(
            family_name=patient["family_name"],
            given_names=patient["given_names"],
            birth_date=patient["birth_date"],
            sex=patient["sex"],
            commune_insee=patient["commune"],
            has_gp=patient["has_gp"],
            phone=patient["phone"],
            email=patient["email"],
            gp_practitioner=_entry(patient["gp_practitioner"], "gp_practitioner"),
        )
        try:
            booking = services.booking_create(
                acting_user=request.user,
                slot=slot,
                patient=details,
                reason_category=data["reason_category"],
                contact_consent=data["contact_consent"],
            )
        except services.SlotTaken as taken:
            raise ApplicationError(
                taken.message,
                field="slot",
                code=taken.code,
                details={"next_slots": SlotSerializer(taken.next_slots, many=True).data},
            ) from None
        return Response(BookingSerializer(booking).data, status=201)


class BookingDetailView(APIView):
    @extend_schema(
        operation_id="v1_snp_bookings_retrieve",
        summary="Une réservation",
        responses={200: BookingSerializer, **_ERRORS},
    )
    def get(self, request, public_id):
        booking = booking_for_user(snp_actor_for(request.user), public_id, request=request)
        return Response(BookingSerializer(booking).data)


class BookingOutcomeView(APIView):
    @extend_schema(
        operation_id="v1_snp_bookings_outcome",
        summary="Le patient est venu, ou non",
        request=BookingOutcomeSerializer,
        responses={200: BookingSerializer, **_ERRORS},
    )
    def post(self, request, public_id):
        booking = booking_for_user(snp_actor_for(request.user), public_id, request=request)
        data = validated_input(BookingOutcomeSerializer, request.data)
        booking = services.booking_outcome_record(
            acting_user=request.user, booking=booking, outcome=data["outcome"], note=data["note"]
        )
        return Response(BookingSerializer(booking).data)


class BookingCancelView(APIView):
    @extend_schema(
        operation_id="v1_snp_bookings_cancel",
        summary="Annuler une réservation (le patient et l'autre partie sont prévenus)",
        request=BookingCancelSerializer,
        responses={200: BookingSerializer, **_ERRORS},
    )
    def post(self, request, public_id):
        booking = booking_for_user(snp_actor_for(request.user), public_id, request=request)
        data = validated_input(BookingCancelSerializer, request.data)
        booking = services.booking_cancel(acting_user=request.user, booking=booking, reason=data["reason"])
        return Response(BookingSerializer(booking).data)


class CallCreateView(APIView):
    @extend_schema(
        operation_id="v1_snp_calls_create",
        summary="Enregistrer un appel régulé sans réservation",
        request=CallCreateSerializer,
        responses={201: CallSerializer, **_ERRORS},
    )
    def post(self, request):
        data = validated_input(CallCreateSerializer, request.data)
        call = services.call_record(
            acting_user=request.user,
            outcome=data["outcome"],
            commune_insee=data["commune"],
            reason_category=data["reason_category"],
            received_at=data["received_at"],
        )
        return Response(CallSerializer(call).data, status=201)


class StatisticsView(APIView):
    @extend_schema(
        operation_id="v1_snp_statistics",
        summary="Les chiffres du mois (coordination, observateurs) : aucun patient",
        parameters=[OpenApiParameter("month", str, required=False, description="YYYY-MM; this month by default.")],
        responses={200: MonthFiguresSerializer, **_ERRORS},
    )
    def get(self, request):
        actor = snp_actor_for(request.user)
        territories = actor.coordinated_territory_ids | actor.observed_territory_ids
        if not territories:
            raise ApplicationError(
                _("Les chiffres sont réservés à la coordination et aux observateurs."), code="forbidden"
            )
        raw = request.query_params.get("month", "")
        try:
            month = datetime.date.fromisoformat(f"{raw}-01") if raw else datetime.date.today().replace(day=1)
        except ValueError:
            raise ApplicationError(
                _("Mois illisible : « %(value)s » (AAAA-MM).") % {"value": raw}, field="month"
            ) from None
        return Response(MonthFiguresSerializer(month_figures(territory_ids=territories, month=month)).data)

"""``POST /api/v1/waitlist/entries/{id}/erase/``: the coordination erases an entry on the person's request (the
same service as the page). Another territory's entry, or a caller who coordinates no list, answers 404."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ErrorSerializer, validated_input
from waitlist.services import selfservice


class EntryEraseSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(
        choices=list(selfservice.ERASE_REASONS.items()),
        help_text="Where the request came from: " + ", ".join(selfservice.ERASE_REASONS),
    )


class EntryErasedSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    status = serializers.CharField()
    closed_at = serializers.DateTimeField()


class EntryEraseView(APIView):
    @extend_schema(
        operation_id="v1_waitlist_entries_erase",
        summary="Effacer une inscription à la demande de la personne (coordination)",
        description="Deletes the household's identity and contact, its notes, codes and messages; keeps the "
        "anonymous counts (commune, dates, level, status `erased`). Every link sent to the person stops working.",
        request=EntryEraseSerializer,
        responses={
            200: EntryErasedSerializer,
            400: OpenApiResponse(ErrorSerializer, description="No reason, or the entry is already erased."),
            404: OpenApiResponse(ErrorSerializer, description="No entry of a list the caller coordinates."),
        },
    )
    def post(self, request, public_id):
        entry = selfservice.entry_for_erasure(request.user, public_id, request=request)
        data = validated_input(EntryEraseSerializer, request.data)
        entry = selfservice.entry_erase(entry=entry, acting_user=request.user, reason=data["reason"], request=request)
        return Response(EntryErasedSerializer(entry).data)

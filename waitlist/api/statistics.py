"""``GET /api/v1/waitlist/statistics/``: the figures of one list for a month, for its coordinators and observers
(the same ``waitlist.statistics.list_statistics`` as the page). Aggregates only: no entry, no person. Someone who
neither coordinates nor observes a list gets 403; a list that is not theirs 404, as if it did not exist."""

import datetime
import re

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ErrorSerializer
from core.errors import ApplicationError
from waitlist.scope import waitlist_actor_for
from waitlist.statistics import list_statistics, statistics_lists_for

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Bad input: a French `detail`, the input at fault in `field`."),
    403: OpenApiResponse(ErrorSerializer, description="The caller neither coordinates nor observes a list."),
    404: OpenApiResponse(ErrorSerializer, description="No list the caller may read has this short name."),
}


class _ListSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class _StatusSerializer(serializers.Serializer):
    status = serializers.CharField()
    label = serializers.CharField()
    by_level = serializers.ListField(child=serializers.IntegerField(), help_text="People, by priority level.")
    total = serializers.IntegerField()


class _WaitsSerializer(serializers.Serializer):
    entries = serializers.IntegerField(help_text="Households (sign-ups).")
    median_days = serializers.FloatField(allow_null=True)
    p90_days = serializers.FloatField(allow_null=True)


class _MonthSerializer(serializers.Serializer):
    month = serializers.DateField()
    signed_up = serializers.IntegerField(help_text="People signed up (verified) in the month.")
    signed_up_entries = serializers.IntegerField()
    matched = serializers.IntegerField(help_text="People whose proposal a GP accepted in the month.")
    matched_entries = serializers.IntegerField()


class _CommuneSerializer(serializers.Serializer):
    insee_code = serializers.CharField()
    name = serializers.CharField()
    waiting_by_level = serializers.ListField(child=serializers.IntegerField())
    waiting = serializers.IntegerField()
    signed_up = serializers.IntegerField()
    matched = serializers.IntegerField()


class _ProposalsSerializer(serializers.Serializer):
    accepted = serializers.IntegerField()
    declined = serializers.IntegerField()
    expired = serializers.IntegerField()


class WaitlistStatisticsSerializer(serializers.Serializer):
    waiting_list = _ListSerializer()
    month = serializers.DateField()
    taken_at = serializers.DateTimeField(help_text="The instant the month's-end figures are taken at.")
    levels = serializers.ListField(child=serializers.CharField(), help_text="Level labels, the lowest first.")
    queue_now = _StatusSerializer(many=True)
    waiting_people = serializers.IntegerField(help_text="People waiting at the month's end.")
    waiting_by_level = serializers.ListField(child=serializers.IntegerField())
    waiting = _WaitsSerializer(help_text="Households waiting at the month's end and how long they had waited.")
    matched_waits = _WaitsSerializer(help_text="Households matched in the month and how long they had waited.")
    proposals = _ProposalsSerializer(help_text="Proposals answered or expired in the month.")
    months = _MonthSerializer(many=True, help_text="The 12 months up to the one asked for.")
    communes = _CommuneSerializer(many=True)


def _month(raw: str) -> datetime.date:
    today = timezone.localdate().replace(day=1)
    if not raw:
        return today
    match = _MONTH.match(raw)
    month = None
    if match and 1 <= int(match[2]) <= 12 and int(match[1]) >= 2000:
        month = datetime.date(int(match[1]), int(match[2]), 1)
    if month is None or month > today:
        raise ApplicationError(
            _("Mois illisible ou à venir : « %(value)s » (AAAA-MM).") % {"value": raw[:20]}, field="month"
        )
    return month


class StatisticsView(APIView):
    @extend_schema(
        operation_id="v1_waitlist_statistics",
        summary="Les chiffres d'une liste d'attente pour un mois (coordination, observateurs) : aucun patient",
        parameters=[
            OpenApiParameter("month", str, required=False, description="YYYY-MM; this month by default."),
            OpenApiParameter(
                "list", str, required=False, description="The list's short name; the caller's first list by default."
            ),
        ],
        responses={200: WaitlistStatisticsSerializer, **_ERRORS},
    )
    def get(self, request):
        actor = waitlist_actor_for(request.user)
        if not actor.sees_statistics:
            raise ApplicationError(
                _("Les chiffres de la liste d'attente sont réservés à la coordination et aux observateurs."),
                code="forbidden",
            )
        month = _month(request.query_params.get("month", ""))
        lists = statistics_lists_for(actor)
        slug = request.query_params.get("list", "")
        chosen = next((wl for wl in lists if wl.slug == slug), None) if slug else (lists[0] if lists else None)
        if chosen is None:
            raise ApplicationError(_("Aucune liste d'attente de ce nom parmi les vôtres."), code="not_found")
        stats = list_statistics(waiting_list=chosen, month=month)
        data = {
            "waiting_list": {"slug": chosen.slug, "name": chosen.name},
            "month": stats.month,
            "taken_at": stats.taken_at,
            "levels": stats.levels,
            "queue_now": [
                {"status": row.status, "label": row.label, "by_level": row.by_level, "total": row.total}
                for row in stats.statuses
            ],
            "waiting_people": stats.waiting_people,
            "waiting_by_level": stats.waiting_by_level,
            "waiting": stats.waiting,
            "matched_waits": stats.matched_waits,
            "proposals": stats.proposals,
            "months": [vars(point) for point in stats.series],
            "communes": [
                {
                    "insee_code": row.insee_code,
                    "name": row.name,
                    "waiting_by_level": row.waiting_by_level,
                    "waiting": row.waiting,
                    "signed_up": row.signed_up,
                    "matched": row.matched,
                }
                for row in stats.communes
            ],
        }
        return Response(WaitlistStatisticsSerializer(data).data)

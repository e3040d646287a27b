"""The coordinator's issues: open one (auto-filled from the directory) and read it. A GP is refused (403),
another territory's issue is 404, a bad month or edition a French 400, a second open of the same month and
edition a 409 naming the existing issue."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ErrorSerializer, validated_input
from core.errors import ApplicationError
from core.pages import NOT_FOUND
from directory.models import Territory
from newsletter.selectors.issues import issue_for_coordinator
from newsletter.selectors.sending import issue_progress
from newsletter.serializers import IssueCreateSerializer, IssueProgressSerializer, IssueSerializer
from newsletter.services import issues, sending

_ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Bad input: a French `detail`, the input at fault in `field`."),
    403: OpenApiResponse(ErrorSerializer, description="Not a coordinator."),
    404: OpenApiResponse(ErrorSerializer, description="No such issue in the caller's territories."),
}


class IssueCreateView(APIView):
    @extend_schema(
        operation_id="v1_newsletter_issues_create",
        summary="Ouvrir le numéro d'un mois, rempli depuis l'annuaire",
        request=IssueCreateSerializer,
        responses={
            201: IssueSerializer,
            **_ERRORS,
            409: OpenApiResponse(ErrorSerializer, description="Already opened: `issue` names it."),
        },
    )
    def post(self, request):
        data = validated_input(IssueCreateSerializer, request.data)
        month = issues.parse_month(data["month"])
        edition = issues.check_edition(data["edition"])
        territory = None
        if data.get("territory"):
            territory = Territory.objects.filter(public_id=data["territory"]).first()
            if territory is None:
                raise ApplicationError("Territoire introuvable.", code=NOT_FOUND, field="territory")
        issue = issues.issue_open(acting_user=request.user, month=month, edition=edition, territory=territory)
        return Response(IssueSerializer(issue_for_coordinator(request.user, issue.public_id)).data, status=201)


class IssueDetailView(APIView):
    @extend_schema(
        operation_id="v1_newsletter_issues_retrieve",
        summary="Un numéro et ses éléments",
        responses={200: IssueSerializer, **_ERRORS},
    )
    def get(self, request, public_id):
        if not issues.coordinated_territory_ids(request.user):
            raise ApplicationError("Seul un coordinateur de la CPTS lit les numéros en préparation.", code="forbidden")
        return Response(IssueSerializer(issue_for_coordinator(request.user, public_id)).data)


class IssueSendView(APIView):
    @extend_schema(
        operation_id="v1_newsletter_issues_send",
        summary="Envoyer un numéro à tous les abonnés confirmés de son édition",
        request=None,
        responses={
            202: IssueProgressSerializer,
            **_ERRORS,
            409: OpenApiResponse(ErrorSerializer, description="Already sending or sent: nothing is sent twice."),
        },
    )
    def post(self, request, public_id):
        _coordinates(request.user)
        issue = issue_for_coordinator(request.user, public_id)
        sending.issue_send(acting_user=request.user, issue=issue)
        return Response(issue_progress(issue).as_dict(), status=202)


class IssueProgressView(APIView):
    @extend_schema(
        operation_id="v1_newsletter_issues_progress",
        summary="Où en est l'envoi d'un numéro",
        responses={200: IssueProgressSerializer, **_ERRORS},
    )
    def get(self, request, public_id):
        _coordinates(request.user)
        return Response(issue_progress(issue_for_coordinator(request.user, public_id)).as_dict())


def _coordinates(user) -> bool:
    if not issues.coordinated_territory_ids(user):
        raise ApplicationError("Seul un coordinateur de la CPTS envoie la lettre.", code="forbidden")
    return True

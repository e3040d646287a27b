from allauth.mfa.utils import is_mfa_enabled
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from directory import selectors
from directory.serializers import MeSerializer


class MeView(APIView):
    """The signed-in user, their role grants and, for a professional, their directory entry."""

    @extend_schema(responses=MeSerializer, summary="Mon compte, mes rôles et ma fiche")
    def get(self, request):
        user = request.user
        user.grants = list(selectors.role_grants_of(user))
        practitioner = selectors.practitioner_of(user)
        user.practitioner_public_id = practitioner.public_id if practitioner else None
        user.mfa_enabled = is_mfa_enabled(user)
        return Response(MeSerializer(user).data)

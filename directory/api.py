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
        practitioner = selectors.practitioner_of(user)
        me = {
            "id": user.public_id,
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "roles": selectors.role_grants_of(user),
            "practitioner": practitioner.public_id if practitioner else None,
            "mfa_enabled": is_mfa_enabled(user),
        }
        return Response(MeSerializer(me).data)

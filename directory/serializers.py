from rest_framework import serializers

from accounts.models import User
from accounts.roles import Role
from directory.models import RoleGrant


class RoleGrantSerializer(serializers.ModelSerializer):
    role = serializers.ChoiceField(choices=Role.choices)
    role_label = serializers.CharField(source="get_role_display")
    territory = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    practitioner = serializers.UUIDField(source="practitioner.public_id", read_only=True, allow_null=True)
    practices = serializers.SlugRelatedField(slug_field="public_id", many=True, read_only=True)

    class Meta:
        model = RoleGrant
        fields = ["role", "role_label", "territory", "practitioner", "practices"]


class MeSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id")
    roles = RoleGrantSerializer(source="grants", many=True)
    practitioner = serializers.UUIDField(
        source="practitioner_public_id",
        allow_null=True,
        help_text="Identifiant public de la fiche de l'annuaire, pour un professionnel.",
    )
    mfa_enabled = serializers.BooleanField()

    class Meta:
        model = User
        fields = ["id", "email", "first_name", "last_name", "roles", "practitioner", "mfa_enabled"]

from rest_framework import serializers

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


class MeSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="Identifiant public du compte.")
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    roles = RoleGrantSerializer(many=True)
    practitioner = serializers.UUIDField(
        allow_null=True, help_text="Identifiant public de la fiche de l'annuaire, pour un professionnel."
    )
    mfa_enabled = serializers.BooleanField()

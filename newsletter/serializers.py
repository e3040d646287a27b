"""The newsletter API's bodies (issues and their items)."""

from rest_framework import serializers

from newsletter.models import Edition, Issue, Item


class IssueCreateSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    edition = serializers.CharField(help_text="professional | public")
    territory = serializers.UUIDField(required=False, help_text="Only for a coordinator of several territories.")


class ItemSerializer(serializers.ModelSerializer):
    source_event = serializers.IntegerField(source="source_event_id", allow_null=True, read_only=True)

    class Meta:
        model = Item
        fields = [
            "id", "section", "position", "title", "body", "included", "event_starts_at", "event_place",
            "registration_url", "source_event",
        ]  # fmt: skip


class IssueSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    month = serializers.SerializerMethodField()
    edition = serializers.ChoiceField(choices=Edition.choices)
    territory = serializers.CharField(source="territory.name", read_only=True)
    items = ItemSerializer(many=True, read_only=True)

    class Meta:
        model = Issue
        fields = ["id", "territory", "month", "edition", "status", "title", "editorial", "sent_at", "items"]

    def get_month(self, issue) -> str:
        return f"{issue.month:%Y-%m}"


class IssueProgressSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="Subscribers the issue goes to.")
    sent = serializers.IntegerField()
    failed = serializers.IntegerField(help_text="Failed for good, or interrupted: retried by hand.")
    pending = serializers.IntegerField()

from django.contrib import admin

from notifications.models import OutboundMessage


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "channel", "template", "recipient", "status", "attempts", "sent_at", "territory_id"]
    list_filter = ["status", "channel", "recipient_kind", "template"]
    search_fields = ["recipient", "idempotency_key"]
    readonly_fields = [f.name for f in OutboundMessage._meta.fields]

    def has_add_permission(self, request):
        return False

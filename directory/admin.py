from django.contrib import admin

from core.admin import ReadOnlyAdmin
from directory.models import (
    Absence,
    Activity,
    ChangeEvent,
    ContactChannel,
    DigitalTool,
    Practice,
    Practitioner,
    PractitionerTool,
    RoleGrant,
    RoleGrantEvent,
    Specialty,
    Territory,
)


@admin.register(Territory)
class TerritoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Specialty)
class SpecialtyAdmin(admin.ModelAdmin):
    list_display = ["code", "label"]
    search_fields = ["code", "label"]


class ActivityInline(admin.TabularInline):
    model = Activity
    extra = 0
    autocomplete_fields = ["practice"]


class PractitionerChannelInline(admin.TabularInline):
    """Channels of the practitioner (at one of their practices or not); ``clean()`` normalises the values."""

    model = ContactChannel
    fk_name = "practitioner"
    extra = 0
    fields = ["audience", "kind", "value", "hours", "note", "preferred", "practice"]
    autocomplete_fields = ["practice"]


class PractitionerToolInline(admin.TabularInline):
    model = PractitionerTool
    extra = 0


class AbsenceInline(admin.TabularInline):
    model = Absence
    fk_name = "practitioner"
    extra = 0
    autocomplete_fields = ["replacement"]


@admin.register(Practitioner)
class PractitionerAdmin(admin.ModelAdmin):
    list_display = ["last_name", "first_name", "rpps", "territory", "last_confirmed_at"]
    list_filter = ["territory", "answers_teleexpertise", "accepting_new_patients"]
    search_fields = ["last_name", "first_name", "rpps"]
    inlines = [ActivityInline, PractitionerChannelInline, PractitionerToolInline, AbsenceInline]
    autocomplete_fields = ["user"]


class PracticeChannelInline(admin.TabularInline):
    """Channels of the practice itself, shared by everyone who works there."""

    model = ContactChannel
    fk_name = "practice"
    extra = 0
    fields = ["audience", "kind", "value", "hours", "note", "preferred"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(practitioner__isnull=True)


@admin.register(Practice)
class PracticeAdmin(admin.ModelAdmin):
    list_display = ["name", "city", "territory", "finess", "siret"]
    search_fields = ["name", "city", "finess", "siret"]
    # 35,000 communes: a raw id, not a select.
    raw_id_fields = ["commune"]
    inlines = [PracticeChannelInline]


@admin.register(ContactChannel)
class ContactChannelAdmin(admin.ModelAdmin):
    list_display = ["value", "kind", "audience", "preferred", "practitioner", "practice"]
    list_filter = ["audience", "kind", "preferred"]
    search_fields = ["value", "practitioner__last_name", "practice__name"]
    autocomplete_fields = ["practitioner", "practice"]


@admin.register(DigitalTool)
class DigitalToolAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "category"]
    list_filter = ["category"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(PractitionerTool)
class PractitionerToolAdmin(admin.ModelAdmin):
    list_display = ["practitioner", "tool", "uses", "handle_or_link"]
    list_filter = ["tool"]
    search_fields = ["practitioner__last_name", "tool__name"]
    autocomplete_fields = ["practitioner", "tool"]


@admin.register(Absence)
class AbsenceAdmin(admin.ModelAdmin):
    list_display = ["practitioner", "starts_on", "ends_on", "replacement"]
    date_hierarchy = "starts_on"
    search_fields = ["practitioner__last_name"]
    autocomplete_fields = ["practitioner", "replacement"]


@admin.register(ChangeEvent)
class ChangeEventAdmin(admin.ModelAdmin):
    list_display = ["happened_on", "kind", "practitioner", "territory"]
    list_filter = ["kind", "territory"]
    date_hierarchy = "happened_on"
    search_fields = ["practitioner__last_name"]
    autocomplete_fields = ["practitioner"]


@admin.register(RoleGrant)
class RoleGrantAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "territory", "practitioner"]
    list_filter = ["role", "territory"]
    search_fields = ["user__email"]
    autocomplete_fields = ["user", "practitioner", "practices"]


@admin.register(RoleGrantEvent)
class RoleGrantEventAdmin(ReadOnlyAdmin):
    """Read-only: the history of role changes is evidence."""

    list_display = ["at", "user", "action", "role", "scope", "actor_email"]
    list_filter = ["action", "role"]
    search_fields = ["user__email", "actor_email"]

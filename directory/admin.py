from django.contrib import admin

from cpts_portal.lib.admin import ReadOnlyAdmin
from directory.models import Activity, Practice, Practitioner, RoleGrant, RoleGrantEvent, Specialty, Territory


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


@admin.register(Practitioner)
class PractitionerAdmin(admin.ModelAdmin):
    list_display = ["last_name", "first_name", "rpps", "territory"]
    search_fields = ["last_name", "first_name", "rpps"]
    inlines = [ActivityInline]
    autocomplete_fields = ["user"]


@admin.register(Practice)
class PracticeAdmin(admin.ModelAdmin):
    list_display = ["name", "city", "territory"]
    search_fields = ["name", "city"]


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

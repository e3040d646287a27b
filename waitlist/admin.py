"""The technical admin of the waiting list: which territories share a list (a list's territories inline: that is
how the seven CPTS of a département get one queue), each list's priority rules, and the entries and handover
plans read-only, without any name, birth date or contact (those are read through the coordination pages, which
log each read)."""

from django.contrib import admin
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin
from waitlist.models import Entry, HandoverPlan, PriorityRules, WaitingList, WaitingListTerritory
from waitlist.selectors.coordination import rules_cache_key


class WaitingListTerritoryInline(admin.TabularInline):
    model = WaitingListTerritory
    extra = 1


class PriorityRulesInline(admin.StackedInline):
    model = PriorityRules
    extra = 0
    readonly_fields = ["version", "updated_at", "updated_by"]


@admin.register(WaitingList)
class WaitingListAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "territory_names"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [WaitingListTerritoryInline, PriorityRulesInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        cache.delete(rules_cache_key(form.instance.pk))

    @admin.display(description=_("territoires"))
    def territory_names(self, waiting_list):
        return ", ".join(t.name for t in waiting_list.territories.all())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("territories")


@admin.register(PriorityRules)
class PriorityRulesAdmin(admin.ModelAdmin):
    """Weights and levels as JSON; the coordination's page checks them and recomputes the queue, which a save
    here does not (the levels follow at the next save there or at each entry's next change)."""

    list_display = ["waiting_list", "version", "updated_at", "updated_by"]
    readonly_fields = ["version", "updated_at", "updated_by"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        cache.delete(rules_cache_key(obj.waiting_list_id))


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    """Counts and states only: no identity or contact column, no search by name."""

    list_display = ["public_id", "waiting_list", "status", "commune", "priority_level", "waiting_since", "source"]
    list_filter = ["status", "source", "waiting_list"]
    fields = [
        "public_id",
        "waiting_list",
        "status",
        "commune",
        "household_size",
        "priority_level",
        "level_override",
        "waiting_since",
        "source",
        "handover_plan",
        "merged_into",
    ]
    readonly_fields = fields
    list_select_related = ["waiting_list", "commune"]


@admin.register(HandoverPlan)
class HandoverPlanAdmin(ReadOnlyAdmin):
    list_display = ["departing_practitioner", "waiting_list", "departure_on", "first_month", "months", "status"]
    list_filter = ["status", "waiting_list"]
    list_select_related = ["departing_practitioner", "waiting_list"]

"""The waiting-list routes under /api/v1/waitlist/ (included by the project's api_v1 list, names in the "api"
namespace)."""

urlpatterns: list = []

# --- The coordination: entries (list, detail, override, merge) and handover plans (waitlist.api.coordination)
from django.urls import path  # noqa: E402

from waitlist.api import coordination as coordination_api  # noqa: E402

urlpatterns += [
    path("waitlist/entries/", coordination_api.EntryListView.as_view(), name="waitlist-entries"),
    path("waitlist/entries/<uuid:public_id>/", coordination_api.EntryDetailView.as_view(), name="waitlist-entry"),
    path(
        "waitlist/entries/<uuid:public_id>/override/",
        coordination_api.EntryOverrideView.as_view(),
        name="waitlist-entry-override",
    ),
    path(
        "waitlist/entries/<uuid:public_id>/merge/",
        coordination_api.EntryMergeView.as_view(),
        name="waitlist-entry-merge",
    ),
    path("waitlist/handover-plans/", coordination_api.HandoverPlanListView.as_view(), name="waitlist-handover-plans"),
    path(
        "waitlist/handover-plans/<uuid:public_id>/",
        coordination_api.HandoverPlanDetailView.as_view(),
        name="waitlist-handover-plan",
    ),
]

"""The waiting-list routes under /api/v1/waitlist/ (included by the project's api_v1 list, names in the "api"
namespace)."""

from django.urls import path

from core.access import public
from waitlist.api import coordination as coordination_api
from waitlist.api import erasure as erasure_api
from waitlist.api import signups as signup_api
from waitlist.api import statistics as statistics_api

urlpatterns = [
    # Anonymous by design (AllowAny), throttled per address: marked public for tests/test_access_rules.py.
    path("waitlist/signups/", public(signup_api.SignupCreateView.as_view()), name="waitlist-signups"),
    path(
        "waitlist/signups/<uuid:public_id>/verify/",
        public(signup_api.SignupVerifyView.as_view()),
        name="waitlist-signup-verify",
    ),
    path("waitlist/statistics/", statistics_api.StatisticsView.as_view(), name="waitlist-statistics"),
    # The coordination: entries (list, detail, override, merge, erase) and handover plans.
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
    path("waitlist/entries/<uuid:public_id>/erase/", erasure_api.EntryEraseView.as_view(), name="waitlist-entry-erase"),
]

"""The waiting-list routes under /api/v1/waitlist/ (included by the project's api_v1 list, names in the "api"
namespace)."""

from django.urls import path

from core.access import public
from waitlist.api import coordination as coordination_api
from waitlist.api import erasure as erasure_api
from waitlist.api import pledges as pledges_api
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
    # The GP's pledges, draws and proposals.
    path("waitlist/pledges/", pledges_api.PledgeListView.as_view(), name="waitlist-pledges"),
    path("waitlist/pledges/<uuid:public_id>/", pledges_api.PledgeDetailView.as_view(), name="waitlist-pledge"),
    path("waitlist/pledges/<uuid:public_id>/draw/", pledges_api.PledgeDrawView.as_view(), name="waitlist-pledge-draw"),
    path(
        "waitlist/pledges/<uuid:public_id>/close/", pledges_api.PledgeCloseView.as_view(), name="waitlist-pledge-close"
    ),
    path("waitlist/proposals/", pledges_api.ProposalListView.as_view(), name="waitlist-proposals"),
    path("waitlist/proposals/<uuid:public_id>/", pledges_api.ProposalDetailView.as_view(), name="waitlist-proposal"),
    path(
        "waitlist/proposals/<uuid:public_id>/accept/",
        pledges_api.ProposalAcceptView.as_view(),
        name="waitlist-proposal-accept",
    ),
    path(
        "waitlist/proposals/<uuid:public_id>/decline/",
        pledges_api.ProposalDeclineView.as_view(),
        name="waitlist-proposal-decline",
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

"""The waiting-list routes under /api/v1/waitlist/ (included by the project's api_v1 list, names in the "api"
namespace)."""

urlpatterns: list = []

# The GP's pledges, draws and proposals.
from django.urls import path  # noqa: E402

from waitlist.api import pledges as pledges_api  # noqa: E402

urlpatterns += [
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
]

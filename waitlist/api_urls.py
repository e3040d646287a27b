"""The waiting-list routes under /api/v1/waitlist/ (included by the project's api_v1 list, names in the "api"
namespace)."""

from django.urls import path

from core.access import public
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
    # The coordination.
    path("waitlist/entries/<uuid:public_id>/erase/", erasure_api.EntryEraseView.as_view(), name="waitlist-entry-erase"),
]

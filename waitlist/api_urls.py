"""The waiting-list routes under /api/v1/waitlist/ (included by the project's api_v1 list, names in the "api"
namespace)."""

urlpatterns: list = []

# --- Statistics (waitlist.api.statistics) ----------------------------------------------------------------------
from django.urls import path  # noqa: E402

from waitlist.api import statistics as statistics_api  # noqa: E402

urlpatterns += [
    path("waitlist/statistics/", statistics_api.StatisticsView.as_view(), name="waitlist-statistics"),
]

"""The waiting-list pages under /liste-attente/: the public sign-up and the patient's link, the GP's pledges and
proposals, the coordination, the statistics and the public report."""

app_name = "waitlist"

urlpatterns: list = []

# --- Statistics, the public monthly report, the coordinator's exports (waitlist.statistics_views) ---------------
from django.urls import path  # noqa: E402

from waitlist import statistics_views  # noqa: E402

urlpatterns += [
    path("rapport/", statistics_views.public_report_page, name="public_report"),
    path("statistiques/", statistics_views.statistics, name="statistics"),
    path("statistiques/export/", statistics_views.statistics_export, name="statistics_export"),
]

"""The directory's routes under /api/v1/ (included by the project's api_v1 list, names in the "api" namespace):
the caller's account, practitioners with their channels and absences, practices, the digital tools."""

from django.urls import path

from directory import api as directory_api

urlpatterns = [
    path("me/", directory_api.MeView.as_view(), name="me"),
    path("practitioners/", directory_api.PractitionerListView.as_view(), name="practitioner-list"),
    path(
        "practitioners/<uuid:public_id>/",
        directory_api.PractitionerDetailView.as_view(),
        name="practitioner-detail",
    ),
    path(
        "practitioners/<uuid:public_id>/channels/",
        directory_api.PractitionerChannelsView.as_view(),
        name="practitioner-channels",
    ),
    path(
        "practitioners/<uuid:public_id>/channels/<uuid:channel_id>/",
        directory_api.PractitionerChannelView.as_view(),
        name="practitioner-channel",
    ),
    path(
        "practitioners/<uuid:public_id>/absences/",
        directory_api.PractitionerAbsencesView.as_view(),
        name="practitioner-absences",
    ),
    path("practices/", directory_api.PracticeListView.as_view(), name="practice-list"),
    path("practices/<uuid:public_id>/", directory_api.PracticeDetailView.as_view(), name="practice-detail"),
    path("tools/", directory_api.DigitalToolListView.as_view(), name="tool-list"),
]

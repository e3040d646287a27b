"""The waiting-list routes under /api/v1/waitlist/ (included by the project's api_v1 list, names in the "api"
namespace)."""

urlpatterns: list = []

# The coordination's erasure on request.
from django.urls import path  # noqa: E402

from waitlist.api import erasure as erasure_api  # noqa: E402

urlpatterns += [
    path("waitlist/entries/<uuid:public_id>/erase/", erasure_api.EntryEraseView.as_view(), name="waitlist-entry-erase"),
]

"""The newsletter routes under /api/v1/newsletter/ (included by the project's api_v1 list)."""

from django.urls import path

from newsletter.api import issues as issues_api

urlpatterns = [
    path("newsletter/issues/", issues_api.IssueCreateView.as_view(), name="newsletter-issues"),
    path("newsletter/issues/<uuid:public_id>/", issues_api.IssueDetailView.as_view(), name="newsletter-issue"),
]

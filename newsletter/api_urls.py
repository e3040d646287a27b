"""The newsletter's routes under /api/v1/newsletter/ (included by the project's api_v1 list, names in the "api"
namespace)."""

from django.urls import path

from core.access import public
from newsletter import subscriber_api
from newsletter.api import issues as issues_api

urlpatterns = [
    # Anonymous by design (AllowAny), throttled per address: marked public for tests/test_access_rules.py.
    path(
        "newsletter/subscriptions/",
        public(subscriber_api.SubscriptionCreateView.as_view()),
        name="newsletter-subscriptions",
    ),
    # The coordinator's issues.
    path("newsletter/issues/", issues_api.IssueCreateView.as_view(), name="newsletter-issues"),
    path("newsletter/issues/<uuid:public_id>/", issues_api.IssueDetailView.as_view(), name="newsletter-issue"),
    path("newsletter/issues/<uuid:public_id>/send/", issues_api.IssueSendView.as_view(), name="newsletter-issue-send"),
    path(
        "newsletter/issues/<uuid:public_id>/progress/",
        issues_api.IssueProgressView.as_view(),
        name="newsletter-issue-progress",
    ),
]

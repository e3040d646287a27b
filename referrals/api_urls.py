"""The referrals' routes under /api/v1/ (included by the project's api_v1 list, names in the "api" namespace).
The catch-all action route comes last."""

from django.urls import path

from referrals import api as referrals_api

urlpatterns = [
    path("referrals/", referrals_api.ReferralListView.as_view(), name="referral-list"),
    path("referrals/<uuid:public_id>/", referrals_api.ReferralDetailView.as_view(), name="referral-detail"),
    path("referrals/<uuid:public_id>/letter.pdf", referrals_api.ReferralLetterView.as_view(), name="referral-letter"),
    path(
        "referrals/<uuid:public_id>/attachments/",
        referrals_api.ReferralAttachmentListView.as_view(),
        name="referral-attachments",
    ),
    path(
        "referrals/<uuid:public_id>/attachments/<uuid:attachment_id>/",
        referrals_api.ReferralAttachmentDownloadView.as_view(),
        name="referral-attachment",
    ),
    path(
        "referrals/<uuid:public_id>/messages/",
        referrals_api.ReferralMessageListView.as_view(),
        name="referral-messages",
    ),
    path(
        "referrals/<uuid:public_id>/<slug:action>/",
        referrals_api.ReferralActionView.as_view(),
        name="referral-action",
    ),
]

"""The referrals' routes under /api/v1/ (included by the project's api_v1 list, names in the "api" namespace).
Each action on a request has its own route and operation: ``referrals/<id>/accept/``, ``…/request-info/``…"""

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
    path("referrals/<uuid:public_id>/events/", referrals_api.ReferralEventListView.as_view(), name="referral-events"),
    *[
        path(
            f"referrals/<uuid:public_id>/{name.replace('_', '-')}/",
            view.as_view(),
            name=f"referral-{name.replace('_', '-')}",
        )
        for name, view in referrals_api.ACTION_VIEWS.items()
    ],
]

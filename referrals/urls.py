"""The referral pages, mounted under ``demandes/`` in the "referrals" namespace.

An action on a request is ``<id>/<action>/`` with a French slug (``accepter``, ``refuser``…): the converter
matches those slugs only, so the other pages of a request (``<id>/pieces/``…) keep their own routes, and
``{% url 'referrals:action' id 'accept' %}`` names the action as the services do.
"""

from django.urls import path, register_converter

from referrals import urls_billing, urls_coordination, urls_handling, views


class ReferralActionConverter:
    regex = "|".join(sorted(views.ACTION_BY_SLUG, key=len, reverse=True))

    def to_python(self, value: str) -> str:
        return views.ACTION_BY_SLUG[value]

    def to_url(self, value: str) -> str:
        return views.ACTIONS[value].slug


register_converter(ReferralActionConverter, "referral_action")

app_name = "referrals"

urlpatterns = [
    path("", views.referral_list, name="list"),
    path("nouvelle/", views.referral_new, name="new"),
    path("nouvelle/destinataires/", views.recipient_search, name="recipient_search"),
    path("nouvelle/destinataire/", views.recipient_notices, name="recipient_notices"),
    path("reception/", views.inbox, name="inbox"),
    path("reception/prendre-en-compte/", views.inbox_acknowledge, name="inbox_acknowledge"),
    path("<uuid:public_id>/", views.referral_detail, name="detail"),
    path("<uuid:public_id>/courrier.pdf", views.referral_letter, name="letter"),
    path("<uuid:public_id>/<referral_action:action>/", views.referral_action, name="action"),
    *urls_handling.urlpatterns,  # attachments, forward, conversion, sent outside the portal
    *urls_billing.urlpatterns,  # tele-expertise acts and tariffs, closing survey, dashboard
    *urls_coordination.urlpatterns,  # the coordinator's overdue requests
]

"""The referral pages, mounted under ``demandes/`` in the "referrals" namespace.

An action on a request is ``<id>/<action>/`` with a French slug (``accepter``, ``refuser``…): the converter
matches those slugs only, so the other pages of a request (``<id>/pieces/``…) keep their own routes, and
``{% url 'referrals:action' id 'accept' %}`` names the action as the registry does.
"""

from django.urls import path, re_path, register_converter

from referrals.views import billing, coordination, documents, handling, requests


class ReferralActionConverter:
    regex = "|".join(sorted(requests.ACTION_BY_SLUG, key=len, reverse=True))

    def to_python(self, value: str) -> str:
        return requests.ACTION_BY_SLUG[value]

    def to_url(self, value: str) -> str:
        return requests.PAGE_ACTIONS[value].slug


register_converter(ReferralActionConverter, "referral_action")

app_name = "referrals"

urlpatterns = [
    # The new request, the lists, one request.
    path("", requests.referral_list, name="list"),
    path("nouvelle/", requests.referral_new, name="new"),
    path("nouvelle/destinataires/", requests.recipient_search, name="recipient_search"),
    path("nouvelle/destinataire/", requests.recipient_notices, name="recipient_notices"),
    path("reception/", requests.inbox, name="inbox"),
    path("reception/prendre-en-compte/", requests.inbox_acknowledge, name="inbox_acknowledge"),
    path("reception/notifications/", documents.new_request_notices, name="new_request_notices"),
    path("<uuid:public_id>/", requests.referral_detail, name="detail"),
    path("<uuid:public_id>/courrier.pdf", requests.referral_letter, name="letter"),
    # What the patient and the GP take away: the appointment slip, the written answer to file.
    path("<uuid:public_id>/rendez-vous.pdf", documents.appointment_slip, name="appointment_slip"),
    path("<uuid:public_id>/reponse.pdf", documents.written_answer, name="written_answer"),
    path("<uuid:public_id>/<referral_action:action>/", requests.referral_action, name="action"),
    # Working a request: documents, forward, convert, sent outside the portal.
    path("<uuid:public_id>/pieces/", handling.attachment_list, name="attachment_list"),
    path("<uuid:public_id>/pieces/<uuid:attachment_id>/", handling.attachment_download, name="attachment_download"),
    path("<uuid:public_id>/transferer/", handling.handling_forward, name="handling_forward"),
    path("<uuid:public_id>/convertir/", handling.handling_convert, name="handling_convert"),
    path("<uuid:public_id>/hors-portail/", handling.handling_sent_outside, name="handling_sent_outside"),
    path("<uuid:public_id>/hors-portail/statut/", handling.handling_outside_status, name="handling_outside_status"),
    # Tele-expertise billing, the closing survey, the dashboard.
    path("tarifs/", billing.tariff_list, name="tariff_list"),
    path("actes/", billing.billing_acts, name="billing_acts"),
    re_path(r"^actes/(?P<year>\d{4})-(?P<month>\d{2})\.csv$", billing.billing_acts_csv, name="billing_acts_csv"),
    path("tableau-de-bord/", billing.dashboard, name="dashboard"),
    path("tableau-de-bord/export.csv", billing.dashboard_csv, name="dashboard_csv"),
    path("<uuid:public_id>/questionnaire/", billing.survey_answer, name="survey_answer"),
    # The coordinators' overdue requests.
    path("coordination/en-retard/", coordination.coordination_overdue, name="coordination_overdue"),
    path("coordination/en-retard.csv", coordination.coordination_overdue_csv, name="coordination_overdue_csv"),
    path(
        "coordination/demandes/<uuid:public_id>/",
        coordination.coordination_referral_status,
        name="coordination_referral_status",
    ),
]

"""Routes of tele-expertise billing, the closing survey and the dashboard. The project mounts them under
``demandes/`` in the "referrals" namespace (``referrals:tariff_list`` …)."""

from django.urls import path, re_path

from referrals import views_billing

urlpatterns = [
    path("tarifs/", views_billing.tariff_list, name="tariff_list"),
    path("actes/", views_billing.billing_acts, name="billing_acts"),
    re_path(r"^actes/(?P<year>\d{4})-(?P<month>\d{2})\.csv$", views_billing.billing_acts_csv, name="billing_acts_csv"),
    path("tableau-de-bord/", views_billing.dashboard, name="dashboard"),
    path("tableau-de-bord/export.csv", views_billing.dashboard_csv, name="dashboard_csv"),
    path("<uuid:public_id>/questionnaire/", views_billing.survey_answer, name="survey_answer"),
]

"""The SNP pages under /soins-non-programmes/."""

from django.urls import path, re_path

from snp.views import bookings, coordination, patient

app_name = "snp"

urlpatterns = [
    path("annuler/<str:token>/", patient.booking_cancel_link, name="booking_cancel_link"),
    path("reservations/<uuid:public_id>/", bookings.booking_detail, name="booking_detail"),
    # The coordinator's pages: recalls, unfilled slots and their tariffs, shared offer; the statistics.
    path("coordination/rappels/", coordination.recalls, name="recalls"),
    path("coordination/rappels/<uuid:public_id>/", coordination.recall_record, name="recall_record"),
    path("coordination/creneaux-non-pourvus/", coordination.unfilled_report, name="unfilled_report"),
    re_path(
        r"^coordination/creneaux-non-pourvus/(?P<year>\d{4})-(?P<month>\d{2})\.csv$",
        coordination.unfilled_report_csv,
        name="unfilled_report_csv",
    ),
    re_path(
        r"^coordination/creneaux-non-pourvus/(?P<year>\d{4})-(?P<month>\d{2})\.xlsx$",
        coordination.unfilled_report_xlsx,
        name="unfilled_report_xlsx",
    ),
    path("coordination/tarifs-creneaux-non-pourvus/", coordination.unfilled_tariffs, name="unfilled_tariffs"),
    path("coordination/territoires-voisins/", coordination.shared_offers, name="shared_offers"),
    path("coordination/territoires-voisins/retirer/", coordination.shared_offer_remove, name="shared_offer_remove"),
    path("statistiques/", coordination.statistics, name="statistics"),
]

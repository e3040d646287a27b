"""The SNP routes under /api/v1/snp/ (included by the project's api_v1 list, names in the "api" namespace)."""

from django.urls import path

from snp import api

urlpatterns = [
    path("snp/slots/", api.SlotListView.as_view(), name="snp-slots"),
    path("snp/slots/<uuid:public_id>/withdraw/", api.SlotWithdrawView.as_view(), name="snp-slot-withdraw"),
    path("snp/bookings/", api.BookingListView.as_view(), name="snp-bookings"),
    path("snp/bookings/<uuid:public_id>/", api.BookingDetailView.as_view(), name="snp-booking"),
    path("snp/bookings/<uuid:public_id>/outcome/", api.BookingOutcomeView.as_view(), name="snp-booking-outcome"),
    path("snp/bookings/<uuid:public_id>/cancel/", api.BookingCancelView.as_view(), name="snp-booking-cancel"),
    path("snp/calls/", api.CallCreateView.as_view(), name="snp-calls"),
    path("snp/statistics/", api.StatisticsView.as_view(), name="snp-statistics"),
]

"""The SNP pages under /soins-non-programmes/."""

from django.urls import path

from snp.views import board, bookings, patient

app_name = "snp"

urlpatterns = [
    path("annuler/<str:token>/", patient.booking_cancel_link, name="booking_cancel_link"),
    path("reservations/<uuid:public_id>/", bookings.booking_detail, name="booking_detail"),
    path("creneaux/", board.board, name="board"),
    path("creneaux/<uuid:public_id>/reserver/", board.booking_new, name="booking_new"),
    path("reservations/", board.booking_list, name="booking_list"),
    path("reservations/<uuid:public_id>/confirmation/", board.booking_confirmed, name="booking_confirmed"),
    path("appels/nouveau/", board.call_new, name="call_new"),
]

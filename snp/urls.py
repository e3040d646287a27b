"""The SNP pages under /soins-non-programmes/."""

from django.urls import path

from snp.views import bookings, patient, public

app_name = "snp"

urlpatterns = [
    path("pres-de-chez-vous/", public.public_offer, name="public_offer"),
    path("pres-de-chez-vous/<uuid:public_id>/reserver/", public.public_booking, name="public_booking"),
    path("annuler/<str:token>/", patient.booking_cancel_link, name="booking_cancel_link"),
    path("reservations/<uuid:public_id>/", bookings.booking_detail, name="booking_detail"),
]

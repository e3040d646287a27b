"""The SNP's FHIR resources under /fhir/ (included before the directory's facade, whose catch-all would answer
"unknown type" for them); see ``snp.fhir_views``."""

from django.urls import path

from snp import fhir_views

app_name = "snp_fhir"

urlpatterns = [
    path("metadata", fhir_views.metadata, name="metadata"),  # the directory's statement and the SNP's resources
    path("Schedule", fhir_views.schedule_search, name="schedule-search"),
    path("Schedule/<str:resource_id>", fhir_views.schedule_read, name="schedule-read"),
    path("Slot", fhir_views.slot_search, name="slot-search"),
    path("Slot/<str:resource_id>", fhir_views.slot_read, name="slot-read"),
    path("Appointment", fhir_views.appointment_create, name="appointment-create"),
    path("Appointment/<str:resource_id>", fhir_views.appointment_read, name="appointment-read"),
]

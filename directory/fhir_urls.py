"""The FHIR R4 facade of the directory, under /fhir/ (see ``directory.fhir_views``)."""

from django.urls import path

from directory import fhir_views

app_name = "fhir"

urlpatterns = [
    path("metadata", fhir_views.metadata, name="metadata"),
    path("<str:resource_type>", fhir_views.search, name="search"),
    path("<str:resource_type>/<str:resource_id>", fhir_views.read, name="read"),
]

"""The coordinators' pages of the referrals, mounted in the "referrals" namespace under ``demandes/``."""

from django.urls import path

from referrals import views_coordination

urlpatterns = [
    path("coordination/en-retard/", views_coordination.coordination_overdue, name="coordination_overdue"),
    path("coordination/en-retard.csv", views_coordination.coordination_overdue_csv, name="coordination_overdue_csv"),
]

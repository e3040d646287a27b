"""The waiting-list pages under /liste-attente/: the public sign-up and the patient's link, the GP's pledges and
proposals, the coordination, the statistics and the public report."""

from django.urls import path

from waitlist import statistics_views
from waitlist.views import erasure as erasure_views
from waitlist.views import patient as patient_views
from waitlist.views import signup as signup_views

app_name = "waitlist"

urlpatterns = [
    # The public sign-up and its code step.
    path("", signup_views.signup, name="signup"),
    path("code/<str:token>/", signup_views.signup_verify, name="signup_verify"),
    path("code/<str:token>/renvoyer/", signup_views.signup_resend, name="signup_resend"),
    path("inscription-enregistree/", signup_views.signup_done, name="signup_done"),
    # The patient's link (status, update, withdraw, erase, re-confirm) and the lost link.
    path("suivi/<str:token>/", patient_views.follow, name="follow"),
    path("suivi/<str:token>/modifier/", patient_views.follow_update, name="follow_update"),
    path("suivi/<str:token>/code/", patient_views.follow_contact_confirm, name="follow_contact_confirm"),
    path("suivi/<str:token>/retirer/", patient_views.follow_withdraw, name="follow_withdraw"),
    path("suivi/<str:token>/effacer/", patient_views.follow_erase, name="follow_erase"),
    path("suivi/<str:token>/confirmer/", patient_views.follow_confirm, name="follow_confirm"),
    path("lien-perdu/", patient_views.link_resend, name="link_resend"),
    # Statistics, the public monthly report, the coordinator's aggregated exports.
    path("rapport/", statistics_views.public_report_page, name="public_report"),
    path("statistiques/", statistics_views.statistics, name="statistics"),
    path("statistiques/export/", statistics_views.statistics_export, name="statistics_export"),
    # The coordination.
    path(
        "coordination/inscriptions/<uuid:public_id>/effacer/",
        erasure_views.coordination_entry_erase,
        name="coordination_entry_erase",
    ),
]

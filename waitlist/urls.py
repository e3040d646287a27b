"""The waiting-list pages under /liste-attente/: the public sign-up and the patient's link, the GP's pledges and
proposals, the coordination, the statistics and the public report."""

app_name = "waitlist"

urlpatterns: list = []

# The patient's link (status, update, withdraw, erase, re-confirm), the lost link, the coordination's erasure.
from django.urls import path  # noqa: E402

from waitlist.views import erasure as erasure_views  # noqa: E402
from waitlist.views import patient as patient_views  # noqa: E402

urlpatterns += [
    path("suivi/<str:token>/", patient_views.follow, name="follow"),
    path("suivi/<str:token>/modifier/", patient_views.follow_update, name="follow_update"),
    path("suivi/<str:token>/code/", patient_views.follow_contact_confirm, name="follow_contact_confirm"),
    path("suivi/<str:token>/retirer/", patient_views.follow_withdraw, name="follow_withdraw"),
    path("suivi/<str:token>/effacer/", patient_views.follow_erase, name="follow_erase"),
    path("suivi/<str:token>/confirmer/", patient_views.follow_confirm, name="follow_confirm"),
    path("lien-perdu/", patient_views.link_resend, name="link_resend"),
    path(
        "coordination/inscriptions/<uuid:public_id>/effacer/",
        erasure_views.coordination_entry_erase,
        name="coordination_entry_erase",
    ),
]

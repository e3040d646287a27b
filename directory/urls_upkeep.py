"""Keeping the directory true: claims, confirmations, change feed, error reports, merges."""

from django.urls import path

from directory.views import upkeep as views

urlpatterns = [
    path("annuaire/gerer-ma-fiche/", views.claim_lookup, name="claim_lookup"),
    path("annuaire/gerer-ma-fiche/envoye/", views.claim_sent, name="claim_sent"),
    path("annuaire/gerer-ma-fiche/verifier/<str:token>/", views.claim_verify, name="claim_verify"),
    path("annuaire/<uuid:practitioner_id>/gerer/", views.claim_start, name="claim_start"),
    path("annuaire/<uuid:practitioner_id>/confirmer/", views.entry_confirm, name="entry_confirm"),
    path("annuaire/confirmer/<str:token>/", views.confirm_link, name="confirm_link"),
    path("coordination/annuaire/", views.upkeep_feed, name="upkeep_feed"),
    path("coordination/annuaire/rattachements/", views.claim_queue, name="claim_queue"),
    path("coordination/annuaire/rattachements/<uuid:claim_id>/", views.claim_decide, name="claim_decide"),
    path("coordination/annuaire/signalements/", views.upkeep_reports, name="upkeep_reports"),
    path(
        "coordination/annuaire/signalements/<uuid:report_id>/traite/",
        views.error_report_resolve,
        name="error_report_resolve",
    ),
    path("coordination/annuaire/a-confirmer/", views.upkeep_stale, name="upkeep_stale"),
    path("coordination/annuaire/doublons/", views.merge_candidates, name="merge_candidates"),
    path(
        "coordination/annuaire/doublons/<uuid:first_id>/<uuid:second_id>/",
        views.merge_confirm,
        name="merge_confirm",
    ),
]

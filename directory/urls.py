"""The directory's pages: the search, practitioner and practice pages and their editing, keeping the directory
true (claims, confirmations, the coordinator's follow-up), and the coordination of accounts. The API's routes are
in ``directory.api_urls``, FHIR's in ``directory.fhir_urls``."""

from django.urls import path

from directory import views
from directory.views import changes, entries, upkeep

app_name = "directory"

urlpatterns = [
    path("annuaire/", views.practitioner_search, name="search"),
    path("annuaire/export.<str:file_format>", views.practitioner_search_export, name="search_export"),
    # Practitioner and practice pages, and their editing.
    path("annuaire/communes/", entries.commune_suggestions, name="commune_suggestions"),
    path("annuaire/cabinets/<uuid:practice_id>/", entries.practice_detail, name="practice_detail"),
    path("annuaire/cabinets/<uuid:practice_id>/modifier/", entries.practice_edit, name="practice_edit"),
    path("annuaire/cabinets/<uuid:practice_id>/contacts/", entries.practice_channels, name="practice_channels"),
    path("annuaire/contacts/<uuid:channel_id>/modifier/", entries.channel_edit, name="channel_edit"),
    path("annuaire/contacts/<uuid:channel_id>/supprimer/", entries.channel_delete, name="channel_delete"),
    path("annuaire/absences/<uuid:absence_id>/modifier/", entries.absence_edit, name="absence_edit"),
    path("annuaire/absences/<uuid:absence_id>/supprimer/", entries.absence_delete, name="absence_delete"),
    path("annuaire/<uuid:practitioner_id>/", entries.practitioner_detail, name="practitioner_detail"),
    path("annuaire/<uuid:practitioner_id>/modifier/", entries.practitioner_edit, name="practitioner_edit"),
    path("annuaire/<uuid:practitioner_id>/contacts/", entries.practitioner_channels, name="practitioner_channels"),
    path("annuaire/<uuid:practitioner_id>/outils/", entries.practitioner_tools, name="practitioner_tools"),
    path(
        "annuaire/<uuid:practitioner_id>/outils/<slug:tool_slug>/modifier/",
        entries.practitioner_tool_edit,
        name="practitioner_tool_edit",
    ),
    path(
        "annuaire/<uuid:practitioner_id>/outils/<slug:tool_slug>/retirer/",
        entries.practitioner_tool_remove,
        name="practitioner_tool_remove",
    ),
    path("annuaire/<uuid:practitioner_id>/absences/", entries.practitioner_absences, name="practitioner_absences"),
    path("annuaire/<uuid:practitioner_id>/signaler/", entries.practitioner_report, name="practitioner_report"),
    # Keeping the directory true: claims, confirmations, change feed, error reports, merges.
    path("annuaire/gerer-ma-fiche/", upkeep.claim_lookup, name="claim_lookup"),
    path("annuaire/gerer-ma-fiche/envoye/", upkeep.claim_sent, name="claim_sent"),
    path("annuaire/gerer-ma-fiche/verifier/<str:token>/", upkeep.claim_verify, name="claim_verify"),
    path("annuaire/<uuid:practitioner_id>/gerer/", upkeep.claim_start, name="claim_start"),
    path("annuaire/<uuid:practitioner_id>/confirmer/", upkeep.entry_confirm, name="entry_confirm"),
    path("annuaire/confirmer/<str:token>/", upkeep.confirm_link, name="confirm_link"),
    path("coordination/annuaire/", upkeep.upkeep_feed, name="upkeep_feed"),
    path("coordination/annuaire/mouvements/", changes.territory_changes, name="territory_changes"),
    path("coordination/annuaire/rattachements/", upkeep.claim_queue, name="claim_queue"),
    path("coordination/annuaire/rattachements/<uuid:claim_id>/", upkeep.claim_decide, name="claim_decide"),
    path("coordination/annuaire/signalements/", upkeep.upkeep_reports, name="upkeep_reports"),
    path(
        "coordination/annuaire/signalements/<uuid:report_id>/traite/",
        upkeep.error_report_resolve,
        name="error_report_resolve",
    ),
    path("coordination/annuaire/a-confirmer/", upkeep.upkeep_stale, name="upkeep_stale"),
    path(
        "coordination/annuaire/a-confirmer/<uuid:practitioner_id>/",
        upkeep.upkeep_stale_confirm,
        name="upkeep_stale_confirm",
    ),
    path("coordination/annuaire/doublons/", upkeep.merge_candidates, name="merge_candidates"),
    path(
        "coordination/annuaire/doublons/<uuid:first_id>/<uuid:second_id>/",
        upkeep.merge_confirm,
        name="merge_confirm",
    ),
    path("coordination/comptes/", views.account_list, name="account_list"),
    path("coordination/comptes/inviter/", views.account_invite, name="account_invite"),
    path("coordination/comptes/<uuid:account_id>/", views.account_detail, name="account_detail"),
    path(
        "coordination/comptes/<uuid:account_id>/roles/<uuid:grant_id>/retirer/",
        views.role_grant_revoke,
        name="role_grant_revoke",
    ),
]

"""Practitioner pages and their editing."""

from django.urls import path

from directory.views import entries as views

urlpatterns = [
    path("annuaire/communes/", views.commune_suggestions, name="commune_suggestions"),
    path("annuaire/cabinets/<uuid:practice_id>/", views.practice_detail, name="practice_detail"),
    path("annuaire/cabinets/<uuid:practice_id>/modifier/", views.practice_edit, name="practice_edit"),
    path("annuaire/cabinets/<uuid:practice_id>/contacts/", views.practice_channels, name="practice_channels"),
    path("annuaire/contacts/<uuid:channel_id>/modifier/", views.channel_edit, name="channel_edit"),
    path("annuaire/contacts/<uuid:channel_id>/supprimer/", views.channel_delete, name="channel_delete"),
    path("annuaire/absences/<uuid:absence_id>/modifier/", views.absence_edit, name="absence_edit"),
    path("annuaire/absences/<uuid:absence_id>/supprimer/", views.absence_delete, name="absence_delete"),
    path("annuaire/<uuid:practitioner_id>/", views.practitioner_detail, name="practitioner_detail"),
    path("annuaire/<uuid:practitioner_id>/modifier/", views.practitioner_edit, name="practitioner_edit"),
    path("annuaire/<uuid:practitioner_id>/contacts/", views.practitioner_channels, name="practitioner_channels"),
    path("annuaire/<uuid:practitioner_id>/outils/", views.practitioner_tools, name="practitioner_tools"),
    path(
        "annuaire/<uuid:practitioner_id>/outils/<slug:tool_slug>/modifier/",
        views.practitioner_tool_edit,
        name="practitioner_tool_edit",
    ),
    path(
        "annuaire/<uuid:practitioner_id>/outils/<slug:tool_slug>/retirer/",
        views.practitioner_tool_remove,
        name="practitioner_tool_remove",
    ),
    path("annuaire/<uuid:practitioner_id>/absences/", views.practitioner_absences, name="practitioner_absences"),
    path("annuaire/<uuid:practitioner_id>/signaler/", views.practitioner_report, name="practitioner_report"),
]

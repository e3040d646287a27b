from django.urls import include, path

from directory import views

app_name = "directory"

urlpatterns = [
    path("annuaire/", views.practitioner_search, name="search"),
    path("annuaire/export.<str:file_format>", views.practitioner_search_export, name="search_export"),
    path("", include("directory.urls_entries")),
    path("", include("directory.urls_upkeep")),
    path("coordination/comptes/", views.account_list, name="account_list"),
    path("coordination/comptes/inviter/", views.account_invite, name="account_invite"),
    path("coordination/comptes/<uuid:account_id>/", views.account_detail, name="account_detail"),
    path(
        "coordination/comptes/<uuid:account_id>/roles/<uuid:grant_id>/retirer/",
        views.role_grant_revoke,
        name="role_grant_revoke",
    ),
]

from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.profile, name="profile"),
    path("jetons/<uuid:token_id>/revoquer/", views.api_token_revoke, name="api_token_revoke"),
    path("journal-acces/", views.access_log, name="access_log"),
]

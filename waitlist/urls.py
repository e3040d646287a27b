"""The waiting-list pages under /liste-attente/: the public sign-up and the patient's link, the GP's pledges and
proposals, the coordination, the statistics and the public report."""

app_name = "waitlist"

urlpatterns: list = []

# --- The public sign-up (waitlist.views.signup) ---
from django.urls import path  # noqa: E402

from waitlist.views import signup as signup_views  # noqa: E402

urlpatterns += [
    path("", signup_views.signup, name="signup"),
    path("code/<str:token>/", signup_views.signup_verify, name="signup_verify"),
    path("code/<str:token>/renvoyer/", signup_views.signup_resend, name="signup_resend"),
    path("inscription-enregistree/", signup_views.signup_done, name="signup_done"),
]

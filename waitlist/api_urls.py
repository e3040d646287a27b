"""The waiting-list routes under /api/v1/waitlist/ (included by the project's api_v1 list, names in the "api"
namespace)."""

urlpatterns: list = []

# --- The public sign-up (waitlist.api.signups) ---
from django.urls import path  # noqa: E402

from core.access import public  # noqa: E402
from waitlist.api import signups as signup_api  # noqa: E402

# Marked public for tests/test_access_rules.py: anonymous by design (AllowAny), throttled per address.

urlpatterns += [
    path("waitlist/signups/", public(signup_api.SignupCreateView.as_view()), name="waitlist-signups"),
    path(
        "waitlist/signups/<uuid:public_id>/verify/",
        public(signup_api.SignupVerifyView.as_view()),
        name="waitlist-signup-verify",
    ),
]

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

from core.csp import csp_override
from cpts_portal import health, views
from directory import api as directory_api
from referrals import api_urls as referrals_api_urls

# The technical admin signs in through allauth too, so MFA and the lock-out apply there as well.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Portail CPTS — administration technique"

api_v1 = [
    path("me/", directory_api.MeView.as_view(), name="me"),
    path("practitioners/", directory_api.PractitionerListView.as_view(), name="practitioner-list"),
    path(
        "practitioners/<uuid:public_id>/",
        directory_api.PractitionerDetailView.as_view(),
        name="practitioner-detail",
    ),
    path(
        "practitioners/<uuid:public_id>/channels/",
        directory_api.PractitionerChannelsView.as_view(),
        name="practitioner-channels",
    ),
    path(
        "practitioners/<uuid:public_id>/channels/<uuid:channel_id>/",
        directory_api.PractitionerChannelView.as_view(),
        name="practitioner-channel",
    ),
    path(
        "practitioners/<uuid:public_id>/absences/",
        directory_api.PractitionerAbsencesView.as_view(),
        name="practitioner-absences",
    ),
    path("practices/", directory_api.PracticeListView.as_view(), name="practice-list"),
    path("practices/<uuid:public_id>/", directory_api.PracticeDetailView.as_view(), name="practice-detail"),
    path("tools/", directory_api.DigitalToolListView.as_view(), name="tool-list"),
    *referrals_api_urls.urlpatterns,
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("compte/", include("accounts.urls")),
    path("envois/", include("notifications.urls")),
    path("demandes/", include("referrals.urls")),
    path("", include("directory.urls")),  # the directory search and the coordination of accounts
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny]), name="api-schema"),
    path(
        "api/docs/",
        # The split view serves its start-up script as a file, so scripts stay 'self' only; Swagger UI sets inline
        # styles as it draws, allowed on this page alone.
        csp_override(style_src=("'self'", "'unsafe-inline'"))(
            SpectacularSwaggerSplitView.as_view(url_name="api-schema", permission_classes=[AllowAny])
        ),
        name="api-docs",
    ),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("fhir/", include("directory.urls_fhir")),
]

handler400 = "cpts_portal.errors.bad_request"
handler403 = "cpts_portal.errors.permission_denied"
handler404 = "cpts_portal.errors.page_not_found"
handler500 = "cpts_portal.errors.server_error"

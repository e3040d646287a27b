from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

from core.csp import csp_override
from cpts_portal import health, views
from directory import api_urls as directory_api_urls
from newsletter import api_urls as newsletter_api_urls
from referrals import api_urls as referrals_api_urls
from snp import api_urls as snp_api_urls
from waitlist import api_urls as waitlist_api_urls

# The technical admin signs in through allauth too, so MFA and the lock-out apply there as well.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Portail CPTS — administration technique"

api_v1 = [
    *directory_api_urls.urlpatterns,
    *referrals_api_urls.urlpatterns,
    *snp_api_urls.urlpatterns,
    *waitlist_api_urls.urlpatterns,
    *newsletter_api_urls.urlpatterns,
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("compte/", include("accounts.urls")),
    path("envois/", include("notifications.urls")),
    path("demandes/", include("referrals.urls")),
    path("soins-non-programmes/", include("snp.urls")),
    path("liste-attente/", include("waitlist.urls")),
    path("lettre/", include("newsletter.urls")),
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
    path("fhir/", include("snp.fhir_urls")),  # Schedule, Slot, Appointment: before the directory's catch-all
    path("fhir/", include("directory.fhir_urls")),
]

handler400 = "cpts_portal.errors.bad_request"
handler403 = "cpts_portal.errors.permission_denied"
handler404 = "cpts_portal.errors.page_not_found"
handler500 = "cpts_portal.errors.server_error"

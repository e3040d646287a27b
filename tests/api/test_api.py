"""The REST API's shell: schema, offline docs, one error format in French, never a 500 on bad input."""

import pytest
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import ApplicationError


def test_openapi_schema_is_served(client, db):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/me/" in schema["paths"]
    assert "jetonPersonnel" in schema["components"]["securitySchemes"]


def test_docs_page_loads_its_assets_from_the_portal_not_a_cdn(client, db):
    page = client.get("/api/docs/").content.decode()

    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert "cdn" not in page.lower()


def test_unknown_api_route_is_a_json_404(client, db):
    response = client.get("/api/v1/nothing-here/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Cette page n'existe pas ou n'est plus disponible."}


def test_unknown_page_is_a_french_404(client, db):
    response = client.get("/nulle-part/")

    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()


class _RefusingView(APIView):
    permission_classes = []
    authentication_classes = []

    def post(self, request):
        request.data  # noqa: B018 - parsing is where malformed input is refused
        raise ApplicationError("Le créneau est déjà réservé.", field="slot", code="slot_taken")

    def get(self, request):
        return Response({"ok": True})


urlpatterns = [path("refus/", _RefusingView.as_view())]


@pytest.mark.urls("tests.api.test_api")
def test_domain_error_becomes_a_400_with_its_french_message(client):
    response = client.post("/refus/")

    assert response.status_code == 400
    assert response.json() == {"detail": "Le créneau est déjà réservé.", "code": "slot_taken", "field": "slot"}


@pytest.mark.urls("tests.api.test_api")
def test_malformed_json_is_a_400_in_french(client):
    response = client.post("/refus/", data="{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Le corps de la requête est illisible : JSON ou formulaire mal formé.",
        "code": "parse_error",
    }


def test_exception_handler_answers_django_validation_errors():
    from django.core.exceptions import ValidationError

    from core.api import exception_handler

    response = exception_handler(ValidationError({"rpps": ["Numéro RPPS invalide"]}), {})

    assert response.status_code == 400
    assert response.data == {"rpps": ["Numéro RPPS invalide"]}

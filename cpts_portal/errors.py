"""Error pages in French; API paths get JSON instead of HTML."""

from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _


def _respond(request, status: int, title: str, message: str):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=status)
    return render(request, "error.html", {"title": title, "message": message, "status": status}, status=status)


def bad_request(request, exception=None):
    return _respond(request, 400, _("Requête invalide"), _("La demande n'a pas pu être comprise."))


def permission_denied(request, exception=None):
    return _respond(request, 403, _("Accès refusé"), _("Cette page est réservée à d'autres rôles que les vôtres."))


def page_not_found(request, exception=None):
    return _respond(request, 404, _("Page introuvable"), _("Cette page n'existe pas ou n'est plus disponible."))


def server_error(request):
    # Rendered without the request context: the failure may be the database the context processors read.
    message = _("Un incident nous empêche de répondre. L'équipe technique est prévenue ; réessayez dans un instant.")
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=500)
    body = render_to_string("error.html", {"title": _("Erreur du serveur"), "message": message, "status": 500})
    return HttpResponseServerError(body)

"""API plumbing shared by every app: parsing input into a French refusal, and the exception handler that turns
domain refusals into 400s."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import ApplicationError
from core.pages import FORBIDDEN, NOT_FOUND

_ACCESS_STATUS = {NOT_FOUND: status.HTTP_404_NOT_FOUND, FORBIDDEN: status.HTTP_403_FORBIDDEN}


def exception_handler(exc, context):
    """ApplicationError and model validation become 400 with a French message, access refusals 404 (may not see)
    or 403 (sees, may not change) as on the pages (``core.pages``); the rest is DRF's."""
    if isinstance(exc, ApplicationError):
        body = {"detail": exc.message, "code": exc.code}
        if exc.field:
            body["field"] = exc.field
        return Response(body, status=_ACCESS_STATUS.get(exc.code, status.HTTP_400_BAD_REQUEST))
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "message_dict"):
            return Response(exc.message_dict, status=status.HTTP_400_BAD_REQUEST)
        return Response({"detail": exc.messages}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, exceptions.ParseError):
        # DRF's parse errors are English and technical; say what to fix instead.
        message = _("Le corps de la requête est illisible : JSON ou formulaire mal formé.")
        return Response({"detail": message, "code": "parse_error"}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    return drf_exception_handler(exc, context)


def validated_input(serializer_class, data) -> dict:
    """Parsed input, or the first error as the ``ApplicationError`` the exception handler makes a French 400."""
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        field, messages = next(iter(serializer.errors.items()))
        message = messages[0] if isinstance(messages, list) else next(iter(messages.values()))[0]
        if field == "non_field_errors":
            raise ApplicationError(str(message))
        raise ApplicationError(str(message), field=field)
    return serializer.validated_data

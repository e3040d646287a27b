"""API plumbing shared by every app: the JSON parser every API reads bodies with, parsing input into a French
refusal, and the exception handler that turns domain refusals into 400s.

Bodies: a JSON body may weigh at most ``MAX_JSON_BODY_BYTES`` (1 MiB) and nest at most ``MAX_JSON_DEPTH`` (32)
levels. A heavier body answers **413** without being read past the limit (``Content-Length`` is checked first,
and a body without one, chunked, is read up to the limit and no further); a deeper one answers a French **400**.
Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` does not protect the API: DRF reads the request as a stream, never
through ``request.body`` where Django checks it.
"""

import json
from io import BytesIO

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import inline_serializer
from rest_framework import exceptions, parsers, serializers, status
from rest_framework.response import Response
from rest_framework.utils import json as drf_json

from core.errors import ApplicationError
from core.pages import CONFLICT, FORBIDDEN, NOT_FOUND

_ACCESS_STATUS = {
    NOT_FOUND: status.HTTP_404_NOT_FOUND,
    FORBIDDEN: status.HTTP_403_FORBIDDEN,
    CONFLICT: status.HTTP_409_CONFLICT,
}

MAX_JSON_BODY_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 32

# The body of every refusal the exception handler writes, for the schemas of every app's API.
ErrorSerializer = inline_serializer(
    name="ApiError",
    fields={
        "detail": serializers.CharField(help_text="Message en français."),
        "code": serializers.CharField(required=False),
        "field": serializers.CharField(required=False, help_text="Le paramètre ou le champ en cause."),
    },
)


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "body_too_large"


class BodyTooDeep(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "body_too_deep"


def _too_large() -> BodyTooLarge:
    return BodyTooLarge(
        _("Le corps de la requête dépasse la taille maximale acceptée (%(limit)s Mo).")
        % {"limit": MAX_JSON_BODY_BYTES // (1024 * 1024)}
    )


def _too_deep() -> BodyTooDeep:
    return BodyTooDeep(
        _("Le JSON envoyé est imbriqué trop profondément (au plus %(depth)s niveaux).") % {"depth": MAX_JSON_DEPTH}
    )


def _declared_length(request) -> int | None:
    raw = request.META.get("CONTENT_LENGTH") or request.META.get("HTTP_CONTENT_LENGTH")
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


def _json_depth(value) -> int:
    """How deep the containers of a parsed document nest, walked without recursion."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        current, depth = pending.pop()
        if isinstance(current, dict):
            children = current.values()
        elif isinstance(current, list):
            children = current
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_JSON_DEPTH:
            return deepest
        pending.extend((child, depth + 1) for child in children)
    return deepest


def bounded_body(stream, request) -> bytes:
    """The body, or ``BodyTooLarge`` before reading more than ``MAX_JSON_BODY_BYTES`` of it."""
    declared = _declared_length(request)
    if declared is not None and declared > MAX_JSON_BODY_BYTES:
        raise _too_large()
    if stream is None:
        return b""
    body = stream.read(MAX_JSON_BODY_BYTES + 1)
    if len(body) > MAX_JSON_BODY_BYTES:
        raise _too_large()
    return body


class BoundedJSONParser(parsers.JSONParser):
    """DRF's JSON parser with a size and a depth limit (see the module's docstring)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        body = bounded_body(stream, parser_context["request"])
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            data = json.loads(body.decode(encoding), parse_constant=drf_json.strict_constant if self.strict else None)
        except RecursionError:
            raise _too_deep() from None
        except (ValueError, UnicodeDecodeError) as error:
            raise exceptions.ParseError(str(error)) from None
        if _json_depth(data) > MAX_JSON_DEPTH:
            raise _too_deep()
        return data


class BoundedFormParser(parsers.FormParser):
    """DRF's URL-encoded form parser with the same size limit as the JSON one."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        body = bounded_body(stream, parser_context["request"])
        return super().parse(BytesIO(body), media_type, parser_context)


def exception_handler(exc, context):
    """ApplicationError and model validation become 400 with a French message, access refusals 404 (may not see)
    or 403 (sees, may not change) as on the pages (``core.pages``), a conflict 409 (someone else was first);
    the rest is DRF's."""
    # Imported here: rest_framework.views reads DEFAULT_PARSER_CLASSES, which names this module's parsers.
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, ApplicationError):
        body = {"detail": exc.message, "code": exc.code}
        if exc.field:
            body["field"] = exc.field
        body.update({key: value for key, value in exc.details.items() if key not in body})
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

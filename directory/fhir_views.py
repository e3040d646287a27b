"""The FHIR R4 facade of the directory (``/fhir/``): read and search Practitioner, PractitionerRole and
Organization, and the CapabilityStatement (``/fhir/metadata``). Read-only, JSON only (``application/fhir+json``).

Anyone may read, as the directory's pages: without credentials the caller is the public (public channels only,
no absences); with a personal token (``Authorization: Token …``) or a session, their audience's channels.
Every refusal is an OperationOutcome with a French ``diagnostics`` and a 4xx status. Callers are throttled with
the REST API's rates and counters (``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``): past them, a 429.
"""

import json
import uuid
from functools import wraps
from types import SimpleNamespace

from django.http import HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from accounts.authentication import PersonalTokenAuthentication
from accounts.permissions import IsAuthenticatedWithRequiredMfa, mfa_required_but_missing
from core.access import public
from core.errors import ApplicationError
from core.pages import FORBIDDEN, NOT_FOUND
from directory import fhir
from directory.selectors import api as api_selectors
from directory.selectors import audience_of
from directory.selectors.api import (
    FhirOrganizationQuery,
    FhirPractitionerQuery,
    FhirRoleQuery,
    StringCriterion,
    TokenCriterion,
)
from directory.selectors.entries import merged_into

DEFAULT_COUNT = 20
MAX_COUNT = 100
MAX_OFFSET = 1_000_000
MAX_VALUE_LENGTH = 200
_JSON_FORMATS = frozenset({"json", "application/json", "application/fhir+json"})
_PAGING = ("_count", "_offset", "_format")

_REFUSAL_STATUS = {NOT_FOUND: (404, "not-found"), FORBIDDEN: (403, "forbidden")}


class FhirError(Exception):
    """A refusal answered as an OperationOutcome: ``code`` is a FHIR IssueType."""

    def __init__(self, message: str, *, status: int = 400, code: str = "invalid", headers: dict | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.headers = headers or {}


def _response(body: dict, *, status: int = 200, headers: dict | None = None) -> HttpResponse:
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False),
        status=status,
        content_type=f"{fhir.FHIR_CONTENT_TYPE}; charset=utf-8",
        headers=headers,
    )
    return response


def _viewer(request):
    """The caller: a personal token's owner, else the session's user (anonymous: the public)."""
    if request.META.get("HTTP_AUTHORIZATION"):
        try:
            authenticated = PersonalTokenAuthentication().authenticate(request)
        except AuthenticationFailed as error:
            raise FhirError(
                str(error.detail), status=401, code="login", headers={"WWW-Authenticate": "Token"}
            ) from None
        if authenticated is not None:
            return authenticated[0]
    return request.user


def _throttle(request, viewer) -> None:
    """The REST API's throttles (same scopes, so one budget for both): a 429 with ``Retry-After`` past them."""
    caller = SimpleNamespace(user=viewer, META=request.META)
    for throttle in (AnonRateThrottle(), UserRateThrottle()):
        if not throttle.allow_request(caller, None):
            wait = throttle.wait()
            seconds = max(int(wait or 1), 1)
            raise FhirError(
                _("Trop de requêtes : réessayez dans %(seconds)s secondes.") % {"seconds": seconds},
                status=429,
                code="throttled",
                headers={"Retry-After": str(seconds)},
            )


def _refusals_answered(request, methods: tuple[str, ...], run) -> HttpResponse:
    """Checks the method and the format, throttles the caller, and turns refusals into OperationOutcomes."""
    try:
        if request.method not in methods:
            if methods == ("GET", "HEAD"):
                message = _("Ce serveur FHIR est en lecture seule : seule la méthode GET est acceptée.")
            else:
                message = _("Méthode non prise en charge : %(method)s.") % {"method": request.method}
            raise FhirError(message, status=405, code="not-supported", headers={"Allow": ", ".join(methods)})
        for requested in request.GET.getlist("_format"):
            if requested not in _JSON_FORMATS:
                raise FhirError(
                    _("Format non pris en charge : « %(format)s ». Seul le JSON est servi.") % {"format": requested},
                    status=406,
                    code="not-supported",
                )
        viewer = _viewer(request)
        _throttle(request, viewer)
        return run(viewer)
    except FhirError as error:
        return _response(
            fhir.operation_outcome(error.message, code=error.code), status=error.status, headers=error.headers
        )
    except ApplicationError as error:
        # The one rule of core.pages: 404 for what the caller may not see, 403 for what they may not change.
        status, code = _REFUSAL_STATUS.get(error.code, (400, "invalid"))
        return _response(fhir.operation_outcome(error.message, code=code), status=status)


def fhir_endpoint(view):
    """GET (and HEAD) only, JSON only; the caller's audience resolved; refusals become OperationOutcomes."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        return _refusals_answered(
            request, ("GET", "HEAD"), lambda viewer: view(request, audience_of(viewer), *args, **kwargs)
        )

    return csrf_exempt(wrapper)


def fhir_signed_in_endpoint(*, methods: tuple[str, ...] = ("GET", "HEAD")):
    """For what is not public (the SNP's slots and appointments): a caller signed in by a personal token or a
    session, with the second factor their roles require, is passed to ``view(request, viewer, …)``. Anonymous:
    401; without the second factor: 403; a session's POST must carry its CSRF token (a token's need not)."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            def run(viewer):
                if not viewer.is_authenticated:
                    raise FhirError(
                        _("Authentification requise : connectez-vous ou envoyez un jeton personnel (Token …)."),
                        status=401,
                        code="login",
                        headers={"WWW-Authenticate": "Token"},
                    )
                if mfa_required_but_missing(viewer):
                    raise FhirError(str(IsAuthenticatedWithRequiredMfa.message), status=403, code="forbidden")
                if request.method not in ("GET", "HEAD") and not request.META.get("HTTP_AUTHORIZATION"):
                    refused = CsrfViewMiddleware(lambda _request: None).process_view(request, None, (), {})
                    if refused is not None:
                        raise FhirError(
                            _("Jeton CSRF absent ou invalide : rechargez la page, ou utilisez un jeton personnel."),
                            status=403,
                            code="forbidden",
                        )
                return view(request, viewer, *args, **kwargs)

            return _refusals_answered(request, methods, run)

        return csrf_exempt(wrapper)

    return decorator


def fhir_response(body: dict, *, status: int = 200, headers: dict | None = None) -> HttpResponse:
    """A FHIR JSON answer (``application/fhir+json``), for the facades of other apps."""
    return _response(body, status=status, headers=headers)


def fhir_base_url(request) -> str:
    """``https://host/fhir/``: the base of the references' full URLs."""
    return _base_url(request)


def _base_url(request) -> str:
    return request.build_absolute_uri(reverse("fhir:metadata")).removesuffix("metadata")


# --- Parsing a search ---------------------------------------------------------------------------------------------

_PARAMETER_KINDS = {
    resource_type: {name: kind for name, kind, _definition, _documentation in parameters}
    for resource_type, parameters in fhir.SEARCH_PARAMETERS.items()
}


def _split_values(raw: str) -> list[str]:
    """A parameter's comma-separated alternatives ("a,b" is a OR b); "\\," is a literal comma."""
    values, current, escaped = [], [], False
    for character in raw:
        if escaped:
            current.append(character)
            escaped = False
        elif character == "\\":
            escaped = True
        elif character == ",":
            values.append("".join(current).strip())
            current = []
        else:
            current.append(character)
    values.append("".join(current).strip())
    return [value for value in values if value]


def _checked(name: str, raw: str) -> str:
    if "\x00" in raw or len(raw) > MAX_VALUE_LENGTH:
        raise FhirError(
            _("Valeur illisible ou trop longue pour le paramètre « %(name)s » (%(max)s caractères au plus).")
            % {"name": name, "max": MAX_VALUE_LENGTH}
        )
    return raw


def _token(value: str) -> TokenCriterion:
    if "|" in value:
        system, _bar, code = value.partition("|")
        return TokenCriterion(system=system, code=code or None)
    return TokenCriterion(system=None, code=value)


def _reference_id(value: str, resource_type: str) -> str:
    """ "Practitioner/<id>", a full URL ending so, or the bare id."""
    prefix = f"{resource_type}/"
    if prefix in value:
        value = value.rsplit(prefix, 1)[1]
    elif "/" in value:
        raise FhirError(
            _("Référence invalide : « %(value)s » (attendu : %(type)s/identifiant).")
            % {"value": value, "type": resource_type}
        )
    return value


def _uuids(values: list[str]) -> list[str]:
    """Ids that are not ours match nothing (an empty list filters everything out)."""
    found = []
    for value in values:
        try:
            found.append(str(uuid.UUID(value)))
        except ValueError:
            continue
    return found


def _integer(name: str, raw: str, *, maximum: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0 or value > maximum:
        raise FhirError(
            _("Le paramètre %(name)s doit être un entier entre 0 et %(max)s : « %(value)s » ne convient pas.")
            % {"name": name, "max": maximum, "value": raw}
        )
    return value


class _Search:
    """The parameters of one search, parsed; refuses what it does not support rather than ignoring it."""

    def __init__(self, request, resource_type: str):
        self.request = request
        self.kinds = _PARAMETER_KINDS[resource_type]
        self.resource_type = resource_type
        self.strings: dict[str, list[StringCriterion]] = {}
        self.tokens: dict[str, list[list[TokenCriterion]]] = {}
        self.texts: dict[str, list[list[str]]] = {}
        self.references: dict[str, list[list[str]]] = {}
        self.ids: list[list[str]] = []
        self.count = DEFAULT_COUNT
        self.offset = 0
        for key in request.GET:
            name, _colon, modifier = key.partition(":")
            raws = [_checked(key, raw) for raw in request.GET.getlist(key)]
            if name in _PAGING:
                self._paging(key, name, modifier, raws)
            elif name in self.kinds:
                for raw in raws:
                    values = _split_values(raw)
                    if values:
                        self._criterion(key, name, modifier, values)
            else:
                raise FhirError(
                    _("Paramètre de recherche non pris en charge pour %(type)s : « %(name)s ». Voir /fhir/metadata.")
                    % {"type": resource_type, "name": key},
                    code="not-supported",
                )

    def _paging(self, key, name, modifier, raws):
        if modifier:
            raise FhirError(_("Le paramètre « %(name)s » n'accepte pas de modificateur.") % {"name": key})
        if name == "_count":
            # A client may ask for more than a page holds: it gets at most MAX_COUNT, as FHIR allows.
            self.count = min(_integer(name, raws[-1], maximum=10**9), MAX_COUNT)
        elif name == "_offset":
            self.offset = _integer(name, raws[-1], maximum=MAX_OFFSET)

    def _unsupported_modifier(self, key):
        return FhirError(_("Modificateur non pris en charge : « %(name)s ».") % {"name": key}, code="not-supported")

    def _criterion(self, key, name, modifier, values):
        kind = self.kinds[name]
        if name == "_id":
            if modifier:
                raise self._unsupported_modifier(key)
            self.ids.append(values)
        elif kind == "string":
            if modifier not in ("", "exact", "contains"):
                raise self._unsupported_modifier(key)
            self.strings.setdefault(name, []).append(StringCriterion(values=tuple(values), modifier=modifier))
        elif kind == "token":
            if modifier == "text" and name == "specialty":
                self.texts.setdefault(name, []).append(values)
            elif modifier:
                raise self._unsupported_modifier(key)
            else:
                self.tokens.setdefault(name, []).append([_token(value) for value in values])
        elif kind == "reference":
            target = {"practitioner": "Practitioner", "organization": "Organization"}[name]
            if modifier not in ("", target):
                raise self._unsupported_modifier(key)
            self.references.setdefault(name, []).append(_uuids([_reference_id(value, target) for value in values]))

    def page(self, matches) -> tuple[int, list]:
        """The total and the rows of the requested page (none for ``_count=0``)."""
        total = matches.count()
        rows = list(matches[self.offset : self.offset + self.count]) if self.count else []
        return total, rows

    def bundle(self, *, total: int, entries: list[tuple[str, dict]]) -> dict:
        next_url = None
        if self.count and self.offset + self.count < total:
            query = self.request.GET.copy()
            query["_offset"] = str(self.offset + self.count)
            query["_count"] = str(self.count)
            next_url = self.request.build_absolute_uri(f"{self.request.path}?{query.urlencode()}")
        return fhir.searchset(
            total=total, self_url=self.request.build_absolute_uri(), next_url=next_url, entries=entries
        )


# --- Views ---------------------------------------------------------------------------------------------------------


@public
@fhir_endpoint
def metadata(request, audience):
    return _response(fhir.capability_statement(base_url=_base_url(request)))


def _practitioner_entries(request, practitioners, audience) -> list[tuple[str, dict]]:
    owned = api_selectors.channels_of_owners(practitioner_ids=[p.pk for p in practitioners], audience=audience)
    base = _base_url(request)
    return [
        (
            f"{base}Practitioner/{practitioner.public_id}",
            fhir.practitioner_resource(practitioner, channels=owned.of_practitioner.get(practitioner.pk, [])),
        )
        for practitioner in practitioners
    ]


def _role_entries(request, activities, audience) -> list[tuple[str, dict]]:
    owned = api_selectors.channels_of_owners(
        practitioner_ids={activity.practitioner_id for activity in activities},
        practice_ids={activity.practice_id for activity in activities},
        audience=audience,
    )
    absences = api_selectors.absences_by_practitioner(
        list({activity.practitioner_id for activity in activities}), audience
    )
    base = _base_url(request)
    entries = []
    for activity in activities:
        channels = [
            *owned.of_practitioner_at.get((activity.practitioner_id, activity.practice_id), []),
            *owned.of_practice.get(activity.practice_id, []),
        ]
        resource = fhir.practitioner_role_resource(
            activity.practitioner,
            activity.practice,
            channels=channels,
            absences=absences.get(activity.practitioner_id, []),
        )
        entries.append((f"{base}PractitionerRole/{resource['id']}", resource))
    return entries


def _organization_entries(request, practices, audience) -> list[tuple[str, dict]]:
    owned = api_selectors.channels_of_owners(practice_ids=[practice.pk for practice in practices], audience=audience)
    base = _base_url(request)
    return [
        (
            f"{base}Organization/{practice.public_id}",
            fhir.organization_resource(practice, channels=owned.of_practice.get(practice.pk, [])),
        )
        for practice in practices
    ]


def _unknown_type(resource_type: str) -> FhirError:
    return FhirError(
        _("Type de ressource non pris en charge : « %(type)s ». Voir /fhir/metadata.") % {"type": resource_type},
        status=404,
        code="not-supported",
    )


@public
@fhir_endpoint
def search(request, audience, resource_type):
    if resource_type not in _PARAMETER_KINDS:
        raise _unknown_type(resource_type)
    criteria = _Search(request, resource_type)
    strings, tokens, texts = criteria.strings, criteria.tokens, criteria.texts
    if resource_type == "Practitioner":
        query = FhirPractitionerQuery(
            ids=[_uuids(ids) for ids in criteria.ids],
            identifiers=tokens.get("identifier", []),
            names=strings.get("name", []),
            families=strings.get("family", []),
            givens=strings.get("given", []),
            specialties=tokens.get("specialty", []),
            specialty_texts=texts.get("specialty", []),
            cities=strings.get("address-city", []),
            postal_codes=strings.get("address-postalcode", []),
        )
        total, rows = criteria.page(api_selectors.practitioners_for_fhir(api_selectors.fhir_practitioners(query)))
        entries = _practitioner_entries(request, rows, audience)
    elif resource_type == "PractitionerRole":
        query = FhirRoleQuery(
            ids=[[parsed for parsed in map(fhir.parse_role_id, ids) if parsed] for ids in criteria.ids],
            practitioners=criteria.references.get("practitioner", []),
            organizations=criteria.references.get("organization", []),
            specialties=tokens.get("specialty", []),
            specialty_texts=texts.get("specialty", []),
            roles=tokens.get("role", []),
            cities=strings.get("address-city", []),
            postal_codes=strings.get("address-postalcode", []),
        )
        total, rows = criteria.page(api_selectors.roles_with_details(api_selectors.fhir_roles(query)))
        entries = _role_entries(request, rows, audience)
    else:
        query = FhirOrganizationQuery(
            ids=[_uuids(ids) for ids in criteria.ids],
            identifiers=tokens.get("identifier", []),
            names=strings.get("name", []),
            cities=strings.get("address-city", []),
            postal_codes=strings.get("address-postalcode", []),
        )
        total, rows = criteria.page(api_selectors.organizations_with_details(api_selectors.fhir_organizations(query)))
        entries = _organization_entries(request, rows, audience)
    return _response(criteria.bundle(total=total, entries=entries))


def _not_found(resource_type: str, resource_id: str) -> FhirError:
    return FhirError(
        _("Ressource inconnue : %(type)s/%(id)s.") % {"type": resource_type, "id": resource_id},
        status=404,
        code="not-found",
    )


@public
@fhir_endpoint
def read(request, audience, resource_type, resource_id):
    if resource_type not in _PARAMETER_KINDS:
        raise _unknown_type(resource_type)
    if request.GET.keys() - {"_format"}:
        raise FhirError(_("Une lecture par identifiant n'accepte pas de paramètres de recherche."))
    if resource_type == "PractitionerRole":
        ids = fhir.parse_role_id(resource_id)
        activity = api_selectors.role_for_fhir(*ids) if ids else None
        if activity is None:
            raise _not_found(resource_type, resource_id)
        return _response(_role_entries(request, [activity], audience)[0][1])
    public_id = next(iter(_uuids([resource_id])), None)
    if public_id is None:
        raise _not_found(resource_type, resource_id)
    if resource_type == "Organization":
        practice = api_selectors.practice_for_fhir(public_id)
        if practice is None:
            raise _not_found(resource_type, resource_id)
        return _response(_organization_entries(request, [practice], audience)[0][1])
    practitioner = api_selectors.practitioner_for_fhir(public_id)
    if practitioner is None:
        kept = merged_into(public_id)
        if kept is None:
            raise _not_found(resource_type, resource_id)
        location = request.build_absolute_uri(reverse("fhir:read", args=["Practitioner", kept.public_id]))
        outcome = fhir.operation_outcome(
            _("Cette fiche a été fusionnée avec Practitioner/%(id)s.") % {"id": kept.public_id},
            code="informational",
            severity="information",
        )
        return _response(outcome, status=301, headers={"Location": location})
    return _response(_practitioner_entries(request, [practitioner], audience)[0][1])

"""The FHIR facade of non-scheduled care under /fhir/: ``Schedule`` and ``Slot`` read and searched, and
``POST /fhir/Appointment`` to book. Not public: a caller signed in by a personal token or a session, with their
second factor (``directory.fhir_views.fhir_signed_in_endpoint``). What they see is what ``snp.selectors`` lets
their ``SnpActor`` see (the free slots open to one of their audiences, the slots they manage); a booking goes
through ``snp.services.booking_create``, with its rules and its 409.

Searches (``Slot``): ``start`` with the prefixes ge, gt, le, lt (a date or a date and time; two months at most,
a week from now by default), ``status`` (free, busy, busy-unavailable), ``schedule.actor`` (Practitioner/id),
``schedule`` (Schedule/id), ``service-type`` (v3-ActCode AMB/HH/VR or our kinds), ``_include=Slot:schedule``,
``_count`` and ``_offset``. ``Schedule``: ``actor``, ``_id``, ``_count``, ``_offset``, over the next two months.
"""

import datetime
import json
import uuid

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.access import public
from directory.fhir import capability_statement, operation_outcome, parse_role_id, searchset
from directory.fhir_views import FhirError, fhir_base_url, fhir_endpoint, fhir_response, fhir_signed_in_endpoint
from directory.models import Practice, Practitioner, Specialty
from directory.selectors import api as directory_api
from snp import fhir, services
from snp.scope import snp_actor_for
from snp.selectors import MAX_WINDOW, booking_for_user, slot_for_user, slots_visible_to

DEFAULT_COUNT = 20
MAX_COUNT = 100
MAX_OFFSET = 100_000
MAX_VALUE_LENGTH = 200
_PAGING = {"_count", "_offset", "_format"}
_SLOT_PARAMETERS = {"start", "status", "schedule.actor", "schedule", "service-type", "_include"}
_SCHEDULE_PARAMETERS = {"actor", "_id"}
_FHIR_JSON = ("application/fhir+json", "application/json")


def _specialties_prefetched(slots):
    return slots.prefetch_related(
        Prefetch("practitioner__specialties", queryset=Specialty.objects.only("code", "label"))
    )


# --- Parsing ---------------------------------------------------------------------------------------------------


def _values(request, name: str) -> list[list[str]]:
    """Each occurrence of ``name`` (they are ANDed), split on commas (ORed)."""
    found = []
    for raw in request.GET.getlist(name):
        if "\x00" in raw or len(raw) > MAX_VALUE_LENGTH:
            raise FhirError(
                _("Valeur illisible ou trop longue pour le paramètre « %(name)s » (%(max)s caractères au plus).")
                % {"name": name, "max": MAX_VALUE_LENGTH}
            )
        values = [value.strip() for value in raw.split(",") if value.strip()]
        if values:
            found.append(values)
    return found


def _unsupported(request, resource_type: str, supported: set[str]) -> None:
    for key in request.GET:
        if key not in supported | _PAGING:
            raise FhirError(
                _("Paramètre de recherche non pris en charge pour %(type)s : « %(name)s ».")
                % {"type": resource_type, "name": key},
                code="not-supported",
            )


def _integer(request, name: str, default: int, maximum: int) -> int:
    raw = request.GET.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise FhirError(
            _("Le paramètre %(name)s doit être un entier entre 0 et %(max)s : « %(value)s » ne convient pas.")
            % {"name": name, "max": maximum, "value": raw}
        )
    return min(value, maximum)


def _paging(request) -> tuple[int, int]:
    count = _integer(request, "_count", DEFAULT_COUNT, MAX_COUNT)
    offset = _integer(request, "_offset", 0, MAX_OFFSET)
    return count, offset


def _reference_ids(values: list[str], resource_type: str) -> list[str]:
    """ "Practitioner/<id>", a full URL ending so, or the bare id."""
    ids = []
    for value in values:
        prefix = f"{resource_type}/"
        if prefix in value:
            value = value.rsplit(prefix, 1)[1]
        elif "/" in value:
            raise FhirError(
                _("Référence invalide : « %(value)s » (attendu : %(type)s/identifiant).")
                % {"value": value, "type": resource_type}
            )
        ids.append(value)
    return ids


def _uuids(values: list[str]) -> list[uuid.UUID]:
    found = []
    for value in values:
        try:
            found.append(uuid.UUID(value))
        except ValueError:
            continue  # not one of ours: matches nothing
    return found


def _date(raw: str) -> datetime.date | None:
    try:
        return parse_date(raw)
    except ValueError:  # well formed, but no such day (2026-13-45)
        return None


def _moment(raw: str) -> tuple[datetime.datetime, datetime.timedelta]:
    """A FHIR date or dateTime as an instant, with the span it covers (a day, or an instant)."""
    day = _date(raw) if len(raw) == 10 else None
    if day is not None:
        start = datetime.datetime.combine(day, datetime.time(), tzinfo=services.PARIS)
        return start, datetime.timedelta(days=1)
    try:
        moment = parse_datetime(raw.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None:
        raise FhirError(
            _("Date illisible pour « start » : « %(value)s » (ex. ge2026-12-03T00:00:00+01:00).") % {"value": raw}
        )
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=services.PARIS)
    return moment, datetime.timedelta(microseconds=1)


def _start_bounds(request) -> tuple[datetime.datetime | None, datetime.datetime | None]:
    """``start=geX&start=ltY``: from X (included) to Y (excluded); gt and le move the bound past X or Y."""
    lower = upper = None
    for values in _values(request, "start"):
        if len(values) > 1:
            raise FhirError(_("Le paramètre « start » n'accepte qu'une valeur à la fois (pas de virgule)."))
        raw = values[0]
        prefix, value = (raw[:2], raw[2:]) if raw[:2].isalpha() else ("eq", raw)
        moment, span = _moment(value)
        if prefix in ("ge", "gt", "eq"):
            since = moment if prefix != "gt" else moment + span
            lower = since if lower is None else max(lower, since)
        if prefix in ("lt", "le", "eq"):
            until = moment if prefix == "lt" else moment + span
            upper = until if upper is None else min(upper, until)
        if prefix not in ("ge", "gt", "eq", "lt", "le"):
            raise FhirError(
                _("Préfixe non pris en charge pour « start » : « %(prefix)s » (ge, gt, le, lt).") % {"prefix": prefix},
                code="not-supported",
            )
    if lower is not None and upper is None:
        upper = lower + datetime.timedelta(days=7)
    if upper is not None and lower is None:
        lower = max(timezone.now(), upper - MAX_WINDOW)
    return lower, upper


def _kinds_of_token(value: str) -> set[str]:
    system, bar, code = value.rpartition("|")
    if not bar:
        system, code = "", value
    kinds = set()
    for kind, (act_code, _display) in fhir.ACT_CODE_OF_KIND.items():
        if system in ("", fhir.ACT_CODE_SYSTEM) and code == act_code:
            kinds.add(kind)
        if system in ("", fhir.KIND_SYSTEM) and code == kind:
            kinds.add(kind)
    return kinds


# --- Bundles ---------------------------------------------------------------------------------------------------


def _bundle(request, *, total, count, offset, entries, included=()) -> dict:
    next_url = None
    if count and offset + count < total:
        query = request.GET.copy()
        query["_offset"] = str(offset + count)
        query["_count"] = str(count)
        next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
    return searchset(
        total=total,
        self_url=request.build_absolute_uri(),
        next_url=next_url,
        entries=entries,
        included=list(included),
    )


def _schedule_entries(request, pairs) -> list[tuple[str, dict]]:
    base = fhir_base_url(request)
    entries = []
    for practitioner, site in pairs:
        resource = fhir.schedule_resource(practitioner, site)
        entries.append((f"{base}Schedule/{resource['id']}", resource))
    return entries


def _slot_entries(request, slots) -> list[tuple[str, dict]]:
    base = fhir_base_url(request)
    return [(f"{base}Slot/{slot.public_id}", fhir.slot_resource(slot)) for slot in slots]


# --- Slot ------------------------------------------------------------------------------------------------------


def _searched_slots(request, actor):
    starts_from, starts_before = _start_bounds(request)
    slots = slots_visible_to(actor, starts_from=starts_from, starts_before=starts_before)
    for values in _values(request, "status"):
        unknown = [value for value in values if value not in fhir.SLOT_STATUS_OF_FHIR]
        if unknown:
            raise FhirError(_("Statut inconnu : « %(value)s » (free, busy, busy-unavailable).") % {"value": unknown[0]})
        slots = slots.filter(status__in=[fhir.SLOT_STATUS_OF_FHIR[value] for value in values])
    for values in _values(request, "schedule.actor"):
        slots = slots.filter(practitioner__public_id__in=_uuids(_reference_ids(values, "Practitioner")))
    for values in _values(request, "schedule"):
        pairs = [parse_role_id(value) for value in _reference_ids(values, "Schedule")]
        condition = None
        for pair in filter(None, pairs):
            one = slots.filter(practitioner__public_id=pair[0], site__public_id=pair[1])
            condition = one if condition is None else condition | one
        slots = condition if condition is not None else slots.none()
    for values in _values(request, "service-type"):
        slots = slots.filter(kind__in=set().union(*(_kinds_of_token(value) for value in values)))
    return slots


@public  # signed-in callers only: fhir_signed_in_endpoint answers 401 to anyone else
@fhir_signed_in_endpoint()
def slot_search(request, viewer):
    _unsupported(request, "Slot", _SLOT_PARAMETERS)
    includes = [value for values in _values(request, "_include") for value in values]
    for include in includes:
        if include != "Slot:schedule":
            raise FhirError(
                _("_include non pris en charge : « %(value)s » (seul Slot:schedule l'est).") % {"value": include},
                code="not-supported",
            )
    count, offset = _paging(request)
    slots = _searched_slots(request, snp_actor_for(viewer))
    total = slots.count()
    rows = list(_specialties_prefetched(slots)[offset : offset + count]) if count else []
    included = []
    if includes:
        pairs = {(slot.practitioner_id, slot.site_id): (slot.practitioner, slot.site) for slot in rows}
        included = _schedule_entries(request, pairs.values())
    body = _bundle(
        request, total=total, count=count, offset=offset, entries=_slot_entries(request, rows), included=included
    )
    return fhir_response(body)


def _not_found(resource_type: str, resource_id: str) -> FhirError:
    return FhirError(
        _("Ressource inconnue : %(type)s/%(id)s.") % {"type": resource_type, "id": resource_id},
        status=404,
        code="not-found",
    )


def _no_parameters(request) -> None:
    if request.GET.keys() - {"_format"}:
        raise FhirError(_("Une lecture par identifiant n'accepte pas de paramètres de recherche."))


@public  # signed-in callers only: fhir_signed_in_endpoint answers 401 to anyone else
@fhir_signed_in_endpoint()
def slot_read(request, viewer, resource_id):
    _no_parameters(request)
    [public_id] = _uuids([resource_id]) or [None]
    if public_id is None:
        raise _not_found("Slot", resource_id)
    slot = slot_for_user(snp_actor_for(viewer), public_id)  # not_found when the caller may not see it
    slot = _specialties_prefetched(type(slot).objects.filter(pk=slot.pk).select_related("site", "practitioner"))[0]
    return fhir_response(fhir.slot_resource(slot))


# --- Schedule --------------------------------------------------------------------------------------------------


def _schedules(request, actor):
    """(practitioner, site) pairs with a slot the actor sees in the next two months, in a stable order."""
    now = timezone.now()
    slots = slots_visible_to(actor, starts_from=now, starts_before=now + MAX_WINDOW)
    for values in _values(request, "actor"):
        slots = slots.filter(practitioner__public_id__in=_uuids(_reference_ids(values, "Practitioner")))
    for values in _values(request, "_id"):
        condition = None
        for pair in filter(None, map(parse_role_id, values)):
            one = slots.filter(practitioner__public_id=pair[0], site__public_id=pair[1])
            condition = one if condition is None else condition | one
        slots = condition if condition is not None else slots.none()
    return slots.order_by("practitioner_id", "site_id").values_list("practitioner_id", "site_id").distinct()


def _pairs_loaded(pairs) -> list:
    practitioners = Practitioner.objects.filter(pk__in={p for p, _s in pairs}).prefetch_related(
        Prefetch("specialties", queryset=Specialty.objects.only("code", "label"))
    )
    by_id = {practitioner.pk: practitioner for practitioner in practitioners}
    sites = Practice.objects.in_bulk({s for _p, s in pairs})
    return [(by_id[p], sites[s]) for p, s in pairs]


@public  # signed-in callers only: fhir_signed_in_endpoint answers 401 to anyone else
@fhir_signed_in_endpoint()
def schedule_search(request, viewer):
    _unsupported(request, "Schedule", _SCHEDULE_PARAMETERS)
    count, offset = _paging(request)
    pairs = _schedules(request, snp_actor_for(viewer))
    total = pairs.count()
    rows = _pairs_loaded(list(pairs[offset : offset + count])) if count else []
    return fhir_response(
        _bundle(request, total=total, count=count, offset=offset, entries=_schedule_entries(request, rows))
    )


@public  # signed-in callers only: fhir_signed_in_endpoint answers 401 to anyone else
@fhir_signed_in_endpoint()
def schedule_read(request, viewer, resource_id):
    _no_parameters(request)
    pair = parse_role_id(resource_id)
    if pair is None:
        raise _not_found("Schedule", resource_id)
    now = timezone.now()
    found = (
        slots_visible_to(snp_actor_for(viewer), starts_from=now, starts_before=now + MAX_WINDOW)
        .filter(practitioner__public_id=pair[0], site__public_id=pair[1])
        .values_list("practitioner_id", "site_id")
        .first()
    )
    if found is None:
        raise _not_found("Schedule", resource_id)
    return fhir_response(_schedule_entries(request, _pairs_loaded([found]))[0][1])


# --- Appointment -----------------------------------------------------------------------------------------------


def _invalid(message: str) -> FhirError:
    return FhirError(message, status=400, code="invalid")


def _body(request) -> dict:
    content_type = request.content_type or ""
    if content_type not in _FHIR_JSON:
        raise FhirError(
            _("Envoyez une ressource Appointment en JSON (Content-Type: application/fhir+json)."),
            status=415,
            code="not-supported",
        )
    try:
        body = json.loads(request.body or b"")
    except (ValueError, RecursionError):
        raise _invalid(_("Le corps n'est pas un JSON lisible.")) from None
    if not isinstance(body, dict) or body.get("resourceType") != "Appointment":
        raise _invalid(_("Le corps doit être une ressource Appointment (resourceType « Appointment »)."))
    return body


def _contained_patient(body: dict) -> dict:
    """The patient participant: a reference to a contained Patient ("#patient")."""
    contained = {
        item.get("id"): item
        for item in body.get("contained") or []
        if isinstance(item, dict) and item.get("resourceType") == "Patient"
    }
    for participant in body.get("participant") or []:
        reference = (
            ((participant or {}).get("actor") or {}).get("reference", "") if isinstance(participant, dict) else ""
        )
        if isinstance(reference, str) and reference.startswith("#") and reference[1:] in contained:
            return contained[reference[1:]]
    raise _invalid(_("Indiquez le patient : un participant dont l'acteur est un Patient contenu (« #patient »)."))


def _extension_boolean(resource: dict, url: str, label: str) -> bool:
    for extension in resource.get("extension") or []:
        if isinstance(extension, dict) and extension.get("url") == url:
            value = extension.get("valueBoolean")
            if isinstance(value, bool):
                return value
    raise _invalid(_("Indiquez %(what)s (extension %(url)s, valueBoolean).") % {"what": label, "url": url})


def _commune_insee(patient: dict) -> str:
    for address in patient.get("address") or []:
        if not isinstance(address, dict):
            continue
        for extension in address.get("extension") or []:
            if isinstance(extension, dict) and extension.get("url") == fhir.INSEE_CODE_EXTENSION:
                code = (extension.get("valueCoding") or {}).get("code", "")
                if isinstance(code, str) and code:
                    return code
    raise _invalid(
        _("Indiquez la commune du patient : son code INSEE dans l'extension %(url)s de son adresse.")
        % {"url": fhir.INSEE_CODE_EXTENSION}
    )


def _patient_details(patient: dict) -> services.PatientDetails:
    names = [name for name in patient.get("name") or [] if isinstance(name, dict)]
    name = names[0] if names else {}
    given = name.get("given") or []
    birth_date = _date(str(patient.get("birthDate") or "")) if patient.get("birthDate") else None
    if patient.get("birthDate") and birth_date is None:
        raise _invalid(_("Date de naissance illisible (AAAA-MM-JJ)."))
    gender = patient.get("gender", "")
    if gender not in fhir.SEX_OF_GENDER:
        raise _invalid(_("Indiquez le sexe du patient (gender : female, male, other ou unknown)."))
    telecom = [point for point in patient.get("telecom") or [] if isinstance(point, dict)]
    phone = next((str(p.get("value", "")) for p in telecom if p.get("system") in ("phone", "sms")), "")
    email = next((str(p.get("value", "")) for p in telecom if p.get("system") == "email"), "")
    gp = None
    for reference in patient.get("generalPractitioner") or []:
        ids = _uuids(_reference_ids([str((reference or {}).get("reference", ""))], "Practitioner"))
        if ids:
            gp = directory_api.practitioner_by_public_id(ids[0])
    return services.PatientDetails(
        family_name=str(name.get("family") or ""),
        given_names=" ".join(str(part) for part in given if part),
        birth_date=birth_date,
        sex=fhir.SEX_OF_GENDER[gender],
        commune_insee=_commune_insee(patient),
        has_gp=_extension_boolean(patient, fhir.HAS_GP_EXTENSION, _("si le patient a un médecin traitant")),
        phone=phone,
        email=email,
        gp_practitioner=gp,
    )


def _reason_category(body: dict) -> str:
    for concept in body.get("reasonCode") or []:
        for coding in (concept or {}).get("coding") or [] if isinstance(concept, dict) else []:
            if isinstance(coding, dict) and coding.get("system") == fhir.REASON_CATEGORY_SYSTEM:
                return str(coding.get("code") or "")
    raise _invalid(
        _("Indiquez la catégorie du motif : reasonCode codé dans %(system)s.") % {"system": fhir.REASON_CATEGORY_SYSTEM}
    )


def _slot_reference(body: dict) -> uuid.UUID:
    references = [str((item or {}).get("reference", "")) for item in body.get("slot") or [] if isinstance(item, dict)]
    if len(references) != 1:
        raise _invalid(_("Indiquez un créneau, et un seul : slot[0].reference « Slot/identifiant »."))
    ids = _uuids(_reference_ids(references, "Slot"))
    if not ids:
        raise FhirError(_("Ce créneau n'existe pas ou ne vous est pas ouvert."), status=404, code="not-found")
    return ids[0]


def _conflict(request, taken: services.SlotTaken) -> dict:
    """409: what happened, then the next free slots the caller may book, each named and referenced."""
    base = fhir_base_url(request)
    named = [
        f"{date_format(timezone.localtime(slot.starts_at), 'l j F H:i')} ({fhir.practitioner_name(slot.practitioner)}, "
        f"{slot.site.name})"
        for slot in taken.next_slots
    ]
    message = taken.message
    if named:
        message += " " + _("Créneaux libres suivants : %(slots)s.") % {"slots": " ; ".join(named)}
    else:
        message += " " + _("Aucun autre créneau libre ne vous est ouvert pour l'instant.")
    outcome = operation_outcome(message, code="conflict")
    for slot, name in zip(taken.next_slots, named, strict=True):
        outcome["issue"].append(
            {
                "severity": "information",
                "code": "informational",
                "diagnostics": f"{base}Slot/{slot.public_id} : {name}",
            }
        )
    return outcome


@public  # signed-in callers only: fhir_signed_in_endpoint answers 401 to anyone else
@fhir_signed_in_endpoint(methods=("POST",))
def appointment_create(request, viewer):
    """Books the referenced slot for the contained patient, through the same service as the page and the API."""
    body = _body(request)
    slot_id = _slot_reference(body)
    patient = _patient_details(_contained_patient(body))
    reason = _reason_category(body)
    consent = _extension_boolean(body, fhir.CONTACT_CONSENT_EXTENSION, _("si le patient accepte d'être contacté"))
    slot = slot_for_user(snp_actor_for(viewer), slot_id)
    try:
        booking = services.booking_create(
            acting_user=viewer, slot=slot, patient=patient, reason_category=reason, contact_consent=consent
        )
    except services.SlotTaken as taken:
        return fhir_response(_conflict(request, taken), status=409)
    resource = fhir.appointment_resource(booking)
    location = f"{fhir_base_url(request)}Appointment/{booking.public_id}"
    return fhir_response(resource, status=201, headers={"Location": location})


@public  # signed-in callers only: fhir_signed_in_endpoint answers 401 to anyone else
@fhir_signed_in_endpoint()
def appointment_read(request, viewer, resource_id):
    """A booking the caller may read (the read is logged by the selector), as an Appointment."""
    _no_parameters(request)
    [public_id] = _uuids([resource_id]) or [None]
    if public_id is None:
        raise _not_found("Appointment", resource_id)
    booking = booking_for_user(snp_actor_for(viewer), public_id, request=request)
    return fhir_response(fhir.appointment_resource(booking))


@public
@fhir_endpoint
def metadata(request, audience):
    """The directory's CapabilityStatement, completed with the SNP's Schedule, Slot and Appointment."""
    return fhir_response(fhir.with_snp_capabilities(capability_statement(base_url=fhir_base_url(request))))

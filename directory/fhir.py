"""FHIR R4 resources built from the directory: Practitioner, PractitionerRole (a practitioner at a practice),
Organization (a practice), the searchset Bundle, the CapabilityStatement and OperationOutcome.

Identifiers and codes follow the French profiles the national directory (Annuaire Santé, ANS) serves, so that a
client of the national FHIR API reads ours the same way. Sources: the FR Core profile ``fr-core-practitioner``
(Interop'Santé, github.com/Interop-Sante/hl7.fhir.fr.core, input/fsh/profiles/FRCorePractitionerProfile.fsh)
on which the ANS profiles ``as-practitioner``/``as-dp-practitioner`` build (github.com/ansforge/IG-fhir-annuaire,
input/fsh/profiles/AsPractitionerProfile.fsh, examples/DP/PP19DP-Practitioner.fsh):

- IDNPS, the national id of a health professional: system ``urn:oid:1.2.250.1.71.4.2.1``, value "8" + RPPS or
  "0" + ADELI, type ``IDNPS`` of https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203;
- RPPS: system ``https://rpps.esante.gouv.fr``, type ``RPPS``; ADELI: ``https://adeli.esante.gouv.fr``, ``ADELI``;
- professions: TRE_G15 (``https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante/FHIR/TRE-G15-ProfessionSante``);
  savoir-faire (specialties, SM04…): TRE_R38 (``…/TRE_R38-SpecialiteOrdinale/FHIR/TRE-R38-SpecialiteOrdinale``);
- an MSSanté address: ``system: email`` with the FR Core extension ``fr-core-contact-point-email-type`` coded
  ``MSSANTE`` (TRE_R256-TypeMessagerie);
- practices (FR Core ``fr-core-organization``): FINESS ``https://finess.esante.gouv.fr`` (type FINEG), SIRET
  ``https://sirene.fr`` (type SIRET); the commune's INSEE code in the address extension
  ``fr-core-address-insee-code`` (TRE_R13-Commune).

Nothing here reads the database: the callers pass prefetched objects and the channels the viewer's audience
sees. Empty values are left out (FHIR forbids empty strings, lists and objects).
"""

import uuid

from django.utils import timezone
from django.utils.translation import gettext as _

from directory.models import Absence, ContactChannel, Practice, Practitioner
from directory.selectors.api import PROFESSION_SYSTEM, SPECIALTY_SYSTEM

# R4: what the national directory serves (its CapabilityStatement says 4.0.1); the resources we build are the
# same in R4B, whose models the tests validate them with.
FHIR_VERSION = "4.0.1"
FHIR_CONTENT_TYPE = "application/fhir+json"

IDENTIFIER_TYPE_SYSTEM = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203"
IDNPS_SYSTEM = "urn:oid:1.2.250.1.71.4.2.1"
RPPS_SYSTEM = "https://rpps.esante.gouv.fr"
ADELI_SYSTEM = "https://adeli.esante.gouv.fr"
FINESS_SYSTEM = "https://finess.esante.gouv.fr"
SIRET_SYSTEM = "https://sirene.fr"
EMAIL_TYPE_EXTENSION = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-contact-point-email-type"
EMAIL_TYPE_SYSTEM = "https://mos.esante.gouv.fr/NOS/TRE_R256-TypeMessagerie/FHIR/TRE-R256-TypeMessagerie"
INSEE_CODE_EXTENSION = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-address-insee-code"
COMMUNE_SYSTEM = "https://mos.esante.gouv.fr/NOS/TRE_R13-Commune/FHIR/TRE-R13-Commune"
LANGUAGE_SYSTEM = "urn:ietf:bcp:47"

SPECIALTY_CODE_SYSTEM = SPECIALTY_SYSTEM
PROFESSION_CODE_SYSTEM = PROFESSION_SYSTEM


def compact(value):
    """``value`` without None, empty strings, empty lists and empty objects, at any depth."""
    if isinstance(value, dict):
        cleaned = {key: compact(item) for key, item in value.items()}
        return {key: item for key, item in cleaned.items() if item not in (None, "", [], {})}
    if isinstance(value, list):
        cleaned = [compact(item) for item in value]
        return [item for item in cleaned if item not in (None, "", [], {})]
    return value


def _instant(moment) -> str | None:
    return moment.isoformat(timespec="milliseconds") if moment else None


def _identifier(system: str, value: str, type_code: str, *, use: str = "official") -> dict:
    return {
        "use": use,
        "type": {"coding": [{"system": IDENTIFIER_TYPE_SYSTEM, "code": type_code}]},
        "system": system,
        "value": value,
    }


def practitioner_identifiers(practitioner: Practitioner) -> list[dict]:
    identifiers = []
    if practitioner.rpps:
        identifiers.append(_identifier(IDNPS_SYSTEM, f"8{practitioner.rpps}", "IDNPS"))
        identifiers.append(_identifier(RPPS_SYSTEM, practitioner.rpps, "RPPS"))
    if practitioner.adeli:
        if not practitioner.rpps:
            identifiers.append(_identifier(IDNPS_SYSTEM, f"0{practitioner.adeli}", "IDNPS"))
        identifiers.append(_identifier(ADELI_SYSTEM, practitioner.adeli, "ADELI"))
    return identifiers


_TELECOM_SYSTEMS = {
    ContactChannel.Kind.PHONE: "phone",
    ContactChannel.Kind.PROFESSIONAL_LINE: "phone",
    ContactChannel.Kind.SECRETARY: "phone",
    ContactChannel.Kind.FAX: "fax",
    ContactChannel.Kind.EMAIL: "email",
    ContactChannel.Kind.MSSANTE: "email",
    ContactChannel.Kind.BOOKING_LINK: "url",
    ContactChannel.Kind.WEBSITE: "url",
}


def telecoms(channels: list[ContactChannel]) -> list[dict]:
    """ContactPoints in the order given (the one to use first ranked 1)."""
    points = []
    for rank, channel in enumerate(channels, start=1):
        point = {"system": _TELECOM_SYSTEMS.get(channel.kind, "other"), "value": channel.value, "use": "work"}
        point["rank"] = rank
        if channel.kind == ContactChannel.Kind.MSSANTE:
            point["extension"] = [
                {"url": EMAIL_TYPE_EXTENSION, "valueCoding": {"system": EMAIL_TYPE_SYSTEM, "code": "MSSANTE"}}
            ]
        points.append(point)
    return points


def address(practice: Practice) -> dict:
    commune = practice.commune
    result = {
        "use": "work",
        "type": "physical",
        "line": [practice.address] if practice.address else [],
        "city": practice.city or (commune.name if commune else ""),
        "postalCode": practice.postal_code,
        "country": "FR",
    }
    if commune is not None:
        result["district"] = commune.department
        result["extension"] = [
            {
                "url": INSEE_CODE_EXTENSION,
                "valueCoding": {"system": COMMUNE_SYSTEM, "code": commune.insee_code, "display": commune.name},
            }
        ]
    return result


def _profession_coding(practitioner: Practitioner) -> dict | None:
    profession = practitioner.profession
    if profession is None:
        return None
    return {"system": PROFESSION_CODE_SYSTEM, "code": profession.code, "display": profession.label}


def _specialty_concepts(practitioner: Practitioner) -> list[dict]:
    return [
        {"coding": [{"system": SPECIALTY_CODE_SYSTEM, "code": specialty.code, "display": specialty.label}]}
        for specialty in practitioner.specialties.all()
    ]


def _meta(instance) -> dict:
    return {"lastUpdated": _instant(instance.updated_at)}


def practitioner_resource(practitioner: Practitioner, *, channels: list[ContactChannel]) -> dict:
    """A Practitioner: identifiers, name, the channels of their own (not tied to a practice) that the viewer's
    audience sees, the addresses of their practices, languages, profession and specialties as qualifications."""
    profession = _profession_coding(practitioner)
    qualifications = [{"code": {"coding": [profession]}}] if profession else []
    qualifications += [{"code": concept} for concept in _specialty_concepts(practitioner)]
    return compact(
        {
            "resourceType": "Practitioner",
            "id": str(practitioner.public_id),
            "meta": _meta(practitioner),
            "language": "fr",
            "identifier": practitioner_identifiers(practitioner),
            "active": True,
            "name": [
                {
                    "use": "usual",
                    "text": f"{practitioner.first_name} {practitioner.last_name}".strip(),
                    "family": practitioner.last_name,
                    "given": [practitioner.first_name],
                    # The civility of practice ("DR") is a suffix in the ANS profile.
                    "suffix": [practitioner.civility],
                }
            ],
            "telecom": telecoms(channels),
            "address": [address(activity.practice) for activity in practitioner.activities.all()],
            "qualification": qualifications,
            "communication": [
                {"coding": [{"system": LANGUAGE_SYSTEM, "code": code}]} for code in practitioner.languages
            ],
        }
    )


def role_id(practitioner: Practitioner, practice: Practice) -> str:
    """A PractitionerRole's id: both public ids, 64 hexadecimal digits (FHIR ids are at most 64 characters)."""
    return practitioner.public_id.hex + practice.public_id.hex


def parse_role_id(value: str) -> tuple[uuid.UUID, uuid.UUID] | None:
    if len(value) != 64:
        return None
    try:
        return uuid.UUID(hex=value[:32]), uuid.UUID(hex=value[32:])
    except ValueError:
        return None


def _absence_text(absence: Absence) -> str:
    dates = {"starts": f"{absence.starts_on:%d/%m/%Y}", "ends": f"{absence.ends_on:%d/%m/%Y}"}
    if absence.replacement is not None:
        text = _("Absent du %(starts)s au %(ends)s, remplacé par %(replacement)s") % {
            **dates,
            "replacement": f"{absence.replacement.first_name} {absence.replacement.last_name}",
        }
    else:
        text = _("Absent du %(starts)s au %(ends)s") % dates
    return f"{text} ({absence.note})" if absence.note else text


def practitioner_role_resource(
    practitioner: Practitioner,
    practice: Practice,
    *,
    channels: list[ContactChannel],
    absences: list[Absence],
) -> dict:
    """A PractitionerRole: the practitioner at one practice, with the channels that apply there (theirs at that
    practice, then the practice's), profession and specialties, and the absences the viewer may see."""
    profession = _profession_coding(practitioner)
    return compact(
        {
            "resourceType": "PractitionerRole",
            "id": role_id(practitioner, practice),
            "meta": {"lastUpdated": _instant(max(practitioner.updated_at, practice.updated_at))},
            "language": "fr",
            "active": True,
            "practitioner": {
                "reference": f"Practitioner/{practitioner.public_id}",
                "display": f"{practitioner.first_name} {practitioner.last_name}".strip(),
            },
            "organization": {"reference": f"Organization/{practice.public_id}", "display": practice.name},
            "code": [{"coding": [profession]}] if profession else [],
            "specialty": _specialty_concepts(practitioner),
            "telecom": telecoms(channels),
            "notAvailable": [
                {
                    "description": _absence_text(absence),
                    "during": {"start": absence.starts_on.isoformat(), "end": absence.ends_on.isoformat()},
                }
                for absence in absences
            ],
        }
    )


def organization_resource(practice: Practice, *, channels: list[ContactChannel]) -> dict:
    identifiers = []
    if practice.finess:
        identifiers.append(_identifier(FINESS_SYSTEM, practice.finess, "FINEG"))
    if practice.siret:
        identifiers.append(_identifier(SIRET_SYSTEM, practice.siret, "SIRET"))
    return compact(
        {
            "resourceType": "Organization",
            "id": str(practice.public_id),
            "meta": _meta(practice),
            "language": "fr",
            "identifier": identifiers,
            "active": True,
            "name": practice.name,
            "telecom": telecoms(channels),
            "address": [address(practice)],
        }
    )


def operation_outcome(diagnostics: str, *, code: str = "invalid", severity: str = "error") -> dict:
    """An OperationOutcome with one issue; ``diagnostics`` is the French message for the reader."""
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": diagnostics}],
    }


def searchset(
    *,
    total: int,
    self_url: str,
    next_url: str | None,
    entries: list[tuple[str, dict]],
    included: list[tuple[str, dict]] = (),
) -> dict:
    """A searchset Bundle: ``entries`` matched, ``included`` brought along by ``_include`` (not counted)."""
    links = [{"relation": "self", "url": self_url}]
    if next_url:
        links.append({"relation": "next", "url": next_url})
    return compact(
        {
            "resourceType": "Bundle",
            "type": "searchset",
            "timestamp": _instant(timezone.now()),
            "total": total,
            "link": links,
            "entry": [
                {"fullUrl": full_url, "resource": resource, "search": {"mode": "match"}}
                for full_url, resource in entries
            ]
            + [
                {"fullUrl": full_url, "resource": resource, "search": {"mode": "include"}}
                for full_url, resource in included
            ],
        }
    )


# The searches each resource supports: (name, FHIR type, standard definition or None, documentation in French).
SEARCH_PARAMETERS = {
    "Practitioner": [
        ("_id", "token", "http://hl7.org/fhir/SearchParameter/Resource-id", "Identifiant de la ressource."),
        (
            "identifier",
            "token",
            "http://hl7.org/fhir/SearchParameter/Practitioner-identifier",
            f"RPPS ({RPPS_SYSTEM}|…), ADELI ({ADELI_SYSTEM}|…) ou IDNPS ({IDNPS_SYSTEM}|8…) ; valeur seule acceptée.",
        ),
        (
            "name",
            "string",
            "http://hl7.org/fhir/SearchParameter/Practitioner-name",
            "Nom, prénom ou civilité (commence par ; accents et casse ignorés ; :exact, :contains).",
        ),
        ("family", "string", "http://hl7.org/fhir/SearchParameter/individual-family", "Nom d'exercice."),
        ("given", "string", "http://hl7.org/fhir/SearchParameter/individual-given", "Prénom d'exercice."),
        (
            "specialty",
            "token",
            None,
            f"Savoir-faire ({SPECIALTY_CODE_SYSTEM}|SM04) ; :text pour un libellé ou un synonyme (« cardio »).",
        ),
        (
            "address-city",
            "string",
            "http://hl7.org/fhir/SearchParameter/individual-address-city",
            "Commune d'un cabinet où le professionnel exerce.",
        ),
        (
            "address-postalcode",
            "string",
            "http://hl7.org/fhir/SearchParameter/individual-address-postalcode",
            "Code postal d'un cabinet où le professionnel exerce.",
        ),
    ],
    "PractitionerRole": [
        ("_id", "token", "http://hl7.org/fhir/SearchParameter/Resource-id", "Identifiant de la ressource."),
        (
            "practitioner",
            "reference",
            "http://hl7.org/fhir/SearchParameter/PractitionerRole-practitioner",
            "Le professionnel (Practitioner/id).",
        ),
        (
            "organization",
            "reference",
            "http://hl7.org/fhir/SearchParameter/PractitionerRole-organization",
            "Le cabinet (Organization/id).",
        ),
        (
            "specialty",
            "token",
            "http://hl7.org/fhir/SearchParameter/PractitionerRole-specialty",
            f"Savoir-faire ({SPECIALTY_CODE_SYSTEM}|SM04) ; :text pour un libellé ou un synonyme.",
        ),
        (
            "role",
            "token",
            "http://hl7.org/fhir/SearchParameter/PractitionerRole-role",
            f"Profession ({PROFESSION_CODE_SYSTEM}|10).",
        ),
        ("address-city", "string", None, "Commune du cabinet."),
        ("address-postalcode", "string", None, "Code postal du cabinet."),
    ],
    "Organization": [
        ("_id", "token", "http://hl7.org/fhir/SearchParameter/Resource-id", "Identifiant de la ressource."),
        (
            "identifier",
            "token",
            "http://hl7.org/fhir/SearchParameter/Organization-identifier",
            f"FINESS ({FINESS_SYSTEM}|…) ou SIRET ({SIRET_SYSTEM}|…).",
        ),
        ("name", "string", "http://hl7.org/fhir/SearchParameter/Organization-name", "Nom du cabinet."),
        (
            "address-city",
            "string",
            "http://hl7.org/fhir/SearchParameter/Organization-address-city",
            "Commune du cabinet.",
        ),
        (
            "address-postalcode",
            "string",
            "http://hl7.org/fhir/SearchParameter/Organization-address-postalcode",
            "Code postal du cabinet.",
        ),
    ],
}
PAGING_PARAMETERS = [
    ("_count", "number", None, "Nombre de résultats par page (20 par défaut, 100 au plus)."),
    ("_offset", "number", None, "Rang du premier résultat de la page (les liens « next » le donnent)."),
]


def capability_statement(*, base_url: str) -> dict:
    resources = []
    for resource_type, parameters in SEARCH_PARAMETERS.items():
        resources.append(
            {
                "type": resource_type,
                "interaction": [{"code": "read"}, {"code": "search-type"}],
                "searchParam": [
                    {"name": name, "type": kind, "definition": definition, "documentation": documentation}
                    for name, kind, definition, documentation in [*parameters, *PAGING_PARAMETERS]
                ],
            }
        )
    return compact(
        {
            "resourceType": "CapabilityStatement",
            "id": "annuaire-cpts",
            "status": "active",
            "date": timezone.localdate().isoformat(),
            "publisher": "Portail CPTS",
            "kind": "instance",
            "software": {"name": "Portail CPTS — annuaire territorial"},
            "implementation": {
                "description": "Annuaire territorial de la CPTS : professionnels, exercices et cabinets (lecture).",
                "url": base_url,
            },
            "fhirVersion": FHIR_VERSION,
            "format": [FHIR_CONTENT_TYPE, "json"],
            "rest": [
                {
                    "mode": "server",
                    "documentation": (
                        "Lecture seule. Sans authentification : coordonnées publiques seulement. Avec un jeton "
                        "personnel (Authorization: Token …) : les coordonnées destinées à votre public."
                    ),
                    "resource": resources,
                }
            ],
        }
    )

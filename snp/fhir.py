"""FHIR R4 resources of non-scheduled care: ``Schedule`` (a practitioner's slots at one site), ``Slot`` and
``Appointment`` (a booking), and the patient of an Appointment as a contained ``Patient``. Served by
``snp.fhir_views`` under /fhir/, next to the directory's facade (``directory.fhir``), whose identifier systems,
code systems and helpers they share.

Shaped after the ANS "Service d'Accès aux Soins" implementation guide (interop.esante.gouv.fr/ig/fhir/sas,
github.com/ansforge/IG-fhir-service-acces-aux-soins), use case CPTS:

- a Schedule claims ``sas-schedule-aggregator`` (FrScheduleAgregateur, on FR Core ``fr-core-schedule``): its
  actors are the Practitioner and the PractitionerRole (the practitioner at the site), as in the guide's
  examples; its id is the PractitionerRole's (both public ids);
- a Slot claims ``sas-cpts-slot-aggregator`` (FrSlotAgregateurCPTS): ``meta.security`` from TRE_R314-TypeCreneau
  (CPTS always; PUBLIC, PRO and SNP by the audiences the slot is open to), the consultation type in
  ``serviceType`` from v3-ActCode (AMB at the practice, HH at home, VR remote), the specialties from TRE_R38,
  ``appointmentType`` ROUTINE (v2-0276);
- an Appointment follows the SAS ``sas-appointment`` profile where we can: an identifier, start and end, the
  practitioner as a participant identified by IDNPS, participants ``accepted``.

Deviations, documented in docs/architecture.md: the guide's Slot has ``status = free`` (an aggregator lists free
slots only); we also serve ``busy`` slots to those who manage them. Its ``referencecpts`` slice points at a
HealthcareService of the CPTS, which this portal does not serve: left out. The Appointment's
``appointmentOperator`` extension (who booked) is left out, so it does not claim ``sas-appointment``. The reason
category and the patient's contact consent are ours, with the extensions and the code system below.
"""

import datetime

from django.utils import timezone

from directory.fhir import (
    COMMUNE_SYSTEM,
    IDENTIFIER_TYPE_SYSTEM,
    IDNPS_SYSTEM,
    INSEE_CODE_EXTENSION,
    SPECIALTY_CODE_SYSTEM,
    compact,
    role_id,
)
from snp.models import Booking, BookingAudience, ReasonCategory, Slot, SlotKind

SAS_BASE = "https://interop.esante.gouv.fr/ig/fhir/sas"
SCHEDULE_PROFILE = f"{SAS_BASE}/StructureDefinition/sas-schedule-aggregator"
SLOT_PROFILE = f"{SAS_BASE}/StructureDefinition/sas-cpts-slot-aggregator"
SLOT_TYPE_SYSTEM = "https://mos.esante.gouv.fr/NOS/TRE_R314-TypeCreneau/FHIR/TRE-R314-TypeCreneau"
ACT_CODE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
APPOINTMENT_REASON_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0276"

# Our own definitions (no national one exists for them): a URN, so that nobody takes them for a page to fetch.
KIND_SYSTEM = "urn:cpts-portal:fhir:CodeSystem:snp-slot-kind"
AUDIENCE_SYSTEM = "urn:cpts-portal:fhir:CodeSystem:snp-booking-audience"
REASON_CATEGORY_SYSTEM = "urn:cpts-portal:fhir:CodeSystem:snp-reason-category"
CONTACT_CONSENT_EXTENSION = "urn:cpts-portal:fhir:StructureDefinition:snp-contact-consent"
HAS_GP_EXTENSION = "urn:cpts-portal:fhir:StructureDefinition:patient-has-gp"
BOOKING_IDENTIFIER_SYSTEM = "urn:cpts-portal:fhir:NamingSystem:snp-booking"

ACT_CODE_OF_KIND = {
    SlotKind.IN_PRACTICE: ("AMB", "ambulatory"),
    SlotKind.HOME_VISIT: ("HH", "home health"),
    SlotKind.TELECONSULTATION: ("VR", "virtual"),
    SlotKind.ASSISTED_TELECONSULTATION: ("VR", "virtual"),
}
FHIR_SLOT_STATUS = {Slot.Status.FREE: "free", Slot.Status.BOOKED: "busy", Slot.Status.WITHDRAWN: "busy-unavailable"}
SLOT_STATUS_OF_FHIR = {value: key for key, value in FHIR_SLOT_STATUS.items()}
FHIR_APPOINTMENT_STATUS = {
    Booking.Status.BOOKED: "booked",
    Booking.Status.CANCELLED: "cancelled",
    Booking.Status.HONOURED: "fulfilled",
    Booking.Status.NO_SHOW: "noshow",
}
GENDER_OF_SEX = {"F": "female", "M": "male", "X": "other"}
SEX_OF_GENDER = {"female": "F", "male": "M", "other": "X", "unknown": "X"}
PROFESSIONAL_AUDIENCES = {BookingAudience.PHARMACISTS, BookingAudience.NURSES, BookingAudience.GPS}
REGULATION_AUDIENCES = {
    BookingAudience.SAS,
    BookingAudience.LINE_116117,
    BookingAudience.SOS,
    BookingAudience.CPTS_LINE,
}
PATIENT_ID = "patient"


def _instant(moment: datetime.datetime) -> str:
    """In Paris time with its offset, as the guide's examples write them."""
    return timezone.localtime(moment).isoformat(timespec="milliseconds")


def practitioner_name(practitioner) -> str:
    return f"{practitioner.first_name} {practitioner.last_name}".strip()


def schedule_id(practitioner, site) -> str:
    return role_id(practitioner, site)


def _slot_types(slot: Slot) -> list[dict]:
    """TRE_R314: the slot is a CPTS one; PUBLIC when patients book it themselves, PRO when professionals may,
    SNP when the regulation may."""
    audiences = set(slot.audiences)
    codes = ["CPTS"]
    if BookingAudience.PUBLIC in audiences:
        codes.append("PUBLIC")
    if audiences & PROFESSIONAL_AUDIENCES:
        codes.append("PRO")
    if audiences & REGULATION_AUDIENCES:
        codes.append("SNP")
    return [{"system": SLOT_TYPE_SYSTEM, "code": code} for code in codes]


def service_type(kind: str) -> dict:
    code, display = ACT_CODE_OF_KIND[kind]
    return {
        "coding": [
            {"system": ACT_CODE_SYSTEM, "code": code, "display": display},
            {"system": KIND_SYSTEM, "code": kind, "display": str(SlotKind(kind).label)},
        ]
    }


def _specialties(practitioner) -> list[dict]:
    return [
        {"coding": [{"system": SPECIALTY_CODE_SYSTEM, "code": specialty.code, "display": specialty.label}]}
        for specialty in practitioner.specialties.all()
    ]


def schedule_resource(practitioner, site) -> dict:
    """The practitioner's non-scheduled slots at one site (the practitioner's specialties prefetched)."""
    identifier = schedule_id(practitioner, site)
    return compact(
        {
            "resourceType": "Schedule",
            "id": identifier,
            "meta": {"profile": [SCHEDULE_PROFILE]},
            "language": "fr",
            "active": True,
            "specialty": _specialties(practitioner),
            "actor": [
                {"reference": f"Practitioner/{practitioner.public_id}", "display": practitioner_name(practitioner)},
                {"reference": f"PractitionerRole/{identifier}", "display": site.name},
            ],
            "comment": site.name,
        }
    )


def slot_resource(slot: Slot) -> dict:
    """A slot (its practitioner with specialties prefetched, its site)."""
    return compact(
        {
            "resourceType": "Slot",
            "id": str(slot.public_id),
            "meta": {
                "profile": [SLOT_PROFILE],
                "lastUpdated": _instant(slot.updated_at),
                "security": _slot_types(slot),
                # Who may book it, in our own codes (meta.security says it more coarsely).
                "tag": [{"system": AUDIENCE_SYSTEM, "code": audience} for audience in slot.audiences],
            },
            "language": "fr",
            "serviceType": [service_type(slot.kind)],
            "specialty": _specialties(slot.practitioner),
            "appointmentType": {"coding": [{"system": APPOINTMENT_REASON_SYSTEM, "code": "ROUTINE"}]},
            "schedule": {
                "reference": f"Schedule/{schedule_id(slot.practitioner, slot.site)}",
                "display": f"{practitioner_name(slot.practitioner)}, {slot.site.name}",
            },
            "status": FHIR_SLOT_STATUS[slot.status],
            "start": _instant(slot.starts_at),
            "end": _instant(slot.ends_at),
            "comment": slot.site.name,
        }
    )


def _practitioner_participant(practitioner) -> dict:
    actor = {"reference": f"Practitioner/{practitioner.public_id}", "display": practitioner_name(practitioner)}
    if practitioner.rpps or practitioner.adeli:
        value = f"8{practitioner.rpps}" if practitioner.rpps else f"0{practitioner.adeli}"
        actor["identifier"] = {
            "type": {"coding": [{"system": IDENTIFIER_TYPE_SYSTEM, "code": "IDNPS"}]},
            "system": IDNPS_SYSTEM,
            "value": value,
        }
    return {"actor": actor, "status": "accepted"}


def _patient(booking: Booking) -> dict:
    commune = booking.patient_commune
    telecom = []
    if booking.patient_phone:
        telecom.append({"system": "phone", "value": booking.patient_phone, "use": "mobile"})
    if booking.patient_email:
        telecom.append({"system": "email", "value": booking.patient_email, "use": "home"})
    gp = booking.gp_practitioner
    return {
        "resourceType": "Patient",
        "id": PATIENT_ID,
        "extension": [{"url": HAS_GP_EXTENSION, "valueBoolean": booking.has_gp}],
        "name": [{"family": booking.patient_family_name, "given": booking.patient_given_names.split()}],
        "birthDate": booking.patient_birth_date.isoformat(),
        "gender": GENDER_OF_SEX[booking.patient_sex],
        "telecom": telecom,
        "address": [
            {
                "use": "home",
                "city": commune.name,
                "postalCode": commune.postal_codes[0] if commune.postal_codes else None,
                "country": "FR",
                "extension": [
                    {
                        "url": INSEE_CODE_EXTENSION,
                        "valueCoding": {"system": COMMUNE_SYSTEM, "code": commune.insee_code, "display": commune.name},
                    }
                ],
            }
        ],
        "generalPractitioner": [{"reference": f"Practitioner/{gp.public_id}", "display": practitioner_name(gp)}]
        if gp
        else [],
    }


def appointment_resource(booking: Booking) -> dict:
    """A booking (its slot with practitioner and site, the patient's commune and GP loaded)."""
    slot = booking.slot
    patient = _patient(booking)
    return compact(
        {
            "resourceType": "Appointment",
            "id": str(booking.public_id),
            "meta": {"lastUpdated": _instant(booking.updated_at)},
            "language": "fr",
            "contained": [patient],
            "extension": [{"url": CONTACT_CONSENT_EXTENSION, "valueBoolean": booking.contact_consent}],
            "identifier": [{"system": BOOKING_IDENTIFIER_SYSTEM, "value": str(booking.public_id)}],
            "status": FHIR_APPOINTMENT_STATUS[booking.status],
            "serviceType": [service_type(slot.kind)],
            "appointmentType": {"coding": [{"system": APPOINTMENT_REASON_SYSTEM, "code": "ROUTINE"}]},
            "reasonCode": [
                {
                    "coding": [
                        {
                            "system": REASON_CATEGORY_SYSTEM,
                            "code": booking.reason_category,
                            "display": str(ReasonCategory(booking.reason_category).label),
                        }
                    ]
                }
            ],
            "start": _instant(slot.starts_at),
            "end": _instant(slot.ends_at),
            "created": _instant(booking.created_at),
            "slot": [{"reference": f"Slot/{slot.public_id}"}],
            "participant": [
                {
                    "actor": {
                        "reference": f"#{PATIENT_ID}",
                        "display": f"{booking.patient_given_names} {booking.patient_family_name}",
                    },
                    "status": "accepted",
                },
                _practitioner_participant(slot.practitioner),
            ],
        }
    )


# What /fhir/metadata adds for the SNP (the directory's CapabilityStatement lists its own resources).
SNP_CAPABILITIES = [
    {
        "type": "Schedule",
        "supportedProfile": [SCHEDULE_PROFILE],
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "searchParam": [
            {"name": "actor", "type": "reference", "documentation": "Practitioner/{id} : l'agenda d'un professionnel."},
            {"name": "_id", "type": "token", "documentation": "Identifiant de l'agenda."},
        ],
    },
    {
        "type": "Slot",
        "supportedProfile": [SLOT_PROFILE],
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "searchInclude": ["Slot:schedule"],
        "searchParam": [
            {"name": "start", "type": "date", "documentation": "Début, avec ge, gt, le ou lt (deux mois au plus)."},
            {"name": "status", "type": "token", "documentation": "free, busy ou busy-unavailable."},
            {"name": "schedule.actor", "type": "reference", "documentation": "Practitioner/{id}."},
            {"name": "schedule", "type": "reference", "documentation": "Schedule/{id}."},
            {"name": "service-type", "type": "token", "documentation": "Type de consultation (v3-ActCode)."},
            {"name": "_count", "type": "number", "documentation": "Nombre de résultats par page (100 au plus)."},
            {"name": "_offset", "type": "number", "documentation": "Rang du premier résultat de la page."},
        ],
    },
    {
        "type": "Appointment",
        "interaction": [{"code": "create"}, {"code": "read"}],
        "documentation": (
            "Réserve un créneau libre (slot) pour un patient contenu ; 409 si le créneau vient d'être réservé, "
            "avec les créneaux libres suivants."
        ),
    },
]


def with_snp_capabilities(statement: dict) -> dict:
    """The directory's CapabilityStatement with the SNP's resources (signed-in callers only, said so)."""
    rest = statement["rest"][0]
    rest["resource"] = [*rest["resource"], *SNP_CAPABILITIES]
    rest["documentation"] += (
        " Schedule, Slot et Appointment (soins non programmés) : appelant connecté seulement (jeton ou session), "
        "dans le public qui peut réserver."
    )
    return statement

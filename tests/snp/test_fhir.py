"""/fhir/Schedule, /fhir/Slot and POST /fhir/Appointment: the SAS-shaped facade of non-scheduled care. Every answer,
refusals included, validates with the ``fhir.resources`` R4B models; what a caller sees is their SnpActor's (a
pharmacist only the slots open to pharmacists, a GP her own); booking goes through the same service (409 in French
with the next free slots)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from fhir.resources.R4B.appointment import Appointment
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.schedule import Schedule
from fhir.resources.R4B.slot import Slot as FhirSlot

from accounts.services import api_token_create
from directory.fhir import INSEE_CODE_EXTENSION, role_id
from snp import fhir
from snp.models import Booking, Slot
from snp.services import slot_publish
from tests.factories import vendee_communes
from tests.snp.conftest import at

pytestmark = pytest.mark.django_db

FHIR_JSON = "application/fhir+json"
MODELS = {
    "Appointment": Appointment,
    "Bundle": Bundle,
    "OperationOutcome": OperationOutcome,
    "Schedule": Schedule,
    "Slot": FhirSlot,
}


def valid(response, status=200) -> dict:
    """The answer's JSON after checking its status, media type and that it is a valid R4B resource (a Bundle's
    entries as well)."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(FHIR_JSON)
    body = response.json()
    MODELS[body["resourceType"]].model_validate(body)
    for entry in body.get("entry", []):
        MODELS[entry["resource"]["resourceType"]].model_validate(entry["resource"])
    return body


def refused(response, status) -> str:
    body = valid(response, status)
    assert body["resourceType"] == "OperationOutcome"
    return body["issue"][0]["diagnostics"]


def _ids(bundle, resource_type="Slot") -> list[str]:
    return [
        entry["resource"]["id"]
        for entry in bundle.get("entry", [])
        if entry["resource"]["resourceType"] == resource_type
    ]


@pytest.fixture
def communes(db):
    return vendee_communes()


@pytest.fixture
def offer(gp, gp_practice, communes):
    """Alice's slots tomorrow: 9:00 for the SAS only, 10:00 for the SAS and pharmacists, 11:00 a home visit for
    the SAS; and one in ten days for the SAS."""
    gp_practice.commune = communes["la_roche"]
    gp_practice.save()

    def publish(days, hour, audiences, kind="in_practice"):
        return slot_publish(acting_user=gp, start=at(days, hour), duration_minutes=20, audiences=audiences, kind=kind)

    return {
        "sas_only": publish(1, 9, ["sas"]),
        "pharmacists": publish(1, 10, ["sas", "pharmacists"]),
        "home": publish(1, 11, ["sas"], kind="home_visit"),
        "later": publish(10, 9, ["sas"]),
    }


def _appointment(slot_id, *, commune="85191", **patient_changes) -> dict:
    patient = {
        "resourceType": "Patient",
        "id": "patient",
        "extension": [{"url": fhir.HAS_GP_EXTENSION, "valueBoolean": False}],
        "name": [{"family": "Durand", "given": ["Jeanne"]}],
        "birthDate": "1950-03-04",
        "gender": "female",
        "telecom": [{"system": "phone", "value": "06 12 34 56 78"}],
        "address": [
            {
                "postalCode": "85000",
                "extension": [
                    {
                        "url": INSEE_CODE_EXTENSION,
                        "valueCoding": {"system": fhir.COMMUNE_SYSTEM, "code": commune},
                    }
                ],
            }
        ],
        **patient_changes,
    }
    body = {
        "resourceType": "Appointment",
        "status": "booked",
        "contained": [patient],
        "extension": [{"url": fhir.CONTACT_CONSENT_EXTENSION, "valueBoolean": True}],
        "reasonCode": [{"coding": [{"system": fhir.REASON_CATEGORY_SYSTEM, "code": "pain"}]}],
        "slot": [{"reference": f"Slot/{slot_id}"}],
        "participant": [{"actor": {"reference": "#patient"}, "status": "accepted"}],
    }
    Appointment.model_validate(body)  # what we document is itself a valid Appointment
    return body


def _post(client, body, **headers):
    return client.post("/fhir/Appointment", body, content_type=FHIR_JSON, **headers)


# --- Slot ------------------------------------------------------------------------------------------------------


def test_a_slot_reads_in_the_sas_cpts_profile(regulator, signed_in, offer, gp_practice):
    slot = offer["pharmacists"]

    body = valid(signed_in(regulator).get(f"/fhir/Slot/{slot.public_id}"))

    assert body["meta"]["profile"] == [fhir.SLOT_PROFILE]
    assert (
        fhir.SLOT_PROFILE == "https://interop.esante.gouv.fr/ig/fhir/sas/StructureDefinition/sas-cpts-slot-aggregator"
    )
    assert {(c["system"], c["code"]) for c in body["meta"]["security"]} == {
        (fhir.SLOT_TYPE_SYSTEM, "CPTS"),
        (fhir.SLOT_TYPE_SYSTEM, "PRO"),
        (fhir.SLOT_TYPE_SYSTEM, "SNP"),
    }
    assert body["serviceType"][0]["coding"][0] == {
        "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
        "code": "AMB",
        "display": "ambulatory",
    }
    assert body["appointmentType"]["coding"][0]["code"] == "ROUTINE"
    assert body["status"] == "free"
    assert body["start"].startswith(at(1, 10).isoformat()[:16])
    assert body["schedule"]["reference"] == f"Schedule/{role_id(slot.practitioner, gp_practice)}"


def test_slots_are_searched_by_start_status_and_service_type(regulator, signed_in, offer):
    client = signed_in(regulator)
    tomorrow = at(1, 0)
    window = {"start": [f"ge{tomorrow.isoformat()}", f"lt{(tomorrow + datetime.timedelta(days=1)).date()}"]}

    day = valid(client.get("/fhir/Slot", window))
    assert _ids(day) == [str(offer[key].public_id) for key in ("sas_only", "pharmacists", "home")]
    assert day["total"] == 3
    homes = valid(client.get("/fhir/Slot", {**window, "service-type": "HH"}))
    assert _ids(homes) == [str(offer["home"].public_id)]
    by_kind = valid(client.get("/fhir/Slot", {**window, "service-type": f"{fhir.KIND_SYSTEM}|home_visit"}))
    assert _ids(by_kind) == [str(offer["home"].public_id)]
    later = valid(client.get("/fhir/Slot", {"start": f"ge{at(5, 0).date()}"}))
    assert _ids(later) == [str(offer["later"].public_id)]
    assert valid(client.get("/fhir/Slot", {**window, "status": "busy"}))["total"] == 0
    assert valid(client.get("/fhir/Slot", {**window, "status": "free"}))["total"] == 3


def test_the_query_string_of_the_brief_works_with_an_encoded_offset(regulator, signed_in, offer):
    start = at(1, 0)
    query = f"start=ge{start.isoformat().replace('+', '%2B')}&start=lt{(start + datetime.timedelta(days=7)).date()}"

    bundle = valid(signed_in(regulator).get(f"/fhir/Slot?{query}"))

    assert bundle["total"] == 3


def test_a_pharmacist_sees_only_the_slots_open_to_pharmacists(pharmacist, signed_in, offer):
    client = signed_in(pharmacist)

    bundle = valid(client.get("/fhir/Slot"))

    assert _ids(bundle) == [str(offer["pharmacists"].public_id)]


def test_a_slot_the_caller_may_not_see_is_a_404(pharmacist, signed_in, offer):
    diagnostics = refused(signed_in(pharmacist).get(f"/fhir/Slot/{offer['sas_only'].public_id}"), 404)

    assert "n'existe pas" in diagnostics


def test_a_gp_sees_her_own_slots_booked_or_not_another_gp_sees_none(gp, gp2, regulator, signed_in, offer):
    Slot.objects.filter(pk=offer["sas_only"].pk).update(status=Slot.Status.BOOKED)

    own = valid(signed_in(gp).get("/fhir/Slot", {"start": f"ge{at(0, 0).date()}", "status": "busy"}))
    assert _ids(own) == [str(offer["sas_only"].public_id)]
    assert valid(signed_in(gp2).get("/fhir/Slot"))["total"] == 0
    # The regulator books free slots: a busy one is not on the board.
    assert str(offer["sas_only"].public_id) not in _ids(valid(signed_in(regulator).get("/fhir/Slot")))


def test_slots_are_searched_by_schedule_actor(gp, gp2, regulator, signed_in, offer, gp2_practice, communes):
    other = slot_publish(acting_user=gp2, start=at(1, 14), duration_minutes=20, audiences=["sas"])
    alice = offer["sas_only"].practitioner
    client = signed_in(regulator)

    mine = valid(client.get("/fhir/Slot", {"schedule.actor": f"Practitioner/{alice.public_id}"}))
    theirs = valid(client.get("/fhir/Slot", {"schedule.actor": f"Practitioner/{other.practitioner.public_id}"}))

    assert mine["total"] == 3
    assert _ids(theirs) == [str(other.public_id)]
    schedule = f"Schedule/{role_id(other.practitioner, gp2_practice)}"
    assert _ids(valid(client.get("/fhir/Slot", {"schedule": schedule}))) == [str(other.public_id)]
    assert "Référence invalide" in refused(client.get("/fhir/Slot", {"schedule.actor": "Patient/1"}), 400)


def test_slots_include_their_schedules_once(regulator, signed_in, offer, gp_practice):
    bundle = valid(signed_in(regulator).get("/fhir/Slot", {"_include": "Slot:schedule"}))

    included = [entry for entry in bundle["entry"] if entry["search"]["mode"] == "include"]
    assert bundle["total"] == 3 and len(_ids(bundle)) == 3
    [schedule] = included
    resource = schedule["resource"]
    assert resource["resourceType"] == "Schedule"
    assert resource["meta"]["profile"] == [fhir.SCHEDULE_PROFILE]
    alice = offer["sas_only"].practitioner
    assert [actor["reference"] for actor in resource["actor"]] == [
        f"Practitioner/{alice.public_id}",
        f"PractitionerRole/{role_id(alice, gp_practice)}",
    ]
    assert "_include non pris en charge" in refused(
        signed_in(regulator).get("/fhir/Slot", {"_include": "Slot:practitioner"}), 400
    )


def test_slots_page_with_next_links_and_constant_queries(gp, regulator, signed_in, offer):
    for hour in range(12, 18):
        slot_publish(acting_user=gp, start=at(2, hour), duration_minutes=20, audiences=["sas"])
    client = signed_in(regulator)

    first = valid(client.get("/fhir/Slot", {"_count": 4}))
    links = {link["relation"]: link["url"] for link in first["link"]}
    second = valid(client.get(links["next"]))

    assert first["total"] == second["total"] == 9
    assert "_count=4" in links["next"] and "_offset=4" in links["next"]
    assert len(_ids(first)) == len(_ids(second)) == 4
    assert not set(_ids(first)) & set(_ids(second))

    def queries(count):
        with CaptureQueriesContext(connection) as captured:
            valid(client.get("/fhir/Slot", {"_count": count, "_include": "Slot:schedule"}))
        return len(captured)

    assert queries(1) == queries(9)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "ge2026-13-45"}, "Date illisible"),
        ({"start": "sa2026-12-03"}, "Préfixe non pris en charge"),
        ({"status": "occupé"}, "Statut inconnu"),
        ({"_count": "beaucoup"}, "_count doit être un entier"),
        ({"practitioner": "x"}, "Paramètre de recherche non pris en charge"),
    ],
)
def test_a_bad_slot_search_is_a_french_400(regulator, signed_in, offer, params, message):
    assert message in refused(signed_in(regulator).get("/fhir/Slot", params), 400)


def test_a_window_over_two_months_is_refused(regulator, signed_in, offer):
    params = {"start": [f"ge{at(0, 0).date()}", f"lt{at(90, 0).date()}"]}

    assert "deux mois" in refused(signed_in(regulator).get("/fhir/Slot", params), 400)


# --- Schedule --------------------------------------------------------------------------------------------------


def test_schedules_are_listed_read_and_scoped(regulator, pharmacist, gp2, signed_in, offer, gp_practice):
    alice = offer["sas_only"].practitioner
    schedule_id = role_id(alice, gp_practice)

    listed = valid(signed_in(regulator).get("/fhir/Schedule"))
    read = valid(signed_in(regulator).get(f"/fhir/Schedule/{schedule_id}"))

    assert _ids(listed, "Schedule") == [schedule_id]
    assert read["id"] == schedule_id and read["meta"]["profile"] == [fhir.SCHEDULE_PROFILE]
    by_actor = valid(signed_in(regulator).get("/fhir/Schedule", {"actor": f"Practitioner/{alice.public_id}"}))
    assert by_actor["total"] == 1
    assert valid(signed_in(pharmacist).get("/fhir/Schedule"))["total"] == 1  # the 10:00 slot is open to them
    assert valid(signed_in(gp2).get("/fhir/Schedule"))["total"] == 0
    assert "Ressource inconnue" in refused(signed_in(gp2).get(f"/fhir/Schedule/{schedule_id}"), 404)
    assert "Ressource inconnue" in refused(signed_in(regulator).get("/fhir/Schedule/abc"), 404)


# --- Who may call ----------------------------------------------------------------------------------------------


def test_an_anonymous_caller_gets_a_401_outcome(client, offer):
    for path in ("/fhir/Slot", f"/fhir/Slot/{offer['sas_only'].public_id}", "/fhir/Schedule"):
        response = client.get(path)
        assert "Authentification requise" in refused(response, 401)
        assert response["WWW-Authenticate"] == "Token"
    assert "Authentification requise" in refused(_post(client, _appointment(offer["sas_only"].public_id)), 401)
    assert not Booking.objects.exists()


def test_a_wrong_token_is_a_401_and_a_good_one_works(client, regulator, offer):
    assert "Jeton inconnu" in refused(client.get("/fhir/Slot", HTTP_AUTHORIZATION="Token faux"), 401)
    _token, key = api_token_create(user=regulator, name="SAS")

    bundle = valid(client.get("/fhir/Slot", HTTP_AUTHORIZATION=f"Token {key}"))

    assert bundle["total"] == 3


def test_a_regulator_without_second_factor_is_refused_with_403(client, territory, offer):
    from accounts.roles import Role
    from directory.services import role_grant_create
    from tests.factories import UserFactory

    user = UserFactory(email="sans-totp@cpts.test")
    role_grant_create(user=user, role=Role.REGULATOR, territory=territory)
    _token, key = api_token_create(user=user, name="SAS")  # a session is sent to the enrolment page instead

    assert "double authentification" in refused(client.get("/fhir/Slot", HTTP_AUTHORIZATION=f"Token {key}"), 403)


def test_a_session_post_without_its_csrf_token_is_refused(regulator, offer):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(regulator)

    assert "CSRF" in refused(_post(client, _appointment(offer["sas_only"].public_id)), 403)
    assert not Booking.objects.exists()


# --- Appointment -----------------------------------------------------------------------------------------------


def test_a_regulator_books_with_an_appointment_and_gets_201_and_its_location(regulator, signed_in, offer, communes):
    slot = offer["sas_only"]
    client = signed_in(regulator)

    response = _post(client, _appointment(slot.public_id))

    body = valid(response, 201)
    booking = Booking.objects.get()
    assert response["Location"].endswith(f"/fhir/Appointment/{booking.public_id}")
    assert body["id"] == str(booking.public_id) and body["status"] == "booked"
    assert body["slot"] == [{"reference": f"Slot/{slot.public_id}"}]
    [patient] = body["contained"]
    assert (patient["name"][0]["family"], patient["gender"], patient["birthDate"]) == ("Durand", "female", "1950-03-04")
    assert patient["telecom"][0]["value"] == "+33612345678"
    assert patient["address"][0]["extension"][0]["valueCoding"]["code"] == "85191"
    assert body["reasonCode"][0]["coding"][0]["code"] == "pain"
    assert body["extension"] == [{"url": fhir.CONTACT_CONSENT_EXTENSION, "valueBoolean": True}]
    assert (booking.audience, booking.reason_category, booking.contact_consent) == ("sas", "pain", True)
    assert (booking.patient_sex, booking.patient_commune_id, booking.has_gp) == ("F", "85191", False)
    slot.refresh_from_db()
    assert slot.status == Slot.Status.BOOKED
    read = valid(client.get(response["Location"]))
    assert read["id"] == body["id"]


def test_a_second_appointment_on_the_same_slot_is_a_409_naming_the_next_free_slots(regulator, signed_in, offer):
    client = signed_in(regulator)
    valid(_post(client, _appointment(offer["sas_only"].public_id)), 201)

    response = _post(client, _appointment(offer["sas_only"].public_id, name=[{"family": "Autre", "given": ["Luc"]}]))

    body = valid(response, 409)
    assert body["issue"][0]["code"] == "conflict"
    assert body["issue"][0]["diagnostics"].startswith("Ce créneau vient d'être réservé.")
    assert "Créneaux libres suivants" in body["issue"][0]["diagnostics"]
    named = [issue["diagnostics"] for issue in body["issue"][1:]]
    assert str(offer["pharmacists"].public_id) in named[0]
    assert Booking.objects.count() == 1


def test_a_pharmacist_books_only_what_is_open_to_pharmacists(pharmacist, signed_in, offer):
    client = signed_in(pharmacist)

    assert "n'existe pas" in refused(_post(client, _appointment(offer["sas_only"].public_id)), 404)
    booked = valid(_post(client, _appointment(offer["pharmacists"].public_id)), 201)

    assert Booking.objects.get().audience == "pharmacists"
    assert booked["status"] == "booked"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda body: body.update(slot=[]), "Indiquez un créneau"),
        (lambda body: body.update(participant=[]), "Indiquez le patient"),
        (lambda body: body.update(reasonCode=[]), "catégorie du motif"),
        (lambda body: body.update(extension=[]), "accepte d'être contacté"),
        (lambda body: body["contained"][0].update(extension=[]), "médecin traitant"),
        (lambda body: body["contained"][0].update(gender="femme"), "sexe du patient"),
        (lambda body: body["contained"][0].update(birthDate="1800-01-01"), "date de naissance"),
        (lambda body: body["contained"][0].update(address=[]), "code INSEE"),
        (
            lambda body: body["contained"][0]["address"][0]["extension"][0]["valueCoding"].update(code="00000"),
            "Commune",
        ),
        (lambda body: body["contained"][0].update(telecom=[{"system": "phone", "value": "abc"}]), "téléphone"),
        (lambda body: body["reasonCode"][0]["coding"][0].update(code="grippe"), "catégorie du motif"),
        (lambda body: body.update(resourceType="Patient"), "ressource Appointment"),
    ],
)
def test_a_bad_appointment_is_a_french_400_and_books_nothing(regulator, signed_in, offer, change, message):
    body = _appointment(offer["sas_only"].public_id)
    change(body)

    assert message in refused(_post(signed_in(regulator), body), 400)
    assert not Booking.objects.exists()


def test_an_unknown_slot_is_a_404_and_a_non_json_body_a_415(regulator, signed_in, offer):
    client = signed_in(regulator)

    assert "n'existe pas" in refused(_post(client, _appointment("not-a-uuid")), 404)
    assert "n'existe pas" in refused(_post(client, _appointment("00000000-0000-0000-0000-000000000007")), 404)
    assert "JSON" in refused(client.post("/fhir/Appointment", "x", content_type="text/plain"), 415)
    assert "non prise en charge" in refused(client.get("/fhir/Appointment"), 405)


def test_metadata_lists_the_snp_resources_with_their_sas_profiles(client, db):
    from fhir.resources.R4B.capabilitystatement import CapabilityStatement

    body = client.get("/fhir/metadata").json()
    CapabilityStatement.model_validate(body)

    resources = {resource["type"]: resource for resource in body["rest"][0]["resource"]}
    assert {"Practitioner", "Schedule", "Slot", "Appointment"} <= set(resources)
    assert resources["Slot"]["supportedProfile"] == [
        "https://interop.esante.gouv.fr/ig/fhir/sas/StructureDefinition/sas-cpts-slot-aggregator"
    ]
    assert resources["Slot"]["searchInclude"] == ["Slot:schedule"]
    assert {parameter["name"] for parameter in resources["Slot"]["searchParam"]} >= {
        "start",
        "status",
        "schedule.actor",
    }
    assert {interaction["code"] for interaction in resources["Appointment"]["interaction"]} == {"create", "read"}

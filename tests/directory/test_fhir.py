"""The FHIR R4 facade (/fhir/): CapabilityStatement, Practitioner, PractitionerRole and Organization read and
searched with the Annuaire Santé's identifier systems; every answer, refusals included, validates with the
``fhir.resources`` R4B models; the public never sees a professional line."""

import datetime
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.practitioner import Practitioner as FhirPractitioner
from fhir.resources.R4B.practitionerrole import PractitionerRole

from accounts.services import api_token_create
from directory import fhir
from directory.models import (
    Absence,
    Activity,
    Audience,
    ContactChannel,
    Practitioner,
    PractitionerMerge,
    Profession,
)
from tests.factories import PracticeFactory, PractitionerFactory, SpecialtyFactory, vendee_communes

Kind = ContactChannel.Kind
FHIR_JSON = "application/fhir+json"
MODELS = {
    "Bundle": Bundle,
    "CapabilityStatement": CapabilityStatement,
    "OperationOutcome": OperationOutcome,
    "Organization": Organization,
    "Practitioner": FhirPractitioner,
    "PractitionerRole": PractitionerRole,
}


def valid(response, status=200) -> dict:
    """The answer's JSON after checking its status, media type and that it is a valid R4B resource of its type
    (the model refuses unknown elements, wrong types, empty strings); a Bundle's entries are parsed as well."""
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


@pytest.fixture
def cardiology(db):
    return SpecialtyFactory(code="SM04", label="Cardiologie et maladies vasculaires")


@pytest.fixture
def directory(territory, cardiology, gp, cardiologist, cardio_practice):
    """Dr Chloé Rousseau, cardiologist (RPPS) at the cardiology practice (FINESS, SIRET, La Roche-sur-Yon), with a
    public phone, a line for professionals (her own) and an MSSanté box at the practice, a regulators' line for
    the practice, and an absence this week; Élodie Bérard, nurse identified by ADELI, at Venansault."""
    communes = vendee_communes()
    rousseau = Practitioner.objects.get(user=cardiologist)
    rousseau.profession, rousseau.languages, rousseau.civility = Profession.objects.get(code="10"), ["en"], "DR"
    rousseau.save()
    cardio_practice.commune, cardio_practice.address, cardio_practice.postal_code = (
        communes["la_roche"],
        "3 rue Clemenceau",
        "85000",
    )
    cardio_practice.city, cardio_practice.finess, cardio_practice.siret = (
        "La Roche-sur-Yon",
        "850000019",
        "73282932000074",
    )
    cardio_practice.save()
    ContactChannel.objects.create(
        practitioner=rousseau, audience=Audience.PUBLIC, kind=Kind.PHONE, value="+33251999999"
    )
    ContactChannel.objects.create(
        practitioner=rousseau,
        audience=Audience.PROFESSIONALS,
        kind=Kind.PROFESSIONAL_LINE,
        value="+33251000003",
        preferred=True,
    )
    ContactChannel.objects.create(
        practitioner=rousseau,
        practice=cardio_practice,
        audience=Audience.PROFESSIONALS,
        kind=Kind.MSSANTE,
        value="chloe.rousseau@cardio.mssante.fr",
    )
    ContactChannel.objects.create(
        practice=cardio_practice, audience=Audience.REGULATORS, kind=Kind.SECRETARY, value="+33251000009"
    )
    ContactChannel.objects.create(
        practice=cardio_practice, audience=Audience.PUBLIC, kind=Kind.BOOKING_LINK, value="https://rdv.example.fr/c"
    )
    today = timezone.localdate()
    Absence.objects.create(practitioner=rousseau, starts_on=today, ends_on=today + datetime.timedelta(days=2))
    venansault = PracticeFactory(
        name="Cabinet infirmier de Venansault", commune=communes["venansault"], postal_code="85190", city=""
    )
    berard = PractitionerFactory(
        rpps=None,
        adeli="851234567",
        first_name="Élodie",
        last_name="Bérard",
        profession=Profession.objects.get(code="60"),
    )
    Activity.objects.create(practitioner=berard, practice=venansault)
    return {"rousseau": rousseau, "berard": berard, "cardio_practice": cardio_practice, "venansault": venansault}


def _search(client, resource_type, **params):
    return client.get(f"/fhir/{resource_type}", params)


def _ids(bundle) -> list[str]:
    return [entry["resource"]["id"] for entry in bundle.get("entry", [])]


# --- CapabilityStatement ----------------------------------------------------------------------------------------


def test_metadata_is_a_valid_capability_statement_listing_what_is_served(client, db):
    body = valid(client.get("/fhir/metadata"))

    assert body["resourceType"] == "CapabilityStatement"
    assert body["fhirVersion"] == "4.0.1"
    resources = {resource["type"]: resource for resource in body["rest"][0]["resource"]}
    assert set(resources) >= {"Practitioner", "PractitionerRole", "Organization"}  # and the SNP's (tests/snp)
    practitioner_parameters = {parameter["name"] for parameter in resources["Practitioner"]["searchParam"]}
    assert practitioner_parameters >= {
        "identifier",
        "name",
        "family",
        "specialty",
        "address-city",
        "address-postalcode",
        "_count",
    }
    assert {interaction["code"] for interaction in resources["Organization"]["interaction"]} == {"read", "search-type"}


# --- Practitioner -----------------------------------------------------------------------------------------------


def test_a_practitioner_reads_with_the_annuaire_sante_identifiers_and_codes(client, directory):
    rousseau = directory["rousseau"]

    body = valid(client.get(f"/fhir/Practitioner/{rousseau.public_id}"))

    assert body["id"] == str(rousseau.public_id)
    identifiers = {identifier["system"]: identifier["value"] for identifier in body["identifier"]}
    assert identifiers == {
        "urn:oid:1.2.250.1.71.4.2.1": f"8{rousseau.rpps}",
        "https://rpps.esante.gouv.fr": rousseau.rpps,
    }
    assert body["name"][0]["family"] == "Rousseau"
    assert body["name"][0]["given"] == ["Chloé"]
    assert body["name"][0]["suffix"] == ["DR"]
    codings = [qualification["code"]["coding"][0] for qualification in body["qualification"]]
    assert {"system": fhir.PROFESSION_CODE_SYSTEM, "code": "10", "display": "Médecin"} in codings
    assert {
        "system": "https://mos.esante.gouv.fr/NOS/TRE_R38-SpecialiteOrdinale/FHIR/TRE-R38-SpecialiteOrdinale",
        "code": "SM04",
        "display": "Cardiologie et maladies vasculaires",
    } in codings
    assert body["communication"] == [{"coding": [{"system": "urn:ietf:bcp:47", "code": "en"}]}]
    [address] = body["address"]
    assert (address["city"], address["postalCode"], address["line"]) == (
        "La Roche-sur-Yon",
        "85000",
        ["3 rue Clemenceau"],
    )
    assert address["extension"][0]["valueCoding"]["code"] == "85191"


def test_an_adeli_practitioner_has_an_idnps_starting_with_0(client, directory):
    berard = directory["berard"]

    body = valid(client.get(f"/fhir/Practitioner/{berard.public_id}"))

    identifiers = {identifier["system"]: identifier["value"] for identifier in body["identifier"]}
    assert identifiers == {"urn:oid:1.2.250.1.71.4.2.1": "0851234567", "https://adeli.esante.gouv.fr": "851234567"}


def test_the_public_never_sees_a_professional_line(client, directory):
    rousseau = directory["rousseau"]

    body = valid(client.get(f"/fhir/Practitioner/{rousseau.public_id}"))

    assert [(point["system"], point["value"]) for point in body["telecom"]] == [("phone", "+33251999999")]


def test_a_professional_with_a_token_sees_the_professional_line_first(client, directory, gp):
    _token, key = api_token_create(user=gp, name="logiciel")

    body = valid(client.get(f"/fhir/Practitioner/{directory['rousseau'].public_id}", HTTP_AUTHORIZATION=f"Token {key}"))

    assert [(point["value"], point["rank"]) for point in body["telecom"]] == [("+33251000003", 1), ("+33251999999", 2)]


def test_a_signed_in_session_counts_as_well(signed_in, directory, gp):
    body = valid(signed_in(gp).get(f"/fhir/Practitioner/{directory['rousseau'].public_id}"))

    assert "+33251000003" in [point["value"] for point in body["telecom"]]


def test_a_wrong_token_is_a_401_outcome(client, directory):
    diagnostics = refused(
        client.get(f"/fhir/Practitioner/{directory['rousseau'].public_id}", HTTP_AUTHORIZATION="Token faux"), 401
    )

    assert "Jeton inconnu" in diagnostics


@pytest.mark.parametrize(
    "identifier",
    [
        "https://rpps.esante.gouv.fr|{rpps}",
        "urn:oid:1.2.250.1.71.4.2.1|8{rpps}",
        "{rpps}",
        "8{rpps}",
        "|{rpps}",
        "http://rpps.fr|{rpps}",
        "https://adeli.esante.gouv.fr|000000000,https://rpps.esante.gouv.fr|{rpps}",
    ],
)
def test_practitioners_are_found_by_rpps_as_the_annuaire_sante_writes_it(client, directory, identifier):
    rousseau = directory["rousseau"]

    bundle = valid(_search(client, "Practitioner", identifier=identifier.format(rpps=rousseau.rpps)))

    assert bundle["type"] == "searchset"
    assert bundle["total"] == 1
    assert _ids(bundle) == [str(rousseau.public_id)]


@pytest.mark.parametrize(
    "identifier",
    ["https://adeli.esante.gouv.fr|851234567", "urn:oid:1.2.250.1.71.4.2.1|0851234567", "851234567"],
)
def test_practitioners_are_found_by_adeli(client, directory, identifier):
    assert _ids(valid(_search(client, "Practitioner", identifier=identifier))) == [str(directory["berard"].public_id)]


def test_an_identifier_of_another_system_or_person_matches_nothing(client, directory):
    rpps = directory["rousseau"].rpps

    for identifier in (f"https://adeli.esante.gouv.fr|{rpps}", f"http://example.org|{rpps}", "10000000000"):
        assert valid(_search(client, "Practitioner", identifier=identifier))["total"] == 0


def test_names_are_searched_from_their_start_accents_and_case_aside(client, directory):
    rousseau, berard = (str(directory[key].public_id) for key in ("rousseau", "berard"))

    assert _ids(valid(_search(client, "Practitioner", family="ROUSS"))) == [rousseau]
    assert _ids(valid(_search(client, "Practitioner", family="berard"))) == [berard]
    assert _ids(valid(_search(client, "Practitioner", name="elodie"))) == [berard]
    assert _ids(valid(_search(client, "Practitioner", given="chloe"))) == [rousseau]
    assert valid(_search(client, "Practitioner", family="usseau"))["total"] == 0
    assert _ids(valid(client.get("/fhir/Practitioner", {"family:contains": "usseau"}))) == [rousseau]
    assert valid(client.get("/fhir/Practitioner", {"family:exact": "rousseau"}))["total"] == 0
    assert _ids(valid(client.get("/fhir/Practitioner", {"family:exact": "Rousseau"}))) == [rousseau]


def test_practitioners_are_searched_by_specialty_and_by_place(client, directory):
    rousseau, berard = (str(directory[key].public_id) for key in ("rousseau", "berard"))
    system = fhir.SPECIALTY_CODE_SYSTEM

    assert _ids(valid(_search(client, "Practitioner", specialty="SM04"))) == [rousseau]
    assert _ids(valid(_search(client, "Practitioner", specialty=f"{system}|SM04"))) == [rousseau]
    assert valid(_search(client, "Practitioner", specialty=f"{fhir.PROFESSION_CODE_SYSTEM}|SM04"))["total"] == 0
    assert _ids(valid(client.get("/fhir/Practitioner", {"specialty:text": "cardio"}))) == [rousseau]
    in_la_roche = _ids(valid(_search(client, "Practitioner", **{"address-city": "la roche"})))
    assert rousseau in in_la_roche and berard not in in_la_roche
    assert _ids(valid(_search(client, "Practitioner", specialty="SM04", **{"address-city": "la roche"}))) == [rousseau]
    assert _ids(valid(_search(client, "Practitioner", **{"address-city": "Venansault"}))) == [berard]
    assert _ids(valid(_search(client, "Practitioner", **{"address-postalcode": "85190"}))) == [berard]
    combined = {"specialty": "SM04", "address-postalcode": "85190"}
    assert valid(_search(client, "Practitioner", **combined))["total"] == 0


def test_search_pages_with_count_and_next_links_that_keep_the_parameters(client, directory, cardiology, territory):
    for index in range(4):
        PractitionerFactory(last_name=f"Cardio{index}", territory=territory).specialties.add(cardiology)

    first = valid(_search(client, "Practitioner", specialty="SM04", _count=2))
    links = {link["relation"]: link["url"] for link in first["link"]}
    second = valid(client.get(links["next"]))
    third = valid(client.get({link["relation"]: link["url"] for link in second["link"]}["next"]))

    assert first["total"] == second["total"] == third["total"] == 5
    assert "specialty=SM04" in links["next"] and "_count=2" in links["next"]
    assert links["self"].endswith("/fhir/Practitioner?specialty=SM04&_count=2")
    assert [len(bundle["entry"]) for bundle in (first, second, third)] == [2, 2, 1]
    assert "next" not in {link["relation"] for link in third["link"]}
    assert len({*_ids(first), *_ids(second), *_ids(third)}) == 5
    count_only = valid(_search(client, "Practitioner", specialty="SM04", _count=0))
    assert (count_only["total"], count_only.get("entry")) == (5, None)


def test_search_queries_do_not_grow_with_the_page(client, directory, cardiology, territory, cardio_practice):
    def queries(count):
        with CaptureQueriesContext(connection) as captured:
            assert len(valid(_search(client, "Practitioner", specialty="SM04", _count=count))["entry"]) == count
        return len(captured)

    for index in range(8):
        extra = PractitionerFactory(last_name=f"Cardio{index}", territory=territory)
        extra.specialties.add(cardiology)
        Activity.objects.create(practitioner=extra, practice=cardio_practice)
        ContactChannel.objects.create(
            practitioner=extra, audience=Audience.PUBLIC, kind=Kind.PHONE, value="+33251000020"
        )

    assert queries(1) == queries(9)


def test_a_merged_duplicate_redirects_to_the_kept_practitioner(client, directory):
    rousseau, old_id = directory["rousseau"], uuid.uuid4()
    PractitionerMerge.objects.create(kept=rousseau, merged_public_id=old_id, merged_label="doublon")

    response = client.get(f"/fhir/Practitioner/{old_id}")

    valid(response, 301)
    assert response["Location"].endswith(f"/fhir/Practitioner/{rousseau.public_id}")


# --- PractitionerRole and Organization ------------------------------------------------------------------------


def test_a_practitioner_role_links_practitioner_and_practice_with_the_channels_there(client, directory):
    rousseau, practice = directory["rousseau"], directory["cardio_practice"]
    role_id = fhir.role_id(rousseau, practice)

    body = valid(client.get(f"/fhir/PractitionerRole/{role_id}"))

    assert body["practitioner"]["reference"] == f"Practitioner/{rousseau.public_id}"
    assert body["organization"]["reference"] == f"Organization/{practice.public_id}"
    assert body["specialty"][0]["coding"][0]["code"] == "SM04"
    assert body["code"][0]["coding"][0]["code"] == "10"
    # The public: the practice's booking link, never the MSSanté box for colleagues nor the regulators' line.
    assert [point["value"] for point in body["telecom"]] == ["https://rdv.example.fr/c"]
    assert "notAvailable" not in body


def test_a_regulator_sees_the_regulators_line_and_absences_in_the_role(client, directory, regulator):
    _token, key = api_token_create(user=regulator, name="SAS")
    role_id = fhir.role_id(directory["rousseau"], directory["cardio_practice"])

    body = valid(client.get(f"/fhir/PractitionerRole/{role_id}", HTTP_AUTHORIZATION=f"Token {key}"))

    telecoms = {point["value"]: point for point in body["telecom"]}
    assert set(telecoms) == {"chloe.rousseau@cardio.mssante.fr", "+33251000009", "https://rdv.example.fr/c"}
    assert telecoms["chloe.rousseau@cardio.mssante.fr"]["extension"][0]["valueCoding"]["code"] == "MSSANTE"
    [absence] = body["notAvailable"]
    assert absence["during"]["start"] == timezone.localdate().isoformat()
    assert absence["description"].startswith("Absent du ")


def test_roles_are_searched_by_practitioner_organization_and_specialty(client, directory):
    rousseau, berard = directory["rousseau"], directory["berard"]
    rousseau_role = fhir.role_id(rousseau, directory["cardio_practice"])
    berard_role = fhir.role_id(berard, directory["venansault"])

    assert _ids(valid(_search(client, "PractitionerRole", practitioner=f"Practitioner/{rousseau.public_id}"))) == [
        rousseau_role
    ]
    assert _ids(valid(_search(client, "PractitionerRole", organization=str(directory["venansault"].public_id)))) == [
        berard_role
    ]
    assert _ids(valid(_search(client, "PractitionerRole", specialty="SM04"))) == [rousseau_role]
    assert _ids(valid(_search(client, "PractitionerRole", role=f"{fhir.PROFESSION_CODE_SYSTEM}|60"))) == [berard_role]
    assert _ids(valid(_search(client, "PractitionerRole", _id=berard_role))) == [berard_role]


def test_an_organization_reads_with_finess_siret_and_its_shared_channels(client, directory):
    practice = directory["cardio_practice"]

    body = valid(client.get(f"/fhir/Organization/{practice.public_id}"))

    assert body["name"] == "Cabinet de cardiologie du Centre"
    identifiers = {identifier["system"]: identifier["value"] for identifier in body["identifier"]}
    assert identifiers == {"https://finess.esante.gouv.fr": "850000019", "https://sirene.fr": "73282932000074"}
    assert [point["value"] for point in body["telecom"]] == ["https://rdv.example.fr/c"]


def test_organizations_are_searched_by_identifier_name_and_place(client, directory):
    cardio, venansault = (str(directory[key].public_id) for key in ("cardio_practice", "venansault"))

    assert _ids(valid(_search(client, "Organization", identifier="https://finess.esante.gouv.fr|850000019"))) == [
        cardio
    ]
    assert _ids(valid(_search(client, "Organization", identifier="73282932000074"))) == [cardio]
    assert _ids(valid(_search(client, "Organization", name="cabinet infirmier"))) == [venansault]
    assert _ids(valid(_search(client, "Organization", **{"address-postalcode": "85190"}))) == [venansault]
    assert _ids(valid(_search(client, "Organization", **{"address-city": "venansault"}))) == [venansault]


# --- Refusals ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        f"/fhir/Practitioner/{uuid.UUID(int=7)}",
        "/fhir/Practitioner/not-an-id",
        f"/fhir/Organization/{uuid.UUID(int=7)}",
        f"/fhir/PractitionerRole/{'0' * 64}",
        "/fhir/PractitionerRole/abc",
    ],
)
def test_an_unknown_id_is_a_404_outcome_in_french(client, directory, path):
    assert "Ressource inconnue" in refused(client.get(path), 404)


def test_an_unknown_resource_type_is_a_404_outcome(client, db):
    assert "Type de ressource non pris en charge" in refused(client.get("/fhir/Patient"), 404)
    assert "Type de ressource non pris en charge" in refused(client.get("/fhir/Patient/1"), 404)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"_count": "beaucoup"}, "_count doit être un entier"),
        ({"_count": "-1"}, "_count doit être un entier"),
        ({"_offset": "-5"}, "_offset doit être un entier"),
        ({"birthdate": "1970"}, "Paramètre de recherche non pris en charge"),
        ({"family:phonetic": "rousso"}, "Modificateur non pris en charge"),
        ({"name": "a\x00b"}, "illisible"),
        ({"name": "x" * 500}, "trop longue"),
    ],
)
def test_a_bad_search_is_a_400_outcome_in_french(client, directory, params, message):
    assert message in refused(client.get("/fhir/Practitioner", params), 400)


def test_a_reference_to_another_type_is_refused(client, directory):
    assert "Référence invalide" in refused(_search(client, "PractitionerRole", practitioner="Patient/1"), 400)


def test_the_server_is_read_only_and_json_only(client, directory):
    assert "lecture seule" in refused(client.post("/fhir/Practitioner", {}), 405)
    assert "Format non pris en charge" in refused(client.get("/fhir/Practitioner", {"_format": "xml"}), 406)
    assert valid(client.get("/fhir/Practitioner", {"_format": "json"}))["total"] == 3

"""The directory's REST API: search with the page's filters, paginated; an entry's detail by audience; practices;
the tools catalogue; writes of channels and absences with the pages' permissions; French 4xx, never a 500."""

import datetime
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.services import api_token_create
from directory.models import (
    Absence,
    Activity,
    Audience,
    ContactChannel,
    DigitalTool,
    EntryRevision,
    Practitioner,
    PractitionerMerge,
    PractitionerTool,
    Profession,
)
from tests.factories import PracticeFactory, PractitionerFactory, SpecialtyFactory, vendee_communes

URL = "/api/v1/practitioners/"
Kind = ContactChannel.Kind


def detail_url(practitioner) -> str:
    return f"{URL}{practitioner.public_id}/"


@pytest.fixture
def communes(db):
    return vendee_communes()


@pytest.fixture
def cardiology(db):
    return SpecialtyFactory(code="SM04", label="Cardiologie et maladies vasculaires")


@pytest.fixture
def rousseau(cardiologist):
    return Practitioner.objects.get(user=cardiologist)


@pytest.fixture
def entries(communes, territory, cardiology, gp, rousseau, gp_practice, cardio_practice):
    """Dr Rousseau, cardiologist in La Roche (a public phone, a professional line preferred, a regulators' line,
    Omnidoc, away this week, replaced by Dr Morel); Dr Morel, cardiologist in Venansault (practice placed at the
    town hall, a shared MSSanté box for professionals); Dr Le Goff, cardiologist on the coast, 50 km away."""
    gp_practice.commune, gp_practice.latitude, gp_practice.longitude = communes["mouilleron"], 46.7231, -1.4562
    gp_practice.save()
    cardio_practice.commune, cardio_practice.latitude, cardio_practice.longitude = communes["la_roche"], 46.6705, -1.426
    cardio_practice.address, cardio_practice.postal_code, cardio_practice.city = "3 rue Clemenceau", "85000", ""
    cardio_practice.opening_hours = "Lundi au vendredi, 8h30-18h"
    cardio_practice.save()
    rousseau.languages, rousseau.answers_teleexpertise = ["en", "es"], True
    rousseau.profession = Profession.objects.get(code="10")
    rousseau.last_confirmed_at = timezone.now()
    rousseau.save()
    ContactChannel.objects.create(
        practitioner=rousseau, audience=Audience.PUBLIC, kind=Kind.PHONE, value="+33251999999", preferred=True
    )
    ContactChannel.objects.create(
        practitioner=rousseau,
        audience=Audience.PROFESSIONALS,
        kind=Kind.PROFESSIONAL_LINE,
        value="+33251000003",
        preferred=True,
        hours="9h-12h en semaine",
    )
    ContactChannel.objects.create(
        practitioner=rousseau, audience=Audience.REGULATORS, kind=Kind.PROFESSIONAL_LINE, value="+33251000004"
    )
    venansault = PracticeFactory(name="Cabinet de Venansault", territory=territory, commune=communes["venansault"])
    morel = PractitionerFactory(first_name="Marc", last_name="Morel", territory=territory, accepting_new_patients=False)
    morel.specialties.add(cardiology)
    Activity.objects.create(practitioner=morel, practice=venansault)
    ContactChannel.objects.create(
        practice=venansault, audience=Audience.PROFESSIONALS, kind=Kind.MSSANTE, value="cabinet@venansault.mssante.fr"
    )
    coast = PracticeFactory(
        name="Cabinet de la Plage", territory=territory, commune=communes["saint_jean"], latitude=46.79, longitude=-2.06
    )
    le_goff = PractitionerFactory(first_name="Yann", last_name="Le Goff", territory=territory)
    le_goff.specialties.add(cardiology)
    Activity.objects.create(practitioner=le_goff, practice=coast)
    PractitionerTool.objects.create(
        practitioner=rousseau,
        tool=DigitalTool.objects.get(slug="omnidoc"),
        uses=["teleexpertise"],
        handle_or_link="rousseau",
    )
    today = timezone.localdate()
    Absence.objects.create(
        practitioner=rousseau, starts_on=today, ends_on=today + datetime.timedelta(days=3), replacement=morel
    )
    Absence.objects.create(
        practitioner=rousseau,
        starts_on=today - datetime.timedelta(days=30),
        ends_on=today - datetime.timedelta(days=20),
    )
    return {"rousseau": rousseau, "morel": morel, "le_goff": le_goff, "venansault": venansault}


def _names(response) -> list[str]:
    return [row["last_name"] for row in response.json()["results"]]


# --- Search ---------------------------------------------------------------------------------------------------


def test_anyone_finds_cardiologists_near_a_commune_nearest_first(client, entries):
    response = client.get(URL, {"specialty": "cardio", "commune": "La Roche-sur-Yon", "radius_km": 30})

    assert response.status_code == 200
    body = response.json()
    assert _names(response) == ["Rousseau", "Morel"]
    assert body["count"] == 2
    assert body["commune"]["insee_code"] == "85191"
    first = body["results"][0]
    assert first["distance_km"] < body["results"][1]["distance_km"]
    assert first["nearest_practice"]["name"] == "Cabinet de cardiologie du Centre"
    assert first["specialties"] == [{"code": "SM04", "label": "Cardiologie et maladies vasculaires"}]


def test_a_specialty_code_and_a_postal_code_work_as_well(client, entries):
    response = client.get(URL, {"specialty": "SM04", "commune": "85000", "radius_km": 100})

    assert _names(response) == ["Rousseau", "Morel", "Le Goff"]


def test_a_profession_code_names_the_profession_and_the_specialty_search_stays_within_its_query_budget(
    client, signed_in, entries, gp, django_assert_max_num_queries
):
    colleague = signed_in(gp)
    # Session, account, roles, second factor, audience, the specialty's three readings (one UNION), the
    # commune, the page with the circle as a subquery, specialties, activities, first channels, portal use.
    with django_assert_max_num_queries(12):
        near = colleague.get(URL, {"specialty": "cardio", "commune": "85191", "radius_km": 100})
    assert near.status_code == 200 and _names(near)[0] == "Rousseau"

    physicians = client.get(URL, {"specialty": "10", "commune": "85000", "radius_km": 100}).json()
    assert "Rousseau" in [result["last_name"] for result in physicians["results"]]


def test_the_public_gets_the_public_phone_first_and_a_colleague_the_professional_line(client, signed_in, entries, gp):
    anonymous = client.get(URL, {"q": "Rousseau"}).json()["results"][0]["first_channel"]
    professional = signed_in(gp).get(URL, {"q": "Rousseau"}).json()["results"][0]["first_channel"]

    assert (anonymous["audience"], anonymous["value"]) == ("public", "+33251999999")
    assert (professional["audience"], professional["value"]) == ("professionals", "+33251000003")
    assert professional["display_value"] == "02 51 00 00 03"


def test_filters_of_the_page_apply(client, entries):
    def names(**criteria):
        return _names(client.get(URL, {"specialty": "cardio", **criteria}))

    assert names(language="es") == ["Rousseau"]
    assert names(tool="omnidoc") == ["Rousseau"]
    assert names(teleexpertise="true") == ["Rousseau"]
    assert names(accepting_new_patients="false") == ["Morel"]
    assert "Rousseau" not in names(available_this_week="true")


def test_results_are_paginated_with_next_and_previous_links(client, entries, cardiology, territory):
    for index in range(4):
        PractitionerFactory(last_name=f"Zeta{index}", territory=territory).specialties.add(cardiology)

    first = client.get(URL, {"specialty": "cardio", "page_size": 3}).json()
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()

    assert first["count"] == second["count"] == third["count"] == 7
    assert first["previous"] is None
    assert "specialty=cardio" in first["next"] and "page=2" in first["next"]
    assert [len(page["results"]) for page in (first, second, third)] == [3, 3, 1]
    assert third["next"] is None
    assert client.get(third["previous"]).json() == second
    assert client.get(second["previous"]).json() == first
    names = [row["last_name"] for page in (first, second, third) for row in page["results"]]
    assert len(set(names)) == 7


def test_a_specialty_and_a_name_combine(client, entries):
    both = client.get(URL, {"specialty": "SM04", "q": "Rousseau"}).json()
    name_only_elsewhere = client.get(URL, {"specialty": "dermato", "q": "Rousseau"}).json()

    assert [row["last_name"] for row in both["results"]] == ["Rousseau"]
    assert name_only_elsewhere["count"] == 0


def test_a_page_beyond_the_last_is_a_french_404(client, entries):
    response = client.get(URL, {"specialty": "cardio", "page": 9})

    assert response.status_code == 404
    assert "Cette page de résultats n'existe pas" in response.json()["detail"]


@pytest.mark.parametrize(
    ("criteria", "field", "message"),
    [
        ({"radius_km": "500"}, "radius_km", "Le rayon doit être"),
        ({"radius_km": "loin"}, "radius_km", "Le rayon doit être"),
        ({"page": "0"}, "page", "Numéro de page invalide"),
        ({"page_size": "1000"}, "page_size", "Taille de page invalide"),
        ({"commune": "Nullepart-sur-Mer"}, "commune", "Aucune commune ne correspond"),
        ({"specialty": "astrologie"}, "specialty", "Aucune spécialité ne correspond"),
        ({"language": "xx"}, "language", "Code de langue inconnu"),
        ({"language": "english"}, "language", "Langue invalide"),
        ({"tool": "minitel"}, "tool", "Outil inconnu"),
        ({"accepting_new_patients": "peut-être"}, "accepting_new_patients", "« true » ou « false »"),
        ({"q": "a\x00b"}, "q", "nul"),
    ],
)
def test_bad_search_input_is_a_french_400_naming_the_parameter(client, entries, criteria, field, message):
    response = client.get(URL, criteria)

    assert response.status_code == 400
    body = response.json()
    assert body["field"] == field
    assert message in body["detail"]


def test_search_queries_do_not_grow_with_the_results(client, signed_in, entries, cardiology, territory, regulator):
    caller = signed_in(regulator)

    def queries_for_a_page():
        with CaptureQueriesContext(connection) as queries:
            response = caller.get(URL, {"specialty": "cardio", "commune": "85000", "radius_km": 100})
        assert response.status_code == 200
        return len(queries), response.json()["count"]

    few, few_count = queries_for_a_page()
    for index in range(12):
        practice = PracticeFactory(territory=territory, commune=entries["venansault"].commune)
        extra = PractitionerFactory(last_name=f"Extra{index}", territory=territory)
        extra.specialties.add(cardiology)
        Activity.objects.create(practitioner=extra, practice=practice)
        ContactChannel.objects.create(
            practice=practice, audience=Audience.REGULATORS, kind=Kind.PHONE, value="+33251000010"
        )
    many, many_count = queries_for_a_page()

    assert many_count == few_count + 12
    assert many == few
    assert many <= 14  # session, user, roles, the search's own queries (see the benchmark's target of 12)


# --- Detail ---------------------------------------------------------------------------------------------------


def test_the_detail_shows_identity_practice_sites_tools_and_freshness(client, entries):
    rousseau = entries["rousseau"]

    body = client.get(detail_url(rousseau)).json()

    assert body["id"] == str(rousseau.public_id)
    assert body["rpps"] == rousseau.rpps
    assert body["profession"] == {"code": "10", "label": "Médecin"}
    assert body["languages"] == ["en", "es"]
    assert body["answers_teleexpertise"] is True
    assert body["is_stale"] is False
    assert body["last_confirmed_at"] is not None
    [site] = body["sites"]
    assert site["name"] == "Cabinet de cardiologie du Centre"
    assert site["address"] == "3 rue Clemenceau"
    assert site["city"] == "La Roche-sur-Yon"
    assert site["commune"]["insee_code"] == "85191"
    assert site["position"] == {"latitude": 46.6705, "longitude": -1.426, "precision": "address"}
    assert site["opening_hours"] == "Lundi au vendredi, 8h30-18h"
    [tool] = body["tools"]
    assert tool["tool"]["slug"] == "omnidoc"
    assert tool["uses"] == [{"code": "teleexpertise", "label": "Télé-expertise"}]


def test_an_entry_never_confirmed_for_a_year_is_flagged_stale(client, entries):
    morel = entries["morel"]
    Practitioner.objects.filter(pk=morel.pk).update(created_at=timezone.now() - datetime.timedelta(days=400))

    assert client.get(detail_url(morel)).json()["is_stale"] is True


def test_the_public_never_sees_a_professional_line_nor_absences(client, entries):
    body = client.get(detail_url(entries["rousseau"])).json()

    assert body["audience"] == "public"
    assert [(channel["audience"], channel["value"]) for channel in body["channels"]] == [("public", "+33251999999")]
    assert body["absences"] == []


def test_a_colleague_sees_professional_lines_and_current_absences(signed_in, entries, gp):
    body = signed_in(gp).get(detail_url(entries["rousseau"])).json()

    assert body["audience"] == "professionals"
    assert [channel["value"] for channel in body["channels"]] == ["+33251000003", "+33251999999"]
    assert body["channels"][0]["hours"] == "9h-12h en semaine"
    [absence] = body["absences"]  # the past one is not shown
    assert absence["starts_on"] == timezone.localdate().isoformat()
    assert absence["replacement"]["last_name"] == "Morel"


def test_a_regulator_sees_every_line_their_own_first_after_the_preferred(signed_in, entries, regulator):
    body = signed_in(regulator).get(detail_url(entries["rousseau"])).json()

    assert body["audience"] == "regulators"
    assert {channel["audience"] for channel in body["channels"]} == {"public", "professionals", "regulators"}
    assert len(body["absences"]) == 1


def test_a_personal_token_reads_with_its_owners_audience(client, entries, gp):
    _token, key = api_token_create(user=gp, name="logiciel du cabinet")

    body = client.get(detail_url(entries["rousseau"]), HTTP_AUTHORIZATION=f"Token {key}").json()

    assert body["audience"] == "professionals"


def test_a_wrong_token_is_refused_not_read_as_the_public(client, entries):
    response = client.get(detail_url(entries["rousseau"]), HTTP_AUTHORIZATION="Token nope")

    assert response.status_code == 401


def test_an_unknown_entry_is_a_french_404(client, db):
    response = client.get(f"{URL}{uuid.uuid4()}/")

    assert response.status_code == 404
    assert response.json()["detail"] == "Cette fiche de l'annuaire n'existe pas."


def test_a_merged_duplicates_old_id_redirects_to_the_kept_entry(client, entries):
    rousseau = entries["rousseau"]
    old_id = uuid.uuid4()
    PractitionerMerge.objects.create(kept=rousseau, merged_public_id=old_id, merged_label="Chloé Rousseau (doublon)")

    response = client.get(f"{URL}{old_id}/")

    assert response.status_code == 301
    assert response["Location"] == detail_url(rousseau)
    assert response.json()["id"] == str(rousseau.public_id)
    assert client.get(response["Location"]).json()["id"] == str(rousseau.public_id)


def test_the_detail_makes_the_same_queries_for_one_site_or_many(signed_in, entries, regulator, territory):
    rousseau = entries["rousseau"]
    caller = signed_in(regulator)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert caller.get(detail_url(rousseau)).status_code == 200
        return len(captured)

    one_site = queries()
    for index in range(5):
        practice = PracticeFactory(territory=territory, name=f"Annexe {index}")
        Activity.objects.create(practitioner=rousseau, practice=practice)
        ContactChannel.objects.create(
            practice=practice, audience=Audience.PUBLIC, kind=Kind.PHONE, value="+33251000011"
        )
        ContactChannel.objects.create(
            practitioner=rousseau, practice=practice, audience=Audience.REGULATORS, kind=Kind.FAX, value="+33251000012"
        )
        PractitionerTool.objects.create(
            practitioner=rousseau, tool=DigitalTool.objects.exclude(users__practitioner=rousseau).first()
        )
    six_sites = queries()

    assert six_sites == one_site
    assert six_sites <= 12


# --- Practices and tools --------------------------------------------------------------------------------------


def test_practices_are_listed_by_commune_with_their_practitioners(client, entries):
    response = client.get("/api/v1/practices/", {"commune": "85000"})

    assert response.status_code == 200
    body = response.json()
    assert [practice["name"] for practice in body["results"]] == [
        "Cabinet de cardiologie du Centre",
        "Maison de santé des Tilleuls",
    ]
    cardio = body["results"][0]
    assert [practitioner["last_name"] for practitioner in cardio["practitioners"]] == ["Rousseau"]


def test_a_practice_shows_its_shared_channels_by_audience(client, signed_in, entries, gp):
    url = f"/api/v1/practices/{entries['venansault'].public_id}/"

    anonymous = client.get(url).json()
    colleague = signed_in(gp).get(url).json()

    assert anonymous["channels"] == []
    assert [channel["value"] for channel in colleague["channels"]] == ["cabinet@venansault.mssante.fr"]
    assert colleague["position"]["precision"] == "commune"


def test_practices_by_name_and_their_refusals(client, entries):
    assert [p["name"] for p in client.get("/api/v1/practices/", {"q": "plage"}).json()["results"]] == [
        "Cabinet de la Plage"
    ]
    refused = client.get("/api/v1/practices/", {"commune": "Nullepart-sur-Mer"})
    assert refused.status_code == 400
    assert refused.json()["field"] == "commune"
    assert client.get(f"/api/v1/practices/{uuid.uuid4()}/").status_code == 404


def test_the_practice_list_makes_no_more_queries_for_many_practices(
    client, entries, territory, django_assert_max_num_queries
):
    with CaptureQueriesContext(connection) as few:
        assert client.get("/api/v1/practices/").status_code == 200
    for _index in range(6):
        practice = PracticeFactory(territory=territory)
        Activity.objects.create(practitioner=PractitionerFactory(territory=territory), practice=practice)
        ContactChannel.objects.create(
            practice=practice, audience=Audience.PUBLIC, kind=Kind.PHONE, value="+33251000013"
        )

    with django_assert_max_num_queries(len(few)):
        assert len(client.get("/api/v1/practices/").json()["results"]) == 10


def test_the_tools_catalogue_is_public(client, db):
    response = client.get("/api/v1/tools/")

    assert response.status_code == 200
    assert {"slug": "omnidoc", "name": "Omnidoc", "category": "teleexpertise", "category_label": "Télé-expertise"} in (
        response.json()
    )


# --- Writes -----------------------------------------------------------------------------------------------------


def _channels_url(practitioner, channel=None) -> str:
    return f"{detail_url(practitioner)}channels/" + (f"{channel.public_id}/" if channel else "")


NEW_LINE = {"audience": "professionals", "kind": "secretary", "value": "02 51 44 61 61", "hours": "8h-12h"}


def test_a_secretary_adds_a_channel_to_a_practitioner_of_their_practice(signed_in, entries, cardio_secretary):
    rousseau = entries["rousseau"]

    response = signed_in(cardio_secretary).post(_channels_url(rousseau), NEW_LINE, content_type="application/json")

    assert response.status_code == 201
    body = response.json()
    assert (body["value"], body["hours"], body["practice"]) == ("+33251446161", "8h-12h", None)
    channel = ContactChannel.objects.get(public_id=body["id"])
    assert channel.practitioner == rousseau
    assert EntryRevision.objects.filter(object_type="contact_channel", actor=cardio_secretary).exists()


def test_a_channel_can_be_tied_to_one_of_the_practitioners_practices(signed_in, rousseau, cardio_practice, gp_practice):
    caller = signed_in(rousseau.user)
    at_practice = {**NEW_LINE, "practice": str(cardio_practice.public_id)}
    elsewhere = {**NEW_LINE, "practice": str(gp_practice.public_id)}

    assert caller.post(_channels_url(rousseau), at_practice, content_type="application/json").json()["practice"] == str(
        cardio_practice.public_id
    )
    refused = caller.post(_channels_url(rousseau), elsewhere, content_type="application/json")
    assert refused.status_code == 400
    assert refused.json() == {
        "detail": "Ce professionnel n'exerce pas dans ce cabinet.",
        "code": "invalid",
        "field": "practice",
    }


def test_secretary_of_other_practice_cannot_add_a_channel(signed_in, entries, other_secretary):
    before = ContactChannel.objects.count()

    response = signed_in(other_secretary).post(
        _channels_url(entries["rousseau"]), NEW_LINE, content_type="application/json"
    )

    assert response.status_code == 403
    assert response.json()["detail"] == "Vous ne pouvez pas modifier cette fiche de l'annuaire."
    assert ContactChannel.objects.count() == before


def test_an_outsider_cannot_write_and_an_anonymous_caller_must_sign_in(client, signed_in, entries, outsider):
    url = _channels_url(entries["rousseau"])

    anonymous = client.post(url, NEW_LINE, content_type="application/json")
    stranger = signed_in(outsider).post(url, NEW_LINE, content_type="application/json")

    assert anonymous.status_code == 401
    assert stranger.status_code == 403
    assert not ContactChannel.objects.filter(kind=Kind.SECRETARY).exists()


def test_a_malformed_phone_number_is_a_french_400_on_its_field(signed_in, entries, cardio_secretary):
    response = signed_in(cardio_secretary).post(
        _channels_url(entries["rousseau"]), {**NEW_LINE, "value": "02 51"}, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["field"] == "value"
    assert "Numéro de téléphone invalide" in response.json()["detail"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**NEW_LINE, "audience": "everyone"}, "audience"),
        ({**NEW_LINE, "kind": "pigeon"}, "kind"),
        ({"audience": "public", "kind": "phone"}, "value"),
        ({**NEW_LINE, "practice": "not-a-uuid"}, "practice"),
        ({**NEW_LINE, "practice": str(uuid.UUID(int=1))}, "practice"),
    ],
)
def test_bad_channel_input_is_a_french_400(signed_in, entries, cardio_secretary, payload, field):
    response = signed_in(cardio_secretary).post(
        _channels_url(entries["rousseau"]), payload, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["field"] == field


def test_a_secretary_changes_and_deletes_a_channel(signed_in, entries, cardio_secretary):
    rousseau = entries["rousseau"]
    channel = ContactChannel.objects.get(practitioner=rousseau, audience=Audience.REGULATORS)
    caller = signed_in(cardio_secretary)

    changed = caller.patch(
        _channels_url(rousseau, channel), {"hours": "24h/24", "preferred": True}, content_type="application/json"
    )
    assert changed.status_code == 200
    channel.refresh_from_db()
    assert (channel.hours, channel.preferred, channel.value) == ("24h/24", True, "+33251000004")

    deleted = caller.delete(_channels_url(rousseau, channel))
    assert deleted.status_code == 204
    assert not ContactChannel.objects.filter(pk=channel.pk).exists()


def test_a_channel_is_reached_only_through_its_own_practitioner(signed_in, entries, cardio_secretary, coordinator):
    rousseau, morel = entries["rousseau"], entries["morel"]
    channel = ContactChannel.objects.get(practitioner=rousseau, audience=Audience.REGULATORS)

    through_other = signed_in(coordinator).patch(
        _channels_url(morel, channel), {"hours": "jamais"}, content_type="application/json"
    )

    assert through_other.status_code == 404
    channel.refresh_from_db()
    assert channel.hours == ""


def test_secretary_of_other_practice_cannot_change_or_delete_a_channel(signed_in, entries, other_secretary):
    channel = ContactChannel.objects.get(practitioner=entries["rousseau"], audience=Audience.REGULATORS)
    caller = signed_in(other_secretary)

    assert (
        caller.patch(
            _channels_url(entries["rousseau"], channel), {"hours": "x"}, content_type="application/json"
        ).status_code
        == 403
    )
    assert caller.delete(_channels_url(entries["rousseau"], channel)).status_code == 403
    assert ContactChannel.objects.filter(pk=channel.pk, hours="").exists()


def test_a_practitioner_declares_an_absence_with_a_replacement(signed_in, entries):
    rousseau, morel = entries["rousseau"], entries["morel"]
    payload = {
        "starts_on": "2031-08-01",
        "ends_on": "2031-08-15",
        "replacement": str(morel.public_id),
        "note": "Congés",
    }

    response = signed_in(rousseau.user).post(
        f"{detail_url(rousseau)}absences/", payload, content_type="application/json"
    )

    assert response.status_code == 201
    absence = Absence.objects.get(public_id=response.json()["id"])
    assert (absence.starts_on, absence.ends_on, absence.replacement) == (
        datetime.date(2031, 8, 1),
        datetime.date(2031, 8, 15),
        morel,
    )
    assert EntryRevision.objects.filter(object_type="absence", practitioner=rousseau).exists()


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"starts_on": "2031-08-15", "ends_on": "2031-08-01"}, "ends_on", "précède son début"),
        ({"starts_on": "le 1er août", "ends_on": "2031-08-01"}, "starts_on", "date"),
        (
            {"starts_on": "2031-08-01", "ends_on": "2031-08-02", "replacement": str(uuid.UUID(int=2))},
            "replacement",
            "remplaçant",
        ),
    ],
)
def test_bad_absences_are_french_400s(signed_in, entries, payload, field, message):
    rousseau = entries["rousseau"]

    response = signed_in(rousseau.user).post(
        f"{detail_url(rousseau)}absences/", payload, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["field"] == field
    assert message in response.json()["detail"]
    assert Absence.objects.filter(practitioner=rousseau).count() == 2


def test_a_colleague_cannot_declare_someone_elses_absence(signed_in, entries, gp2):
    rousseau = entries["rousseau"]
    payload = {"starts_on": "2031-08-01", "ends_on": "2031-08-15"}

    response = signed_in(gp2).post(f"{detail_url(rousseau)}absences/", payload, content_type="application/json")

    assert response.status_code == 403
    assert Absence.objects.filter(practitioner=rousseau).count() == 2


def test_a_write_on_a_merged_duplicate_is_redirected_keeping_its_method(signed_in, entries, cardio_secretary):
    rousseau, old_id = entries["rousseau"], uuid.uuid4()
    PractitionerMerge.objects.create(kept=rousseau, merged_public_id=old_id, merged_label="doublon")

    response = signed_in(cardio_secretary).post(f"{URL}{old_id}/channels/", NEW_LINE, content_type="application/json")

    assert response.status_code == 308
    assert response["Location"] == _channels_url(rousseau)


def test_writing_on_an_unknown_entry_is_a_404(signed_in, coordinator):
    response = signed_in(coordinator).post(f"{URL}{uuid.uuid4()}/channels/", NEW_LINE, content_type="application/json")

    assert response.status_code == 404


# --- Schema -----------------------------------------------------------------------------------------------------


def test_the_schema_documents_the_search_parameters_and_answers(client, db):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    search = schema["paths"]["/api/v1/practitioners/"]["get"]
    names = {parameter["name"] for parameter in search["parameters"]}
    assert names >= {
        "q",
        "specialty",
        "commune",
        "radius_km",
        "language",
        "tool",
        "accepting_new_patients",
        "teleexpertise",
        "page",
        "page_size",
    }
    assert set(search["responses"]) >= {"200", "400"}
    for path in (
        "/api/v1/practitioners/{public_id}/",
        "/api/v1/practitioners/{public_id}/channels/",
        "/api/v1/practitioners/{public_id}/channels/{channel_id}/",
        "/api/v1/practitioners/{public_id}/absences/",
        "/api/v1/practices/",
        "/api/v1/practices/{public_id}/",
        "/api/v1/tools/",
    ):
        assert path in schema["paths"]


# --- Editing an entry -------------------------------------------------------------------------------------------


def test_a_secretary_edits_the_practice_details_of_an_entry(signed_in, entries, cardio_secretary):
    rousseau = entries["rousseau"]
    changes = {
        "accepting_new_patients": False,
        "languages": ["en", "ar"],
        "specialties": ["SM04"],
        "practice_tags": ["ecg", "ultrasound"],
    }

    response = signed_in(cardio_secretary).patch(detail_url(rousseau), changes, content_type="application/json")

    assert response.status_code == 200
    assert response.json()["languages"] == ["en", "ar"]
    rousseau.refresh_from_db()
    assert (rousseau.accepting_new_patients, rousseau.practice_tags) == (False, ["ecg", "ultrasound"])
    revision = EntryRevision.objects.get(object_type="practitioner", practitioner=rousseau)
    assert revision.actor == cardio_secretary
    assert revision.after["languages"] == ["en", "ar"]


def test_only_the_coordination_changes_who_an_entry_is(signed_in, entries, cardio_secretary, coordinator):
    rousseau = entries["rousseau"]

    refused = signed_in(cardio_secretary).patch(
        detail_url(rousseau), {"last_name": "Dupont"}, content_type="application/json"
    )
    assert refused.status_code == 403
    rousseau.refresh_from_db()
    assert rousseau.last_name == "Rousseau"

    accepted = signed_in(coordinator).patch(
        detail_url(rousseau), {"last_name": "Rousseau-Blanc"}, content_type="application/json"
    )
    assert accepted.status_code == 200
    assert accepted.json()["last_name"] == "Rousseau-Blanc"


@pytest.mark.parametrize(
    ("user_fixture", "status"),
    [("other_secretary", 403), ("outsider", 403), ("gp2", 403)],
)
def test_others_cannot_edit_an_entry(request, signed_in, entries, user_fixture, status):
    rousseau = entries["rousseau"]

    response = signed_in(request.getfixturevalue(user_fixture)).patch(
        detail_url(rousseau), {"answers_teleexpertise": False}, content_type="application/json"
    )

    assert response.status_code == status
    rousseau.refresh_from_db()
    assert rousseau.answers_teleexpertise is True


def test_an_anonymous_caller_cannot_edit_an_entry(client, entries):
    response = client.patch(
        detail_url(entries["rousseau"]), {"answers_teleexpertise": False}, content_type="application/json"
    )

    assert response.status_code == 401


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"languages": ["klingon"]}, "languages", "Code de langue inconnu"),
        ({"specialties": ["SM99"]}, "specialties", "Spécialité inconnue"),
        ({"practice_tags": ["astrology"]}, "practice_tags", "choix valide"),
        ({"rpps": "10000000001"}, "rpps", "RPPS"),
        ({"cpts_member_since": "hier"}, "cpts_member_since", "date"),
    ],
)
def test_bad_entry_changes_are_french_400s(signed_in, entries, coordinator, changes, field, message):
    response = signed_in(coordinator).patch(detail_url(entries["rousseau"]), changes, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["field"] == field
    assert message in response.json()["detail"]


def test_anonymous_readers_are_throttled_in_french(client, db):
    for _ in range(60):
        assert client.get("/api/v1/tools/").status_code == 200

    response = client.get("/api/v1/tools/")

    assert response.status_code == 429
    assert "Retry-After" in response
    assert "Requête ralentie" in response.json()["detail"]

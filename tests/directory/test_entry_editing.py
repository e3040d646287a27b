"""Editing an entry: its details, its contact channels, its tools, its absences, and its practices. The
professional, a secretary of a practice where they work and a coordinator of the territory edit; nobody else."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from core.errors import ApplicationError
from core.identifiers import with_luhn_check_digit
from directory.models import (
    Absence,
    Audience,
    ChangeEvent,
    ContactChannel,
    DigitalTool,
    EntryRevision,
    PracticeTag,
    Practitioner,
    PractitionerTool,
    Profession,
    Specialty,
    ToolUse,
)
from directory.services import role_grant_create
from directory.services.entries import (
    absence_delete,
    absence_update,
    practice_update,
    practitioner_tool_remove,
    practitioner_tool_set,
    practitioner_update,
)
from tests.conftest import enrol_totp
from tests.factories import PractitionerFactory, TerritoryFactory, UserFactory, vendee_communes

Kind = ContactChannel.Kind


@pytest.fixture
def rousseau(cardiologist):
    return Practitioner.objects.get(user=cardiologist)


@pytest.fixture
def professional_line(rousseau):
    return ContactChannel.objects.create(
        practitioner=rousseau, audience=Audience.PROFESSIONALS, kind=Kind.PROFESSIONAL_LINE, value="+33251000003"
    )


@pytest.fixture
def regulators_line(rousseau):
    return ContactChannel.objects.create(
        practitioner=rousseau, audience=Audience.REGULATORS, kind=Kind.PHONE, value="+33251151515"
    )


@pytest.fixture
def other_coordinator(db):
    elsewhere = TerritoryFactory(name="CPTS du Marais", slug="marais")
    user = UserFactory(email="olga@cpts.test")
    role_grant_create(user=user, role=Role.COORDINATOR, territory=elsewhere)
    enrol_totp(user)
    return user


def _channels_url(practitioner):
    return reverse("directory:practitioner_channels", args=[practitioner.public_id])


def _channel_form(**fields):
    return {"audience": Audience.PROFESSIONALS, "kind": Kind.PROFESSIONAL_LINE, "value": "02 51 44 61 61", **fields}


# --- Who may edit -----------------------------------------------------------------------------------------------


def test_the_cardiology_secretary_edits_the_cardiologists_channels(signed_in, cardio_secretary, rousseau):
    browser = signed_in(cardio_secretary)

    response = browser.post(_channels_url(rousseau), _channel_form(hours="9h-12h", preferred="on"))

    assert response.status_code == 302
    channel = ContactChannel.objects.get(practitioner=rousseau)
    assert (channel.value, channel.hours, channel.preferred) == ("+33251446161", "9h-12h", True)

    response = browser.post(
        reverse("directory:channel_edit", args=[channel.public_id]),
        _channel_form(value="02 51 44 61 62", hours="14h-16h"),
    )

    assert response.status_code == 302
    channel.refresh_from_db()
    assert (channel.value, channel.hours, channel.preferred) == ("+33251446162", "14h-16h", False)

    response = browser.post(reverse("directory:channel_delete", args=[channel.public_id]))

    assert response.status_code == 302
    assert not ContactChannel.objects.filter(practitioner=rousseau).exists()
    actions = list(
        EntryRevision.objects.filter(practitioner=rousseau, object_type="contact_channel")
        .order_by("id")
        .values_list("action", "actor")
    )
    assert actions == [
        ("created", cardio_secretary.pk),
        ("updated", cardio_secretary.pk),
        ("deleted", cardio_secretary.pk),
    ]


def test_the_secretary_of_another_practice_cannot_touch_the_cardiologist(
    signed_in, other_secretary, rousseau, professional_line, regulators_line
):
    browser = signed_in(other_secretary)

    assert browser.get(reverse("directory:practitioner_edit", args=[rousseau.public_id])).status_code == 403
    assert browser.get(_channels_url(rousseau)).status_code == 403
    assert browser.post(_channels_url(rousseau), _channel_form()).status_code == 403
    edit = reverse("directory:channel_edit", args=[professional_line.public_id])
    assert browser.post(edit, _channel_form(value="02 51 00 00 00")).status_code == 403
    assert browser.post(reverse("directory:channel_delete", args=[professional_line.public_id])).status_code == 403
    # A line meant for regulators is not even visible to her: it does not exist as far as she can tell.
    assert browser.get(reverse("directory:channel_edit", args=[regulators_line.public_id])).status_code == 404
    assert browser.post(reverse("directory:channel_delete", args=[regulators_line.public_id])).status_code == 404

    professional_line.refresh_from_db()
    assert professional_line.value == "+33251000003"
    assert ContactChannel.objects.filter(practitioner=rousseau).count() == 2
    assert not EntryRevision.objects.filter(practitioner=rousseau).exists()


def test_a_refusal_is_a_french_page(signed_in, other_secretary, rousseau):
    response = signed_in(other_secretary).get(reverse("directory:practitioner_edit", args=[rousseau.public_id]))

    assert response.status_code == 403
    assert "Accès refusé" in response.content.decode()


def test_a_gp_cannot_edit_another_practitioner(signed_in, gp, rousseau):
    browser = signed_in(gp)
    url = reverse("directory:practitioner_edit", args=[rousseau.public_id])

    assert browser.get(url).status_code == 403
    assert browser.post(url, {"practice_notes": "Piraté"}).status_code == 403
    assert browser.post(reverse("directory:practitioner_tools", args=[rousseau.public_id]), {}).status_code == 403
    assert browser.get(reverse("directory:practitioner_absences", args=[rousseau.public_id])).status_code == 403
    rousseau.refresh_from_db()
    assert rousseau.practice_notes == ""
    with pytest.raises(ApplicationError) as refused:
        practitioner_update(acting_user=gp, practitioner=rousseau, practice_notes="Piraté")
    assert refused.value.code == "forbidden"


def test_a_coordinator_of_another_territory_cannot_edit(signed_in, other_coordinator, rousseau, cardio_practice):
    browser = signed_in(other_coordinator)

    assert browser.get(reverse("directory:practitioner_edit", args=[rousseau.public_id])).status_code == 403
    assert browser.get(reverse("directory:practice_edit", args=[cardio_practice.public_id])).status_code == 403
    assert browser.post(_channels_url(rousseau), _channel_form()).status_code == 403
    assert not ContactChannel.objects.filter(practitioner=rousseau).exists()


def test_anonymous_visitors_are_sent_to_sign_in(client, rousseau, professional_line):
    for url in (
        reverse("directory:practitioner_edit", args=[rousseau.public_id]),
        _channels_url(rousseau),
        reverse("directory:channel_edit", args=[professional_line.public_id]),
    ):
        response = client.post(url, _channel_form())
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    professional_line.refresh_from_db()
    assert professional_line.value == "+33251000003"


def test_an_unknown_entry_is_not_found(signed_in, coordinator):
    import uuid

    assert signed_in(coordinator).get(reverse("directory:practitioner_edit", args=[uuid.uuid4()])).status_code == 404


# --- Details ----------------------------------------------------------------------------------------------------


def test_the_practitioner_edits_their_details_and_a_revision_keeps_before_and_after(signed_in, cardiologist, rousseau):
    cardiology = Specialty.objects.get(code="SM04")
    rhythm = Specialty.objects.get(code="SM73")

    response = signed_in(cardiologist).post(
        reverse("directory:practitioner_edit", args=[rousseau.public_id]),
        {
            "profession": Profession.objects.get(code="10").pk,
            "specialties": [cardiology.pk, rhythm.pk],
            "languages": ["en", "es"],
            "other_languages": "br",
            "accepting_new_patients": "unknown",
            "answers_teleexpertise": "on",
            "practice_tags": [PracticeTag.ECG, PracticeTag.ULTRASOUND],
            "practice_notes": "Échographies le mardi.",
            "cpts_member_since": "2024-01-15",
        },
    )

    assert response.status_code == 302
    rousseau.refresh_from_db()
    assert rousseau.languages == ["en", "es", "br"]
    assert rousseau.answers_teleexpertise is True
    assert rousseau.accepting_new_patients is None
    assert set(rousseau.specialties.all()) == {cardiology, rhythm}
    assert rousseau.practice_tags == ["ecg", "ultrasound"]
    revision = EntryRevision.objects.get(practitioner=rousseau, object_type="practitioner")
    assert revision.action == "updated" and revision.actor == cardiologist
    assert revision.before["answers_teleexpertise"] is False and revision.after["answers_teleexpertise"] is True
    assert revision.before["cpts_member_since"] is None and revision.after["cpts_member_since"] == "2024-01-15"
    assert "specialties" in revision.after and "rpps" not in revision.after  # only what changed
    # Joining the CPTS is news for the newsletter.
    event = ChangeEvent.objects.get(practitioner=rousseau)
    assert (event.kind, event.happened_on) == ("new_cpts_member", datetime.date(2024, 1, 15))


def test_only_a_coordinator_changes_the_rpps_number(signed_in, cardiologist, cardio_secretary, rousseau):
    original = rousseau.rpps
    url = reverse("directory:practitioner_edit", args=[rousseau.public_id])

    page = signed_in(cardiologist).get(url).content.decode()
    assert 'name="rpps"' not in page
    signed_in(cardiologist).post(
        url, {"rpps": with_luhn_check_digit("1234567890"), "accepting_new_patients": "unknown"}
    )

    rousseau.refresh_from_db()
    assert rousseau.rpps == original
    with pytest.raises(ApplicationError) as refused:
        practitioner_update(
            acting_user=cardio_secretary, practitioner=rousseau, rpps=with_luhn_check_digit("1234567890")
        )
    assert refused.value.field == "rpps" and refused.value.code == "forbidden"


def test_a_coordinator_changes_the_rpps_number_checked_by_its_key(signed_in, coordinator, rousseau):
    url = reverse("directory:practitioner_edit", args=[rousseau.public_id])
    form = {
        "first_name": rousseau.first_name,
        "last_name": rousseau.last_name,
        "rpps": "12345678901",
        "accepting_new_patients": "unknown",
        "practice_notes": "Ce que j'ai tapé",
    }

    response = signed_in(coordinator).post(url, form)

    assert response.status_code == 400
    page = response.content.decode()
    assert "Numéro RPPS invalide" in page
    assert 'value="12345678901"' in page and "Ce que j&#x27;ai tapé" in page
    rousseau.refresh_from_db()
    assert rousseau.rpps != "12345678901" and rousseau.practice_notes == ""

    good = with_luhn_check_digit("1234567890")
    response = signed_in(coordinator).post(url, {**form, "rpps": good[:3] + " " + good[3:]})

    assert response.status_code == 302
    rousseau.refresh_from_db()
    assert rousseau.rpps == good
    revision = EntryRevision.objects.get(practitioner=rousseau, object_type="practitioner")
    assert revision.after["rpps"] == good


def test_an_unknown_language_code_is_refused_in_french(signed_in, cardiologist, rousseau):
    response = signed_in(cardiologist).post(
        reverse("directory:practitioner_edit", args=[rousseau.public_id]),
        {"other_languages": "xx", "accepting_new_patients": "unknown"},
    )

    assert response.status_code == 400
    assert "Code de langue inconnu" in response.content.decode()
    assert 'value="xx"' in response.content.decode()


def test_practitioner_update_is_the_api_of_the_details(cardio_secretary, rousseau):
    updated = practitioner_update(
        acting_user=cardio_secretary,
        practitioner=rousseau,
        profession="10",
        specialties=["SM04"],
        languages=["EN"],
        accepting_new_patients=False,
    )

    assert updated.profession.code == "10" and updated.languages == ["en"]
    assert list(updated.specialties.values_list("code", flat=True)) == ["SM04"]
    for fields, field in (
        ({"languages": ["klingon"]}, "languages"),
        ({"specialties": ["SM999"]}, "specialties"),
        ({"practice_tags": ["nope"]}, "practice_tags"),
        ({"cpts_member_since": timezone.localdate() + datetime.timedelta(days=3)}, "cpts_member_since"),
    ):
        with pytest.raises(ApplicationError) as refused:
            practitioner_update(acting_user=cardio_secretary, practitioner=rousseau, **fields)
        assert refused.value.field == field
    with pytest.raises(ApplicationError):
        practitioner_update(acting_user=cardio_secretary, practitioner=rousseau, user=None)


# --- Channels: bad input ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        (Kind.PHONE, "02 51", "Numéro de téléphone invalide"),
        (Kind.PROFESSIONAL_LINE, "not a number", "Numéro de téléphone invalide"),
        (Kind.MSSANTE, "chloe@gmail.com", "n&#x27;est pas une adresse MSSanté"),
        (Kind.MSSANTE, "chloe-at-mssante.fr", "Adresse MSSanté invalide"),
    ],
)
def test_a_malformed_phone_or_mssante_address_is_refused_in_french_keeping_the_input(
    signed_in, cardio_secretary, rousseau, kind, value, message
):
    response = signed_in(cardio_secretary).post(
        _channels_url(rousseau), _channel_form(kind=kind, value=value, note="Ligne du matin")
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert f'value="{value}"' in page and 'value="Ligne du matin"' in page
    assert not ContactChannel.objects.filter(practitioner=rousseau).exists()


def test_htmx_adds_a_channel_inline_and_answers_a_refusal_with_the_fragment(signed_in, cardio_secretary, rousseau):
    browser = signed_in(cardio_secretary)

    refused = browser.post(_channels_url(rousseau), _channel_form(value="02"), HTTP_HX_REQUEST="true")

    assert refused.status_code == 400
    assert "<html" not in refused.content.decode() and 'id="entry-channels"' in refused.content.decode()
    assert "Numéro de téléphone invalide" in refused.content.decode()

    added = browser.post(_channels_url(rousseau), _channel_form(), HTTP_HX_REQUEST="true")

    assert added.status_code == 200
    assert "02 51 44 61 61" in added.content.decode() and "<html" not in added.content.decode()
    assert added["Vary"] and "HX-Request" in added["Vary"]


def test_htmx_edits_a_channel_in_its_row(signed_in, cardio_secretary, professional_line):
    browser = signed_in(cardio_secretary)
    url = reverse("directory:channel_edit", args=[professional_line.public_id])

    form = browser.get(url, HTTP_HX_REQUEST="true")
    refused = browser.post(url, _channel_form(value="abc"), HTTP_HX_REQUEST="true")

    assert form.status_code == 200 and "<html" not in form.content.decode() and "hx-post" in form.content.decode()
    assert refused.status_code == 400
    assert refused["HX-Retarget"] == f"#channel-{professional_line.public_id}"
    assert 'value="abc"' in refused.content.decode()


def test_a_channel_at_one_of_the_practitioners_practices(signed_in, cardio_secretary, rousseau, cardio_practice):
    signed_in(cardio_secretary).post(_channels_url(rousseau), _channel_form(practice=cardio_practice.pk))

    assert ContactChannel.objects.get(practitioner=rousseau).practice == cardio_practice


# --- Tools ------------------------------------------------------------------------------------------------------


def test_tools_are_added_updated_and_removed_with_revisions(signed_in, cardiologist, rousseau):
    browser = signed_in(cardiologist)
    omnidoc = DigitalTool.objects.get(slug="omnidoc")
    tools_url = reverse("directory:practitioner_tools", args=[rousseau.public_id])

    browser.post(tools_url, {"tool": omnidoc.pk, "uses": [ToolUse.TELEEXPERTISE], "handle_or_link": "dr-rousseau"})
    browser.post(
        reverse("directory:practitioner_tool_edit", args=[rousseau.public_id, "omnidoc"]),
        {"uses": [ToolUse.TELEEXPERTISE, ToolUse.REFERRALS], "handle_or_link": "dr-rousseau-2"},
    )

    tool = PractitionerTool.objects.get(practitioner=rousseau)
    assert (tool.tool, tool.uses, tool.handle_or_link) == (omnidoc, ["teleexpertise", "referrals"], "dr-rousseau-2")

    browser.post(reverse("directory:practitioner_tool_remove", args=[rousseau.public_id, "omnidoc"]))

    assert not PractitionerTool.objects.filter(practitioner=rousseau).exists()
    revisions = EntryRevision.objects.filter(practitioner=rousseau, object_type="tool").order_by("id")
    assert [revision.action for revision in revisions] == ["created", "updated", "deleted"]
    assert revisions[1].before["handle_or_link"] == "dr-rousseau"
    assert revisions[1].after["handle_or_link"] == "dr-rousseau-2"


def test_a_tool_link_must_be_a_web_address(signed_in, cardiologist, rousseau):
    response = signed_in(cardiologist).post(
        reverse("directory:practitioner_tools", args=[rousseau.public_id]),
        {"tool": DigitalTool.objects.get(slug="doctolib").pk, "handle_or_link": "https://exa mple"},
    )

    assert response.status_code == 400
    assert "Lien invalide" in response.content.decode()


def test_tools_services_check_the_permission(gp, rousseau):
    with pytest.raises(ApplicationError):
        practitioner_tool_set(acting_user=gp, practitioner=rousseau, tool=DigitalTool.objects.get(slug="omnidoc"))
    tool = PractitionerTool.objects.create(practitioner=rousseau, tool=DigitalTool.objects.get(slug="omnidoc"))
    with pytest.raises(ApplicationError):
        practitioner_tool_remove(acting_user=gp, practitioner_tool=tool)
    assert PractitionerTool.objects.filter(pk=tool.pk).exists()


# --- Absences ---------------------------------------------------------------------------------------------------


def test_the_secretary_declares_edits_and_deletes_an_absence_with_a_replacement(
    signed_in, cardio_secretary, rousseau, gp
):
    browser = signed_in(cardio_secretary)
    replacement = Practitioner.objects.get(user=gp)
    absences_url = reverse("directory:practitioner_absences", args=[rousseau.public_id])

    response = browser.post(
        absences_url, {"starts_on": "2030-07-01", "ends_on": "2030-07-14", "replacement": replacement.pk}
    )

    assert response.status_code == 302
    absence = Absence.objects.get(practitioner=rousseau)
    assert absence.replacement == replacement
    response = browser.post(
        reverse("directory:absence_edit", args=[absence.public_id]),
        {"starts_on": "2030-07-01", "ends_on": "2030-07-21", "note": "Congés"},
    )
    assert response.status_code == 302
    absence.refresh_from_db()
    assert (absence.ends_on, absence.replacement, absence.note) == (datetime.date(2030, 7, 21), None, "Congés")

    browser.post(reverse("directory:absence_delete", args=[absence.public_id]))

    assert not Absence.objects.filter(practitioner=rousseau).exists()
    revisions = EntryRevision.objects.filter(practitioner=rousseau, object_type="absence").order_by("id")
    assert [revision.action for revision in revisions] == ["created", "updated", "deleted"]
    assert revisions[1].before["ends_on"] == "2030-07-14" and revisions[1].after["ends_on"] == "2030-07-21"


def test_reversed_dates_are_refused_in_french_keeping_the_input(signed_in, cardio_secretary, rousseau):
    response = signed_in(cardio_secretary).post(
        reverse("directory:practitioner_absences", args=[rousseau.public_id]),
        {"starts_on": "2030-07-14", "ends_on": "2030-07-01", "note": "Congés d'été"},
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "La fin de l&#x27;absence (01/07/2030) précède son début (14/07/2030)" in page
    assert 'value="2030-07-14"' in page and 'value="2030-07-01"' in page and "Congés d&#x27;été" in page
    assert not Absence.objects.exists()


def test_reversed_dates_are_refused_on_edit_too(signed_in, cardio_secretary, rousseau):
    absence = Absence.objects.create(
        practitioner=rousseau, starts_on=datetime.date(2030, 7, 1), ends_on=datetime.date(2030, 7, 2)
    )

    response = signed_in(cardio_secretary).post(
        reverse("directory:absence_edit", args=[absence.public_id]),
        {"starts_on": "2030-07-10", "ends_on": "2030-07-01"},
    )

    assert response.status_code == 400 and "précède son début" in response.content.decode()
    absence.refresh_from_db()
    assert absence.starts_on == datetime.date(2030, 7, 1)


def test_a_replacement_comes_from_the_territory(cardio_secretary, rousseau):
    absence = Absence.objects.create(
        practitioner=rousseau, starts_on=datetime.date(2030, 7, 1), ends_on=datetime.date(2030, 7, 2)
    )
    stranger = PractitionerFactory(territory=TerritoryFactory(slug="ailleurs"))

    with pytest.raises(ApplicationError) as refused:
        absence_update(
            acting_user=cardio_secretary,
            absence=absence,
            starts_on=absence.starts_on,
            ends_on=absence.ends_on,
            replacement=stranger,
        )
    assert refused.value.field == "replacement"


def test_others_cannot_change_an_absence_and_the_public_cannot_see_one(signed_in, client, gp, rousseau):
    absence = Absence.objects.create(
        practitioner=rousseau, starts_on=datetime.date(2030, 7, 1), ends_on=datetime.date(2030, 7, 2)
    )
    edit = reverse("directory:absence_edit", args=[absence.public_id])

    assert signed_in(gp).post(edit, {"starts_on": "2030-01-01", "ends_on": "2030-01-02"}).status_code == 403
    assert signed_in(gp).post(reverse("directory:absence_delete", args=[absence.public_id])).status_code == 403
    with pytest.raises(ApplicationError):
        absence_delete(acting_user=gp, absence=absence)
    absence.refresh_from_db()
    assert absence.starts_on == datetime.date(2030, 7, 1)


def test_an_outsider_does_not_see_absences(signed_in, outsider, rousseau):
    absence = Absence.objects.create(
        practitioner=rousseau, starts_on=datetime.date(2030, 7, 1), ends_on=datetime.date(2030, 7, 2)
    )

    response = signed_in(outsider).get(reverse("directory:absence_edit", args=[absence.public_id]))

    assert response.status_code == 404


# --- Practices --------------------------------------------------------------------------------------------------


@pytest.fixture
def communes(db):
    return vendee_communes()


def _practice_form(**fields):
    return {"name": "Cabinet de cardiologie du Centre", "address": "8 place du Marché", **fields}


def test_the_secretary_moves_the_practice_to_a_commune_taking_its_postal_code_and_position(
    signed_in, cardio_secretary, cardio_practice, communes
):
    response = signed_in(cardio_secretary).post(
        reverse("directory:practice_edit", args=[cardio_practice.public_id]),
        _practice_form(
            commune="Mouilleron-le-Captif — 85000 (INSEE 85155)",
            finess="850000019",
            siret="732 829 320 00074",
            opening_hours="Lundi-vendredi 8h-19h",
            accessibility=["wheelchair", "lift"],
        ),
    )

    assert response.status_code == 302
    cardio_practice.refresh_from_db()
    mouilleron = communes["mouilleron"]
    assert cardio_practice.commune == mouilleron and cardio_practice.city == "Mouilleron-le-Captif"
    assert cardio_practice.postal_code == "85000"
    assert (cardio_practice.latitude, cardio_practice.longitude) == (mouilleron.latitude, mouilleron.longitude)
    assert (cardio_practice.finess, cardio_practice.siret) == ("850000019", "73282932000074")
    revision = EntryRevision.objects.get(practice=cardio_practice, object_type="practice")
    assert revision.actor == cardio_secretary
    assert revision.before["commune"] is None and "Mouilleron" in revision.after["commune"]


def test_a_typed_commune_name_is_resolved(signed_in, coordinator, cardio_practice, communes):
    response = signed_in(coordinator).post(
        reverse("directory:practice_edit", args=[cardio_practice.public_id]),
        _practice_form(commune="venansault", latitude="46.69", longitude="-1.5"),
    )

    assert response.status_code == 302
    cardio_practice.refresh_from_db()
    assert cardio_practice.commune == communes["venansault"] and cardio_practice.postal_code == "85190"
    assert (cardio_practice.latitude, cardio_practice.longitude) == (46.69, -1.5)  # a typed position wins


def test_an_unknown_commune_is_refused_in_french_keeping_the_input(signed_in, cardio_secretary, cardio_practice):
    response = signed_in(cardio_secretary).post(
        reverse("directory:practice_edit", args=[cardio_practice.public_id]),
        _practice_form(commune="Zzyzxville", opening_hours="8h-12h"),
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "Commune inconnue : « Zzyzxville »" in page
    assert 'value="Zzyzxville"' in page and "8h-12h" in page
    cardio_practice.refresh_from_db()
    assert cardio_practice.commune is None and cardio_practice.opening_hours == ""


def test_a_postal_code_of_several_communes_asks_which_one(signed_in, cardio_secretary, cardio_practice, communes):
    response = signed_in(cardio_secretary).post(
        reverse("directory:practice_edit", args=[cardio_practice.public_id]), _practice_form(commune="85000")
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "Plusieurs communes correspondent" in page
    assert "La Roche-sur-Yon — 85000 (INSEE 85191)" in page and "Mouilleron-le-Captif" in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"finess": "850000018"}, "Numéro FINESS invalide"),
        ({"siret": "73282932000075"}, "Numéro SIRET invalide"),
        ({"postal_code": "75001"}, "ne dessert pas"),
    ],
)
def test_bad_practice_identifiers_are_refused_in_french(
    signed_in, cardio_secretary, cardio_practice, communes, fields, message
):
    response = signed_in(cardio_secretary).post(
        reverse("directory:practice_edit", args=[cardio_practice.public_id]),
        _practice_form(commune="La Roche-sur-Yon — 85000 (INSEE 85191)", **fields),
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert f'value="{next(iter(fields.values()))}"' in response.content.decode()
    assert not EntryRevision.objects.filter(practice=cardio_practice).exists()


def test_the_secretary_of_another_practice_cannot_edit_the_practice(
    signed_in, other_secretary, cardio_practice, communes
):
    browser = signed_in(other_secretary)
    url = reverse("directory:practice_edit", args=[cardio_practice.public_id])

    assert browser.get(url).status_code == 403
    assert browser.post(url, _practice_form(name="Piraté", commune="85191")).status_code == 403
    assert (
        browser.post(
            reverse("directory:practice_channels", args=[cardio_practice.public_id]), _channel_form()
        ).status_code
        == 403
    )
    cardio_practice.refresh_from_db()
    assert cardio_practice.name == "Cabinet de cardiologie du Centre"
    with pytest.raises(ApplicationError):
        practice_update(acting_user=other_secretary, practice=cardio_practice, name="Piraté")


def test_the_practice_keeps_its_own_channels(signed_in, client, cardio_secretary, cardio_practice):
    browser = signed_in(cardio_secretary)
    url = reverse("directory:practice_channels", args=[cardio_practice.public_id])

    browser.post(url, _channel_form(audience=Audience.PUBLIC, kind=Kind.SECRETARY, value="02 51 62 62 62"))
    browser.post(url, _channel_form(value="02 51 63 63 63"))

    channels = ContactChannel.objects.filter(practice=cardio_practice, practitioner=None)
    assert channels.count() == 2
    assert EntryRevision.objects.filter(practice=cardio_practice, object_type="contact_channel").count() == 2
    page_url = reverse("directory:practice_detail", args=[cardio_practice.public_id])
    pro_page = browser.get(page_url).content.decode()
    assert "02 51 62 62 62" in pro_page and "02 51 63 63 63" in pro_page
    browser.logout()  # the same test client: now an anonymous visitor
    public_page = client.get(page_url).content.decode()
    assert "02 51 62 62 62" in public_page and "02 51 63 63 63" not in public_page


def test_commune_suggestions_for_the_practice_form(client, communes):
    response = client.get(reverse("directory:commune_suggestions"), {"commune": "mouill"})

    assert response.status_code == 200
    assert '<option value="Mouilleron-le-Captif — 85000 (INSEE 85155)">' in response.content.decode()

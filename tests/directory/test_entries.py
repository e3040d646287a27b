"""Directory entries: identifiers of practices, contact channels by audience, tools, absences, who edits what."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.roles import Role
from core.errors import ApplicationError
from core.identifiers import finess_is_valid, siret_is_valid, validate_finess, validate_siret
from directory.models import (
    Absence,
    Activity,
    Audience,
    ContactChannel,
    DigitalTool,
    PractitionerTool,
    ToolUse,
)
from directory.permissions import can_edit_practice, can_edit_practitioner
from directory.selectors import channels_for_audience
from directory.services import (
    absence_declare,
    contact_channel_create,
    contact_channel_delete,
    contact_channel_update,
    role_grant_create,
)
from tests.conftest import enrol_totp
from tests.factories import PracticeFactory, PractitionerFactory, TerritoryFactory, UserFactory

Kind = ContactChannel.Kind

# Absences are declared ahead (at most a day back): a month from the day the tests run.
NEXT_MONTH = datetime.date.today() + datetime.timedelta(days=30)


def _channel(user, practitioner, **fields):
    defaults = {"audience": Audience.PROFESSIONALS, "kind": Kind.PHONE, "value": "02 51 44 61 61"}
    return contact_channel_create(acting_user=user, practitioner=practitioner, **{**defaults, **fields})


# --- Identifiers ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("siret", ["73282932000074", "732 829 320 00074", "35600000000048", "35600000012346"])
def test_a_siret_with_a_right_key_is_valid(siret):
    assert siret_is_valid(siret)


@pytest.mark.parametrize("siret", ["73282932000075", "7328293200007", "7328293200007A", "35600000012345", ""])
def test_a_siret_with_a_wrong_key_or_length_is_refused_in_french(siret):
    assert not siret_is_valid(siret)
    with pytest.raises(ValidationError, match="Numéro SIRET invalide"):
        validate_siret(siret)


@pytest.mark.parametrize("finess", ["850000019", "750000010", "2A0000015"])
def test_a_finess_with_a_right_key_is_valid(finess):
    # Corsica (2A/2B): format only, see finess_is_valid.
    assert finess_is_valid(finess)


@pytest.mark.parametrize("finess", ["850000018", "85000001", "8500000190", "2C0000015", "ABCDEFGHI"])
def test_a_finess_with_a_wrong_key_or_format_is_refused_in_french(finess):
    assert not finess_is_valid(finess)
    with pytest.raises(ValidationError, match="Numéro FINESS invalide"):
        validate_finess(finess)


def test_a_practice_refuses_a_wrong_finess_or_siret(territory):
    practice = PracticeFactory.build(territory=territory, finess="850000018", siret="73282932000075")

    with pytest.raises(ValidationError) as refused:
        practice.full_clean()

    assert "Numéro FINESS invalide" in str(refused.value.message_dict["finess"])
    assert "Numéro SIRET invalide" in str(refused.value.message_dict["siret"])


def test_a_practice_takes_valid_identifiers_or_none(territory):
    PracticeFactory.build(territory=territory, finess="850000019", siret="73282932000074").full_clean()
    PracticeFactory.build(territory=territory, finess="", siret="").full_clean()


def test_a_practitioner_speaks_languages_by_iso_code(gp):
    practitioner = gp.practitioner
    practitioner.languages = ["en", "ar"]
    practitioner.full_clean()

    practitioner.languages = ["english"]
    with pytest.raises(ValidationError, match="Code de langue inconnu"):
        practitioner.full_clean()


# --- Contact channels -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("02 51 44 61 61", "+33251446161"),
        ("02.51.44.61.61", "+33251446161"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("0262 21 21 21", "+262262212121"),  # Réunion, typed as a Réunionese professional types it
        ("0590 82 00 00", "+590590820000"),  # Guadeloupe
    ],
)
def test_phone_numbers_are_stored_in_e164(gp, typed, stored):
    channel = _channel(gp, gp.practitioner, value=typed)

    channel.refresh_from_db()
    assert channel.value == stored


@pytest.mark.parametrize("kind", [Kind.PHONE, Kind.PROFESSIONAL_LINE, Kind.SECRETARY, Kind.FAX])
@pytest.mark.parametrize("typed", ["02 51", "12345", "appelez-moi"])
def test_an_invalid_phone_number_is_refused_in_french(gp, kind, typed):
    with pytest.raises(ApplicationError, match="Numéro de téléphone invalide") as refused:
        _channel(gp, gp.practitioner, kind=kind, value=typed)

    assert refused.value.field == "value"
    assert not ContactChannel.objects.exists()


def test_an_mssante_address_is_kept_lower_case(gp):
    channel = _channel(gp, gp.practitioner, kind=Kind.MSSANTE, value=" Alice.Martin@Medecin.MSSante.fr ")

    assert channel.value == "alice.martin@medecin.mssante.fr"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("alice.martin@gmail.com", "n'est pas une adresse MSSanté"),
        ("alice@faux-mssante.fr", "n'est pas une adresse MSSanté"),
        ("pas une adresse", "Adresse MSSanté invalide"),
    ],
)
def test_an_address_outside_mssante_is_refused(gp, typed, message):
    with pytest.raises(ApplicationError, match=message):
        _channel(gp, gp.practitioner, kind=Kind.MSSANTE, value=typed)


def test_a_booking_link_must_be_a_web_address(gp):
    with pytest.raises(ApplicationError, match="Lien invalide"):
        _channel(gp, gp.practitioner, audience=Audience.PUBLIC, kind=Kind.BOOKING_LINK, value="doctolib")

    channel = _channel(
        gp,
        gp.practitioner,
        audience=Audience.PUBLIC,
        kind=Kind.BOOKING_LINK,
        value="https://www.doctolib.fr/medecin-generaliste/la-roche-sur-yon/alice-martin",
    )
    assert channel.pk


def test_changing_the_kind_checks_the_value_again(gp):
    channel = _channel(gp, gp.practitioner, kind=Kind.EMAIL, value="alice@example.org")

    with pytest.raises(ApplicationError, match="Numéro de téléphone invalide"):
        contact_channel_update(acting_user=gp, channel=channel, kind=Kind.PHONE)


def test_one_preferred_channel_per_owner_and_audience(gp):
    practitioner = gp.practitioner
    first = _channel(gp, practitioner, preferred=True)
    for_public = _channel(gp, practitioner, audience=Audience.PUBLIC, value="02 51 44 61 62", preferred=True)

    second = _channel(gp, practitioner, kind=Kind.MSSANTE, value="alice@medecin.mssante.fr", preferred=True)

    first.refresh_from_db()
    for_public.refresh_from_db()
    assert second.preferred and not first.preferred
    assert for_public.preferred, "another audience keeps its own preferred channel"


def test_updating_a_channel_to_preferred_lets_the_previous_one_go(gp):
    first = _channel(gp, gp.practitioner, preferred=True)
    second = _channel(gp, gp.practitioner, value="02 51 44 61 62")

    contact_channel_update(acting_user=gp, channel=second, preferred=True)

    first.refresh_from_db()
    assert (first.preferred, second.preferred) == (False, True)


def test_the_database_refuses_two_preferred_channels_for_one_audience(gp):
    practitioner = gp.practitioner
    ContactChannel.objects.create(
        practitioner=practitioner, audience=Audience.PUBLIC, kind=Kind.PHONE, value="+33251446161", preferred=True
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        ContactChannel.objects.create(
            practitioner=practitioner, audience=Audience.PUBLIC, kind=Kind.FAX, value="+33251446162", preferred=True
        )


def test_a_channel_belongs_to_a_practitioner_or_a_practice(gp):
    with pytest.raises(ApplicationError, match="appartient à un professionnel ou à un cabinet"):
        contact_channel_create(acting_user=gp, audience=Audience.PUBLIC, kind=Kind.PHONE, value="0251446161")

    with pytest.raises(IntegrityError), transaction.atomic():
        ContactChannel.objects.create(audience=Audience.PUBLIC, kind=Kind.PHONE, value="+33251446161")


def test_a_channel_at_a_practice_needs_the_practitioner_to_work_there(gp, cardio_practice):
    with pytest.raises(ApplicationError, match="n'exerce pas dans ce cabinet"):
        _channel(gp, gp.practitioner, practice=cardio_practice)


# --- Who edits an entry -----------------------------------------------------------------------------------------


def test_a_professional_edits_their_own_entry(gp):
    assert can_edit_practitioner(gp, gp.practitioner)
    assert _channel(gp, gp.practitioner).practitioner == gp.practitioner


def test_a_professional_cannot_edit_a_colleagues_entry(gp, gp2):
    assert not can_edit_practitioner(gp, gp2.practitioner)
    with pytest.raises(ApplicationError, match="Vous ne pouvez pas modifier cette fiche") as refused:
        _channel(gp, gp2.practitioner)

    assert refused.value.code == "forbidden"
    assert not ContactChannel.objects.exists()


def test_a_professional_cannot_delete_a_colleagues_channel(gp, gp2):
    channel = _channel(gp2, gp2.practitioner)

    with pytest.raises(ApplicationError, match="Vous ne pouvez pas modifier cette fiche"):
        contact_channel_delete(acting_user=gp, channel=channel)

    contact_channel_delete(acting_user=gp2, channel=channel)
    assert not ContactChannel.objects.exists()


def test_secretary_edits_the_practitioners_of_their_practice(cardio_secretary, cardiologist, cardio_practice):
    assert can_edit_practitioner(cardio_secretary, cardiologist.practitioner)
    assert can_edit_practice(cardio_secretary, cardio_practice)

    channel = _channel(cardio_secretary, cardiologist.practitioner, kind=Kind.SECRETARY, practice=cardio_practice)

    assert channel.practice == cardio_practice


def test_secretary_of_other_practice_cannot_edit_its_practitioners(other_secretary, cardiologist, cardio_practice):
    assert not can_edit_practitioner(other_secretary, cardiologist.practitioner)
    assert not can_edit_practice(other_secretary, cardio_practice)

    with pytest.raises(ApplicationError, match="Vous ne pouvez pas modifier cette fiche"):
        absence_declare(
            acting_user=other_secretary,
            practitioner=cardiologist.practitioner,
            starts_on=datetime.date(2026, 8, 1),
            ends_on=datetime.date(2026, 8, 15),
        )
    with pytest.raises(ApplicationError, match="Vous ne pouvez pas modifier cette fiche"):
        contact_channel_create(
            acting_user=other_secretary,
            practice=cardio_practice,
            audience=Audience.PUBLIC,
            kind=Kind.SECRETARY,
            value="02 51 44 61 61",
        )


def test_a_coordinator_edits_every_entry_of_their_territory(coordinator, gp, cardiologist):
    assert can_edit_practitioner(coordinator, gp.practitioner)
    assert can_edit_practitioner(coordinator, cardiologist.practitioner)


def test_a_coordinator_of_another_territory_cannot_edit(gp):
    elsewhere = TerritoryFactory(name="CPTS du Marais", slug="marais")
    other_coordinator = UserFactory(email="olga@cpts.test")
    role_grant_create(user=other_coordinator, role=Role.COORDINATOR, territory=elsewhere)

    assert not can_edit_practitioner(other_coordinator, gp.practitioner)
    with pytest.raises(ApplicationError, match="Vous ne pouvez pas modifier cette fiche"):
        _channel(other_coordinator, gp.practitioner)


def test_outsiders_and_anonymous_visitors_cannot_edit(outsider, gp):
    assert not can_edit_practitioner(outsider, gp.practitioner)
    assert not can_edit_practitioner(AnonymousUser(), gp.practitioner)


# --- Which channels each audience sees --------------------------------------------------------------------------


@pytest.fixture
def cardiologist_channels(cardiologist, cardio_practice):
    practitioner = cardiologist.practitioner
    return {
        "public_phone": _channel(
            cardiologist, practitioner, audience=Audience.PUBLIC, value="02 51 44 61 61", preferred=True
        ),
        "booking": _channel(
            cardiologist,
            practitioner,
            audience=Audience.PUBLIC,
            kind=Kind.BOOKING_LINK,
            value="https://www.doctolib.fr/cardiologue/la-roche-sur-yon/chloe-rousseau",
        ),
        "pro_line": _channel(
            cardiologist, practitioner, kind=Kind.PROFESSIONAL_LINE, value="02 51 44 61 63", hours="9h-12h en semaine"
        ),
        "mssante": _channel(
            cardiologist, practitioner, kind=Kind.MSSANTE, value="chloe.rousseau@medecin.mssante.fr", preferred=True
        ),
        "regulators": _channel(
            cardiologist, practitioner, audience=Audience.REGULATORS, value="06 12 34 56 78", preferred=True
        ),
        "practice_secretary": contact_channel_create(
            acting_user=cardiologist,
            practice=cardio_practice,
            audience=Audience.PUBLIC,
            kind=Kind.SECRETARY,
            value="02 51 44 61 64",
        ),
    }


def test_the_public_never_sees_a_professional_line(cardiologist, cardiologist_channels):
    channels = channels_for_audience(cardiologist.practitioner, Audience.PUBLIC)

    kinds = {channel.kind for channel in channels}
    assert Kind.PROFESSIONAL_LINE not in kinds and Kind.MSSANTE not in kinds
    assert {channel.audience for channel in channels} == {Audience.PUBLIC}
    assert channels[0] == cardiologist_channels["public_phone"], "the preferred channel comes first"
    assert cardiologist_channels["practice_secretary"] in channels, "the practice's public line serves it too"


def test_professionals_see_their_preferred_channel_first(cardiologist, cardiologist_channels):
    channels = channels_for_audience(cardiologist.practitioner, Audience.PROFESSIONALS)

    assert channels[0] == cardiologist_channels["mssante"]
    assert channels[1] == cardiologist_channels["public_phone"]
    assert cardiologist_channels["pro_line"] in channels
    assert cardiologist_channels["regulators"] not in channels


def test_regulators_see_every_channel_their_own_first(cardiologist, cardiologist_channels):
    channels = channels_for_audience(cardiologist.practitioner, Audience.REGULATORS)

    assert channels[0] == cardiologist_channels["regulators"]
    assert set(channels) == set(cardiologist_channels.values())


def test_an_unknown_audience_sees_what_the_public_sees(cardiologist, cardiologist_channels):
    assert channels_for_audience(cardiologist.practitioner, "nobody") == channels_for_audience(
        cardiologist.practitioner, Audience.PUBLIC
    )


def test_a_practitioner_does_not_see_the_channels_of_a_practice_they_left(cardiologist, cardiologist_channels):
    Activity.objects.filter(practitioner=cardiologist.practitioner).delete()

    channels = channels_for_audience(cardiologist.practitioner, Audience.PUBLIC)

    assert cardiologist_channels["practice_secretary"] not in channels


# --- Tools and absences -----------------------------------------------------------------------------------------


def test_the_tools_catalogue_is_seeded(db):
    assert set(DigitalTool.objects.values_list("name", flat=True)) >= {
        "MSSanté",
        "Omnidoc",
        "Doctolib",
        "Rofim",
        "Mon espace santé / DMP",
        "Citana",
        "Entr'Actes",
        "Paaco-Globule",
        "ViaTrajectoire",
        "Maiia",
        "Keldoc",
    }


def test_a_practitioner_uses_a_tool_once(gp):
    omnidoc = DigitalTool.objects.get(slug="omnidoc")
    PractitionerTool.objects.create(practitioner=gp.practitioner, tool=omnidoc, uses=[ToolUse.TELEEXPERTISE])

    with pytest.raises(IntegrityError), transaction.atomic():
        PractitionerTool.objects.create(practitioner=gp.practitioner, tool=omnidoc, uses=[ToolUse.REFERRALS])


def test_an_absence_with_a_replacement_is_recorded(gp, gp2):
    absence = absence_declare(
        acting_user=gp,
        practitioner=gp.practitioner,
        starts_on=NEXT_MONTH,
        ends_on=NEXT_MONTH + datetime.timedelta(days=14),
        replacement=gp2.practitioner,
        note=" Congés d'été ",
    )

    absence.refresh_from_db()
    assert (absence.replacement, absence.note) == (gp2.practitioner, "Congés d'été")


def test_a_one_day_absence_is_accepted(gp):
    day = NEXT_MONTH
    assert absence_declare(acting_user=gp, practitioner=gp.practitioner, starts_on=day, ends_on=day).pk


def test_an_absence_ending_before_it_starts_is_refused_in_french(gp):
    with pytest.raises(ApplicationError, match=r"La fin de l'absence \(31/07/2026\) précède son début \(01/08/2026\)"):
        absence_declare(
            acting_user=gp,
            practitioner=gp.practitioner,
            starts_on=datetime.date(2026, 8, 1),
            ends_on=datetime.date(2026, 7, 31),
        )

    assert not Absence.objects.exists()


def test_the_database_refuses_reversed_absence_dates(gp):
    with pytest.raises(IntegrityError), transaction.atomic():
        Absence.objects.create(
            practitioner=gp.practitioner, starts_on=datetime.date(2026, 8, 1), ends_on=datetime.date(2026, 7, 31)
        )


def test_a_practitioner_does_not_replace_themselves(gp):
    with pytest.raises(ApplicationError, match="ne se remplace pas lui-même"):
        absence_declare(
            acting_user=gp,
            practitioner=gp.practitioner,
            starts_on=NEXT_MONTH,
            ends_on=NEXT_MONTH + datetime.timedelta(days=1),
            replacement=gp.practitioner,
        )


def test_a_practitioner_factory_entry_starts_with_empty_details(db):
    practitioner = PractitionerFactory()

    assert (practitioner.languages, practitioner.practice_tags, practitioner.accepting_new_patients) == ([], [], None)


# --- Technical admin --------------------------------------------------------------------------------------------


def test_the_technical_admin_shows_the_entries(signed_in, gp, cardio_practice):
    admin_user = UserFactory(email="root@cpts.test", is_staff=True, is_superuser=True)
    enrol_totp(admin_user)
    client = signed_in(admin_user)
    _channel(gp, gp.practitioner)
    absence_declare(
        acting_user=gp,
        practitioner=gp.practitioner,
        starts_on=NEXT_MONTH,
        ends_on=NEXT_MONTH + datetime.timedelta(days=1),
    )

    pages = [
        f"/admin/directory/practitioner/{gp.practitioner.pk}/change/",
        f"/admin/directory/practice/{cardio_practice.pk}/change/",
        "/admin/directory/contactchannel/",
        "/admin/directory/digitaltool/",
        "/admin/directory/practitionertool/",
        "/admin/directory/absence/",
        "/admin/directory/changeevent/",
    ]
    for page in pages:
        assert client.get(page).status_code == 200, page


# --- Change record ----------------------------------------------------------------------------------------------


def test_every_channel_change_is_recorded_with_who_and_before_after(cardio_secretary, cardiologist):
    from directory.models import EntryRevision, Practitioner

    entry = Practitioner.objects.get(user=cardiologist)
    channel = _channel(cardio_secretary, entry, hours="9h-12h")
    contact_channel_update(acting_user=cardio_secretary, channel=channel, hours="14h-17h")
    contact_channel_update(acting_user=cardio_secretary, channel=channel, hours="14h-17h")  # no change
    contact_channel_delete(acting_user=cardio_secretary, channel=channel)

    revisions = list(EntryRevision.objects.filter(practitioner=entry).order_by("id"))
    assert [revision.action for revision in revisions] == ["created", "updated", "deleted"]
    assert all(revision.actor == cardio_secretary for revision in revisions)
    assert revisions[0].after["value"] == "+33251446161"
    assert (revisions[1].before, revisions[1].after) == ({"hours": "9h-12h"}, {"hours": "14h-17h"})
    assert revisions[2].before["hours"] == "14h-17h" and revisions[2].after == {}
    assert revisions[0].territory == entry.territory


def test_a_refused_change_records_nothing(other_secretary, cardiologist):
    from directory.models import EntryRevision, Practitioner

    with pytest.raises(ApplicationError):
        _channel(other_secretary, Practitioner.objects.get(user=cardiologist))

    assert not EntryRevision.objects.exists()

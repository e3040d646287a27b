"""The coordinator merges two entries of one professional: nothing the duplicate held is lost (channels, tools,
absences, history, claims, reports, the account), the entry kept fills its gaps, the duplicate is recorded then
deleted. Refusals: an entry with itself, another territory, two accounts, two RPPS numbers."""

import datetime

import pytest
from django.urls import reverse

from accounts.roles import Role
from core.errors import ApplicationError
from core.identifiers import with_luhn_check_digit
from directory.models import (
    Absence,
    Activity,
    Audience,
    ChangeEvent,
    ContactChannel,
    DigitalTool,
    EntryClaim,
    EntryRevision,
    ErrorReport,
    Practitioner,
    PractitionerMerge,
    PractitionerTool,
    RoleGrant,
    ToolUse,
)
from directory.selectors.upkeep import duplicate_pairs_for
from directory.services import role_grant_create
from directory.services.upkeep import practitioner_merge
from tests.conftest import enrol_totp
from tests.factories import PractitionerFactory, SpecialtyFactory, TerritoryFactory, UserFactory

Kind = ContactChannel.Kind


def tool(slug, name):
    return DigitalTool.objects.get_or_create(slug=slug, defaults={"name": name, "category": "appointments"})[0]


def channel(practitioner, kind, value, *, audience=Audience.PROFESSIONALS, preferred=False, practice=None):
    return ContactChannel.objects.create(
        practitioner=practitioner, practice=practice, audience=audience, kind=kind, value=value, preferred=preferred
    )


@pytest.fixture
def other_territory(db):
    return TerritoryFactory(name="CPTS du Marais", slug="marais")


@pytest.fixture
def other_coordinator(other_territory):
    user = UserFactory(email="olga@cpts.test", first_name="Olga", last_name="Marchand")
    role_grant_create(user=user, role=Role.COORDINATOR, territory=other_territory)
    enrol_totp(user)
    return user


@pytest.fixture
def pair(territory, gp_practice, cardio_practice):
    """Hélène Dupré twice: the imported entry (RPPS) and an entry typed by hand (ADELI), which her account uses."""
    kept = PractitionerFactory(first_name="Hélène", last_name="Dupré", territory=territory, civility="")
    kept.specialties.add(SpecialtyFactory(code="SM04", label="Cardiologie"))
    duplicate = PractitionerFactory(
        rpps=None,
        adeli="851234567",
        first_name="HELENE",
        last_name="DUPRE",
        territory=territory,
        civility="Dr",
        languages=["en", "es"],
        practice_notes="Échographie le mardi.",
        accepting_new_patients=False,
    )
    duplicate.specialties.add(SpecialtyFactory(code="SM54", label="Médecine générale"))
    kept.languages = ["es"]
    kept.save(update_fields=["languages"])
    return kept, duplicate


def everything(kept, duplicate):
    """The rows attached to either entry, before the merge."""
    both = (kept, duplicate)
    return {
        "channels": ContactChannel.objects.filter(practitioner__in=both).count(),
        "absences": Absence.objects.filter(practitioner__in=both).count(),
        "events": ChangeEvent.objects.filter(practitioner__in=both).count(),
        "revisions": EntryRevision.objects.filter(practitioner__in=both).count(),
        "claims": EntryClaim.objects.filter(practitioner__in=both).count(),
        "reports": ErrorReport.objects.filter(practitioner__in=both).count(),
    }


def test_merging_moves_everything_to_the_entry_kept_and_loses_nothing(
    territory, coordinator, gp_practice, cardio_practice, pair
):
    kept, duplicate = pair
    account = UserFactory(email="helene.dupre@exemple.fr")
    role_grant_create(user=account, role=Role.PROFESSIONAL, practitioner=duplicate)
    replaced = PractitionerFactory(territory=territory)
    doctolib, omnidoc = tool("doctolib", "Doctolib"), tool("omnidoc", "Omnidoc")
    # Channels: both have a preferred professional line; the duplicate also a public phone and one at a practice.
    channel(kept, Kind.PROFESSIONAL_LINE, "+33251000001", preferred=True)
    channel(duplicate, Kind.PROFESSIONAL_LINE, "+33251000002", preferred=True)
    channel(duplicate, Kind.PHONE, "+33251000003", audience=Audience.PUBLIC, preferred=True)
    Activity.objects.create(practitioner=kept, practice=gp_practice)
    Activity.objects.create(practitioner=duplicate, practice=gp_practice)
    Activity.objects.create(practitioner=duplicate, practice=cardio_practice)
    channel(duplicate, Kind.SECRETARY, "+33251000004", practice=cardio_practice, preferred=True)
    # Tools: the same tool on both (uses joined), another on the duplicate only.
    PractitionerTool.objects.create(practitioner=kept, tool=doctolib, uses=[ToolUse.APPOINTMENTS])
    PractitionerTool.objects.create(
        practitioner=duplicate, tool=doctolib, uses=[ToolUse.REFERRALS, ToolUse.APPOINTMENTS], handle_or_link="dupre"
    )
    PractitionerTool.objects.create(practitioner=duplicate, tool=omnidoc, uses=[ToolUse.TELEEXPERTISE])
    # Absences of each, and a colleague's absence the duplicate covers.
    Absence.objects.create(practitioner=kept, starts_on=datetime.date(2026, 7, 1), ends_on=datetime.date(2026, 7, 3))
    Absence.objects.create(
        practitioner=duplicate, starts_on=datetime.date(2026, 8, 1), ends_on=datetime.date(2026, 8, 15)
    )
    covered = Absence.objects.create(
        practitioner=replaced,
        starts_on=datetime.date(2026, 8, 1),
        ends_on=datetime.date(2026, 8, 2),
        replacement=duplicate,
    )
    ChangeEvent.objects.create(
        practitioner=duplicate, kind=ChangeEvent.Kind.ARRIVAL, happened_on=datetime.date(2024, 9, 1)
    )
    EntryRevision.objects.create(action="created", practitioner=kept, territory=territory, object_type="practitioner")
    old_revision = EntryRevision.objects.create(
        action="created", practitioner=duplicate, territory=territory, object_type="practitioner"
    )
    EntryClaim.objects.create(practitioner=duplicate, email="someone@exemple.fr")
    report = ErrorReport.objects.create(practitioner=duplicate, message="Elle a deux fiches.")
    before = everything(kept, duplicate)
    duplicate_id = duplicate.public_id

    result = practitioner_merge(acting_user=coordinator, kept=kept, duplicate=duplicate)

    assert result.pk == kept.pk
    assert not Practitioner.objects.filter(public_id=duplicate_id).exists()
    kept.refresh_from_db()
    after = {
        "channels": kept.contact_channels.count(),
        "absences": kept.absences.count(),
        "events": kept.change_events.count(),
        "revisions": kept.revisions.count(),
        "claims": kept.claims.count(),
        "reports": kept.error_reports.count(),
    }
    assert after == {**before, "revisions": before["revisions"] + 1}  # + the MERGED revision
    # One preferred channel per owner and audience: the kept entry's professional line wins.
    preferred = kept.contact_channels.filter(preferred=True, practice=None, audience=Audience.PROFESSIONALS)
    assert list(preferred.values_list("value", flat=True)) == ["+33251000001"]
    assert kept.contact_channels.get(value="+33251000003").preferred  # no collision: stays preferred
    assert kept.contact_channels.get(value="+33251000004").practice == cardio_practice
    # Tools: one row per tool, uses joined, the handle kept.
    tools = {row.tool.slug: row for row in kept.tools.select_related("tool")}
    assert set(tools) == {"doctolib", "omnidoc"}
    assert tools["doctolib"].uses == [ToolUse.APPOINTMENTS, ToolUse.REFERRALS]
    assert tools["doctolib"].handle_or_link == "dupre"
    # Activities: one per practice.
    assert sorted(kept.activities.values_list("practice__name", flat=True)) == sorted(
        [gp_practice.name, cardio_practice.name]
    )
    covered.refresh_from_db()
    assert covered.replacement == kept
    assert set(kept.specialties.values_list("code", flat=True)) == {"SM04", "SM54"}
    old_revision.refresh_from_db()
    assert old_revision.practitioner == kept
    report.refresh_from_db()
    assert report.practitioner == kept
    # The account and its grant follow; empty fields are filled, lists joined, the kept values stay.
    assert kept.user == account
    assert RoleGrant.objects.get(user=account, role=Role.PROFESSIONAL).practitioner == kept
    assert kept.adeli == "851234567"
    assert kept.rpps is not None
    assert (kept.first_name, kept.last_name) == ("Hélène", "Dupré")
    assert kept.civility == "Dr"
    assert kept.languages == ["es", "en"]
    assert kept.practice_notes == "Échographie le mardi."
    assert kept.accepting_new_patients is False
    # The duplicate is recorded as it was, and the merge is in the change feed.
    merge = PractitionerMerge.objects.get(merged_public_id=duplicate_id)
    assert (merge.kept, merge.merged_by) == (kept, coordinator)
    assert merge.merged_label == "HELENE DUPRE — ADELI 851234567"
    snapshot = merge.merged_snapshot
    assert snapshot["adeli"] == "851234567"
    assert snapshot["user"] == "helene.dupre@exemple.fr"
    assert len(snapshot["contact_channels"]) == 3
    assert {row["tool"] for row in snapshot["tools"]} == {"Doctolib", "Omnidoc"}
    revision = EntryRevision.objects.get(action=EntryRevision.Action.MERGED)
    assert (revision.practitioner, revision.actor, revision.territory) == (kept, coordinator, territory)
    assert revision.after["merged_duplicate"] == "HELENE DUPRE — ADELI 851234567"
    assert revision.after["adeli"] == "851234567"
    assert revision.before["adeli"] is None


def test_the_kept_entry_takes_the_rpps_of_the_duplicate_when_it_has_none(coordinator, territory):
    rpps = with_luhn_check_digit("8200000001")
    kept = PractitionerFactory(rpps=None, adeli="851111111", territory=territory)
    duplicate = PractitionerFactory(rpps=rpps, territory=territory)

    practitioner_merge(acting_user=coordinator, kept=kept, duplicate=duplicate)

    kept.refresh_from_db()
    assert (kept.rpps, kept.adeli) == (rpps, "851111111")


def test_an_absence_of_one_replaced_by_the_other_keeps_its_dates_without_the_replacement(coordinator, pair):
    kept, duplicate = pair
    absence = Absence.objects.create(
        practitioner=duplicate,
        starts_on=datetime.date(2026, 8, 1),
        ends_on=datetime.date(2026, 8, 2),
        replacement=kept,
    )

    practitioner_merge(acting_user=coordinator, kept=kept, duplicate=duplicate)

    absence.refresh_from_db()
    assert (absence.practitioner, absence.replacement) == (kept, None)


def test_open_claims_of_the_same_address_on_both_entries_do_not_collide(coordinator, pair):
    kept, duplicate = pair
    EntryClaim.objects.create(practitioner=kept, email="helene@exemple.fr")
    twin = EntryClaim.objects.create(practitioner=duplicate, email="helene@exemple.fr")

    practitioner_merge(acting_user=coordinator, kept=kept, duplicate=duplicate)

    twin.refresh_from_db()
    assert (twin.practitioner, twin.status) == (kept, EntryClaim.Status.REJECTED)
    assert kept.claims.filter(status=EntryClaim.Status.AWAITING_EMAIL).count() == 1


# --- Refusals ---------------------------------------------------------------------------------------------------


def test_an_entry_cannot_be_merged_with_itself(coordinator, pair):
    kept, _duplicate = pair
    with pytest.raises(ApplicationError, match="ne peut pas être fusionnée avec elle-même"):
        practitioner_merge(acting_user=coordinator, kept=kept, duplicate=kept)
    assert Practitioner.objects.filter(pk=kept.pk).exists()


def test_a_coordinator_cannot_merge_entries_of_a_territory_they_do_not_coordinate(other_coordinator, pair):
    kept, duplicate = pair
    with pytest.raises(ApplicationError) as refused:
        practitioner_merge(acting_user=other_coordinator, kept=kept, duplicate=duplicate)
    assert refused.value.code == "not_found"
    assert Practitioner.objects.filter(pk=duplicate.pk).exists()
    assert not PractitionerMerge.objects.exists()


def test_entries_linked_to_two_different_accounts_are_not_merged(coordinator, pair):
    kept, duplicate = pair
    role_grant_create(user=UserFactory(email="a@exemple.fr"), role=Role.PROFESSIONAL, practitioner=kept)
    role_grant_create(user=UserFactory(email="b@exemple.fr"), role=Role.PROFESSIONAL, practitioner=duplicate)

    with pytest.raises(ApplicationError, match="rattachées à deux comptes différents"):
        practitioner_merge(acting_user=coordinator, kept=kept, duplicate=duplicate)
    assert Practitioner.objects.filter(pk=duplicate.pk).exists()


def test_entries_with_two_different_rpps_numbers_are_two_people(coordinator, territory):
    first = PractitionerFactory(first_name="Marc", last_name="Petit", territory=territory)
    second = PractitionerFactory(first_name="Marc", last_name="Petit", territory=territory)
    channel(first, Kind.PHONE, "+33251000009")

    with pytest.raises(ApplicationError, match="deux numéros RPPS différents"):
        practitioner_merge(acting_user=coordinator, kept=first, duplicate=second)
    assert Practitioner.objects.filter(pk=second.pk).exists()
    assert first.contact_channels.count() == 1


def test_nothing_changes_when_a_merge_is_refused(coordinator, pair):
    kept, duplicate = pair
    channel(duplicate, Kind.PHONE, "+33251000005")
    role_grant_create(user=UserFactory(), role=Role.PROFESSIONAL, practitioner=kept)
    role_grant_create(user=UserFactory(), role=Role.PROFESSIONAL, practitioner=duplicate)

    with pytest.raises(ApplicationError):
        practitioner_merge(acting_user=coordinator, kept=kept, duplicate=duplicate)

    assert duplicate.contact_channels.count() == 1
    assert not EntryRevision.objects.filter(action=EntryRevision.Action.MERGED).exists()


# --- Finding duplicates, and the pages ---------------------------------------------------------------------------


def test_likely_duplicates_are_same_names_accents_aside_or_same_phone_or_mssante(
    coordinator, other_coordinator, territory, other_territory, pair
):
    kept, duplicate = pair
    by_phone_a = PractitionerFactory(first_name="Léa", last_name="Blanc", territory=territory)
    by_phone_b = PractitionerFactory(
        rpps=None, adeli="852222222", first_name="L.", last_name="Blanc-Roy", territory=territory
    )
    channel(by_phone_a, Kind.PROFESSIONAL_LINE, "+33251000007")
    channel(by_phone_b, Kind.PHONE, "+33251000007", audience=Audience.PUBLIC)
    by_mail_a = PractitionerFactory(first_name="Noé", last_name="Vidal", territory=territory)
    by_mail_b = PractitionerFactory(
        rpps=None, adeli="853333333", first_name="Noe", last_name="Vidale", territory=territory
    )
    channel(by_mail_a, Kind.MSSANTE, "noe.vidal@exemple.mssante.fr")
    channel(by_mail_b, Kind.MSSANTE, "noe.vidal@exemple.mssante.fr")
    # Not proposed: two RPPS numbers (two people), a shared secretariat line, another territory.
    PractitionerFactory(first_name="Marc", last_name="Petit", territory=territory)
    PractitionerFactory(first_name="Marc", last_name="Petit", territory=territory)
    shared_a = PractitionerFactory(
        rpps=None, adeli="854444444", first_name="Ana", last_name="Roux", territory=territory
    )
    shared_b = PractitionerFactory(rpps=None, adeli="855555555", first_name="Jo", last_name="Gal", territory=territory)
    channel(shared_a, Kind.SECRETARY, "+33251000008")
    channel(shared_b, Kind.SECRETARY, "+33251000008")
    PractitionerFactory(rpps=None, adeli="856666666", first_name="Hélène", last_name="Dupré", territory=other_territory)

    pairs = duplicate_pairs_for(coordinator)

    found = {frozenset((found.first.pk, found.second.pk)): found for found in pairs}
    assert set(found) == {
        frozenset((kept.pk, duplicate.pk)),
        frozenset((by_phone_a.pk, by_phone_b.pk)),
        frozenset((by_mail_a.pk, by_mail_b.pk)),
    }
    assert found[frozenset((kept.pk, duplicate.pk))].same_name
    assert found[frozenset((by_phone_a.pk, by_phone_b.pk))].same_channel
    assert duplicate_pairs_for(other_coordinator) == []


def test_the_duplicates_query_count_does_not_grow_with_the_pairs(coordinator, territory, django_assert_max_num_queries):
    for number in range(15):
        PractitionerFactory(first_name="Jean", last_name=f"Double{number}", territory=territory)
        PractitionerFactory(
            rpps=None, adeli=f"8570000{number:02d}", first_name="jean", last_name=f"double{number}", territory=territory
        )

    with django_assert_max_num_queries(6):
        pairs = duplicate_pairs_for(coordinator)
        labels = [(pair.first.specialties.all(), pair.second.activities.all()) for pair in pairs]
    assert len(labels) == 15


def test_the_coordinator_compares_two_entries_and_merges_them_from_the_pages(client, coordinator, pair):
    kept, duplicate = pair
    channel(duplicate, Kind.PHONE, "+33251000006", audience=Audience.PUBLIC)
    client.force_login(coordinator)

    candidates = client.get(reverse("directory:merge_candidates")).content.decode()
    url = reverse("directory:merge_confirm", args=[kept.public_id, duplicate.public_id])
    assert url in candidates
    assert "Même nom et prénom" in candidates

    page = client.get(url).content.decode()
    assert "Conserver Hélène Dupré" in page
    assert "Conserver HELENE DUPRE" in page
    assert "ADELI 851234567" in page
    assert "02 51 00 00 06" in page

    refused = client.post(url, {})
    assert refused.status_code == 400
    assert "Choisissez la fiche à conserver." in refused.content.decode()

    response = client.post(url, {"keep": str(kept.public_id)})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('directory:upkeep_feed')}?entry={kept.public_id}"
    assert not Practitioner.objects.filter(pk=duplicate.pk).exists()
    assert kept.contact_channels.filter(value="+33251000006").exists()
    feed = client.get(response["Location"]).content.decode()
    assert "Fusion</span>" in feed
    assert "HELENE DUPRE — ADELI 851234567" in feed

    # A second click finds the merge done.
    again = client.post(url, {"keep": str(kept.public_id)})
    assert again.status_code == 302
    assert PractitionerMerge.objects.count() == 1


def test_a_refused_merge_says_why_on_the_page(client, coordinator, territory):
    first = PractitionerFactory(first_name="Marc", last_name="Petit", territory=territory)
    second = PractitionerFactory(first_name="Marc", last_name="Petit", territory=territory)
    client.force_login(coordinator)

    response = client.post(
        reverse("directory:merge_confirm", args=[first.public_id, second.public_id]), {"keep": str(first.public_id)}
    )

    assert response.status_code == 400
    assert "deux numéros RPPS différents" in response.content.decode()
    assert Practitioner.objects.filter(pk=second.pk).exists()


def test_a_coordinator_of_another_territory_cannot_open_the_merge_page(client, other_coordinator, pair):
    kept, duplicate = pair
    client.force_login(other_coordinator)
    url = reverse("directory:merge_confirm", args=[kept.public_id, duplicate.public_id])

    assert client.get(url).status_code == 404
    assert client.post(url, {"keep": str(kept.public_id)}).status_code == 404
    assert "Dupré" not in client.get(reverse("directory:merge_candidates")).content.decode()
    assert Practitioner.objects.filter(pk=duplicate.pk).exists()


@pytest.mark.parametrize("persona", ["gp", "cardio_secretary", "outsider"])
def test_only_coordinators_reach_the_merge_pages(client, persona, request, pair):
    kept, duplicate = pair
    client.force_login(request.getfixturevalue(persona))
    url = reverse("directory:merge_confirm", args=[kept.public_id, duplicate.public_id])

    assert client.get(reverse("directory:merge_candidates")).status_code == 403
    assert client.post(url, {"keep": str(kept.public_id)}).status_code == 403
    assert Practitioner.objects.filter(pk=duplicate.pk).exists()


def test_an_old_link_of_the_merged_entry_leads_to_the_entry_kept(client, coordinator, pair):
    kept, duplicate = pair
    duplicate_id = duplicate.public_id
    practitioner_merge(acting_user=coordinator, kept=kept, duplicate=duplicate)

    page = client.get(reverse("directory:claim_start", kwargs={"practitioner_id": duplicate_id}))

    assert page.status_code == 200
    assert "Gérer la fiche de Hélène Dupré" in page.content.decode()

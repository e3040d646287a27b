"""The coordinator's follow-up of the directory: every change of their territories (who, when, what, before and
after, in French), filtered; open error reports they mark as dealt with; claims waiting; stale entries. A
coordinator of another territory sees nothing of this one."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from core.errors import ApplicationError
from directory.models import Audience, ContactChannel, EntryClaim, EntryRevision, ErrorReport, Practitioner
from directory.services import absence_declare, contact_channel_create, contact_channel_update, role_grant_create
from directory.services.upkeep import error_report_resolve
from tests.conftest import enrol_totp
from tests.factories import PractitionerFactory, TerritoryFactory, UserFactory

FEED = reverse("directory:upkeep_feed")

# An absence declared ahead (one starting more than a day back is refused).
ABSENCE_START = datetime.date.today() + datetime.timedelta(days=30)
ABSENCE_END = ABSENCE_START + datetime.timedelta(days=18)


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
def changes(gp, cardio_secretary, cardiologist):
    """Alice adds then changes her professional line; the cardiology secretary declares Chloé's holidays."""
    alice = Practitioner.objects.get(user=gp)
    line = contact_channel_create(
        acting_user=gp,
        practitioner=alice,
        audience=Audience.PROFESSIONALS,
        kind=ContactChannel.Kind.PROFESSIONAL_LINE,
        value="02 51 44 61 61",
        hours="8h-9h",
    )
    contact_channel_update(acting_user=gp, channel=line, value="02 51 44 61 62", preferred=True)
    chloe = Practitioner.objects.get(user=cardiologist)
    absence_declare(
        acting_user=cardio_secretary,
        practitioner=chloe,
        starts_on=ABSENCE_START,
        ends_on=ABSENCE_END,
    )
    return {"alice": alice, "chloe": chloe}


def feed(client, **params):
    return client.get(FEED, params)


def test_the_coordinator_reads_each_change_newest_first_in_french(client, coordinator, changes):
    client.force_login(coordinator)

    response = feed(client)

    assert response.status_code == 200
    page = response.content.decode()
    absence, update, creation = (
        page.index("Denise Moreau"),
        page.index("02 51 44 61 62"),
        page.index("Création</span> <strong>Moyen de contact"),
    )
    assert absence < update < creation  # newest first
    # Field labels are the models' verbose names; values read as on the pages.
    assert "Coordonnée :" in page
    assert "<del>02 51 44 61 61</del> → <ins>02 51 44 61 62</ins>" in page
    assert "À utiliser en premier :" in page
    assert "<del>non</del> → <ins>oui</ins>" in page
    assert "Au (inclus) :" in page
    assert f"<ins>{ABSENCE_END:%d/%m/%Y}</ins>" in page
    assert "par Alice Martin" in page
    assert "Moyen de contact" in page


def test_the_feed_is_filtered_by_action_object_person_dates_and_entry(client, coordinator, changes):
    client.force_login(coordinator)

    only_updates = feed(client, action="updated").content.decode()
    assert "Aucune modification" not in only_updates
    assert "1 modification." in only_updates
    assert "Au (inclus)" not in only_updates

    only_absences = feed(client, object_type="absence").content.decode()
    assert "1 modification." in only_absences
    assert "Au (inclus) :" in only_absences

    by_denise = feed(client, who="denise").content.decode()
    assert "1 modification." in by_denise

    today = timezone.localdate()
    assert "3 modifications." in feed(client, since=today.isoformat(), until=today.isoformat()).content.decode()
    tomorrow = (today + datetime.timedelta(days=1)).isoformat()
    assert "Aucune modification ne correspond à ces filtres." in feed(client, since=tomorrow).content.decode()

    alice_only = feed(client, entry=str(changes["alice"].public_id)).content.decode()
    assert "2 modifications." in alice_only
    assert "Seulement les modifications de la fiche de Alice Martin." in alice_only


def test_dates_reversed_or_malformed_are_refused_in_french(client, coordinator, changes):
    client.force_login(coordinator)

    reversed_dates = feed(client, since="2026-05-10", until="2026-05-01")
    assert reversed_dates.status_code == 400
    assert "La date de fin précède la date de début." in reversed_dates.content.decode()
    assert 'value="2026-05-10"' in reversed_dates.content.decode()

    htmx = client.get(FEED, {"since": "2026-05-10", "until": "2026-05-01"}, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 400
    assert "Au : La date de fin précède la date de début." in htmx.content.decode()

    malformed = feed(client, since="hier")
    assert malformed.status_code == 400
    assert "Date invalide" in malformed.content.decode()

    unknown_action = feed(client, action="burned")
    assert unknown_action.status_code == 400


def test_htmx_gets_the_filtered_changes_only(client, coordinator, changes):
    client.force_login(coordinator)

    response = client.get(FEED, {"action": "created"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert "HX-Request" in response["Vary"]
    fragment = response.content.decode()
    assert "<html" not in fragment
    assert "2 modifications." in fragment


def test_the_feed_pages_with_a_bounded_number_of_queries(client, coordinator, gp, django_assert_max_num_queries):
    alice = Practitioner.objects.get(user=gp)
    for number in range(60):
        contact_channel_create(
            acting_user=gp,
            practitioner=alice,
            audience=Audience.PUBLIC,
            kind=ContactChannel.Kind.PHONE,
            value=f"02 51 44 {number:02d} 00",
        )
    client.force_login(coordinator)

    with django_assert_max_num_queries(15):
        first = feed(client).content.decode()
    assert "60 modifications." in first
    assert "Page 1 sur 2" in first
    second = client.get(FEED, {"page": 2}).content.decode()
    assert "Page 2 sur 2" in second


def test_a_coordinator_of_another_territory_sees_nothing_of_this_one(client, other_coordinator, changes):
    report = ErrorReport.objects.create(practitioner=changes["alice"], message="Le numéro ne répond plus.")
    EntryClaim.objects.create(
        practitioner=changes["chloe"],
        email="x@exemple.fr",
        status=EntryClaim.Status.AWAITING_APPROVAL,
        email_verified_at=timezone.now(),
    )
    client.force_login(other_coordinator)

    page = feed(client).content.decode()

    assert "Aucune modification ne correspond à ces filtres." in page
    assert "Alice Martin" not in page
    assert "Le numéro ne répond plus." not in page
    assert "Chloé Rousseau" not in page
    assert "Le numéro ne répond plus." not in client.get(reverse("directory:upkeep_reports")).content.decode()
    # Filtering on one of this territory's entries says it does not exist.
    response = feed(client, entry=str(changes["alice"].public_id))
    assert response.status_code == 400
    assert "ne relève pas de votre territoire" in response.content.decode()
    # Nor can they mark this territory's report as dealt with.
    url = reverse("directory:error_report_resolve", kwargs={"report_id": report.public_id})
    assert client.post(url).status_code == 404
    report.refresh_from_db()
    assert report.status == ErrorReport.Status.OPEN


@pytest.mark.parametrize("persona", ["gp", "cardio_secretary", "regulator", "observer", "outsider"])
def test_only_coordinators_reach_the_follow_up(client, persona, request, changes):
    report = ErrorReport.objects.create(practitioner=changes["alice"], message="Faux")
    client.force_login(request.getfixturevalue(persona))

    for name in ("upkeep_feed", "upkeep_reports", "upkeep_stale", "claim_queue", "merge_candidates"):
        assert client.get(reverse(f"directory:{name}")).status_code == 403, name
    url = reverse("directory:error_report_resolve", kwargs={"report_id": report.public_id})
    assert client.post(url).status_code == 403
    report.refresh_from_db()
    assert report.status == ErrorReport.Status.OPEN


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = feed(client)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# --- What waits for a decision ------------------------------------------------------------------------------------


def test_open_error_reports_are_listed_and_marked_as_dealt_with(client, coordinator, changes):
    report = ErrorReport.objects.create(
        practitioner=changes["alice"], reporter_email="pharmacie@exemple.fr", message="Le numéro ne répond plus."
    )
    ErrorReport.objects.create(practitioner=changes["alice"], message="Déjà vu", status=ErrorReport.Status.RESOLVED)
    client.force_login(coordinator)

    page = feed(client).content.decode()
    assert "1</strong>signalement d'erreur à traiter" in page
    assert "Le numéro ne répond plus." in page
    assert "par pharmacie@exemple.fr" in page
    assert "Déjà vu" not in page

    url = reverse("directory:error_report_resolve", kwargs={"report_id": report.public_id})
    assert client.get(url).status_code == 405
    response = client.post(url, {"next": FEED})
    assert response.status_code == 302
    assert response["Location"] == FEED
    report.refresh_from_db()
    assert (report.status, report.resolved_by) == (ErrorReport.Status.RESOLVED, coordinator)
    assert report.resolved_at is not None
    revision = EntryRevision.objects.get(object_type="error_report", practitioner=changes["alice"])
    assert (revision.action, revision.actor) == (EntryRevision.Action.UPDATED, coordinator)
    assert revision.after == {"status": "resolved"}
    assert "Le numéro ne répond plus." not in client.get(reverse("directory:upkeep_reports")).content.decode()
    # The change itself shows in the feed, in French.
    assert "<del>À traiter</del> → <ins>Traité</ins>" in feed(client).content.decode()


def test_resolving_twice_changes_nothing_more_and_others_cannot_resolve(coordinator, other_coordinator, changes):
    report = ErrorReport.objects.create(practitioner=changes["alice"], message="Faux")
    with pytest.raises(ApplicationError) as refused:
        error_report_resolve(acting_user=other_coordinator, report=report)
    assert refused.value.code == "not_found"

    error_report_resolve(acting_user=coordinator, report=report)
    error_report_resolve(acting_user=coordinator, report=report)
    assert EntryRevision.objects.filter(object_type="error_report").count() == 1


def test_pending_claims_and_stale_counts_are_shown_with_their_links(client, coordinator, territory, changes):
    EntryClaim.objects.create(
        practitioner=changes["chloe"],
        email="chloe.rousseau@exemple.fr",
        status=EntryClaim.Status.AWAITING_APPROVAL,
        email_verified_at=timezone.now(),
    )
    EntryClaim.objects.create(practitioner=changes["chloe"], email="pas.encore@exemple.fr")  # address not proven yet
    stale = PractitionerFactory(territory=territory)
    Practitioner.objects.filter(pk=stale.pk).update(created_at=timezone.now() - datetime.timedelta(days=400))
    client.force_login(coordinator)

    page = feed(client).content.decode()

    assert "1</strong>demande de rattachement à valider" in page
    assert "chloe.rousseau@exemple.fr" in page
    assert "pas.encore@exemple.fr" not in page
    assert "1</strong>fiche non confirmée depuis plus d'un an" in page
    assert reverse("directory:upkeep_stale") in page
    assert reverse("directory:claim_queue") in page

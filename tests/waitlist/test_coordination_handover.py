"""A departing GP's handover: the plan, the CSV of the patients signed up by the practice (with the consent
recorded as the practice's statement, the report of rejected lines that do not stop the others), the spreading
over the months with the summer rule against the pledges' free places, the numbers edited by hand, a month
turned into proposals (highest level first, one pending proposal per entry), and the plan page's figures."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import AccessLog
from tests.factories import PractitionerFactory
from tests.waitlist.coordination_helpers import (  # noqa: F401 (fixtures)
    PLANS,
    fixture_departing_gp,
    fixture_marais,
    fixture_marais_coordinator,
    fixture_marais_list,
    fixture_plan,
    make_pledge,
    next_month,
)
from waitlist.models import (
    ConsentRecord,
    Entry,
    HandoverAllocation,
    HandoverPlan,
    HandoverProposal,
    Proposal,
    SignupSource,
)
from waitlist.services.handover import (
    HANDOVER_CONSENT_TEXT,
    handover_allocations_spread,
    handover_import,
    handover_month_propose,
    month_targets,
    shares,
)

pytestmark = pytest.mark.django_db

HEADER = "family_name;given_names;birth_date;sex;commune;postal_code;commune_name;phone;email;ald;household"


def _csv(*lines, header=HEADER, bom=True) -> bytes:
    text = "\n".join([header, *lines]) + "\n"
    return ("\ufeff" + text if bom else text).encode()


def _upload(client, plan, content: bytes, *, consent=True):
    data = {"file": SimpleUploadedFile("patients.csv", content, content_type="text/csv")}
    if consent:
        data["consent_confirmed"] = "on"
    return client.post(f"{PLANS}{plan.public_id}/patients/", data)


# --- The plan ---------------------------------------------------------------------------------------------------


def test_the_coordinator_creates_a_plan_for_a_gp_of_the_territory(coordinator, waiting_list, departing_gp, signed_in):
    client = signed_in(coordinator)
    form = client.get(f"{PLANS}nouveau/").content.decode()
    assert "LEBRUN Hervé" in form
    first = next_month()
    response = client.post(
        f"{PLANS}nouveau/",
        {
            "practitioner": str(departing_gp.public_id),
            "departure_on": (first + datetime.timedelta(days=40)).isoformat(),
            "first_month": f"{first:%Y-%m}",
            "months": "6",
        },
    )
    plan = HandoverPlan.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"{plan.public_id}/patients/")
    assert (plan.waiting_list, plan.first_month, plan.months, plan.created_by) == (waiting_list, first, 6, coordinator)
    assert "LEBRUN" in client.get(PLANS).content.decode()


def test_a_gp_of_another_territory_cannot_be_chosen(coordinator, waiting_list, signed_in):
    elsewhere = PractitionerFactory(last_name="Ailleurs")
    response = signed_in(coordinator).post(
        f"{PLANS}nouveau/",
        {
            "practitioner": str(elsewhere.public_id),
            "departure_on": "2027-03-01",
            "first_month": "2027-03",
            "months": "6",
        },
    )
    assert response.status_code == 400 and not HandoverPlan.objects.exists()


def test_a_plan_of_zero_months_or_a_bad_month_keeps_what_was_typed(coordinator, waiting_list, departing_gp, signed_in):
    response = signed_in(coordinator).post(
        f"{PLANS}nouveau/",
        {
            "practitioner": str(departing_gp.public_id),
            "departure_on": "2027-03-01",
            "first_month": "mars",
            "months": "0",
        },
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "AAAA-MM" in page and 'value="mars"' in page and not HandoverPlan.objects.exists()


# --- The CSV ----------------------------------------------------------------------------------------------------


def test_the_csv_signs_up_the_valid_lines_and_reports_each_rejected_one(coordinator, plan, communes, signed_in):
    content = _csv(
        "Durand;Jeanne;04/05/1950;F;85191;;;06 12 34 56 78;;oui;A",
        "Durand;Paul;1952-02-01;M;;;;;;non;A",  # joins Jeanne's household
        "Martin;Luc;01/01/2090;M;85191;;;0612345678;;;",  # born in the future
        "Petit;Anne;12/12/1980;F;99999;;;0612345678;;;",  # unknown INSEE code
        "Roux;Léa;12/12/1980;F;;85190;Venansault;;;;",  # no phone, no e-mail
        "Roux;Marc;12/12/1980;Z;85300;;;0612345678;;;",  # sex
        "Blanc;Éva;03/03/1990;F;;85190;Venansault;;eva@example.org;;",
        "Noir;Jean;03/03/1990;M;;85000;;0612345678;;;",  # 85000 serves two communes here
    )
    response = _upload(signed_in(coordinator), plan, content)
    page = response.content.decode()
    assert response.status_code == 200
    assert "2 foyers inscrits (3 personnes)" in page and "5 lignes refusées" in page
    for line, reason in [
        (4, "Date de naissance dans le futur"),
        (5, "Code INSEE inconnu : « 99999 »"),
        (6, "Ni téléphone ni e-mail pour ce foyer"),
        (7, "Sexe illisible : « Z »"),
        (9, "Le code postal 85000 dessert plusieurs communes"),
    ]:
        assert f"<td>{line}</td><td>{reason}" in page, (line, reason)
    durand = Entry.objects.get(members__given_names="Jeanne")
    assert (durand.status, durand.source, durand.handover_plan, durand.household_size) == (
        Entry.Status.WAITING,
        SignupSource.HANDOVER,
        plan,
        2,
    )
    assert durand.phone == "+33612345678" and durand.priority_level == 2  # ALD + over 70
    consent = ConsentRecord.objects.get(entry=durand)
    assert (consent.given_by, consent.recorded_by, consent.text) == (
        "handover",
        coordinator,
        str(HANDOVER_CONSENT_TEXT),
    )
    blanc = Entry.objects.get(members__family_name="Blanc")
    assert blanc.commune == communes["venansault"] and blanc.email == "eva@example.org"
    created = AccessLog.objects.filter(user=coordinator, action="create", subject_type="waitlist_entry")
    assert created.count() == 2


def test_a_file_sent_twice_adds_nobody(coordinator, plan, communes, signed_in):
    content = _csv("Durand;Jeanne;04/05/1950;F;85191;;;0612345678;;oui;", bom=False)
    client = signed_in(coordinator)
    _upload(client, plan, content)
    again = _upload(client, plan, content).content.decode()
    assert "1 ligne refusée" in again and "Déjà inscrit dans ce plan" in again
    assert Entry.objects.filter(handover_plan=plan).count() == 1


def test_a_comma_separated_file_with_french_column_names_is_read(coordinator, plan, communes):
    content = (
        "nom,prénoms,date de naissance,sexe,code postal,ville,téléphone,ALD\n"
        "Lefèvre,Héloïse,1948-07-14,femme,85190,Venansault,0612345678,oui\n"
    )
    report = handover_import(acting_user=coordinator, plan=plan, content=content.encode(), consent_confirmed=True)
    assert (report.entries, report.rejected) == (1, [])
    assert Entry.objects.get(handover_plan=plan).commune == communes["venansault"]


@pytest.mark.parametrize(
    ("content", "consent", "message"),
    [
        (_csv("Durand;Jeanne;04/05/1950;F;85191;;;0612345678;;;"), False, "a donné son accord"),
        (b"nom;prenom\nDurand;Jeanne\n", True, "Colonnes manquantes"),
        ("family_name;given_names;birth_date;sex;commune\n".encode("utf-16"), True, "UTF-8"),
        (_csv(), True, "aucune ligne de patient"),
    ],
)
def test_a_file_refused_as_a_whole_is_a_french_400(coordinator, plan, communes, signed_in, content, consent, message):
    response = _upload(signed_in(coordinator), plan, content, consent=consent)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Entry.objects.exists()


# --- Spreading over the months ----------------------------------------------------------------------------------


def test_the_summer_rule_gives_july_and_august_half_a_month_each():
    months = [datetime.date(2027, month, 1) for month in range(6, 12)]
    assert month_targets(55, months) == [11, 6, 5, 11, 11, 11]
    assert sum(month_targets(7, months)) == 7
    assert shares(0, [1, 1]) == [0, 0]


def _plan_with_patients(coordinator, plan, count, **facts):
    lines = [f"Nom{i};Prénom;01/01/19{50 + i % 40};F;85191;;;0612345678;;{facts.get('ald', '')};" for i in range(count)]
    handover_import(acting_user=coordinator, plan=plan, content=_csv(*lines), consent_confirmed=True)


def test_spreading_follows_the_months_and_never_exceeds_a_pledges_free_places(
    coordinator, plan, gp_entry, gp2_entry, waiting_list, communes
):
    _plan_with_patients(coordinator, plan, 30)
    alice = make_pledge(gp_entry, waiting_list, capacity=10)
    bob = make_pledge(gp2_entry, waiting_list, capacity=5)
    result = handover_allocations_spread(acting_user=coordinator, plan=plan)
    assert (result.planned, result.unplaced) == (15, 15)
    by_pledge = {
        pledge.pk: sum(HandoverAllocation.objects.filter(plan=plan, pledge=pledge).values_list("planned", flat=True))
        for pledge in (alice, bob)
    }
    assert by_pledge == {alice.pk: 10, bob.pk: 5}
    months = sorted(set(HandoverAllocation.objects.filter(plan=plan).values_list("month", flat=True)))
    assert months[0] == plan.first_month


def test_spreading_with_room_for_everyone_puts_fewer_patients_in_summer(
    coordinator, waiting_list, departing_gp, gp_entry, communes
):
    first = datetime.date(timezone.localdate().year + 1, 6, 1)
    plan = HandoverPlan.objects.create(
        waiting_list=waiting_list, departing_practitioner=departing_gp, departure_on=first, first_month=first, months=6
    )
    _plan_with_patients(coordinator, plan, 55)
    make_pledge(gp_entry, waiting_list, capacity=100, until=first + datetime.timedelta(days=365))
    handover_allocations_spread(acting_user=coordinator, plan=plan)
    planned = dict(HandoverAllocation.objects.filter(plan=plan).values_list("month", "planned"))
    assert [planned[datetime.date(first.year, month, 1)] for month in range(6, 12)] == [11, 6, 5, 11, 11, 11]


def test_the_coordinator_edits_the_numbers_and_a_pledge_is_never_overbooked(
    coordinator, plan, gp_entry, waiting_list, communes, signed_in
):
    _plan_with_patients(coordinator, plan, 8)
    alice = make_pledge(gp_entry, waiting_list, capacity=6)
    client = signed_in(coordinator)
    field = f"n_{plan.first_month:%Y%m}_{alice.public_id.hex}"
    assert client.post(f"{PLANS}{plan.public_id}/", {field: "4"}).status_code == 302
    assert HandoverAllocation.objects.get(plan=plan, pledge=alice).planned == 4
    refused = client.post(f"{PLANS}{plan.public_id}/", {field: "9"})
    page = refused.content.decode()
    assert refused.status_code == 400 and "n&#x27;a plus que 6 places" in page and f'name="{field}" value="9"' in page
    assert HandoverAllocation.objects.get(plan=plan, pledge=alice).planned == 4


# --- Proposals --------------------------------------------------------------------------------------------------


def test_a_month_becomes_proposals_highest_level_first_and_the_plan_page_counts_them(
    coordinator, plan, gp_entry, gp2_entry, waiting_list, communes, signed_in, waiting_entry
):
    _plan_with_patients(coordinator, plan, 3)
    handover_import(
        acting_user=coordinator,
        plan=plan,
        content=_csv("Urgent;Anne;01/01/1940;F;85191;;;0612345678;;oui;"),
        consent_confirmed=True,
    )
    urgent = Entry.objects.get(members__family_name="Urgent")
    elsewhere = Entry.objects.get(members__family_name="Nom0")
    other_pledge = make_pledge(gp2_entry, waiting_list)
    Proposal.objects.create(
        pledge=other_pledge,
        entry=elsewhere,
        batch="00000000-0000-0000-0000-000000000003",
        distance_km=1.0,
        priority_level=0,
        household_size=1,
        expires_at=timezone.now() + datetime.timedelta(days=7),
    )
    alice = make_pledge(gp_entry, waiting_list, capacity=10)
    HandoverAllocation.objects.create(plan=plan, month=plan.first_month, pledge=alice, planned=2)
    client = signed_in(coordinator)
    response = client.post(f"{PLANS}{plan.public_id}/proposer/", {"month": f"{plan.first_month:%Y-%m}"})
    assert response.status_code == 302
    made = list(Proposal.objects.filter(pledge=alice).order_by("created_at"))
    assert len(made) == 2 and made[0].entry == urgent
    assert elsewhere not in [p.entry for p in made]  # already proposed elsewhere: one pending proposal at a time
    assert HandoverProposal.objects.filter(allocation__plan=plan).count() == 2
    urgent.refresh_from_db()
    assert urgent.status == Entry.Status.PROPOSED and made[0].distance_km < 5
    plan.refresh_from_db()
    assert plan.status == HandoverPlan.Status.ACTIVE
    # Once more: nothing more to propose this month.
    assert handover_month_propose(acting_user=coordinator, plan=plan, month=plan.first_month) == []
    made[0].status = Proposal.Status.ACCEPTED
    made[0].save()
    page = client.get(f"{PLANS}{plan.public_id}/").content.decode()
    assert "2 proposés, 1 acceptés" in page
    assert response.status_code == 302


def test_a_pledge_closed_to_families_gets_no_household(coordinator, plan, gp_entry, waiting_list, communes):
    handover_import(
        acting_user=coordinator,
        plan=plan,
        content=_csv(
            "Famille;Anne;01/01/1940;F;85191;;;0612345678;;oui;F",
            "Famille;Tom;01/01/2015;M;;;;;;;F",
            "Seul;Marc;01/01/1980;M;85191;;;0612345678;;;",
        ),
        consent_confirmed=True,
    )
    pledge = make_pledge(gp_entry, waiting_list, families_welcome=False)
    HandoverAllocation.objects.create(plan=plan, month=plan.first_month, pledge=pledge, planned=2)
    made = handover_month_propose(acting_user=coordinator, plan=plan, month=plan.first_month)
    assert [p.entry.members.get(position=0).family_name for p in made] == ["Seul"]


def test_a_patient_beyond_the_receiving_gps_radius_or_their_own_distance_is_left_for_another(
    coordinator, plan, gp_entry, waiting_list, communes
):
    # Saint-Jean-de-Monts (85234) is about 50 km from Alice's practice in La Roche-sur-Yon; Venansault about 6 km.
    handover_import(
        acting_user=coordinator,
        plan=plan,
        content=_csv(
            "Cote;Anne;01/01/1940;F;85234;;;0612345678;;oui;",
            "Bocage;Marc;01/01/1980;M;85300;;;0612345679;;;",
        ),
        consent_confirmed=True,
    )
    pledge = make_pledge(gp_entry, waiting_list)
    HandoverAllocation.objects.create(plan=plan, month=plan.first_month, pledge=pledge, planned=2)
    made = handover_month_propose(acting_user=coordinator, plan=plan, month=plan.first_month)
    assert [p.entry.members.get(position=0).family_name for p in made] == ["Bocage"]
    assert Entry.objects.get(members__family_name="Cote").status == Entry.Status.WAITING


# --- Refusals ---------------------------------------------------------------------------------------------------


def test_another_lists_coordinator_gets_404_on_the_plan(marais_coordinator, marais_list, plan, signed_in):
    client = signed_in(marais_coordinator)
    assert client.get(f"{PLANS}{plan.public_id}/").status_code == 404
    assert client.get(f"{PLANS}{plan.public_id}/patients/").status_code == 404
    assert _upload(client, plan, _csv("Durand;Jeanne;04/05/1950;F;85191;;;0612345678;;;")).status_code == 404
    assert client.post(f"{PLANS}{plan.public_id}/repartir/").status_code == 404
    assert "LEBRUN" not in client.get(PLANS).content.decode()


def test_gps_and_observers_do_not_open_the_plans(gp, observer, plan, signed_in, client):
    for user in (gp, observer):
        client.force_login(user)
        assert client.get(PLANS).status_code == 403
        assert client.get(f"{PLANS}{plan.public_id}/").status_code == 403


# --- The practice's upload --------------------------------------------------------------------------------------


@pytest.fixture
def gp_plan(waiting_list, gp, coordinator):
    """Alice (the GP persona) is the one leaving: her practice sends the file."""
    return HandoverPlan.objects.create(
        waiting_list=waiting_list,
        departing_practitioner=gp.role_grants.get(role="professional").practitioner,
        departure_on=next_month() + datetime.timedelta(days=60),
        first_month=next_month(),
        months=6,
        created_by=coordinator,
    )


@pytest.fixture
def gp_secretary(gp_practice):
    from accounts.roles import Role
    from directory.services import role_grant_create
    from tests.conftest import enrol_totp
    from tests.factories import UserFactory

    user = UserFactory(email="sarah@cpts.test", first_name="Sarah", last_name="Blanc")
    role_grant_create(user=user, role=Role.SECRETARY, practices=[gp_practice])
    enrol_totp(user)
    return user


def test_the_departing_gps_secretary_uploads_the_file_but_sees_nothing_else(gp_secretary, gp_plan, communes, signed_in):
    client = signed_in(gp_secretary)
    url = f"{PLANS}{gp_plan.public_id}/patients/"
    page = client.get(url).content.decode()
    assert "Inscrire les patients du médecin qui part" in page and "Retour au plan" not in page
    response = _upload(client, gp_plan, _csv("Durand;Jeanne;04/05/1950;F;85191;;;0612345678;;oui;"))
    assert response.status_code == 200 and "1 foyer inscrit" in response.content.decode()
    consent = ConsentRecord.objects.get(entry__handover_plan=gp_plan)
    assert (consent.given_by, consent.recorded_by) == ("handover", gp_secretary)
    assert client.get(f"{PLANS}{gp_plan.public_id}/").status_code == 403  # the plan itself is the coordination's
    assert client.get(PLANS).status_code == 403


def test_the_departing_gp_uploads_too_and_another_practice_cannot(
    gp, gp2, other_secretary, gp_plan, communes, signed_in, client
):
    url = f"{PLANS}{gp_plan.public_id}/patients/"
    assert signed_in(gp).get(url).status_code == 200
    for outsider in (gp2, other_secretary):
        client.force_login(outsider)
        assert client.get(url).status_code == 404
        assert _upload(client, gp_plan, _csv("Durand;Jeanne;04/05/1950;F;85191;;;0612345678;;;")).status_code == 404
    assert not Entry.objects.filter(handover_plan=gp_plan).exists()


def test_the_plan_page_gives_the_link_for_the_practice(coordinator, plan, signed_in):
    page = signed_in(coordinator).get(f"{PLANS}{plan.public_id}/").content.decode()
    assert f"http://testserver{PLANS}{plan.public_id}/patients/" in page


def test_each_imported_patient_receives_their_follow_link_and_a_duplicate_is_flagged(
    coordinator, plan, communes, waiting_entry
):
    from notifications.models import OutboundMessage

    already = waiting_entry(family_name="Lefèvre", given_names="Héloïse", birth_date=datetime.date(1948, 7, 14))
    content = _csv(
        "Lefevre;Heloise;14/07/1948;F;85191;;;0612345670;;oui;",
        "Martin;Paul;02/03/1961;M;85191;;;;paul@example.org;;",
    )
    report = handover_import(acting_user=coordinator, plan=plan, content=content, consent_confirmed=True)
    assert report.entries == 2
    welcomes = OutboundMessage.objects.filter(template="waitlist_handover_welcome")
    assert sorted(welcomes.values_list("channel", "recipient")) == [
        ("email", "paul@example.org"),
        ("sms", "+33612345670"),
    ]
    assert all("/liste-attente/suivi/" in message.context["follow_url"] for message in welcomes)
    twin = Entry.objects.get(handover_plan=plan, members__family_name="Lefevre")
    assert twin.duplicate_suspected and twin.duplicate_suspicions.get().other == already

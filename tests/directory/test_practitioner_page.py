"""The practitioner page (/annuaire/<id>/): everyone may open it, and sees what their audience may see."""

import datetime
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from directory.models import (
    Absence,
    AccessibilityTag,
    Activity,
    Audience,
    ContactChannel,
    DigitalTool,
    PracticeTag,
    Practitioner,
    PractitionerMerge,
    PractitionerTool,
    Profession,
    ToolUse,
)
from directory.services import role_grant_create
from tests.conftest import enrol_totp
from tests.factories import PracticeFactory, PractitionerFactory, UserFactory

Kind = ContactChannel.Kind

PUBLIC_PHONE = "02 51 99 99 99"
PROFESSIONAL_LINE = "02 51 00 00 03"
REGULATORS_LINE = "02 51 15 15 15"
PHARMACY_LINE = "02 51 21 21 21"
MSSANTE = "chloe.rousseau@cardio-centre.mssante.fr"


def _url(practitioner) -> str:
    return reverse("directory:practitioner_detail", args=[practitioner.public_id])


@pytest.fixture
def rousseau(cardiologist, cardio_practice, gp2):
    """Dr Rousseau, cardiologist: a public phone and booking link, a preferred professional line, an MSSanté
    address, a regulators' line, a line for pharmacies and labs; away from yesterday for a week, replaced by
    Dr Benali; uses Omnidoc for tele-expertise and Doctolib for appointments."""
    practitioner = Practitioner.objects.get(user=cardiologist)
    practitioner.answers_teleexpertise = True
    practitioner.practice_tags = [PracticeTag.ECG]
    practitioner.practice_notes = "Échographies cardiaques le mardi."
    practitioner.languages = ["en", "es"]
    practitioner.cpts_member_since = datetime.date(2023, 3, 1)
    practitioner.last_confirmed_at = timezone.now() - datetime.timedelta(days=30)
    practitioner.save()
    cardio_practice.address = "8 place du Marché"
    cardio_practice.opening_hours = "Lundi-vendredi 8h-19h"
    cardio_practice.secretariat_hours = "Lundi-vendredi 9h-12h"
    cardio_practice.accessibility = [AccessibilityTag.WHEELCHAIR]
    cardio_practice.save()
    channels = [
        (Audience.PUBLIC, Kind.PHONE, "+33251999999", False),
        (Audience.PUBLIC, Kind.BOOKING_LINK, "https://rdv.example.fr/rousseau", False),
        (Audience.PROFESSIONALS, Kind.PROFESSIONAL_LINE, "+33251000003", True),
        (Audience.PROFESSIONALS, Kind.MSSANTE, MSSANTE, False),
        (Audience.REGULATORS, Kind.PHONE, "+33251151515", True),
        (Audience.PHARMACISTS_AND_LABS, Kind.PHONE, "+33251212121", True),
    ]
    for audience, kind, value, preferred in channels:
        ContactChannel.objects.create(
            practitioner=practitioner,
            audience=audience,
            kind=kind,
            value=value,
            preferred=preferred,
            hours="9h-12h en semaine" if kind == Kind.PROFESSIONAL_LINE else "",
        )
    today = timezone.localdate()
    Absence.objects.create(
        practitioner=practitioner,
        starts_on=today - datetime.timedelta(days=1),
        ends_on=today + datetime.timedelta(days=6),
        replacement=Practitioner.objects.get(user=gp2),
    )
    PractitionerTool.objects.create(
        practitioner=practitioner,
        tool=DigitalTool.objects.get(slug="omnidoc"),
        uses=[ToolUse.TELEEXPERTISE],
        handle_or_link="dr-rousseau",
    )
    PractitionerTool.objects.create(
        practitioner=practitioner,
        tool=DigitalTool.objects.get(slug="doctolib"),
        uses=[ToolUse.APPOINTMENTS],
        handle_or_link="https://www.doctolib.fr/cardiologue/rousseau",
    )
    return practitioner


def test_the_public_sees_only_what_is_public(client, rousseau):
    response = client.get(_url(rousseau))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Chloé Rousseau" in page and "Cardiologie et maladies vasculaires" in page
    assert PUBLIC_PHONE in page and 'href="tel:+33251999999"' in page
    assert "https://rdv.example.fr/rousseau" in page
    assert "8 place du Marché" in page and "Lundi-vendredi 8h-19h" in page
    assert "Accessible en fauteuil roulant" in page
    for hidden in (PROFESSIONAL_LINE, MSSANTE, REGULATORS_LINE, PHARMACY_LINE, "Benali", "Absence"):
        assert hidden not in page
    # Tools: the booking one only; the tele-expertise handle is for colleagues.
    assert "Doctolib" in page and "Omnidoc" not in page


def test_a_professional_sees_the_professional_line_first_and_the_absence_with_its_replacement(
    signed_in, gp, gp2, rousseau
):
    page = signed_in(gp).get(_url(rousseau)).content.decode()

    assert PROFESSIONAL_LINE in page and 'href="tel:+33251000003"' in page
    assert page.index(PROFESSIONAL_LINE) < page.index(PUBLIC_PHONE)
    assert "À utiliser en premier" in page and "9h-12h en semaine" in page
    assert MSSANTE in page and f'data-copy="{MSSANTE}"' in page
    assert REGULATORS_LINE not in page and PHARMACY_LINE not in page
    replacement = Practitioner.objects.get(user=gp2)
    assert "Absence jusqu" in page
    assert f'href="{_url(replacement)}"' in page
    assert "Omnidoc" in page and "dr-rousseau" in page and "Télé-expertise".lower() in page.lower()


def test_a_regulator_sees_the_regulators_line_first(signed_in, regulator, rousseau):
    page = signed_in(regulator).get(_url(rousseau)).content.decode()

    assert REGULATORS_LINE in page and PROFESSIONAL_LINE in page
    assert page.index(REGULATORS_LINE) < page.index(PROFESSIONAL_LINE)
    assert "Absence jusqu" in page


def test_a_pharmacist_sees_the_line_for_pharmacies_and_labs(signed_in, territory, rousseau):
    pharmacy = PracticeFactory(name="Pharmacie du Centre", territory=territory)
    pharmacist = PractitionerFactory(
        first_name="Paul", last_name="Potard", territory=territory, profession=Profession.objects.get(code="21")
    )
    Activity.objects.create(practitioner=pharmacist, practice=pharmacy)
    user = UserFactory(email="pharmacie@cpts.test")
    role_grant_create(user=user, role=Role.PROFESSIONAL, practitioner=pharmacist)
    enrol_totp(user)

    page = signed_in(user).get(_url(rousseau)).content.decode()

    assert PHARMACY_LINE in page and page.index(PHARMACY_LINE) < page.index(PROFESSIONAL_LINE)
    assert REGULATORS_LINE not in page
    assert "Absence jusqu" in page


def test_the_page_shows_the_practice_and_the_details(client, rousseau):
    page = client.get(_url(rousseau)).content.decode()

    assert "Répond en télé-expertise" in page
    assert "ECG sur place" in page and "Échographies cardiaques le mardi." in page
    assert "anglais" in page and "espagnol" in page
    assert "Membre de la CPTS depuis mars 2023" in page
    assert "Numéro RPPS" in page and rousseau.rpps in page
    assert reverse("directory:practice_detail", args=[rousseau.practices.get().public_id]) in page
    assert "Fiche à vérifier" not in page


def test_a_gp_shows_whether_they_accept_new_patients(client, gp):
    practitioner = Practitioner.objects.get(user=gp)
    practitioner.accepting_new_patients = False
    practitioner.save()

    assert "accepte pas de nouveaux patients" in client.get(_url(practitioner)).content.decode()


def test_an_entry_unconfirmed_for_a_year_says_it_must_be_checked(client, rousseau):
    rousseau.last_confirmed_at = timezone.now() - datetime.timedelta(days=400)
    rousseau.save()

    page = client.get(_url(rousseau)).content.decode()

    assert "Fiche à vérifier" in page


def test_everyone_sees_report_an_error(client, signed_in, gp, rousseau):
    for browser in (client, signed_in(gp)):
        page = browser.get(_url(rousseau)).content.decode()
        assert "Signaler une erreur" in page
        assert reverse("directory:practitioner_report", args=[rousseau.public_id]) in page


def test_people_who_may_edit_see_the_edit_links(
    client, signed_in, cardiologist, cardio_secretary, coordinator, rousseau
):
    edit_url = reverse("directory:practitioner_edit", args=[rousseau.public_id])
    practice_edit_url = reverse("directory:practice_edit", args=[rousseau.practices.get().public_id])

    for editor in (cardiologist, cardio_secretary, coordinator):
        page = signed_in(editor).get(_url(rousseau)).content.decode()
        assert edit_url in page and practice_edit_url in page
        assert "Tout est à jour" in page


def test_others_see_no_edit_link(client, signed_in, gp, other_secretary, outsider, rousseau):
    edit_url = reverse("directory:practitioner_edit", args=[rousseau.public_id])

    assert edit_url not in client.get(_url(rousseau)).content.decode()
    for viewer in (gp, other_secretary, outsider):
        page = signed_in(viewer).get(_url(rousseau)).content.decode()
        assert edit_url not in page
        assert "Tout est à jour" not in page


def test_an_entry_without_account_offers_to_claim_it(client, territory):
    practitioner = PractitionerFactory(territory=territory)

    page = client.get(_url(practitioner)).content.decode()

    assert "Demander à la gérer" in page


def test_a_merged_duplicate_redirects_permanently_to_the_entry_kept(client, rousseau):
    duplicate_id = uuid.uuid4()
    PractitionerMerge.objects.create(kept=rousseau, merged_public_id=duplicate_id, merged_label="Rousseau (doublon)")

    response = client.get(reverse("directory:practitioner_detail", args=[duplicate_id]))

    assert response.status_code == 301
    assert response["Location"] == _url(rousseau)


def test_an_unknown_entry_is_not_found(client, db):
    response = client.get(reverse("directory:practitioner_detail", args=[uuid.uuid4()]))

    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()


@pytest.mark.parametrize("viewer", ["anonymous", "gp", "cardiologist", "cardio_secretary", "coordinator", "regulator"])
@pytest.mark.parametrize("extra", [0, 12])
def test_the_page_reads_the_same_number_of_queries_whatever_the_entry_holds(
    request, client, signed_in, territory, rousseau, django_assert_max_num_queries, viewer, extra
):
    for number in range(extra):
        site = PracticeFactory(name=f"Site {number}", territory=territory, opening_hours="8h-18h")
        Activity.objects.create(practitioner=rousseau, practice=site)
        ContactChannel.objects.create(
            practice=site, audience=Audience.PROFESSIONALS, kind=Kind.SECRETARY, value=f"+332510000{number:02d}"
        )
        ContactChannel.objects.create(
            practitioner=rousseau, audience=Audience.PUBLIC, kind=Kind.PHONE, value=f"+332519000{number:02d}"
        )
        Absence.objects.create(
            practitioner=rousseau,
            starts_on=timezone.localdate() + datetime.timedelta(days=30 + number),
            ends_on=timezone.localdate() + datetime.timedelta(days=30 + number),
            replacement=PractitionerFactory(territory=territory),
        )
    for tool in DigitalTool.objects.exclude(slug__in=["omnidoc", "doctolib"])[:extra]:
        PractitionerTool.objects.create(practitioner=rousseau, tool=tool, uses=[ToolUse.REFERRALS])
    browser = client if viewer == "anonymous" else signed_in(request.getfixturevalue(viewer))

    with django_assert_max_num_queries(12):
        response = browser.get(_url(rousseau))

    assert response.status_code == 200
    assert response.content.decode().count('href="tel:') >= 1 + extra  # every channel was shown

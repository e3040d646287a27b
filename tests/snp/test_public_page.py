"""The public page "Soins non programmés près de chez vous": anyone types a commune and reads where and when the
offer is open this week and which number to call, never a patient, never a slot kept for professionals."""

import pytest

from directory.models import Commune
from snp.models import TerritoryLine
from snp.services import booking_create, slot_publish, slot_withdraw
from tests.snp.conftest import at, patient

URL = "/soins-non-programmes/pres-de-chez-vous/"


@pytest.fixture
def placed(gp_practice, territory, commune):
    """Alice's practice in La Roche-sur-Yon, the territory covering the commune, with its CPTS line."""
    gp_practice.commune = commune
    gp_practice.latitude, gp_practice.longitude = commune.latitude, commune.longitude
    gp_practice.address = "12 rue des Tilleuls"
    gp_practice.save()
    territory.communes.add(commune)
    TerritoryLine.objects.create(territory=territory, phone="+33251000099", hours="8h-20h en semaine")
    return gp_practice


def test_anyone_reads_where_and_when_the_offer_is_open_and_whom_to_call(client, gp, placed, commune):
    slot_publish(acting_user=gp, start=at(1, 11, 30), duration_minutes=20, audiences=["sas"])
    slot_publish(acting_user=gp, start=at(1, 11, 50), duration_minutes=20, audiences=["cpts_line"])

    response = client.get(URL, {"commune": "85191"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Maison de santé des Tilleuls" in page and "12 rue des Tilleuls" in page
    assert "11:30 \u2013 12:10" in page  # two slots in a row read as one opening
    assert "02 51 00 00 99" in page and "tel:+33251000099" in page
    assert "Appelez le 15" in page


def test_the_page_names_no_patient_and_no_slot_kept_for_professionals(client, gp, placed, commune, regulator):
    booked = slot_publish(acting_user=gp, start=at(1, 9), duration_minutes=20, audiences=["sas"])
    booking_create(
        acting_user=regulator,
        slot=booked,
        patient=patient(commune, family_name="Zébulon"),
        reason_category="pain",
        contact_consent=True,
    )
    slot_publish(acting_user=gp, start=at(2, 14), duration_minutes=20, audiences=["gps"])  # kept for the GPs
    withdrawn = slot_publish(acting_user=gp, start=at(3, 16), duration_minutes=20, audiences=["sas"])
    slot_withdraw(acting_user=gp, slot=withdrawn)

    page = client.get(URL, {"commune": "85191"}).content.decode()

    assert "Zébulon" not in page and "Durand" not in page
    assert "09:00 \u2013 09:20" in page  # booked or free, the opening is the offer
    assert "14:00" not in page
    assert "16:00" not in page


def test_a_commune_far_from_every_site_is_told_whom_to_call(client, gp, placed):
    slot_publish(acting_user=gp, start=at(1, 11, 30), duration_minutes=20, audiences=["sas"])
    far = Commune.objects.get_or_create(
        insee_code="67482",
        defaults={"name": "Strasbourg", "postal_codes": ["67000"], "latitude": 48.58, "longitude": 7.75},
    )[0]

    page = client.get(URL, {"commune": far.insee_code}).content.decode()

    assert "Aucune consultation non programmée n'est annoncée" in page
    assert "Maison de santé des Tilleuls" not in page


def test_an_unknown_commune_gets_a_french_message_and_a_400(client, placed):
    response = client.get(URL, {"commune": "Zzyzx"})

    assert response.status_code == 400
    assert "Commune inconnue : « Zzyzx »" in response.content.decode()


def test_the_page_reads_in_a_fixed_number_of_queries(client, gp, placed, django_assert_max_num_queries):
    for day in range(1, 7):
        for hour in (9, 11, 14, 17):
            slot_publish(acting_user=gp, start=at(day, hour), duration_minutes=20, audiences=["sas"])

    with django_assert_max_num_queries(8):
        response = client.get(URL, {"commune": "85191"})
    assert response.status_code == 200

"""The coordinator's SNP pages: the no-shows to call back (« Rappel fait », « Injoignable »), their morning e-mail,
the monthly report of unfilled slots per professional with its tariffs (CSV, XLSX), the neighbouring territories
the offer is shared with, and the month's statistics, which observers read too, without any patient."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import AccessLog
from accounts.roles import Role
from core.errors import ApplicationError
from directory.services import role_grant_create
from notifications.models import OutboundMessage
from notifications.services import message_render
from snp.models import SharedOffer, UnfilledSlotTariff
from snp.selectors import month_figures
from snp.services import (
    booking_create,
    booking_recall_record,
    recall_digests_send,
    shared_offer_add,
)
from snp.statistics import month_statistics
from tests.factories import TerritoryFactory
from tests.snp.conftest import no_show, patient

pytestmark = pytest.mark.django_db

RECALLS = "/soins-non-programmes/coordination/rappels/"
UNFILLED = "/soins-non-programmes/coordination/creneaux-non-pourvus/"
TARIFFS = "/soins-non-programmes/coordination/tarifs-creneaux-non-pourvus/"
SHARED = "/soins-non-programmes/coordination/territoires-voisins/"
STATISTICS = "/soins-non-programmes/statistiques/"


# --- Recalls ---------------------------------------------------------------------------------------------------


def test_the_coordinator_lists_the_no_shows_with_their_phone_and_the_read_is_logged(
    coordinator, regulator, gp, commune, signed_in
):
    booking = no_show(regulator, gp, commune)
    response = signed_in(coordinator).get(RECALLS)
    page = response.content.decode()
    assert response.status_code == 200
    assert "DURAND Jeanne" in page and "06 12 34 56 78" in page and 'href="tel:+33612345678"' in page
    assert "Douleur" not in page  # the reason stays with the practice
    row = AccessLog.objects.get(user=coordinator, subject_type="snp_booking")
    assert (row.action, row.subject_id, row.via) == ("read", str(booking.public_id), RECALLS)


def test_recall_done_and_unreachable_leave_the_list_and_the_filter_shows_them(
    coordinator, regulator, gp, commune, signed_in
):
    reached = no_show(regulator, gp, commune, hours_ago=2)
    unreachable = no_show(regulator, gp, commune, hours_ago=4, family_name="Martin", phone="0698765432")
    client = signed_in(coordinator)
    done = client.post(f"{RECALLS}{reached.public_id}/", {"recall": "done"})
    assert done.status_code == 302
    client.post(f"{RECALLS}{unreachable.public_id}/", {"recall": "unreachable"})
    reached.refresh_from_db()
    unreachable.refresh_from_db()
    assert (reached.recall, unreachable.recall) == ("done", "unreachable")
    to_do = client.get(RECALLS).content.decode()
    assert "DURAND" not in to_do and "MARTIN" not in to_do and "Personne à rappeler" in to_do
    handled = client.get(RECALLS, {"traites": "1"}).content.decode()
    assert "DURAND" in handled and "Rappelé" in handled and "MARTIN" in handled and "Injoignable" in handled
    # Each recall is in the access log as a change, by whom and through which service.
    changes = AccessLog.objects.filter(user=coordinator, action="update", subject_type="snp_booking")
    assert {row.subject_id for row in changes} == {str(reached.public_id), str(unreachable.public_id)}
    assert {row.via for row in changes} == {"snp.services.booking_recall_record"}
    # An unreachable patient reached later; a recall done stays done.
    assert client.post(f"{RECALLS}{unreachable.public_id}/", {"recall": "done"}).status_code == 302
    again = client.post(f"{RECALLS}{reached.public_id}/", {"recall": "unreachable"})
    assert again.status_code == 400 and "déjà été rappelé" in again.content.decode()


def test_a_bad_recall_outcome_is_a_french_400(coordinator, regulator, gp, commune, signed_in):
    booking = no_show(regulator, gp, commune)
    response = signed_in(coordinator).post(f"{RECALLS}{booking.public_id}/", {"recall": "to_do"})
    assert response.status_code == 400 and "Indiquez si le patient a été joint" in response.content.decode()
    booking.refresh_from_db()
    assert booking.recall == "to_do"


def test_another_territory_s_coordinator_gets_404_on_its_recall_and_does_not_list_it(
    neighbour_coordinator, regulator, gp, commune, signed_in
):
    booking = no_show(regulator, gp, commune)
    client = signed_in(neighbour_coordinator)
    assert client.post(f"{RECALLS}{booking.public_id}/", {"recall": "done"}).status_code == 404
    assert "DURAND" not in client.get(RECALLS).content.decode()
    with pytest.raises(ApplicationError) as refusal:
        booking_recall_record(acting_user=neighbour_coordinator, booking=booking, recall="done")
    assert refusal.value.code == "not_found"
    booking.refresh_from_db()
    assert booking.recall == "to_do"


def test_a_booking_that_is_no_no_show_has_no_recall(coordinator, regulator, gp, slot, commune, signed_in):
    booking = booking_create(
        acting_user=regulator, slot=slot, patient=patient(commune), reason_category="pain", contact_consent=False
    )
    assert signed_in(coordinator).post(f"{RECALLS}{booking.public_id}/", {"recall": "done"}).status_code == 404


def test_observers_regulators_and_professionals_get_403_on_the_coordination_pages(
    observer, regulator, gp, outsider, signed_in
):
    for user in (observer, regulator, gp, outsider):
        client = signed_in(user)
        for path in (RECALLS, UNFILLED, TARIFFS, SHARED, f"{UNFILLED}2026-01.csv", f"{UNFILLED}2026-01.xlsx"):
            assert client.get(path).status_code == 403, (user, path)


def test_signed_out_visitors_are_sent_to_sign_in(client, db):
    for path in (RECALLS, UNFILLED, STATISTICS):
        response = client.get(path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- The morning e-mail ----------------------------------------------------------------------------------------


def test_the_recall_digest_says_how_many_with_the_link_once_a_day_and_no_patient(
    coordinator, neighbour_coordinator, regulator, gp, commune
):
    assert recall_digests_send() == 0  # nobody to call back: nothing sent
    no_show(regulator, gp, commune, hours_ago=2)
    no_show(regulator, gp, commune, hours_ago=4, family_name="Martin")
    assert recall_digests_send() == 1
    assert recall_digests_send() == 0  # a second run the same day sends nothing
    message = OutboundMessage.objects.get(template="snp_recall_digest")
    assert message.recipient == coordinator.email  # not the neighbouring territory's coordinator
    rendered = message_render(message)
    assert "2 patients à rappeler" in rendered["subject"]
    assert "2 patients à rappeler" in rendered["text"] and RECALLS in rendered["text"]
    for word in ("Durand", "Martin", "Jeanne", "06 12", "+336", "Douleur", "douleur"):
        assert word not in rendered["text"] and word not in rendered["subject"]


def test_the_recall_digest_task_run_twice_sends_one_e_mail(coordinator, regulator, gp, commune, mailoutbox):
    from snp.tasks import send_recall_digests

    no_show(regulator, gp, commune)
    send_recall_digests.apply()
    send_recall_digests.apply()
    assert OutboundMessage.objects.filter(template="snp_recall_digest").count() == 1


def test_the_recall_digest_is_on_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["snp-recall-digests"]
    assert entry["task"] == "snp.tasks.send_recall_digests"


# --- A small known month: unfilled slots and statistics ----------------------------------------------------------


def test_the_month_s_statistics_on_a_known_data_set(known_month, territory):
    stats = month_statistics(territory_ids=[territory.pk], month=known_month)
    # Offered: every slot but the withdrawn one; filled: the honoured and the no-show.
    assert (stats.figures["slots_offered"], stats.figures["slots_booked"], stats.figures["slots_unfilled"]) == (6, 2, 4)
    by_day = {day.day: (row.offered, row.filled) for day, row in stats.days}
    assert stats.days[0][0] == known_month and stats.days[-1][0].month == known_month.month
    assert (by_day[1], by_day[3], by_day[4], by_day[5], by_day[7], by_day[2]) == (
        (1, 0),
        (2, 1),
        (1, 0),
        (1, 1),
        (1, 0),
        (0, 0),
    )
    assert sum(row.offered for _day, row in stats.days) == stats.figures["slots_offered"]
    assert sum(row.filled for _day, row in stats.days) == stats.figures["slots_booked"]
    audiences = {row.label: (row.offered, row.filled) for row in stats.audiences}
    assert audiences == {"SAS / 15": (5, 1), "Pharmaciens": (2, 1)}
    communes = {row.label: (row.offered, row.filled) for row in stats.communes}
    assert communes == {"La Roche-sur-Yon": (4, 1), "Les Sables-d'Olonne": (2, 1)}
    assert stats.median_delay == datetime.timedelta(hours=3) and stats.median_delay_hours == "3,0"
    assert stats.no_show_percent == "50"
    calls = {call_day.day.day: call_day.by_outcome for call_day in stats.calls if call_day.total}
    assert calls[3]["booked"] == 1 and calls[3]["advice"] == 1 and calls[5]["no_slot"] == 2
    assert sum(call_day.total for call_day in stats.calls) == stats.figures["calls"] == 4


def test_the_statistics_page_and_the_api_give_the_same_figures(known_month, coordinator, observer, signed_in):
    month = f"{known_month:%Y-%m}"
    api = signed_in(observer).get("/api/v1/snp/statistics/", {"month": month}).json()
    assert (
        month_figures(territory_ids=[coordinator.role_grants.get().territory_id], month=known_month)["slots_offered"]
        == api["slots_offered"]
    )
    page = signed_in(coordinator).get(STATISTICS, {"mois": month})
    text = page.content.decode()
    assert page.status_code == 200
    assert 'id="dashboard-chart-data"' in text and text.count("data-chart=") == 4
    assert f"<dt>Créneaux offerts</dt><dd>{api['slots_offered']}</dd>" in text
    assert "<dt>Créneaux pourvus</dt><dd>2</dd>" in text and "3,0 h" in text and "50 %" in text
    # Each chart's caption names the table that holds its figures.
    for table in ("Chaque jour", "Par public", "Par commune"):
        assert f">{table}</caption>" in text


def test_an_observer_reads_the_statistics_without_any_patient(known_month, observer, signed_in):
    response = signed_in(observer).get(STATISTICS, {"mois": f"{known_month:%Y-%m}"})
    text = response.content.decode()
    assert response.status_code == 200 and "Créneaux offerts" in text
    for word in ("Durand", "DURAND", "Jeanne", "+33612345678", "06 12 34 56 78", "Douleur"):
        assert word not in text
    assert 'href="/soins-non-programmes/coordination/rappels/"' not in text  # no coordinator's links
    assert not AccessLog.objects.filter(user=observer).exists()
    assert signed_in(observer).get(RECALLS).status_code == 403


def test_a_professional_gets_403_on_the_statistics(gp, signed_in):
    assert signed_in(gp).get(STATISTICS).status_code == 403


def test_a_month_out_of_the_picker_is_a_french_400(coordinator, signed_in):
    response = signed_in(coordinator).get(STATISTICS, {"mois": "1999-01"})
    assert response.status_code == 400
    assert signed_in(coordinator).get(UNFILLED, {"mois": "nope"}).status_code == 400


def test_the_unfilled_report_counts_each_professional_at_the_tariff_of_the_slot_s_day(
    known_month, coordinator, signed_in
):
    month = f"{known_month:%Y-%m}"
    client = signed_in(coordinator)
    page = client.get(UNFILLED, {"mois": month}).content.decode()
    assert "Alice Martin" in page and "Bob Benali" in page
    assert "80,00 €" in page and "1 sans tarif" in page

    exported = client.get(f"{UNFILLED}{month}.csv")
    assert exported.status_code == 200 and exported["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [
        "Mois",
        "Professionnel",
        "RPPS ou ADELI",
        "Créneaux non pourvus",
        "Dont sans tarif",
        "Montant (€)",
    ]
    by_name = {row[1]: row for row in rows[1:]}
    # Alice: the 1st (no tariff yet), the 3rd at 25 €, the 7th (its booking cancelled) at 30 €.
    alice = next(row for name, row in by_name.items() if "Martin" in name)
    bob = next(row for name, row in by_name.items() if "Benali" in name)
    assert alice[3:] == ["3", "1", "55,00"]
    assert bob[3:] == ["1", "0", "25,00"]
    assert rows[-1][1:] == ["Total", "", "4", "1", "80,00"]
    assert len(rows) == 4  # the neighbouring territory's slot is not there

    workbook = client.get(f"{UNFILLED}{month}.xlsx")
    assert workbook["Content-Disposition"].endswith(f'creneaux-non-pourvus-{month}.xlsx"')
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][3] == "Créneaux non pourvus"
    sheet_alice = next(row for row in values[1:] if "Martin" in row[1])
    assert sheet_alice[3:] == [3, 1, 55]
    assert values[-1][1] == "Total" and values[-1][3:] == [4, 1, 80]


def test_an_export_of_a_month_out_of_reach_is_404(coordinator, signed_in):
    assert signed_in(coordinator).get(f"{UNFILLED}1999-01.csv").status_code == 404


def test_the_neighbouring_coordinator_sees_none_of_it(known_month, neighbour_coordinator, signed_in):
    rows = signed_in(neighbour_coordinator).get(f"{UNFILLED}{known_month:%Y-%m}.csv").content.decode("utf-8-sig")
    lines = rows.strip().splitlines()
    assert len(lines) == 3 and "99,00" in lines[1]  # their own slot only, at their own tariff


# --- Tariffs ---------------------------------------------------------------------------------------------------


def test_the_coordinator_adds_a_dated_tariff_and_sees_the_table(coordinator, territory, signed_in):
    UnfilledSlotTariff.objects.create(territory=territory, valid_from=datetime.date(2024, 1, 1), amount_cents=2000)
    client = signed_in(coordinator)
    start = timezone.localdate() + datetime.timedelta(days=10)
    response = client.post(TARIFFS, {"amount": "27,50", "valid_from": start.isoformat()})
    assert response.status_code == 302
    tariff = UnfilledSlotTariff.objects.get(valid_from=start)
    assert (tariff.territory, tariff.amount_cents) == (territory, 2750)
    page = client.get(TARIFFS).content.decode()
    assert "27,50 €" in page and "20,00 €" in page and "à venir" in page and "tarif actuel" in page
    past = client.post(TARIFFS, {"amount": "30", "valid_from": "2020-01-01"})
    assert past.status_code == 400 and "aujourd&#x27;hui au plus tôt" in past.content.decode()
    zero = client.post(TARIFFS, {"amount": "0", "valid_from": start.isoformat()})
    assert zero.status_code == 400
    assert UnfilledSlotTariff.objects.count() == 2


# --- Shared offer ----------------------------------------------------------------------------------------------


def test_the_coordinator_shares_the_offer_with_a_neighbour_and_stops(
    coordinator, neighbour_coordinator, territory, neighbour_territory, signed_in
):
    client = signed_in(coordinator)
    added = client.post(SHARED, {"territory": territory.pk, "shares_with": neighbour_territory.pk})
    assert added.status_code == 302
    assert SharedOffer.objects.filter(territory=territory, shares_with=neighbour_territory).exists()
    page = client.get(SHARED).content.decode()
    assert "Partage ses créneaux avec" in page and "CPTS du Marais" in page
    # The neighbour sees who shares with it, and shares back on its own side.
    theirs = signed_in(neighbour_coordinator).get(SHARED).content.decode()
    assert "Reçoit les créneaux de" in theirs and "CPTS du Bocage" in theirs
    audited = AccessLog.objects.get(user=coordinator, subject_type="snp_shared_offer")
    assert (audited.action, audited.subject_id) == ("create", f"{territory.pk}:{neighbour_territory.pk}")

    # The neighbour's coordinator cannot remove Bocage's offer: 404.
    other = signed_in(neighbour_coordinator).post(
        f"{SHARED}retirer/", {"territory": territory.pk, "shares_with": neighbour_territory.pk}
    )
    assert other.status_code == 404
    removed = signed_in(coordinator).post(
        f"{SHARED}retirer/", {"territory": territory.pk, "shares_with": neighbour_territory.pk}
    )
    assert removed.status_code == 302
    assert not SharedOffer.objects.exists()
    assert AccessLog.objects.filter(user=coordinator, subject_type="snp_shared_offer", action="delete").count() == 1
    assert (
        signed_in(coordinator)
        .post(f"{SHARED}retirer/", {"territory": territory.pk, "shares_with": neighbour_territory.pk})
        .status_code
        == 404
    )


def test_sharing_with_itself_or_for_another_territory_is_refused(
    coordinator, territory, neighbour_territory, neighbour_coordinator, signed_in
):
    response = signed_in(coordinator).post(SHARED, {"territory": territory.pk, "shares_with": territory.pk})
    assert response.status_code == 400
    with pytest.raises(ApplicationError) as refusal:
        shared_offer_add(acting_user=neighbour_coordinator, territory=territory, shares_with=neighbour_territory)
    assert refusal.value.code == "not_found"
    assert not SharedOffer.objects.exists()


def test_amounts_are_decimal_euros(known_month, territory):
    from snp.selectors import unfilled_report

    report = unfilled_report(territory_ids=[territory.pk], month=known_month)
    assert (report.count, report.amount, report.without_tariff) == (4, Decimal("80"), 1)
    # The report and the month's figures (API, statistics, newsletter) count the same slots.
    assert month_figures(territory_ids=[territory.pk], month=known_month)["slots_unfilled"] == report.count


def test_the_recall_list_costs_the_same_queries_for_one_or_many(
    coordinator, regulator, gp, commune, signed_in, django_assert_max_num_queries
):
    client = signed_in(coordinator)
    no_show(regulator, gp, commune, hours_ago=2)
    with django_assert_max_num_queries(12) as one:
        client.get(RECALLS)
    for hours in (4, 6, 8, 10):
        no_show(regulator, gp, commune, hours_ago=hours)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get(RECALLS).content.decode().count("DURAND Jeanne") >= 5


def test_the_statistics_page_costs_a_fixed_number_of_queries(
    known_month, observer, signed_in, django_assert_max_num_queries
):
    client = signed_in(observer)
    with django_assert_max_num_queries(16):
        assert client.get(STATISTICS, {"mois": f"{known_month:%Y-%m}"}).status_code == 200


def test_someone_who_observes_two_territories_chooses_one_or_both(
    known_month, observer, neighbour_territory, signed_in
):
    role_grant_create(user=observer, role=Role.OBSERVER, territory=neighbour_territory)
    client = signed_in(observer)
    month = f"{known_month:%Y-%m}"
    both = client.get(STATISTICS, {"mois": month}).content.decode()
    assert "<dt>Créneaux offerts</dt><dd>7</dd>" in both  # the neighbour's slot too
    neighbour_only = client.get(STATISTICS, {"mois": month, "territoire": neighbour_territory.pk}).content.decode()
    assert "<dt>Créneaux offerts</dt><dd>1</dd>" in neighbour_only
    # A territory they do not observe: a French 400, and the figures of their own territories.
    other = TerritoryFactory(name="CPTS du Littoral", slug="littoral")
    refused = client.get(STATISTICS, {"mois": month, "territoire": other.pk})
    assert refused.status_code == 400 and "<dd>7</dd>" in refused.content.decode()


@pytest.mark.parametrize("path", [STATISTICS, UNFILLED, RECALLS, TARIFFS, SHARED])
def test_each_page_opens_on_this_month_without_any_choice(coordinator, signed_in, path):
    # As from the menu: no ?mois= (an unbound month form once answered 500 on the statistics).
    assert signed_in(coordinator).get(path).status_code == 200


def test_an_observer_opens_the_statistics_from_the_menu(observer, signed_in):
    assert signed_in(observer).get(STATISTICS).status_code == 200

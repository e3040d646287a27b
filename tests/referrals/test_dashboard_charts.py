"""The dashboard as it fits a phone and a desktop: a line for the 12 months and one for each month, every
specialty together (a request counted once even when its receiver has two specialties), the charts' figures in
the page as JSON with the tables as their text alternative, and a specialty filter in which no two options read
the same (the nomenclature's several codes of one discipline grouped under its name, each with its code)."""

import datetime
import json
import re
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from directory.models import Practitioner, Specialty
from directory.specialty_families import grouped_specialty_choices
from referrals.dashboard import referral_dashboard
from referrals.models import Referral
from referrals.services import referral_send
from tests.reference_data import ensure_reference_data
from tests.referrals.conftest import PATIENT

PARIS = ZoneInfo("Europe/Paris")
URL = "/demandes/tableau-de-bord/"


def _first_of_month(months_back: int) -> datetime.date:
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 - months_back
    return datetime.date(index // 12, index % 12 + 1, 1)


LAST_MONTH = _first_of_month(1)
THIS_MONTH = _first_of_month(0)


def _sent(referral, *, on: datetime.date, **changes):
    sent_at = datetime.datetime.combine(on, datetime.time(9), tzinfo=PARIS)
    delays = {name: sent_at + datetime.timedelta(days=days) for name, days in changes.items()}
    Referral.objects.filter(pk=referral.pk).update(sent_at=sent_at, **delays)


@pytest.fixture
def two_specialties(db, gp, cardiologist, dermato_practice):
    """The cardiologist holds both codes of cardiology (SM04 and SM73). Last month, two letters to her: one
    answered after 2 days with an appointment 10 days after sending, one answered after 4 days with an
    appointment after 20 days; this month, one letter to the dermatology practice."""
    ensure_reference_data()
    cardio = Practitioner.objects.get(user=cardiologist)
    cardio.specialties.add(Specialty.objects.get(code="SM73"))
    for first, appointment in ((2, 10), (4, 20)):
        letter = referral_send(
            acting_user=gp, kind="letter", recipient_practitioner=cardio, confirm_duplicate=True, **PATIENT
        )
        _sent(letter, on=LAST_MONTH.replace(day=10), first_response_at=first, appointment_at=appointment)
    to_practice = referral_send(
        acting_user=gp, kind="letter", recipient_practice=dermato_practice, confirm_duplicate=True, **PATIENT
    )
    _sent(to_practice, on=THIS_MONTH)
    return cardio


def test_the_twelve_months_count_each_request_once_when_its_receiver_has_two_specialties(two_specialties, coordinator):
    dashboard = referral_dashboard(coordinator)

    assert sorted((row.specialty or "", row.sent) for row in dashboard.totals) == [
        ("", 1),
        ("Cardiologie et maladies vasculaires", 2),
        ("Médecine cardiovasculaire", 2),
    ]
    overall = dashboard.overall
    assert (overall.sent, overall.accepted, overall.declined) == (3, 2, 0)
    assert overall.median_first_response == datetime.timedelta(days=3)  # 2 and 4 days, the third unanswered
    assert overall.median_appointment_delay == datetime.timedelta(days=15)
    assert dashboard.counted_twice


def test_each_month_has_its_line_oldest_first_months_without_requests_included(two_specialties, coordinator):
    monthly = referral_dashboard(coordinator).monthly

    assert [row.month for row in monthly] == [_first_of_month(back) for back in range(11, -1, -1)]
    by_month = {row.month: row for row in monthly}
    assert by_month[LAST_MONTH].sent == 2 and by_month[LAST_MONTH].acceptance_rate == 1
    assert by_month[THIS_MONTH].sent == 1 and by_month[THIS_MONTH].median_first_response is None
    empty = by_month[_first_of_month(5)]
    assert (empty.sent, empty.median_first_response, empty.acceptance_rate) == (0, None, None)


def test_with_a_specialty_chosen_the_lines_of_all_specialties_sum_up_that_one(two_specialties, coordinator):
    dashboard = referral_dashboard(coordinator, specialty=Specialty.objects.get(code="SM04"))

    assert [(row.specialty, row.sent) for row in dashboard.totals] == [("Cardiologie et maladies vasculaires", 2)]
    assert dashboard.overall.sent == 2 and not dashboard.counted_twice
    assert sum(row.sent for row in dashboard.monthly) == 2


def _chart_data(html: str) -> dict:
    script = re.search(r'<script id="dashboard-chart-data" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(script.group(1))


def test_the_page_carries_the_charts_figures_and_names_the_table_that_is_their_text_alternative(
    two_specialties, coordinator, signed_in
):
    html = signed_in(coordinator).get(URL).content.decode()

    data = _chart_data(html)
    assert len(data["months"]) == len(data["sent"]) == 12 and sum(data["sent"]) == 3
    assert data["first_response_days"][-2] == 3.0 and data["appointment_days"][-2] == 15.0
    assert data["specialties"][-1] == "Sans spécialité" and data["series"]["sent"] == "Envoyées"
    captions = [unescape(text) for text in re.findall(r'<caption id="[^"]+">(.*?)</caption>', html)]
    canvases = re.findall(r"<canvas [^>]*>", html)
    assert len(canvases) == 3
    for canvas in canvases:
        assert 'role="img"' in canvas and "aria-label=" in canvas
        described_by = re.search(r'aria-describedby="([^"]+)"', canvas).group(1)
        caption = re.search(rf'<figcaption id="{described_by}">(.*?)</figcaption>', html, re.S).group(1)
        table_name = re.search(r"tableau « (.*?) »", unescape(caption)).group(1)
        assert any(caption.startswith(table_name) for caption in captions), (table_name, captions)
    assert "vendor/chartjs/chart.umd.min.js" in html and "js/dashboard-charts.js" in html


def test_each_table_ends_with_its_totals_line(two_specialties, coordinator, signed_in):
    html = unescape(signed_in(coordinator).get(URL).content.decode())

    footers = re.findall(r"<tfoot>(.*?)</tfoot>", html, re.S)
    assert len(footers) == 3  # each month; each specialty; the detail by month and specialty
    months, specialties, detail = (re.sub(r"<[^>]+>|\s+", " ", footer).split() for footer in footers)
    assert months[:4] == ["12", "derniers", "mois", "3"]
    assert specialties[:3] == ["Toutes", "spécialités", "3"]
    assert detail[:6] == ["12", "derniers", "mois", "Toutes", "spécialités", "3"]
    assert "la ligne « Toutes spécialités » la compte une fois" in html


def test_the_filtered_fragment_brings_the_charts_figures_along(two_specialties, coordinator, signed_in):
    cardiology = Specialty.objects.get(code="SM04")

    response = signed_in(coordinator).get(URL, {"specialty": cardiology.pk}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and len(re.findall(r"<canvas ", html)) == 3
    assert sum(_chart_data(html)["sent"]) == 2


def test_a_refused_filter_says_why_inside_the_swapped_fragment(two_specialties, coordinator, signed_in):
    response = signed_in(coordinator).get(URL, {"specialty": "999999"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode() and "Spécialité :" in response.content.decode()


def test_no_two_specialty_options_read_the_same_and_one_discipline_is_grouped(db, coordinator, signed_in):
    ensure_reference_data()
    html = unescape(signed_in(coordinator).get(URL).content.decode())

    select = re.search(r'<select name="specialty".*?</select>', html, re.S).group(0)
    labels = re.findall(r"<option [^>]*>(.*?)</option>", select)
    assert len(labels) == len(set(labels)) == Specialty.objects.count() + 1  # and « Toutes »
    general = re.search(r'<optgroup label="Médecine générale">(.*?)</optgroup>', select, re.S).group(1)
    assert re.findall(r">(.*?)</option>", general) == [
        "Médecine générale (SM54)",
        "Qualifié en médecine générale (SM26)",
        "Spécialiste en médecine générale (SM53)",
    ]
    assert '<optgroup label="ORL">' in select and '<optgroup label="Endocrinologie">' in select
    assert ">Pédiatrie (SM40)</option>" in select


def test_a_code_of_a_grouped_discipline_is_still_a_valid_choice(two_specialties, coordinator, signed_in):
    qualified = Specialty.objects.get(code="SM26")

    assert signed_in(coordinator).get(URL, {"specialty": qualified.pk}).status_code == 200


def test_a_discipline_with_one_code_in_the_list_is_a_plain_option_in_french_order(db):
    specialties = [
        Specialty(pk=1, code="SM54", label="Médecine générale"),
        Specialty(pk=2, code="SM15", label="Dermatologie et vénéréologie"),
        Specialty(pk=3, code="SM99", label="Éducation thérapeutique"),
        Specialty(pk=4, code="SM34", label="ORL et chirurgie cervico-faciale"),
        Specialty(pk=5, code="SM39", label="Oto-rhino-laryngologie"),
    ]

    assert grouped_specialty_choices(specialties) == [
        (2, "Dermatologie et vénéréologie (SM15)"),
        (3, "Éducation thérapeutique (SM99)"),
        (1, "Médecine générale (SM54)"),
        ("ORL", [(4, "ORL et chirurgie cervico-faciale (SM34)"), (5, "Oto-rhino-laryngologie (SM39)")]),
    ]


def test_the_csv_ends_with_the_line_of_every_specialty_together(two_specialties, coordinator, signed_in):
    content = signed_in(coordinator).get(URL + "export.csv").content.decode("utf-8")

    last = content.strip().splitlines()[-1].split(";")
    assert last[:4] == ["12 derniers mois", "Toutes spécialités", "3", "3,0"]


def test_back_after_a_filter_gets_the_whole_page(two_specialties, coordinator, signed_in):
    response = signed_in(coordinator).get(URL, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html and 'hx-history="false"' in html and "HX-Request" in response["Vary"]

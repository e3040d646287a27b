"""Every spreadsheet the portal hands out comes from ``core.exports``: no cell typed by someone else runs as a
formula when a coordinator opens the file, real numbers stay numbers, French Excel reads the CSV."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from core.exports import (
    CSV_CONTENT_TYPE,
    XLSX_CONTENT_TYPE,
    csv_bytes,
    csv_response,
    is_formula_like,
    xlsx_bytes,
    xlsx_response,
)

# What OWASP lists (= + - @ tab CR), line feed, the full-width forms Excel also reads as formula signs, and
# the same behind spaces or quotes.
FORMULAS = [
    '=HYPERLINK("http://x","y")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "\uff1d1+1",
    "\uff0b1",
    "\uff0d1",
    "\uff201",
    " =1+1",
    '"=1+1"',
    "'=1+1",
]
HARMLESS = ["Cabinet du Port", "Dr Élodie Martin", "12 rue des Lilas", "", "a=b", "x-ray", "mail@cpts.test"]


def _csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith("\ufeff".encode())  # the BOM French Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(content.decode("utf-8")[1:], newline=""), delimiter=";"))


def _sheet(content: bytes):
    return load_workbook(io.BytesIO(content)).active


@pytest.mark.parametrize("text", FORMULAS)
def test_csv_text_that_a_spreadsheet_would_run_starts_with_an_apostrophe(text):
    rows = _csv_rows(csv_bytes([["Cabinet"], [text]]))

    assert rows == [["Cabinet"], ["'" + text]]


@pytest.mark.parametrize("text", HARMLESS)
def test_csv_ordinary_text_is_written_as_it_is(text):
    assert is_formula_like(text) is False
    assert _csv_rows(csv_bytes([[text]])) == [[text]]


@pytest.mark.parametrize("text", FORMULAS)
def test_xlsx_text_that_a_spreadsheet_would_run_is_a_text_cell_with_its_value_unchanged(text):
    cell = _sheet(xlsx_bytes([["Cabinet"], [text]], sheet_title="Essai"))["A2"]

    # A text cell is never evaluated; the quote prefix keeps it text when someone edits it.
    assert cell.data_type == "s" and cell.quotePrefix is True
    assert cell.value == text.replace("\r", "\n")  # XML reads a carriage return as a line feed


def test_xlsx_ordinary_text_has_no_quote_prefix():
    cell = _sheet(xlsx_bytes([["Cabinet du Port"]], sheet_title="Essai"))["A1"]

    assert cell.value == "Cabinet du Port" and cell.data_type == "s" and not cell.quotePrefix


def test_real_numbers_negative_included_stay_numbers():
    row = [-3, 12, -2.5, Decimal("-10.50")]

    assert _csv_rows(csv_bytes([row])) == [["-3", "12", "-2,5", "-10,50"]]  # decimal comma for French Excel
    sheet = _sheet(xlsx_bytes([row], sheet_title="Essai"))
    assert [cell.value for cell in sheet[1]] == [-3, 12, -2.5, -10.5]
    assert {cell.data_type for cell in sheet[1]} == {"n"}


def test_text_that_looks_like_a_negative_number_is_neutralised_as_text():
    assert _csv_rows(csv_bytes([["-3"]])) == [["'-3"]]


def test_csv_is_semicolon_separated_and_quotes_what_would_break_a_row():
    content = csv_bytes([["Nom", "Adresse"], ['Cabinet "Le Port"; Nord', "1 rue\nbis"]])

    assert content.decode("utf-8-sig").startswith("Nom;Adresse\r\n")
    assert _csv_rows(content)[1] == ['Cabinet "Le Port"; Nord', "1 rue\nbis"]


def test_dates_are_written_in_paris_time_the_french_way():
    at = datetime.datetime(2026, 3, 1, 23, 30, tzinfo=datetime.UTC)  # 00:30 on 2 March in Paris

    assert _csv_rows(csv_bytes([[at, at.date(), None]])) == [["02/03/2026 00:30", "01/03/2026", ""]]
    sheet = _sheet(xlsx_bytes([[at]], sheet_title="Essai"))
    assert sheet["A1"].value == datetime.datetime(2026, 3, 2, 0, 30)


def test_xlsx_drops_control_characters_instead_of_failing():
    sheet = _sheet(xlsx_bytes([["Cabinet\x01 du\x0b Port"]], sheet_title="Essai"))

    assert sheet["A1"].value == "Cabinet du Port"


def test_xlsx_header_is_frozen_and_sheet_title_made_acceptable_to_excel():
    sheet = _sheet(xlsx_bytes([["Nom"], ["Martin"]], sheet_title="Demandes en retard : 2026/03 [tout le territoire]"))

    assert sheet.freeze_panes == "A2"
    assert len(sheet.title) <= 31 and not set(sheet.title) & set("[]:*?/\\")


def test_responses_are_downloads_with_their_type_and_name():
    as_csv = csv_response([["Nom"]], filename="demandes-2026-03-01.csv")
    as_xlsx = xlsx_response([["Nom"]], filename="annuaire-2026-03-01.xlsx", sheet_title="Annuaire")

    assert as_csv["Content-Type"] == CSV_CONTENT_TYPE == "text/csv; charset=utf-8"
    assert as_csv["Content-Disposition"] == 'attachment; filename="demandes-2026-03-01.csv"'
    assert as_xlsx["Content-Type"] == XLSX_CONTENT_TYPE
    assert as_xlsx["Content-Disposition"] == 'attachment; filename="annuaire-2026-03-01.xlsx"'
    assert _sheet(as_xlsx.content)["A1"].value == "Nom"


def test_a_file_name_cannot_break_out_of_its_header():
    response = csv_response([["Nom"]], filename='a"; filename=evil.exe\r\nX: y.csv')

    assert "\r" not in response["Content-Disposition"] and response["Content-Disposition"].count('"') == 2


# --- The exports themselves ---------------------------------------------------------------------------------------


def test_the_directory_xlsx_export_keeps_a_formula_name_as_text(territory, coordinator, signed_in):
    from tests.factories import PractitionerFactory

    PractitionerFactory(territory=territory, last_name='=HYPERLINK("http://x","y")', first_name="Paul")

    response = signed_in(coordinator).get("/annuaire/export.xlsx", {"q": "Paul"})

    assert response.status_code == 200, response.content
    names = {row[0].value: row[0] for row in _sheet(response.content).iter_rows(min_row=2)}
    cell = names['=HYPERLINK("http://x","y")']
    assert cell.data_type == "s" and cell.quotePrefix is True


def test_the_overdue_csv_neutralises_a_practice_named_as_a_formula(gp, cardio_practice, coordinator, signed_in):
    from referrals.models import Referral
    from referrals.services import referral_send
    from tests.referrals.conftest import PATIENT

    cardio_practice.name = '=HYPERLINK("http://x","y")'
    cardio_practice.save(update_fields=["name"])
    referral = referral_send(acting_user=gp, kind="letter", recipient_practice=cardio_practice, **PATIENT)
    Referral.objects.filter(pk=referral.pk).update(due_at=timezone.now() - datetime.timedelta(days=2))

    response = signed_in(coordinator).get("/demandes/coordination/en-retard.csv")

    assert response.status_code == 200
    rows = _csv_rows(response.content)
    assert len(rows) == 2
    assert rows[1][3] == '\'=HYPERLINK("http://x","y")'
    assert not any(cell[:1] in "=+-@\t\r" for row in rows for cell in row if cell)

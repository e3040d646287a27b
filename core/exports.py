"""The one writer of spreadsheets the portal hands out (CSV and XLSX), and the Django responses that carry them.

Every export goes through here so that no cell can run as a formula when a coordinator opens the file: a
practice, a practitioner or a free-text field is typed by someone else, and ``=HYPERLINK(...)``, ``+cmd|...``,
``@SUM(...)`` or a leading tab or carriage return would otherwise be read by Excel or LibreOffice as a formula
(OWASP "CSV injection").

- Text that a spreadsheet could read as a formula is neutralised: in CSV it gets a leading apostrophe (the
  usual mitigation: the spreadsheet shows it as text); in XLSX it is written as a text cell with Excel's
  "quote prefix" flag, which keeps it text even when someone edits the cell, without a visible apostrophe.
- Real numbers (``int``, ``float``, ``Decimal``) stay numbers, negatives included: a number cannot carry a
  formula, and a total of ``-3`` must stay summable. Text that merely looks like a negative number (``"-3"``)
  is neutralised like any other text: the caller chose text, and the cost is one apostrophe.
- CSV is semicolon-separated UTF-8 with a byte order mark, decimals with a comma: what French Excel opens
  without mangling accents or reading ``12.5`` as a date.
"""

import csv
import datetime
import io
import re
from collections.abc import Iterable
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# What makes a spreadsheet evaluate a cell: the formula signs, and the characters Excel skips before them
# (a leading tab, carriage return or line feed), with their full-width forms, which Excel accepts as well.
_FORMULA_STARTS = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
# Spaces and quotes before a formula sign do not always stop it (``" =1+1"``, ``"\"=1+1"`` once unquoted):
# they are looked through.
_LOOKED_THROUGH = " \u00a0\"'"
_WIDEST_COLUMN = 50
_FILENAME_UNSAFE = re.compile(r"[^\w.\-]+")


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet could read this text as a formula (or a DDE command)."""
    return text[:1] in _FORMULA_STARTS or text.lstrip(_LOOKED_THROUGH)[:1] in _FORMULA_STARTS


def _is_number(value) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _local(value):
    """Aware datetimes in Europe/Paris without their offset: what a reader expects and what XLSX can store."""
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return timezone.localtime(value).replace(tzinfo=None)
    return value


def csv_cell(value) -> str | int:
    """One CSV cell: numbers as numbers (decimal comma), dates the French way, text neutralised."""
    value = _local(value)
    if value is None:
        return ""
    if _is_number(value):
        return value if isinstance(value, int) else str(value).replace(".", ",")
    if isinstance(value, datetime.datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    text = str(value)
    return "'" + text if is_formula_like(text) else text


def csv_bytes(rows: Iterable[Iterable]) -> bytes:
    """The rows (the header first) as semicolon-separated UTF-8 with a BOM, every cell through ``csv_cell``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(rows: Iterable[Iterable], *, sheet_title: str) -> bytes:
    """The rows (the header first, frozen) as one XLSX sheet: numbers and dates typed, text as text cells
    that never run as formulas, columns as wide as their content (up to 50 characters)."""
    workbook = Workbook()
    sheet = workbook.active
    # Excel refuses sheet titles over 31 characters or with []:*?/\ .
    sheet.title = re.sub(r"[\[\]:*?/\\]", " ", str(sheet_title))[:31] or "Export"
    widths: dict[int, int] = {}
    for row_index, row in enumerate(rows, start=1):
        for column_index, value in enumerate(row, start=1):
            value = _local(value)
            cell = sheet.cell(row=row_index, column=column_index)
            if value is None or _is_number(value) or isinstance(value, datetime.date):
                cell.value = value
            else:
                # openpyxl would store "=..." as a formula: the text is set, then typed as text.
                text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
                cell.value = text
                cell.data_type = "s"
                if is_formula_like(text):
                    cell.quotePrefix = True
            shown = "" if value is None else str(value)
            widths[column_index] = max(widths.get(column_index, 0), min(len(shown), _WIDEST_COLUMN))
    for column_index, width in widths.items():
        sheet.column_dimensions[get_column_letter(column_index)].width = width + 2
    sheet.freeze_panes = "A2"
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    # The name is ours (a prefix and a date), never user input; kept to safe characters all the same.
    response["Content-Disposition"] = f'attachment; filename="{_FILENAME_UNSAFE.sub("-", filename)}"'
    return response


def csv_response(rows: Iterable[Iterable], *, filename: str) -> HttpResponse:
    """A download of ``csv_bytes(rows)`` named ``filename``."""
    return _attachment(csv_bytes(rows), CSV_CONTENT_TYPE, filename)


def xlsx_response(rows: Iterable[Iterable], *, filename: str, sheet_title: str) -> HttpResponse:
    """A download of ``xlsx_bytes(rows)`` named ``filename``."""
    return _attachment(xlsx_bytes(rows, sheet_title=sheet_title), XLSX_CONTENT_TYPE, filename)

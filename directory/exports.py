"""Search results as a spreadsheet, for coordinators: one row per practitioner, the columns a coordinator
works with (identity, nearest site, the channel to use first, freshness)."""

import csv
import io
from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from directory.selectors import SearchResults


def _columns() -> list[str]:
    return [
        _("Nom"),
        _("Prénom"),
        _("RPPS"),
        _("ADELI"),
        _("Profession"),
        _("Spécialités"),
        _("Cabinet le plus proche"),
        _("Adresse"),
        _("Code postal"),
        _("Commune"),
        _("Distance (km)"),
        _("Joindre d'abord"),
        _("Coordonnée"),
        _("Nouveaux patients"),
        _("Télé-expertise"),
        _("Fiche confirmée le"),
        _("À vérifier"),
    ]


def _yes_no(value: bool | None) -> str:
    if value is None:
        return ""
    return _("oui") if value else _("non")


def result_rows(results: SearchResults) -> Iterable[list]:
    """The header then one list of cell values per practitioner, in the order of the results."""
    yield _columns()
    for practitioner in results.practitioners:
        practice = practitioner.nearest_practice
        channel = practitioner.first_channel
        confirmed = practitioner.last_confirmed_at
        yield [
            practitioner.last_name,
            practitioner.first_name,
            practitioner.rpps or "",
            practitioner.adeli or "",
            practitioner.profession.label if practitioner.profession else "",
            ", ".join(specialty.label for specialty in practitioner.specialties.all()),
            practice.name if practice else "",
            practice.address if practice else "",
            (practice.commune.postal_codes[0] if practice.commune and practice.commune.postal_codes else "")
            if practice
            else "",
            (practice.commune.name if practice.commune else practice.city) if practice else "",
            round(practitioner.distance_km, 1) if practitioner.distance_km is not None else "",
            channel.get_kind_display() if channel else "",
            channel.display_value if channel else "",
            _yes_no(practitioner.accepting_new_patients),
            _yes_no(practitioner.answers_teleexpertise),
            timezone.localtime(confirmed).date().isoformat() if confirmed else "",
            _yes_no(practitioner.is_stale),
        ]


def _safe_cell(value):
    """A cell a spreadsheet will not run: text starting with = + - @ is a formula to Excel and LibreOffice."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def as_csv(rows: Iterable[list]) -> bytes:
    """Semicolon-separated UTF-8 with a BOM: what French Excel opens without mangling accents."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    for row in rows:
        writer.writerow([_safe_cell(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def as_xlsx(rows: Iterable[list]) -> bytes:
    workbook = Workbook(write_only=False)
    sheet = workbook.active
    sheet.title = _("Annuaire")
    widths: dict[int, int] = {}
    for row in rows:
        sheet.append([_safe_cell(value) for value in row])
        for index, value in enumerate(row, start=1):
            widths[index] = max(widths.get(index, 0), min(len(str(value)), 50))
    for index, width in widths.items():
        sheet.column_dimensions[get_column_letter(index)].width = width + 2
    sheet.freeze_panes = "A2"
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()

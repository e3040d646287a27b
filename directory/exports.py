"""Search results as a spreadsheet, for coordinators: one row per practitioner, the columns a coordinator
works with (identity, nearest site, the channel to use first, freshness).
Written by ``core.exports``, the one writer that keeps cells from running as formulas."""

from collections.abc import Iterable

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from core import exports
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


# The formats of ``/annuaire/export.<format>``.
FORMATS = ("csv", "xlsx")


def search_results_response(results: SearchResults, file_format: str) -> HttpResponse:
    """The results as a download, ``annuaire-<date>.csv`` or ``.xlsx``, through the portal's one formula-safe
    writer (``core.exports``)."""
    filename = f"annuaire-{timezone.localdate():%Y-%m-%d}.{file_format}"
    if file_format == "xlsx":
        return exports.xlsx_response(result_rows(results), filename=filename, sheet_title=_("Annuaire"))
    return exports.csv_response(result_rows(results), filename=filename)

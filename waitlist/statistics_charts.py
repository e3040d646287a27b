"""What the statistics' charts draw, for ``json_script`` (``static/js/waitlist-charts.js``): the figures of the
tables beside them, which are their text alternative. Labels are translated here, so the script holds no French.
A suppressed figure is ``null`` (no bar), never its value."""

from django.utils.formats import date_format
from django.utils.translation import gettext as _

CHART_COMMUNES = 15  # the communes drawn on the statistics' bar chart (all are in the table)


def _month_label(month) -> str:
    return date_format(month, "N Y")  # "juin 2026", "juil. 2026": "M" gives "Jui" and "Jul"


def public_chart_data(report) -> dict:
    return {
        "months": [_month_label(month) for month, _signed, _matched in report.series],
        "signed_up": [signed.value if signed.shown else None for _m, signed, _matched in report.series],
        "matched": [matched.value if matched.shown else None for _m, _signed, matched in report.series],
        "levels": report.levels,
        "waiting_by_level": [cell.value if cell.shown else None for cell in report.totals[:-1]],
        "series": {"signed_up": _("Inscrits"), "matched": _("Médecin trouvé"), "waiting": _("En attente")},
    }


def statistics_chart_data(stats) -> dict:
    communes = [row for row in stats.communes if row.waiting][:CHART_COMMUNES]
    return {
        "months": [_month_label(point.month) for point in stats.series],
        "signed_up": [point.signed_up for point in stats.series],
        "matched": [point.matched for point in stats.series],
        "levels": stats.levels,
        "waiting_by_level": stats.waiting_by_level,
        "communes": [row.name for row in communes],
        "commune_waiting": [row.waiting for row in communes],
        "series": {"signed_up": _("Inscrits"), "matched": _("Médecin trouvé"), "waiting": _("En attente")},
    }

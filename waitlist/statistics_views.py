"""The waiting list's figures as pages: the public monthly report (anyone; every cell under 10 people suppressed,
cached for the month), the statistics of the coordination and of the observers (aggregates, never an entry), and
the coordinator's CSV/XLSX downloads (aggregated rows only).

Thin: parse with ``waitlist.statistics_forms``, read with ``waitlist.statistics``, render.
"""

from django.core.cache import cache
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.access import permission_required, public
from core.exports import csv_response, xlsx_response
from waitlist.maps import MapPlace, communes_map
from waitlist.permissions import can_coordinate_waitlist, can_see_waitlist_statistics
from waitlist.scope import waitlist_actor_for
from waitlist.statistics import (
    export_rows_by_month,
    export_rows_queue,
    list_statistics,
    public_lists,
    public_report,
    statistics_lists_for,
)
from waitlist.statistics_charts import public_chart_data, statistics_chart_data
from waitlist.statistics_forms import ExportForm, StatisticsChoiceForm

# A past month's report changes only when an erasure or a late answer moves a figure: kept for hours. The current
# month's is kept for minutes. Redis down: every request computes it (the cache answers as empty).
PAST_MONTH_CACHE_SECONDS = 6 * 3600
CURRENT_MONTH_CACHE_SECONDS = 10 * 60


def public_report_cache_key(waiting_list, month) -> str:
    return f"waitlist:public-report:v1:{waiting_list.pk}:{month:%Y-%m}"


def cached_public_report(*, waiting_list, month):
    key = public_report_cache_key(waiting_list, month)
    report = cache.get(key)
    if report is None:
        report = public_report(waiting_list=waiting_list, month=month)
        current = month == timezone.localdate().replace(day=1)
        cache.set(key, report, timeout=CURRENT_MONTH_CACHE_SECONDS if current else PAST_MONTH_CACHE_SECONDS)
    return report


def _public_map(report):
    places = []
    for row in report.rows:
        if len(row.communes) != 1:
            continue  # the communes under 10 are the map's faint dots
        commune = row.communes[0]
        places.append(
            MapPlace(
                name=commune.name,
                latitude=commune.latitude,
                longitude=commune.longitude,
                count=row.total.value if row.total.shown else 0,
                suppressed=not row.total.shown,
                shown_as=row.total.display,
            )
        )
    return communes_map(places=places, background=report.background)


@public
@require_GET
def public_report_page(request):
    """The month's report of one list: people waiting by commune and level, sign-ups and matches, a map."""
    # The last complete month by default: the current one is still moving.
    form = StatisticsChoiceForm(request.GET or None, lists=public_lists(), default_month_back=1)
    waiting_list = form.waiting_list
    report = cached_public_report(waiting_list=waiting_list, month=form.month) if waiting_list else None
    context = {
        "form": form,
        "report": report,
        "map": _public_map(report) if report else None,
        "chart_data": public_chart_data(report) if report else None,
        "current_month": form.month == timezone.localdate().replace(day=1),
    }
    return render(request, "waitlist/public_report.html", context, status=400 if form.errors else 200)


def _statistics_map(stats):
    places = [
        MapPlace(
            name=row.name,
            latitude=row.latitude,
            longitude=row.longitude,
            count=row.waiting,
            suppressed=False,
            shown_as=str(row.waiting),
        )
        for row in stats.communes
        if row.waiting
    ]
    return communes_map(places=places, background=stats.background, public=False)


@permission_required(can_see_waitlist_statistics)
@require_GET
@never_cache
def statistics(request):
    """The figures of the lists the user coordinates or observes: aggregates, never an entry."""
    actor = waitlist_actor_for(request.user)
    form = StatisticsChoiceForm(request.GET or None, lists=statistics_lists_for(actor))
    waiting_list = form.waiting_list
    stats = list_statistics(waiting_list=waiting_list, month=form.month) if waiting_list else None
    context = {
        "form": form,
        "stats": stats,
        "map": _statistics_map(stats) if stats else None,
        "chart_data": statistics_chart_data(stats) if stats else None,
        "coordinates": waiting_list is not None and waiting_list.pk in actor.coordinated_list_ids,
    }
    return render(request, "waitlist/statistics.html", context, status=400 if form.errors else 200)


@permission_required(can_coordinate_waitlist)
@require_GET
@never_cache
def statistics_export(request):
    """A coordinator's download of a list they coordinate; another list is 404, as if it did not exist."""
    actor = waitlist_actor_for(request.user)
    lists = [wl for wl in statistics_lists_for(actor) if wl.pk in actor.coordinated_list_ids]
    form = ExportForm(request.GET, lists=lists)
    if not form.is_valid() or form.waiting_list is None:
        if "liste" in form.errors:
            raise Http404
        return render(request, "waitlist/statistics_export_error.html", {"form": form}, status=400)
    waiting_list, month = form.waiting_list, form.month
    if form.cleaned_data["quoi"] == "mois":
        rows = export_rows_by_month(waiting_list=waiting_list, month=month)
        name = f"liste-attente-{waiting_list.slug}-{month:%Y-%m}"
    else:
        rows = export_rows_queue(waiting_list=waiting_list)
        name = f"liste-attente-{waiting_list.slug}-file-{timezone.localdate():%Y-%m-%d}"
    if form.cleaned_data["format"] == "csv":
        return csv_response(rows, filename=f"{name}.csv")
    return xlsx_response(rows, filename=f"{name}.xlsx", sheet_title=waiting_list.name)

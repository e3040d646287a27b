"""The rendering's measures, yielded by ``newsletter.benchmarks.run`` (``manage.py benchmark newsletter``), in a
throwaway database (``<name>_bench_newsletter_render``):

- ``render_issue_200_items_ms``: an issue of 200 items (Markdown with a table and links) rendered as the web
  fragment and the e-mail (CSS inlined, text part), median of 5 runs: at most 1,500 ms;
- ``render_pdf_200_items_ms``: the same issue's PDF (WeasyPrint), one run: at most 15,000 ms;
- ``queries_archive_page``, ``queries_issue_page_10_items``, ``queries_issue_page_200_items``: SQL queries of
  /lettre/ and of a public issue's page: at most 12 and the same for 10 or 200 items.
"""

import datetime
import statistics
import time
from collections.abc import Iterator

from django.db import DEFAULT_DB_ALIAS, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.benchmarks import at_most, benchmark_client_settings, figure
from directory.benchmarks.databases import throwaway_database
from directory.models import Territory
from newsletter.models import Edition, Issue, Item, Section
from newsletter.rendering import render_email, render_pdf, render_web
from newsletter.selectors.issues import public_issue

BENCH_DATABASE_SUFFIX = "_bench_newsletter_render"
BODY = (
    "Le **Dr Martin** rejoint la [maison de santé](https://example.org/msp) le 3 du mois.\n\n"
    "- consultations le mardi\n- téléconsultation le jeudi\n\n| jour | heures |\n| --- | --- |\n| mardi | 9h-12h |"
)


def _issue(territory, month, items: int) -> Issue:
    issue = Issue.objects.create(
        territory=territory,
        month=month,
        edition=Edition.PUBLIC,
        title=f"Lettre de {items} éléments",
        editorial="Bonjour à **toutes et tous**.",
        status=Issue.Status.SENT,
        sent_at=timezone.now(),
    )
    sections = [Section.NEWS, Section.EVENTS, Section.ARRIVALS, Section.DEPARTURES]
    Item.objects.bulk_create(
        Item(issue=issue, section=sections[i % 4], position=i, title=f"Élément {i}", body=BODY) for i in range(items)
    )
    return issue


def _queries(client, url) -> int:
    with CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


def run() -> Iterator[dict]:
    with throwaway_database(BENCH_DATABASE_SUFFIX), benchmark_client_settings():
        territory = Territory.objects.create(name="CPTS de mesure", slug="mesure-lettre")
        small = _issue(territory, datetime.date(2026, 1, 1), 10)
        big = _issue(territory, datetime.date(2026, 2, 1), 200)
        loaded = public_issue(big.public_id)
        render_web(loaded)  # templates compiled once, as in a running server
        timings = []
        for _ in range(5):
            loaded = public_issue(big.public_id)
            started = time.perf_counter()
            render_web(loaded)
            render_email(loaded, unsubscribe_url="https://portail.example/lettre/desinscription/x/")
            timings.append((time.perf_counter() - started) * 1000)
        yield figure("render_issue_200_items_ms", statistics.median(timings), "ms (web + e-mail)", at_most(1500))
        started = time.perf_counter()
        render_pdf(public_issue(big.public_id))
        yield figure("render_pdf_200_items_ms", (time.perf_counter() - started) * 1000, "ms", at_most(15000))
        client = Client()
        yield figure("queries_archive_page", _queries(client, reverse("newsletter:archive")), "requêtes", at_most(12))
        for issue, count in ((small, 10), (big, 200)):
            url = reverse("newsletter:issue_public", args=[issue.public_id])
            yield figure(f"queries_issue_page_{count}_items", _queries(client, url), "requêtes", at_most(12))

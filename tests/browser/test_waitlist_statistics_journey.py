"""Issue 13, at 390 and 1280 px: someone without an account opens last month's public report of the waiting list,
reads the people waiting by commune and level (nothing under 10 shown), the map of the communes drawn on the
page (no tile, nothing fetched elsewhere), its legend and the charts, then picks another month. The coordinator
reads the statistics with exact figures and downloads twelve months by commune and level."""

import datetime
import re
from pathlib import Path

from django.utils import timezone
from playwright.sync_api import expect

from directory.models import Commune
from tests.browser.steps import AuthenticatorApp, enter_authenticator_code, sign_in_with_password
from tests.browser.test_csp import LISTEN_JS, Violations
from tests.conftest import totp_secret_of
from tests.factories import PractitionerFactory, TerritoryFactory
from tests.waitlist.statistics_support import entries_bulk, pledge_of, proposals_answered
from waitlist.models import Proposal
from waitlist.services.common import waiting_list_of_territory
from waitlist.statistics import first_of_month, month_bounds

# (INSEE code, people at levels 0, 1, 2): four communes of 10 or more, the others under.
QUEUE = {
    "85191": (64, 21, 8),  # La Roche-sur-Yon
    "85194": (30, 12, 3),  # Les Sables-d'Olonne
    "85047": (18, 6, 0),  # Challans
    "85109": (11, 0, 0),  # Les Herbiers
    "85128": (4, 2, 0),  # Luçon
    "85092": (3, 0, 0),  # Fontenay-le-Comte
}
DAYS_9 = datetime.timedelta(days=9)


def test_someone_reads_the_public_report_and_its_map(page, context, visit, shot, viewport, artifacts_dir):
    context.add_init_script(LISTEN_JS)
    violations = Violations().watch(page)
    territory = TerritoryFactory(name="CPTS de Vendée", slug="vendee")
    territory.communes.set(Commune.objects.filter(department="85"))
    waiting_list = waiting_list_of_territory(territory)
    month = first_of_month(timezone.localdate(), 1)
    since = month_bounds(month)[0] + datetime.timedelta(days=3)
    for insee, counts in QUEUE.items():
        commune = Commune.objects.get(insee_code=insee)
        for level, count in enumerate(counts):
            if count:
                entries_bulk(waiting_list, commune, count, waiting_since=since, level=level)
    gp = PractitionerFactory(territory=territory)
    matched = list(waiting_list.entries.filter(commune_id="85191", priority_level=0)[:12])
    proposals_answered(
        pledge_of(gp, waiting_list),
        matched,
        status=Proposal.Status.ACCEPTED,
        answered_at=since + datetime.timedelta(days=9),
    )

    visit("/liste-attente/rapport/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Rapport mensuel de la liste d'attente")
    summary = page.locator("dl.key-figures")
    expect(summary).to_contain_text("En attente en fin de mois")
    expect(summary).to_contain_text("170")  # 182 signed up, 12 of them matched
    expect(summary).to_contain_text("12")

    table = page.get_by_role("table", name="Personnes en attente par commune")
    expect(table).to_contain_text("La Roche-sur-Yon")
    expect(table).to_contain_text("Autres communes")
    for text in table.locator("td").all_inner_texts():
        assert text in ("< 10", "masqué") or int(text.replace("\u202f", "")) >= 10, text

    # The map: an SVG of the communes, one titled circle per commune of 10 or more, a legend; no image fetched.
    figure = page.locator("figure.waitlist-map")
    expect(figure.locator("svg[role='img']")).to_be_visible()
    circles = figure.locator("g.waitlist-map-commune")
    expect(circles).to_have_count(4)
    titles = figure.locator("g.waitlist-map-commune > title").all_text_contents()
    assert "La Roche-sur-Yon : 81 personnes en attente" in titles
    expect(figure.get_by_role("list", name="Légende de la carte")).to_contain_text("10 à 49 personnes")
    box = figure.locator("svg[role='img']").bounding_box()
    width = page.viewport_size["width"]
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    figure.scroll_into_view_if_needed()
    figure.screenshot(path=artifacts_dir / f"{viewport}-carte-seule.png")
    shot("carte")

    # The charts are drawn, each described by a table.
    page.wait_for_function(
        "() => window.Chart && [...document.querySelectorAll('canvas[data-chart]')]"
        ".every((canvas) => window.Chart.getChart(canvas))"
    )
    for canvas in page.locator("canvas[data-chart]").all():
        expect(page.locator(f"#{canvas.get_attribute('aria-describedby')}")).to_contain_text("tableau")
    expect(page.get_by_role("heading", name="Comment les petits chiffres sont protégés")).to_be_visible()
    shot("rapport")

    # Another month: three months ago nobody had signed up yet.
    earlier = first_of_month(timezone.localdate(), 3)
    page.get_by_label("Mois", exact=True).select_option(f"{earlier:%Y-%m}")
    page.get_by_role("button", name="Afficher").click()
    expect(page).to_have_url(re.compile(rf"mois={earlier:%Y-%m}"))
    expect(page.locator("dl.key-figures")).to_contain_text("< 10")
    shot("mois-precedent")
    assert violations.found == [], "\n".join(violations.found)


def test_the_coordinator_reads_the_statistics_and_downloads_them(
    page, context, visit, shot, viewport, password, coordinator, artifacts_dir
):
    context.add_init_script(LISTEN_JS)
    violations = Violations().watch(page)
    territory = coordinator.role_grants.get().territory
    territory.communes.set(Commune.objects.filter(department="85"))
    waiting_list = waiting_list_of_territory(territory)
    month = first_of_month(timezone.localdate(), 1)
    since = month_bounds(month)[0] + datetime.timedelta(days=3)
    for insee, counts in QUEUE.items():
        commune = Commune.objects.get(insee_code=insee)
        for level, count in enumerate(counts):
            if count:
                entries_bulk(waiting_list, commune, count, waiting_since=since, level=level)

    visit("/accounts/login/")
    sign_in_with_password(page, coordinator.email, password)
    enter_authenticator_code(page, AuthenticatorApp(totp_secret_of(coordinator)).code())
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bonjour")
    visit(f"/liste-attente/statistiques/?mois={month:%Y-%m}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Statistiques de la liste d'attente")
    expect(page.locator("dl.key-figures")).to_contain_text("182")
    expect(page.get_by_role("table", name="Par commune")).to_contain_text("Luçon")
    titles = page.locator("figure.waitlist-map g.waitlist-map-commune > title").all_text_contents()
    assert "Luçon : 6 personnes en attente" in titles  # exact figures here, for the coordination
    page.wait_for_function(
        "() => window.Chart && [...document.querySelectorAll('canvas[data-chart]')]"
        ".every((canvas) => window.Chart.getChart(canvas))"
    )
    page.locator("figure.waitlist-map").screenshot(path=artifacts_dir / f"{viewport}-carte-statistiques.png")
    shot("statistiques")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="12 mois par commune et niveau (CSV)").click()
    download = download_info.value
    assert download.suggested_filename == f"liste-attente-{waiting_list.slug}-{month:%Y-%m}.csv"
    lines = Path(download.path()).read_text(encoding="utf-8-sig").splitlines()
    assert f"{month:%Y-%m};85128;Luçon;Standard;4;0;4" in lines
    assert violations.found == [], "\n".join(violations.found)

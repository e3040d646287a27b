"""Issue 12, at 390 and 1280 px: the coordinator calls back a patient who did not come and marks the recall done;
opens last month's report of unfilled slots and downloads its CSV; reads the month's statistics, whose charts are
drawn, each described by the table that holds its figures; nothing the CSP refuses on the way."""

import csv
import io
import re
from pathlib import Path

from playwright.sync_api import expect

from snp.models import Booking
from tests.browser.steps import AuthenticatorApp, enter_authenticator_code, sign_in_with_password
from tests.browser.test_csp import LISTEN_JS, Violations
from tests.conftest import totp_secret_of
from tests.factories import CommuneFactory
from tests.snp.conftest import gp_entry, known_month, neighbour_territory, no_show  # noqa: F401 (fixtures)

RECALLS = "/soins-non-programmes/coordination/rappels/"
UNFILLED = "/soins-non-programmes/coordination/creneaux-non-pourvus/"
STATISTICS = "/soins-non-programmes/statistiques/"


def _charts_drawn(page) -> int:
    return page.evaluate(
        "() => [...document.querySelectorAll('canvas[data-chart]')].filter((c) => window.Chart.getChart(c)).length"
    )


def test_the_coordinator_calls_back_reads_the_report_and_the_statistics(
    page,
    context,
    visit,
    shot,
    audit,
    viewport,
    password,
    coordinator,
    regulator,
    gp,
    known_month,  # noqa: F811
):
    context.add_init_script(LISTEN_JS)
    violations = Violations().watch(page)
    missed = no_show(regulator, gp, CommuneFactory())
    visit("/accounts/login/")
    sign_in_with_password(page, coordinator.email, password)
    enter_authenticator_code(page, AuthenticatorApp(totp_secret_of(coordinator)).code())
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bonjour")

    # The recall list: today's no-show and last month's, with the numbers to call.
    visit(RECALLS)
    expect(page.get_by_role("heading", level=1)).to_have_text("Patients à rappeler")
    table = page.get_by_role("region", name="Patients à rappeler")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table.get_by_role("link", name=re.compile("Appeler DURAND Jeanne")).first).to_have_attribute(
        "href", "tel:+33612345678"
    )
    shot("rappels")
    first = table.locator("tbody tr").first
    first.get_by_role("button", name=re.compile("^Rappel fait")).click()
    expect(page.get_by_role("status")).to_contain_text("Rappel enregistré : rappelé")
    expect(page.get_by_role("region", name="Patients à rappeler").locator("tbody tr")).to_have_count(1)
    missed.refresh_from_db()
    assert missed.recall == Booking.Recall.DONE  # the latest missed visit is listed first
    page.get_by_role("link", name="Rappels traités").click()
    expect(page.get_by_role("region", name="Rappels traités")).to_contain_text("Rappelé")
    shot("rappels-traites")

    # Last month's unfilled slots, then its CSV.
    month = f"{known_month:%Y-%m}"
    visit(f"{UNFILLED}?mois={month}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Créneaux non pourvus")
    report = page.locator("#unfilled-table")
    expect(report.locator("tbody tr")).to_have_count(2)
    expect(report.locator("tfoot")).to_contain_text("80,00 €")
    shot("creneaux-non-pourvus")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Télécharger (CSV)").click()
    download = download_info.value
    assert download.suggested_filename == f"creneaux-non-pourvus-{month}.csv"
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8-sig")), delimiter=";"))
    assert rows[-1][1:] == ["Total", "", "4", "1", "80,00"]

    # The statistics of that month: four charts drawn, each caption naming its table.
    visit(f"{STATISTICS}?mois={month}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Statistiques des soins non programmés")
    page.wait_for_function("() => window.Chart && document.querySelectorAll('canvas[data-chart]').length === 4")
    assert _charts_drawn(page) == 4
    for canvas in page.locator("canvas[data-chart]").all():
        caption = page.locator(f"#{canvas.get_attribute('aria-describedby')}")
        expect(caption).to_contain_text("tableau")
    expect(page.get_by_role("table", name="Chaque jour").locator("tfoot")).to_contain_text("6")
    expect(page.get_by_role("table", name="Par public")).to_contain_text("Pharmaciens")
    expect(page.get_by_role("table", name="Par commune")).to_contain_text("Les Sables-d'Olonne")
    shot("statistiques")
    if viewport == "desktop":
        overflowing = page.evaluate(
            """() => [...document.querySelectorAll('.dashboard-box')]
                 .filter((box) => box.scrollWidth > box.clientWidth + 1).map((box) => box.querySelector('table').id)"""
        )
        assert overflowing == [], overflowing

    # The tariffs behind the amounts, and the neighbouring territories, from the pages' own links.
    page.get_by_role("navigation", name="Coordination des soins non programmés").get_by_role(
        "link", name="Tarifs"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tarifs des créneaux non pourvus")
    expect(page.get_by_role("main")).to_contain_text("30,00 €")
    shot("tarifs")
    page.get_by_role("navigation", name="Coordination des soins non programmés").get_by_role(
        "link", name="Territoires voisins"
    ).click()
    page.get_by_label("Territoire voisin", exact=True).select_option(label="CPTS du Marais")
    page.get_by_role("button", name="Partager nos créneaux").click()
    expect(page.get_by_role("status")).to_contain_text("partage désormais ses créneaux avec CPTS du Marais")
    shot("territoires-voisins")
    assert violations.found == [], "\n".join(violations.found)

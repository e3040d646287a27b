"""The demo coordinator opens the referral dashboard on a phone and on a desktop, with a year of requests to ten
specialties: the key figures first, then charts whose text alternative is the table their caption names, every
table inside its box at 1280 px, the phone page under 3,000 px; choosing a specialty redraws the charts without
reloading the page, and no two options of the filter read the same."""

import datetime
import itertools
import re
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from directory.models import Practitioner
from referrals.models import Referral
from referrals.services import referral_send
from tests.browser.steps import sign_in_with_password
from tests.browser.test_csp import LISTEN_JS, Violations
from tests.referrals.conftest import PATIENT

PARIS = ZoneInfo("Europe/Paris")
URL = "/demandes/tableau-de-bord/"
PHONE_PAGE_HEIGHT_LIMIT = 3000


def _first_of_month(months_back: int) -> datetime.date:
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 - months_back
    return datetime.date(index // 12, index % 12 + 1, 1)


@pytest.fixture
def demo_year(settings, db):
    """The demo territory, plus a year of letters from the demo GP to one specialist of each specialty of the
    territory (two to five a month each, answered after 1 to 6 days, most given an appointment, some declined)."""
    from cpts_portal.demo import DEMO_PASSWORD, seed_demo

    settings.DEMO_MODE = True
    seed_demo()
    gp = User.objects.get(email="generaliste@demo.cpts.test")
    territory = Practitioner.objects.get(user=gp).territory
    specialists = {}
    for entry in Practitioner.objects.filter(territory=territory, specialties__isnull=False).exclude(
        specialties__code="SM54"
    ):
        specialists.setdefault(entry.specialties.first().code, entry)
    assert len(specialists) >= 8, specialists
    counts = itertools.cycle([2, 3, 5, 4])
    for months_back in range(12):
        for index, entry in enumerate(specialists.values()):
            for number in range(next(counts)):
                referral = referral_send(
                    acting_user=gp, kind="letter", recipient_practitioner=entry, confirm_duplicate=True, **PATIENT
                )
                sent_at = datetime.datetime.combine(
                    _first_of_month(months_back).replace(day=3 + number), datetime.time(9), tzinfo=PARIS
                )
                changes = {"sent_at": sent_at, "first_response_at": sent_at + datetime.timedelta(days=1 + index % 6)}
                if number % 4 == 3:
                    changes["decline_reason"] = "Hors de notre champ"
                else:
                    changes["appointment_at"] = sent_at + datetime.timedelta(days=8 + 3 * index + months_back)
                Referral.objects.filter(pk=referral.pk).update(**changes)
    return DEMO_PASSWORD


def _charts_drawn(page) -> int:
    return page.evaluate(
        "() => [...document.querySelectorAll('canvas[data-chart]')].filter((c) => window.Chart.getChart(c)).length"
    )


def test_coordinator_reads_the_dashboard_charts_and_tables_at_both_widths(
    page, context, visit, shot, audit, viewport, demo_year
):
    context.add_init_script(LISTEN_JS)
    violations = Violations().watch(page)
    visit("/accounts/login/")
    sign_in_with_password(page, "coordinateur@demo.cpts.test", demo_year)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bonjour Sophie")

    visit(URL)
    expect(page.get_by_role("heading", level=1)).to_have_text("Tableau de bord des demandes")
    summary = page.get_by_role("region", name="Sur les 12 derniers mois")
    expect(summary).to_contain_text("Demandes envoyées")
    expect(summary).to_contain_text("Acceptation")
    expect(page.locator("canvas[data-chart]")).to_have_count(3)
    page.wait_for_function("() => window.Chart && document.querySelectorAll('canvas[data-chart]').length === 3")
    assert _charts_drawn(page) == 3
    # Each chart's description names the table that holds its figures, and that table is on the page.
    for canvas in page.locator("canvas[data-chart]").all():
        caption = page.locator(f"#{canvas.get_attribute('aria-describedby')}")
        expect(caption).to_contain_text("tableau")
    months = page.get_by_role("table", name="Chaque mois, toutes spécialités")
    expect(months.locator("tbody tr")).to_have_count(12)
    expect(months.locator("tfoot")).to_contain_text("12 derniers mois")
    expect(page.get_by_role("table", name="Par spécialité", exact=True).locator("tfoot")).to_contain_text(
        "Toutes spécialités"
    )
    shot("tableau-de-bord")

    # The filter: no two options read the same; the three codes of general medicine grouped under its name.
    labels = page.locator("#id_specialty option").all_inner_texts()
    assert len(labels) == len(set(labels)), labels
    expect(page.locator("#id_specialty optgroup[label='Médecine générale'] option")).to_have_count(3)

    if viewport == "phone":
        height = page.evaluate("() => document.documentElement.scrollHeight")
        assert height < PHONE_PAGE_HEIGHT_LIMIT, height
    page.get_by_text("Détail par mois et par spécialité").click()
    detail = page.get_by_role("table", name="Chiffres par mois et par spécialité")
    expect(detail).to_be_visible()
    if viewport == "desktop":
        # Every column inside the page: no table wider than its box.
        overflowing = page.evaluate(
            """() => [...document.querySelectorAll('.dashboard-box')]
                 .filter((box) => box.scrollWidth > box.clientWidth + 1).map((box) => box.querySelector('table').id)"""
        )
        assert overflowing == []
    detail.scroll_into_view_if_needed()
    audit()
    shot("detail-ouvert")

    # A specialty: the figures and the charts are swapped in without reloading the page.
    page.get_by_label("Spécialité", exact=True).select_option(label="Cardiologie et maladies vasculaires (SM04)")
    expect(page).to_have_url(re.compile(r"specialty=\d+"))
    expect(page.get_by_role("table", name="Par spécialité", exact=True).locator("tbody tr")).to_have_count(1)
    expect(page.get_by_role("table", name="Par spécialité", exact=True)).to_contain_text(
        "Cardiologie et maladies vasculaires"
    )
    page.wait_for_function(
        "() => [...document.querySelectorAll('canvas[data-chart]')].every((c) => window.Chart.getChart(c))"
    )
    page.locator("#dashboard-table").scroll_into_view_if_needed()
    audit()
    shot("cardiologie")

    # Back: every specialty again, its charts drawn anew, and nothing the CSP refuses on the way.
    page.go_back()
    expect(page.get_by_role("table", name="Par spécialité", exact=True).locator("tfoot")).to_contain_text(
        "Toutes spécialités"
    )
    page.wait_for_function(
        "() => [...document.querySelectorAll('canvas[data-chart]')].every((c) => window.Chart.getChart(c))"
    )
    assert violations.found == [], "\n".join(violations.found)

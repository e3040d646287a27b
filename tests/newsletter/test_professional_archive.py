# ruff: noqa: F811 (the fixtures imported from render_helpers are requested by name)
"""The professional edition on the site: the territory's professionals (signed in) read its sent issues and
their PDF; the public archive never shows it; someone of another territory, or without a role, gets 404."""

import pytest
from django.urls import reverse

from newsletter.models import Edition, Issue
from tests.newsletter.render_helpers import neighbour_coordinator, sent_issue  # noqa: F401
from tests.newsletter.subscribers_helpers import page_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def professional_issue(territory):
    return sent_issue(territory, edition=Edition.PROFESSIONAL, title="La lettre des pros de novembre")


def test_a_gp_of_the_territory_reads_the_professional_issues(signed_in, gp, professional_issue, territory):
    draft = Issue.objects.create(
        territory=territory, month=professional_issue.month.replace(month=12), edition=Edition.PROFESSIONAL
    )
    client = signed_in(gp)
    archive = page_text(client.get(reverse("newsletter:professional_archive")))
    assert "La lettre des pros de novembre" in archive
    page = client.get(reverse("newsletter:professional_issue", args=[professional_issue.public_id]))
    assert page.status_code == 200 and "Actualité 0" in page_text(page)
    pdf = client.get(reverse("newsletter:professional_issue_pdf", args=[professional_issue.public_id]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert client.get(reverse("newsletter:professional_issue", args=[draft.public_id])).status_code == 404


def test_the_public_and_other_territories_never_see_it(
    client, signed_in, outsider, neighbour_coordinator, professional_issue
):
    url = reverse("newsletter:professional_issue", args=[professional_issue.public_id])
    assert "La lettre des pros" not in page_text(client.get(reverse("newsletter:archive")))
    assert client.get(reverse("newsletter:issue_public", args=[professional_issue.public_id])).status_code == 404
    assert client.get(url).status_code == 302  # to sign in
    assert signed_in(outsider).get(url).status_code == 404
    assert signed_in(neighbour_coordinator).get(url).status_code == 404

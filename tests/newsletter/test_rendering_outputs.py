# ruff: noqa: F811 (the fixtures imported from render_helpers are requested by name)
"""One source for the web page, the e-mail and the PDF: Markdown rendered and sanitised, the e-mail's CSS
inlined with its dark-mode block and a plain-text part, the PDF readable; images checked to be images; the
public archive and feed show the sent public issues only."""

import io
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from core.errors import ApplicationError
from newsletter.models import Edition, Issue, Item, Section, StoredImage
from newsletter.rendering import markdown_html, render_email, render_pdf, render_web
from newsletter.selectors.issues import public_issue
from newsletter.services.images import MAX_WIDTH, image_store
from tests.newsletter.render_helpers import MONTH, neighbour_coordinator, sent_issue  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


def png(width=1600, height=800) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 110, 80)).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    "markdown",
    [
        "<script>alert(1)</script> bonjour",
        '<img src="x" onerror="alert(1)">',
        "[clic](javascript:alert(1))",
        '![x](https://example.org/a.png "t" onerror=alert(1))',
    ],
)
def test_markdown_with_a_script_or_an_onerror_is_sanitised(markdown):
    tags = TagCollector()
    tags.feed(markdown_html(markdown))
    assert "script" not in tags.names
    assert not [name for name, _ in tags.attributes if name.startswith("on")]
    assert not [value for _, value in tags.attributes if value and value.strip().lower().startswith("javascript")]


class TagCollector(HTMLParser):
    """The tags and attributes a browser would see (text that merely reads "onerror" is harmless)."""

    def __init__(self):
        super().__init__()
        self.names, self.attributes = [], []

    def handle_starttag(self, tag, attrs):
        self.names.append(tag)
        self.attributes.extend(attrs)


def test_markdown_keeps_its_formatting():
    html = markdown_html("# Titre\n\n**gras** et [lien](https://example.org)\n\n- un\n- deux")
    assert "<h3>Titre</h3>" in html and "<strong>gras</strong>" in html
    assert '<a href="https://example.org" rel="noopener">lien</a>' in html and "<li>un</li>" in html


def test_email_has_inlined_styles_a_dark_mode_block_a_text_part_and_the_unsubscribe_link(territory):
    issue = public_issue(sent_issue(territory, items=3).public_id)
    subject, html, text = render_email(issue, unsubscribe_url="https://portail.test/lettre/desinscription/abc/")
    assert subject == "La lettre de novembre"
    assert 'class="nl-title" style="' in html  # inlined by css-inline
    assert "@media (prefers-color-scheme: dark)" in html and 'name="color-scheme"' in html
    assert "https://portail.test/lettre/desinscription/abc/" in html
    assert "<strong>toutes et tous</strong>" in html
    assert "Actualité 2" in text and "https://portail.test/lettre/desinscription/abc/" in text and "<" not in text
    assert "<img" not in html  # no tracking pixel


def test_left_out_items_are_not_rendered(territory):
    issue = sent_issue(territory, items=2)
    Item.objects.filter(issue=issue, title="Actualité 1").update(included=False)
    web = render_web(public_issue(issue.public_id))
    assert "Actualité 0" in web and "Actualité 1" not in web


def test_pdf_reads_back_with_the_title_and_an_item(territory):
    issue = public_issue(sent_issue(territory, items=3).public_id)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(render_pdf(issue))).pages)
    assert "La lettre de novembre" in text and "Actualité 1" in text


def test_an_image_is_resized_once_and_rendered_everywhere(coordinator, territory):
    stored = image_store(acting_user=coordinator, upload=io.BytesIO(png()), alt_text="La salle")
    assert (stored.width, stored.height) == (MAX_WIDTH, 600)
    assert Image.open(stored.file.path).size == (MAX_WIDTH, 600)
    issue = sent_issue(territory, items=1)
    Item.objects.filter(issue=issue).update(image=stored)
    issue = public_issue(issue.public_id)
    assert 'alt="La salle"' in render_web(issue)
    assert "http" in render_email(issue, unsubscribe_url="https://x.test/u")[1].split('alt="La salle"')[0][-200:]
    assert len(PdfReader(io.BytesIO(render_pdf(issue))).pages) >= 1


def test_a_file_that_is_not_an_image_is_refused_in_french(coordinator):
    with pytest.raises(ApplicationError) as refused:
        image_store(acting_user=coordinator, upload=io.BytesIO(b"%PDF-1.4 not an image"), alt_text="x")
    assert "n'est pas une image" in refused.value.message
    assert not StoredImage.objects.exists()


def test_image_upload_page_refuses_a_non_image_with_a_400(signed_in, coordinator, territory):
    issue = Issue.objects.create(territory=territory, month=MONTH, edition=Edition.PUBLIC, title="Brouillon")
    item = Item.objects.create(issue=issue, section=Section.NEWS, title="Actu")
    url = reverse("newsletter:coordination_image_upload", args=[issue.public_id])
    client = signed_in(coordinator)
    bad = client.post(url, {"item": item.pk, "alt_text": "x", "file": SimpleUploadedFile("a.png", b"<?php echo 1;")})
    assert bad.status_code == 400 and "n&#x27;est pas une image" in bad.content.decode()
    good = client.post(url, {"item": item.pk, "alt_text": "Photo", "file": SimpleUploadedFile("a.png", png(200, 100))})
    assert good.status_code == 302
    item.refresh_from_db()
    assert item.image.width == 200


def test_previews_of_web_email_and_pdf_for_the_coordinator(signed_in, coordinator, territory, neighbour_coordinator):
    issue = Issue.objects.create(territory=territory, month=MONTH, edition=Edition.PUBLIC, title="Brouillon de déc.")
    Item.objects.create(issue=issue, section=Section.NEWS, title="Actu du mois", body="<script>x</script>ok")
    client = signed_in(coordinator)
    url = reverse("newsletter:coordination_preview", args=[issue.public_id])
    email = client.get(url, {"vue": "email", "largeur": "telephone"})
    assert (
        email.status_code == 200 and "srcdoc=" in email.content.decode() and "nl-frame-phone" in email.content.decode()
    )
    assert "<script>x" not in email.content.decode()
    web = client.get(url, {"vue": "web"})
    assert "Actu du mois" in web.content.decode() and "<script>x" not in web.content.decode()
    pdf = client.get(reverse("newsletter:coordination_preview_pdf", args=[issue.public_id]))
    assert pdf["Content-Type"] == "application/pdf"
    assert signed_in(neighbour_coordinator).get(url).status_code == 404


# --- The public archive and feed ---------------------------------------------------------------------------------


def test_archive_shows_sent_public_issues_never_the_professional_edition_nor_drafts(client, territory):
    sent_issue(territory, title="Public de novembre")
    sent_issue(territory, edition=Edition.PROFESSIONAL, title="Pros de novembre")
    Issue.objects.create(territory=territory, month=MONTH.replace(month=12), edition=Edition.PUBLIC, title="Brouillon")
    page = client.get(reverse("newsletter:archive")).content.decode()
    assert "Public de novembre" in page and "Pros de novembre" not in page and "Brouillon" not in page
    professional = Issue.objects.get(edition=Edition.PROFESSIONAL)
    draft = Issue.objects.get(title="Brouillon")
    for issue in (professional, draft):
        assert client.get(reverse("newsletter:issue_public", args=[issue.public_id])).status_code == 404
        assert client.get(reverse("newsletter:issue_pdf", args=[issue.public_id])).status_code == 404


def test_anyone_reads_a_public_issue_and_downloads_its_pdf(client, territory):
    issue = sent_issue(territory, items=2)
    page = client.get(reverse("newsletter:issue_public", args=[issue.public_id]))
    assert page.status_code == 200 and "Actualité 1" in page.content.decode()
    pdf = client.get(reverse("newsletter:issue_pdf", args=[issue.public_id]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_feed_is_atom_with_the_sent_public_issues_only(client, territory):
    sent_issue(territory, title="Public de novembre")
    sent_issue(territory, edition=Edition.PROFESSIONAL, title="Pros de novembre")
    response = client.get(reverse("newsletter:feed"))
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)  # noqa: S314 (our own response)
    assert root.tag == f"{ATOM}feed"
    titles = [entry.find(f"{ATOM}title").text for entry in root.findall(f"{ATOM}entry")]
    assert titles == ["Public de novembre"]
    assert root.find(f"{ATOM}entry/{ATOM}id").text.startswith("urn:uuid:")


def test_archive_and_issue_pages_make_a_constant_number_of_queries(client, territory, django_assert_max_num_queries):
    small = sent_issue(territory, items=10)
    big = sent_issue(territory, month=MONTH.replace(month=10), items=200, title="Octobre")
    for issue in (small, big):
        with django_assert_max_num_queries(6):
            assert client.get(reverse("newsletter:issue_public", args=[issue.public_id])).status_code == 200
    with django_assert_max_num_queries(6):
        assert client.get(reverse("newsletter:archive")).status_code == 200

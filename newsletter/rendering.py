"""One source for the web page, the e-mail and the PDF of an issue: the templates under
``newsletter/templates/newsletter/render/`` (``_body.html`` holds the issue; ``web.html``, ``email.html`` and
``pdf.html`` frame it, ``email.txt`` is the plain-text alternative).

Markdown is rendered by markdown-it-py (CommonMark, raw HTML off) and then sanitised by nh3 (ammonia): no
``<script>``, no event attribute, only http(s)/mailto links. The e-mail's CSS is inlined by css-inline, its
``<style>`` block kept for the dark mode (``prefers-color-scheme``). No tracking pixel, no link rewriting.
"""

from dataclasses import dataclass, field
from pathlib import Path

import css_inline
import nh3
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from markdown_it import MarkdownIt

from newsletter.models import Issue, Item, Section

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
ALLOWED_TAGS = {
    "p", "br", "strong", "em", "a", "ul", "ol", "li", "h3", "h4", "blockquote", "code", "pre", "hr", "img",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"style"},
    "td": {"style"},
}
_inliner = css_inline.CSSInliner(keep_style_tags=True, load_remote_stylesheets=False)


def markdown_html(text: str) -> str:
    """Markdown to HTML that is safe to show anywhere."""
    html = _markdown.render(text or "")
    # Headings written in an item sit under the item's own title.
    html = html.replace("<h1>", "<h3>").replace("</h1>", "</h3>").replace("<h2>", "<h3>").replace("</h2>", "</h3>")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener",
    )


@dataclass
class RenderedItem:
    item: Item
    html: str
    image_src: str = ""


@dataclass
class RenderedSection:
    key: str
    label: str
    items: list[RenderedItem] = field(default_factory=list)


def _image_src(item: Item, target: str) -> str:
    if item.image_id is None or not item.image.file:
        return ""
    if target == "pdf":
        return Path(item.image.file.path).as_uri()
    if target == "email":
        return settings.SITE_URL + item.image.file.url
    return item.image.file.url


def issue_sections(issue: Issue, *, target: str = "web") -> list[RenderedSection]:
    """The included items in their sections, in the letter's order, each rendered once."""
    sections = {key: RenderedSection(key, label) for key, label in Section.choices}
    for item in issue.items.all():  # prefetched by the selectors, in position order
        if not item.included:
            continue
        sections[item.section].items.append(
            RenderedItem(item=item, html=mark_safe(markdown_html(item.body)), image_src=_image_src(item, target))  # noqa: S308 (sanitised by nh3)
        )
    return [section for section in sections.values() if section.items]


def _context(issue: Issue, target: str, **extra) -> dict:
    return {
        "issue": issue,
        "editorial_html": mark_safe(markdown_html(issue.editorial)),  # noqa: S308 (sanitised by nh3)
        "sections": issue_sections(issue, target=target),
        "target": target,
        "site_url": settings.SITE_URL,
        **extra,
    }


def render_web(issue: Issue) -> str:
    """The issue's HTML fragment for the portal's page (inside the site's layout)."""
    return render_to_string("newsletter/render/_body.html", _context(issue, "web"))


def render_email(issue: Issue, *, unsubscribe_url: str) -> tuple[str, str, str]:
    """``(subject, html, text)`` of the issue's e-mail; the footer links ``unsubscribe_url``."""
    context = _context(issue, "email", unsubscribe_url=unsubscribe_url)
    html = _inliner.inline(render_to_string("newsletter/render/email.html", context))
    text = render_to_string("newsletter/render/email.txt", context)
    return issue.title, html, text


def render_pdf(issue: Issue) -> bytes:
    from weasyprint import HTML  # imported on first use: it loads fonts, which web starts skip

    html = render_to_string("newsletter/render/pdf.html", _context(issue, "pdf"))
    return HTML(string=html, base_url=str(settings.MEDIA_ROOT)).write_pdf()

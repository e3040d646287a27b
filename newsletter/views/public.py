"""The public archive of the letter (/lettre/): the sent issues of the public edition, newest first, each one's
page and PDF to print for a waiting room, and the Atom feed. The professional edition and the drafts are never
there (404)."""

from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from core.access import authenticated, public
from core.pages import fetch_or_404
from newsletter import rendering
from newsletter.selectors.issues import professional_archive, professional_issue, public_archive, public_issue

ARCHIVE_PAGE_SIZE = 24


@public
@require_GET
def archive(request):
    page = Paginator(public_archive(), ARCHIVE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "newsletter/archive.html", {"page": page})


@public
@require_GET
def issue_public(request, public_id):
    issue = fetch_or_404(public_issue, public_id)
    return render(request, "newsletter/issue_public.html", {"issue": issue, "web_html": rendering.render_web(issue)})


@public
@require_GET
def issue_pdf(request, public_id):
    issue = fetch_or_404(public_issue, public_id)
    response = HttpResponse(rendering.render_pdf(issue), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="lettre-{issue.month:%Y-%m}.pdf"'
    return response


class IssueFeed(Feed):
    """The Atom feed of the public archive (the 20 newest sent public issues)."""

    feed_type = Atom1Feed
    title = gettext_lazy("La lettre de la CPTS")
    subtitle = gettext_lazy("Les numéros grand public de la lettre de la CPTS.")

    def link(self):
        return reverse("newsletter:archive")

    def items(self):
        return public_archive()[:20]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return _("%(territory)s — %(month)s") % {"territory": item.territory.name, "month": f"{item.month:%m/%Y}"}

    def item_link(self, item):
        return reverse("newsletter:issue_public", args=[item.public_id])

    def item_guid(self, item):
        return f"urn:uuid:{item.public_id}"

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return item.sent_at

    def item_updateddate(self, item):
        return item.sent_at or item.updated_at


feed = public(require_GET(IssueFeed()))


# The professional edition, read on the site by the territory's professionals (signed in): the same rendering.


@authenticated
@require_GET
def professional_archive_page(request):
    page = Paginator(professional_archive(request.user), ARCHIVE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "newsletter/professional_archive.html", {"page": page})


@authenticated
@require_GET
def professional_issue_page(request, public_id):
    issue = fetch_or_404(professional_issue, request.user, public_id)
    context = {"issue": issue, "web_html": rendering.render_web(issue), "professional": True}
    return render(request, "newsletter/issue_public.html", context)


@authenticated
@require_GET
def professional_issue_pdf(request, public_id):
    issue = fetch_or_404(professional_issue, request.user, public_id)
    response = HttpResponse(rendering.render_pdf(issue), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="lettre-professionnels-{issue.month:%Y-%m}.pdf"'
    return response

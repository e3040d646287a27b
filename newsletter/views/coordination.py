"""The coordinator's issues under /lettre/coordination/: open a month's issue (one edition or both), edit,
reorder and leave out its items, write the editorial and news, add images, preview the web page, the e-mail
and the PDF at phone and desktop widths. Coordinators only (403 otherwise); another territory's issue is 404."""

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.access import permission_required
from core.csp import csp_override
from core.errors import ApplicationError
from core.pages import CONFLICT, fetch_or_404, page_or_fragment, raise_for_access, refuse_on_form
from newsletter import rendering
from newsletter.forms import ImageForm, IssueEditForm, IssueOpenForm, ItemCreateForm, ItemForm, ScheduleForm, SendForm
from newsletter.permissions import can_edit_newsletter
from newsletter.selectors.issues import (
    issue_for_coordinator,
    issues_for_coordinator,
    item_for_coordinator,
    items_in_letter_order,
)
from newsletter.selectors.sending import issue_progress
from newsletter.services import images, issues
from newsletter.services.sending import recipients_of


def _issues_page(request, form, status=200):
    return render(
        request,
        "newsletter/coordination_issues.html",
        {"issues": issues_for_coordinator(request.user), "form": form},
        status=status,
    )


@permission_required(can_edit_newsletter)
@require_http_methods(["GET", "POST"])
def coordination_issues(request):
    if request.method == "GET":
        return _issues_page(request, IssueOpenForm())
    form = IssueOpenForm(request.POST)
    if form.is_valid():
        try:
            month = issues.parse_month(form.cleaned_data["month"])
            if form.cleaned_data["edition"] == "both":
                opened = issues.issue_open_both(acting_user=request.user, month=month)[0]
            else:
                opened = issues.issue_open(acting_user=request.user, month=month, edition=form.cleaned_data["edition"])
            return redirect("newsletter:coordination_issue", public_id=opened.public_id)
        except ApplicationError as error:
            if error.code == CONFLICT and error.details.get("issue"):
                form.add_error(None, error.message)
                return _issues_page(request, form, status=409)
            refuse_on_form(form, error)
    return _issues_page(request, form, status=400)


def _issue_page(request, issue, *, edit_form=None, create_form=None, image_form=None, status=200):
    return issue_page(
        request, issue, edit_form=edit_form, create_form=create_form, image_form=image_form, status=status
    )


def issue_page(request, issue, *, edit_form=None, create_form=None, image_form=None, status=200):
    """The issue's page: its editing forms while a draft, its sending panel always."""
    return render(
        request,
        "newsletter/coordination_issue.html",
        {
            "issue": issue,
            "items": items_in_letter_order(issue),
            "edit_form": edit_form
            or IssueEditForm(initial={"title": issue.title, "editorial": issue.editorial}, auto_id="issue-%s"),
            "create_form": create_form or ItemCreateForm(auto_id="new-%s"),
            "image_form": image_form or ImageForm(auto_id="image-%s"),
            "sibling": issues.sibling_issue(issue),
            "progress": issue_progress(issue),
            "recipient_count": recipients_of(issue).count(),
            "schedule_form": ScheduleForm(auto_id="schedule-%s"),
            "send_form": SendForm(auto_id="send-%s"),
        },
        status=status,
    )


@permission_required(can_edit_newsletter)
@require_http_methods(["GET", "POST"])
def coordination_issue(request, public_id):
    issue = fetch_or_404(issue_for_coordinator, request.user, public_id)
    if request.method == "GET":
        return _issue_page(request, issue)
    form = IssueEditForm(request.POST, auto_id="issue-%s")
    if form.is_valid():
        try:
            issues.issue_update(acting_user=request.user, issue=issue, **form.cleaned_data)
            return redirect("newsletter:coordination_issue", public_id=issue.public_id)
        except ApplicationError as error:
            refuse_on_form(form, error)
    return _issue_page(request, issue, edit_form=form, status=400)


@permission_required(can_edit_newsletter)
@require_POST
def coordination_item_create(request, public_id):
    issue = fetch_or_404(issue_for_coordinator, request.user, public_id)
    form = ItemCreateForm(request.POST, auto_id="new-%s")
    if form.is_valid():
        try:
            issues.item_create(acting_user=request.user, issue=issue, **form.cleaned_data)
            return redirect(reverse("newsletter:coordination_issue", args=[issue.public_id]) + "#elements")
        except ApplicationError as error:
            refuse_on_form(form, error)
    return _issue_page(request, issue, create_form=form, status=400)


def _item_fragment(request, issue, item, form=None, *, editing=False, status=200):
    return page_or_fragment(
        request,
        page="newsletter/coordination_item.html",
        fragment="newsletter/_item.html",
        context={"issue": issue, "item": item, "form": form, "editing": editing},
        status=status,
    )


def _item_initial(item):
    return {
        "title": item.title,
        "body": item.body,
        "included": item.included,
        "event_starts_at": item.event_starts_at,
        "event_place": item.event_place,
        "registration_url": item.registration_url,
    }


@permission_required(can_edit_newsletter)
@require_http_methods(["GET", "POST"])
def coordination_item(request, public_id, item_id):
    """An item: shown, its edit form (``?modifier=1``), its changes (POST); the page or the HTMX fragment."""
    issue = fetch_or_404(issue_for_coordinator, request.user, public_id)
    item = fetch_or_404(item_for_coordinator, request.user, issue, item_id)
    if request.method == "GET":
        editing = request.GET.get("modifier") == "1"
        return _item_fragment(
            request, issue, item, ItemForm(initial=_item_initial(item), auto_id=f"item-{item.pk}-%s"), editing=editing
        )
    form = ItemForm(request.POST, auto_id=f"item-{item.pk}-%s")
    if form.is_valid():
        try:
            item = issues.item_update(acting_user=request.user, item=item, **form.cleaned_data)
            return _item_fragment(request, issue, item)
        except ApplicationError as error:
            refuse_on_form(form, error)
    return _item_fragment(request, issue, item, form, editing=True, status=400)


@permission_required(can_edit_newsletter)
@require_POST
def coordination_item_move(request, public_id, item_id):
    issue = fetch_or_404(issue_for_coordinator, request.user, public_id)
    item = fetch_or_404(item_for_coordinator, request.user, issue, item_id)
    try:
        if "included" in request.POST:
            issues.item_include(acting_user=request.user, item=item, included=request.POST["included"] == "1")
        else:
            issues.item_move(acting_user=request.user, item=item, direction=request.POST.get("direction", ""))
    except ApplicationError as error:
        raise_for_access(error)
        return HttpResponse(error.message, status=409 if error.code == CONFLICT else 400)
    if request.htmx:
        issue = fetch_or_404(issue_for_coordinator, request.user, public_id)
        response = render(request, "newsletter/_items.html", {"issue": issue, "items": items_in_letter_order(issue)})
        response["Vary"] = "HX-Request"
        return response
    return redirect(reverse("newsletter:coordination_issue", args=[issue.public_id]) + "#elements")


@permission_required(can_edit_newsletter)
@require_POST
def coordination_image_upload(request, public_id):
    issue = fetch_or_404(issue_for_coordinator, request.user, public_id)
    form = ImageForm(request.POST, request.FILES, auto_id="image-%s")
    if form.is_valid():
        try:
            item = fetch_or_404(item_for_coordinator, request.user, issue, form.cleaned_data["item"])
            stored = images.image_store(
                acting_user=request.user, upload=form.cleaned_data["file"], alt_text=form.cleaned_data["alt_text"]
            )
            issues.item_attach_image(acting_user=request.user, item=item, image=stored)
            return redirect(reverse("newsletter:coordination_issue", args=[issue.public_id]) + "#elements")
        except ApplicationError as error:
            refuse_on_form(form, error)
    return _issue_page(request, issue, image_form=form, status=400)


PREVIEW_KINDS = {"web": gettext_lazy("Page web"), "email": gettext_lazy("E-mail"), "pdf": gettext_lazy("PDF")}


@permission_required(can_edit_newsletter)
@require_GET
# The e-mail is shown in an iframe's srcdoc with its own <style> block and inlined style attributes, as a mail
# client shows it: styles only are loosened, on this page alone (scripts stay refused; the srcdoc is sandboxed).
@csp_override(style_src=("'self'", "'unsafe-inline'"))
def coordination_preview(request, public_id):
    """The three renderings side by side with a width toggle (phone 390 px, desktop 1024 px); the e-mail in an
    iframe's ``srcdoc`` (its own styles, nothing of the portal's)."""
    issue = fetch_or_404(issue_for_coordinator, request.user, public_id)
    kind = request.GET.get("vue", "email")
    kind = kind if kind in PREVIEW_KINDS else "email"
    width = "phone" if request.GET.get("largeur") == "telephone" else "desktop"
    context = {"issue": issue, "kind": kind, "kind_label": PREVIEW_KINDS[kind], "kinds": PREVIEW_KINDS, "width": width}
    if kind == "email":
        subject, html, text = rendering.render_email(issue, unsubscribe_url="#desinscription")
        context.update(subject=subject, srcdoc=html, text=text)
    elif kind == "web":
        context["web_html"] = rendering.render_web(issue)
    return render(request, "newsletter/coordination_preview.html", context)


@permission_required(can_edit_newsletter)
@require_GET
def coordination_preview_pdf(request, public_id):
    issue = fetch_or_404(issue_for_coordinator, request.user, public_id)
    response = HttpResponse(rendering.render_pdf(issue), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="lettre-{issue.month:%Y-%m}-{issue.edition}.pdf"'
    return response

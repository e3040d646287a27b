"""Pages and HTMX fragments to work a request: its attachments (upload, list, download), forwarding to a colleague,
converting between a letter and a tele-expertise, and, for a recipient who does not use the portal, recording how
the GP sent it and what the recipient answered.

The request page includes ``referrals/_attachments.html`` and ``referrals/_handling.html`` and merges
``handling_context(request, referral)`` into its context. Their forms post here: with HTMX the fragment comes back
(a refusal as a 400 that the page's ``htmx-config`` swaps in), without JavaScript a redirect to the page they were
posted from (``next``), or this module's page with the form and its message (400). Thin: parse, call one service
or selector, render. Whoever may not see the request gets 404.
"""

from dataclasses import dataclass, field

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.access import authenticated
from core.errors import ApplicationError
from core.pages import fetch_or_404, page_or_fragment, raise_for_access, refuse_on_form
from directory.models import ContactChannel
from referrals.forms import AttachmentForm, ConvertForm, ForwardForm, OutsideStatusForm, SentOutsideForm
from referrals.models import Referral, ReferralAttachment
from referrals.permissions import REFERRAL_ACTIONS, referral_actions_for
from referrals.rules import CLOSED_STATUSES, side_refusal
from referrals.scope import actor_for
from referrals.selectors import (
    Sides,
    attachment_for_user,
    attachments_of,
    forward_candidates,
    outside_channels_for,
    recipient_uses_portal,
    referral_sides,
    referrals_visible_to,
)
from referrals.services import handling
from referrals.services.attachments import (
    MAX_ATTACHMENTS_PER_REFERRAL,
    TYPE_LABELS,
    attachment_add,
    download_name,
    purposes_for,
)
from referrals.views import referral_or_404

Status = Referral.Status

# Where a GP or a secretary lands after forwarding a request they no longer see: the first of these pages
# that exists (the inbox, once the request pages are mounted).
_LANDING_URL_NAMES = ("referrals:inbox", "home")


# --- What the partials show ----------------------------------------------------------------------------------------


@dataclass
class OutsideChannel:
    """A directory channel of the recipient, with the way of sending it stands for."""

    channel: ContactChannel
    via: str


@dataclass
class AttachmentRow:
    attachment: ReferralAttachment
    type_label: str


@dataclass
class HandlingPanel:
    referral: Referral
    next_url: str
    is_sender: bool = False
    is_recipient_side: bool = False
    attachments: list[AttachmentRow] = field(default_factory=list)
    attachment_form: AttachmentForm | None = None
    attachments_full: bool = False
    max_attachments: int = MAX_ATTACHMENTS_PER_REFERRAL
    forward_form: ForwardForm | None = None
    convert_form: ConvertForm | None = None
    convert_to: str = ""
    uses_portal: bool = True
    outside_channels: list[OutsideChannel] = field(default_factory=list)
    sent_outside_form: SentOutsideForm | None = None
    outside_status_form: OutsideStatusForm | None = None

    @property
    def sent_outside_label(self) -> str:
        via = self.referral.sent_outside_via
        return handling.SentOutsideVia(via).label if via in handling.SentOutsideVia.values else via


# The block of the request page each fragment is: after a change without JavaScript, the page comes back there.
_FRAGMENT_ANCHORS = {
    "referrals/_attachments.html": "referral-attachments",
    "referrals/_handling.html": "referral-handling",
}


def _next_url(request) -> str:
    """The page the forms come back to: the one that included them (sent along as ``next``), without an anchor
    (``_done`` adds the one of the block that changed)."""
    candidate = (request.POST.get("next") or request.GET.get("next") or "").split("#", 1)[0]
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return request.get_full_path()


def handling_context(request, referral: Referral, *, sides: Sides | None = None, **forms_with_errors) -> dict:
    """What ``_attachments.html`` and ``_handling.html`` need, under one key (``handling``), for the request page
    to merge into its context. ``forms_with_errors`` puts back a refused form (``attachment_form=...``)."""
    user = request.user
    actor = actor_for(user)
    sides = sides or referral_sides(actor, referral)  # the request page passes the ones it already read
    available = {action.name for action in referral_actions_for(actor, referral)}
    panel = HandlingPanel(
        referral=referral,
        next_url=_next_url(request),
        is_sender=sides.is_sender,
        is_recipient_side=sides.is_recipient_side,
        attachments=[
            AttachmentRow(attachment=attachment, type_label=TYPE_LABELS.get(attachment.content_type, ""))
            for attachment in attachments_of(referral)
        ],
    )
    is_open = referral.status not in CLOSED_STATUSES
    panel.attachments_full = len(panel.attachments) >= MAX_ATTACHMENTS_PER_REFERRAL
    if is_open and not panel.attachments_full and (panel.is_sender or panel.is_recipient_side):
        purposes = purposes_for(is_sender=panel.is_sender, is_recipient_side=panel.is_recipient_side)
        panel.attachment_form = AttachmentForm(
            purposes=purposes, initial={"purpose": _default_purpose(referral, panel)}
        )
    if "forward" in available:
        panel.forward_form = ForwardForm(candidates=forward_candidates(referral, actor))
    if "convert" in available:
        panel.convert_form = ConvertForm()
        other = Referral.Kind.LETTER if referral.kind == Referral.Kind.TELEEXPERTISE else Referral.Kind.TELEEXPERTISE
        panel.convert_to = Referral.Kind(other).label
    if panel.is_sender:
        panel.uses_portal = recipient_uses_portal(referral)
        if "sent_outside" in available:
            panel.outside_channels = [
                OutsideChannel(channel=channel, via=handling.VIA_OF_CHANNEL_KIND[channel.kind])
                for channel in outside_channels_for(referral, user)
            ]
            panel.sent_outside_form = SentOutsideForm(
                initial={"via": referral.sent_outside_via or None, "detail": referral.sent_outside_detail}
            )
        if "outside_status" in available:
            panel.outside_status_form = OutsideStatusForm()
    # A refused form comes back with its message, even where the request no longer offers it (closed meanwhile).
    for name, form in forms_with_errors.items():
        setattr(panel, name, form)
    return {"handling": panel}


def _default_purpose(referral: Referral, panel: HandlingPanel) -> str:
    if panel.is_sender:
        if referral.status == Status.NEEDS_INFO:
            return ReferralAttachment.Purpose.INFO
        return ReferralAttachment.Purpose.REQUEST
    return ReferralAttachment.Purpose.ANSWER


# --- Plumbing ------------------------------------------------------------------------------------------------------


def _perform(request, name: str, referral: Referral, form) -> Referral:
    """The registry's action ``name`` with the form's inputs: the same call as the API's."""
    action = REFERRAL_ACTIONS[name]
    return action.perform(acting_user=request.user, referral=referral, **form.action_inputs(action))


def _perform_form(request, name: str, referral: Referral, form) -> Referral | None:
    """The action with a valid form's inputs; None when the form or the service refuses (the refusal is then on
    the form, to show again with a 400)."""
    if not form.is_valid():
        return None
    try:
        return _perform(request, name, referral, form)
    except ApplicationError as error:
        refuse_on_form(form, error)
        return None


def _respond(request, referral: Referral, *, fragment: str, status: int = 200, **forms_with_errors) -> HttpResponse:
    """The fragment for HTMX, this module's page otherwise (a GET, or a refused form without JavaScript)."""
    context = {"referral": referral, **handling_context(request, referral, **forms_with_errors)}
    return page_or_fragment(
        request, page="referrals/handling_page.html", fragment=fragment, context=context, status=status
    )


def _done(request, referral: Referral, *, fragment: str, message: str) -> HttpResponse:
    """After a change: the fresh fragment for HTMX; otherwise a message and back to the page of the form, at the
    block that changed (where the user was)."""
    if request.htmx:
        return _respond(request, referral, fragment=fragment)
    messages.success(request, message)
    anchor = _FRAGMENT_ANCHORS.get(fragment)
    return redirect(_next_url(request) + (f"#{anchor}" if anchor else ""))


def _landing_url() -> str:
    for name in _LANDING_URL_NAMES:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return "/"


def _away(request, message: str) -> HttpResponse:
    """After a change that took the request out of the user's sight (forwarded to another practice)."""
    messages.success(request, message)
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = _landing_url()
        return response
    return redirect(_landing_url())


def attachment_response(attachment: ReferralAttachment) -> FileResponse:
    """The stored document as stored: its own type, always downloaded, never sniffed, never cached. The page and
    the API serve it the same way."""
    response = FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        as_attachment=True,
        filename=download_name(attachment),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- Attachments ---------------------------------------------------------------------------------------------------


@authenticated
@require_http_methods(["GET", "POST"])
def attachment_list(request, public_id):
    """The request's documents; POST joins one (sender or recipient's side, request not closed)."""
    referral = referral_or_404(request, public_id)
    fragment = "referrals/_attachments.html"
    if request.method == "GET":
        return _respond(request, referral, fragment=fragment)
    sides = referral_sides(actor_for(request.user), referral)
    purposes = purposes_for(is_sender=sides.is_sender, is_recipient_side=sides.is_recipient_side)
    if not purposes:
        raise Http404
    form = AttachmentForm(request.POST, request.FILES, purposes=purposes)
    if form.is_valid():
        try:
            attachment = attachment_add(
                acting_user=request.user,
                referral=referral,
                uploaded_file=form.cleaned_data["file"],
                purpose=form.cleaned_data["purpose"],
            )
        except ApplicationError as error:
            refuse_on_form(form, error)
        else:
            message = _("Document « %(name)s » joint à la demande.") % {"name": attachment.original_name}
            return _done(request, referral, fragment=fragment, message=message)
    return _respond(request, referral, fragment=fragment, status=400, attachment_form=form)


@authenticated
@require_GET
def attachment_download(request, public_id, attachment_id):
    """One document, for whoever may see the request (the read is logged)."""
    attachment = fetch_or_404(attachment_for_user, request.user, public_id, attachment_id, request=request)
    return attachment_response(attachment)


# --- Forward and convert (the recipient's side) --------------------------------------------------------------------


@authenticated
@require_http_methods(["GET", "POST"])
def handling_forward(request, public_id):
    referral = referral_or_404(request, public_id)
    fragment = "referrals/_handling.html"
    if request.method == "GET":
        return _respond(request, referral, fragment=fragment)
    refusal = side_refusal(REFERRAL_ACTIONS["forward"].side, actor_for(request.user), referral)
    if refusal is not None:
        raise_for_access(refusal)
    form = ForwardForm(request.POST, candidates=forward_candidates(referral, request.user))
    forwarded = _perform_form(request, "forward", referral, form)
    if forwarded is None:
        return _respond(request, referral, fragment=fragment, status=400, forward_form=form)
    message = _("Demande transférée à %(name)s.") % {"name": forwarded.recipient_practitioner}
    if not referrals_visible_to(request.user).filter(pk=forwarded.pk).exists():
        return _away(request, message)
    return _done(request, forwarded, fragment=fragment, message=message)


@authenticated
@require_http_methods(["GET", "POST"])
def handling_convert(request, public_id):
    referral = referral_or_404(request, public_id)
    fragment = "referrals/_handling.html"
    if request.method == "GET":
        return _respond(request, referral, fragment=fragment)
    form = ConvertForm(request.POST)
    converted = _perform_form(request, "convert", referral, form)
    if converted is None:
        return _respond(request, referral, fragment=fragment, status=400, convert_form=form)
    message = _("La demande est désormais : %(kind)s.") % {"kind": converted.get_kind_display()}
    return _done(request, converted, fragment=fragment, message=message)


# --- Sent outside the portal (the sender) --------------------------------------------------------------------------


@authenticated
@require_http_methods(["GET", "POST"])
def handling_sent_outside(request, public_id):
    referral = referral_or_404(request, public_id)
    fragment = "referrals/_handling.html"
    if request.method == "GET":
        return _respond(request, referral, fragment=fragment)
    form = SentOutsideForm(request.POST)
    recorded = _perform_form(request, "sent_outside", referral, form)
    if recorded is None:
        return _respond(request, referral, fragment=fragment, status=400, sent_outside_form=form)
    return _done(request, recorded, fragment=fragment, message=_("Envoi hors du portail enregistré."))


@authenticated
@require_POST
def handling_outside_status(request, public_id):
    referral = referral_or_404(request, public_id)
    fragment = "referrals/_handling.html"
    form = OutsideStatusForm(request.POST)
    updated = _perform_form(request, "outside_status", referral, form)
    if updated is None:
        return _respond(request, referral, fragment=fragment, status=400, outside_status_form=form)
    message = _("Statut enregistré : %(status)s.") % {"status": updated.get_status_display()}
    return _done(request, updated, fragment=fragment, message=message)

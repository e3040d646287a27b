"""Pages and HTMX fragments to work a request: its attachments (upload, list, download), forwarding to a colleague,
converting between a letter and a tele-expertise, and, for a recipient who does not use the portal, recording how
the GP sent it and what the recipient answered.

The request page includes ``referrals/_attachments.html`` and ``referrals/_handling.html`` and merges
``handling_context(request, referral)`` into its context. Their forms post here: with HTMX the fragment comes back
(a refusal as a 400 that the page's ``htmx-config`` swaps in), without JavaScript a redirect to the page they were
posted from (``next``), or this module's page with the form and its message (400). Thin: parse, call one service
or selector, render. Whoever may not see the request gets 404.

The forms live here while only these views use them (they parse input only; the services decide).
"""

from dataclasses import dataclass, field

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.access import authenticated
from core.errors import ApplicationError
from directory.models import ContactChannel
from directory.selectors import practitioner_of
from referrals.models import Referral, ReferralAttachment
from referrals.selectors import (
    Sides,
    attachment_for_user,
    attachments_of,
    forward_candidates,
    get_referral_for_user,
    outside_channels_for,
    recipient_uses_portal,
    referral_sides,
    referrals_visible_to,
)
from referrals.services import handling
from referrals.services.attachments import (
    CLOSED_STATUSES,
    MAX_ATTACHMENTS_PER_REFERRAL,
    TYPE_LABELS,
    attachment_add,
    download_name,
    purposes_for,
)

Status = Referral.Status

# Where a GP or a secretary lands after forwarding a request they no longer see: the first of these pages
# that exists (the inbox, once the request pages are mounted).
_LANDING_URL_NAMES = ("referrals:inbox", "home")


# --- Forms ---------------------------------------------------------------------------------------------------------


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Document"),
        help_text=gettext_lazy("PDF, JPEG ou PNG, 10 Mo au plus."),
        allow_empty_file=True,  # the service says "Le fichier est vide." like the API
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}),
    )
    purpose = forms.ChoiceField(label=gettext_lazy("Nature"), choices=())

    def __init__(self, *args, purposes: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(ReferralAttachment.Purpose.choices)
        self.fields["purpose"].choices = [(value, labels[value]) for value in purposes]


class ForwardForm(forms.Form):
    practitioner = forms.ModelChoiceField(
        label=gettext_lazy("Confrère du cabinet"), queryset=None, to_field_name="public_id", empty_label=None
    )
    note = forms.CharField(
        label=gettext_lazy("Message pour le confrère"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = candidates


class ConvertForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Pourquoi ce changement ?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class SentOutsideForm(forms.Form):
    via = forms.ChoiceField(label=gettext_lazy("Envoyée par"), choices=handling.SentOutsideVia.choices)
    detail = forms.CharField(
        label=gettext_lazy("Adresse, numéro ou lien utilisé"),
        max_length=255,
        help_text=gettext_lazy("Par exemple l'adresse MSSanté ou le numéro de fax."),
    )


class OutsideStatusForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Réponse du destinataire"),
        choices=[(status, Status(status).label) for status in handling.OUTSIDE_UPDATES],
    )
    appointment_at = forms.DateTimeField(
        label=gettext_lazy("Date et heure du rendez-vous"),
        help_text=gettext_lazy("Si la demande est acceptée."),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    note = forms.CharField(
        label=gettext_lazy("Remarque"),
        help_text=gettext_lazy("Le motif donné par le destinataire, si la demande est refusée."),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


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


def _next_url(request) -> str:
    """The page the forms come back to: the one that included them (sent along as ``next``)."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return request.get_full_path()


def _can_become_teleexpertise(referral: Referral, user) -> bool:
    expert = referral.recipient_practitioner or referral.handled_by or practitioner_of(user)
    return expert is not None and expert.answers_teleexpertise


def handling_context(request, referral: Referral, *, sides: Sides | None = None, **forms_with_errors) -> dict:
    """What ``_attachments.html`` and ``_handling.html`` need, under one key (``handling``), for the request page
    to merge into its context. ``forms_with_errors`` puts back a refused form (``attachment_form=...``)."""
    user = request.user
    sides = sides or referral_sides(user, referral)  # the request page passes the ones it already read
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
    if panel.is_recipient_side:
        candidates = forward_candidates(referral, user)
        if referral.status in handling.FORWARDABLE_STATUSES and candidates.exists():
            panel.forward_form = ForwardForm(candidates=candidates)
        if referral.status in handling.CONVERTIBLE_STATUSES and (
            referral.kind == Referral.Kind.TELEEXPERTISE or _can_become_teleexpertise(referral, user)
        ):
            panel.convert_form = ConvertForm()
            other = (
                Referral.Kind.LETTER if referral.kind == Referral.Kind.TELEEXPERTISE else Referral.Kind.TELEEXPERTISE
            )
            panel.convert_to = Referral.Kind(other).label
    if panel.is_sender:
        panel.uses_portal = recipient_uses_portal(referral)
        if not panel.uses_portal and referral.status in handling.MARKABLE_STATUSES:
            panel.outside_channels = [
                OutsideChannel(channel=channel, via=handling.VIA_OF_CHANNEL_KIND[channel.kind])
                for channel in outside_channels_for(referral, user)
            ]
            panel.sent_outside_form = SentOutsideForm(
                initial={"via": referral.sent_outside_via or None, "detail": referral.sent_outside_detail}
            )
        updatable = {status for statuses in handling.OUTSIDE_UPDATES.values() for status in statuses}
        if referral.sent_outside_via and referral.status in updatable:
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


def _referral_or_404(request, public_id) -> Referral:
    referral = get_referral_for_user(request.user, public_id, request=request)
    if referral is None:
        raise Http404
    return referral


def _refused(form: forms.Form, error: ApplicationError) -> None:
    """A service's refusal on the form: on its field when the form has one, above it otherwise; "not yours"
    reads as a missing request."""
    if error.code == "not_found":
        raise Http404(error.message)
    form.add_error(error.field if error.field in form.fields else None, error.message)


def _respond(request, referral: Referral, *, fragment: str, status: int = 200, **forms_with_errors) -> HttpResponse:
    """The fragment for HTMX, this module's page otherwise (a GET, or a refused form without JavaScript)."""
    context = {"referral": referral, **handling_context(request, referral, **forms_with_errors)}
    template = fragment if request.htmx else "referrals/handling_page.html"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _done(request, referral: Referral, *, fragment: str, message: str) -> HttpResponse:
    """After a change: the fresh fragment for HTMX; otherwise a message and back to the page of the form."""
    if request.htmx:
        return _respond(request, referral, fragment=fragment)
    messages.success(request, message)
    return redirect(_next_url(request))


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
    referral = _referral_or_404(request, public_id)
    fragment = "referrals/_attachments.html"
    if request.method == "GET":
        return _respond(request, referral, fragment=fragment)
    sides = referral_sides(request.user, referral)
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
            _refused(form, error)
        else:
            message = _("Document « %(name)s » joint à la demande.") % {"name": attachment.original_name}
            return _done(request, referral, fragment=fragment, message=message)
    return _respond(request, referral, fragment=fragment, status=400, attachment_form=form)


@authenticated
@require_GET
def attachment_download(request, public_id, attachment_id):
    """One document, for whoever may see the request (the read is logged)."""
    attachment = attachment_for_user(request.user, public_id, attachment_id, request=request)
    if attachment is None:
        raise Http404
    return attachment_response(attachment)


# --- Forward and convert (the recipient's side) --------------------------------------------------------------------


@authenticated
@require_http_methods(["GET", "POST"])
def handling_forward(request, public_id):
    referral = _referral_or_404(request, public_id)
    fragment = "referrals/_handling.html"
    if request.method == "GET":
        return _respond(request, referral, fragment=fragment)
    form = ForwardForm(request.POST, candidates=forward_candidates(referral, request.user))
    if form.is_valid():
        try:
            referral = handling.referral_forward(
                acting_user=request.user,
                referral=referral,
                to_practitioner=form.cleaned_data["practitioner"],
                note=form.cleaned_data["note"],
            )
        except ApplicationError as error:
            _refused(form, error)
        else:
            message = _("Demande transférée à %(name)s.") % {"name": referral.recipient_practitioner}
            if not referrals_visible_to(request.user).filter(pk=referral.pk).exists():
                return _away(request, message)
            return _done(request, referral, fragment=fragment, message=message)
    elif not referral_sides(request.user, referral).is_recipient_side:
        raise Http404  # the sender posting here: the request is not theirs to forward
    return _respond(request, referral, fragment=fragment, status=400, forward_form=form)


@authenticated
@require_http_methods(["GET", "POST"])
def handling_convert(request, public_id):
    referral = _referral_or_404(request, public_id)
    fragment = "referrals/_handling.html"
    if request.method == "GET":
        return _respond(request, referral, fragment=fragment)
    form = ConvertForm(request.POST)
    if form.is_valid():
        try:
            referral = handling.referral_convert(
                acting_user=request.user, referral=referral, note=form.cleaned_data["note"]
            )
        except ApplicationError as error:
            _refused(form, error)
        else:
            message = _("La demande est désormais : %(kind)s.") % {"kind": referral.get_kind_display()}
            return _done(request, referral, fragment=fragment, message=message)
    return _respond(request, referral, fragment=fragment, status=400, convert_form=form)


# --- Sent outside the portal (the sender) --------------------------------------------------------------------------


@authenticated
@require_http_methods(["GET", "POST"])
def handling_sent_outside(request, public_id):
    referral = _referral_or_404(request, public_id)
    fragment = "referrals/_handling.html"
    if request.method == "GET":
        return _respond(request, referral, fragment=fragment)
    form = SentOutsideForm(request.POST)
    if form.is_valid():
        try:
            referral = handling.referral_mark_sent_outside(
                acting_user=request.user,
                referral=referral,
                via=form.cleaned_data["via"],
                detail=form.cleaned_data["detail"],
            )
        except ApplicationError as error:
            _refused(form, error)
        else:
            return _done(request, referral, fragment=fragment, message=_("Envoi hors du portail enregistré."))
    return _respond(request, referral, fragment=fragment, status=400, sent_outside_form=form)


@authenticated
@require_POST
def handling_outside_status(request, public_id):
    referral = _referral_or_404(request, public_id)
    fragment = "referrals/_handling.html"
    form = OutsideStatusForm(request.POST)
    if form.is_valid():
        try:
            referral = handling.referral_outside_update(
                acting_user=request.user,
                referral=referral,
                status=form.cleaned_data["status"],
                appointment_at=form.cleaned_data["appointment_at"],
                note=form.cleaned_data["note"],
            )
        except ApplicationError as error:
            _refused(form, error)
        else:
            message = _("Statut enregistré : %(status)s.") % {"status": referral.get_status_display()}
            return _done(request, referral, fragment=fragment, message=message)
    return _respond(request, referral, fragment=fragment, status=400, outside_status_form=form)

"""The practitioner page and the practice page, their editing (details, contact channels, tools, absences), and
"Signaler une erreur". Thin: parse with ``directory.forms.entries``, call one selector or service, render.

A refused input answers 400 with the form as typed and the French message; an object the user may not see answers
404, one they may see but not change 403. The channel list is also an HTMX fragment (inline add, edit, delete);
every form works without JavaScript (POST, then redirect).
"""

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.roles import Role, has_role
from core.access import authenticated, public
from core.errors import ApplicationError
from core.pages import fetch_or_404, raise_for_access, refuse_on_form, with_vary
from directory import services
from directory.forms.entries import (
    AbsenceForm,
    ContactChannelForm,
    ErrorReportForm,
    PracticeForm,
    PractitionerDetailsForm,
    PractitionerToolForm,
)
from directory.models import ContactChannel
from directory.selectors import entries as selectors
from directory.services import entries as entry_services
from directory.services.entries import PRACTITIONER_IDENTITY_FIELDS

# Anonymous "Signaler une erreur": this many reports per hour from one address, then a 429.
ANONYMOUS_REPORTS_PER_HOUR = 5


def _optional_url(name: str, *args) -> str | None:
    """A URL of a page another part of the directory provides; None until that page exists."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


# --- The practitioner page ----------------------------------------------------------------------------------------


@public
@require_http_methods(["GET"])
def practitioner_detail(request, practitioner_id):
    """Anyone may open an entry and sees what their audience may see; a merged duplicate redirects (301)."""
    page = selectors.practitioner_page(viewer=request.user, public_id=practitioner_id)
    if page is None:
        kept = fetch_or_404(selectors.merged_into, practitioner_id)
        return redirect("directory:practitioner_detail", practitioner_id=kept.public_id, permanent=True)
    practitioner = page.practitioner
    context = {
        "page": page,
        "practitioner": practitioner,
        "back_to_search": search_return_path(request.GET.get("retour", "")),
        "today": timezone.localdate(),
        "report_form": ErrorReportForm(anonymous=not request.user.is_authenticated),
        # Claims and confirmations are another part of the directory: linked once their pages exist.
        "claim_url": (
            _optional_url("directory:claim_start", practitioner.public_id)
            if not page.is_owner and practitioner.user_id is None
            else None
        ),
        "confirm_url": _optional_url("directory:entry_confirm", practitioner.public_id) if page.can_edit else None,
        # A professional may write to a colleague (the buttons link to the referral form by URL name only).
        "can_refer": has_role(request.user, Role.PROFESSIONAL) and not page.is_owner,
    }
    return render(request, "directory/practitioner_detail.html", context)


def search_return_path(wanted: str) -> str:
    """Where "← Annuaire" leads: back to the search the profile was opened from (``?retour=``, set by the result
    links), provided it is a search of this portal's directory; the empty search otherwise. Never another site,
    never another page of the portal: the parameter comes from the address bar, anyone may write it."""
    search = reverse("directory:search")
    wanted = (wanted or "").strip()
    if (
        wanted.startswith(search)
        and wanted[len(search) : len(search) + 1] in ("", "?")
        and url_has_allowed_host_and_scheme(wanted, allowed_hosts=None)
        and "\\" not in wanted
    ):
        return wanted
    return search


# --- Practitioner details -----------------------------------------------------------------------------------------


@authenticated
@require_http_methods(["GET", "POST"])
def practitioner_edit(request, practitioner_id):
    practitioner = fetch_or_404(selectors.practitioner_for_user, request.user, practitioner_id, write=True)
    identity_editable = selectors.can_edit_identity(request.user, practitioner)
    form = PractitionerDetailsForm(
        request.POST or None,
        initial=PractitionerDetailsForm.initial_for(practitioner),
        identity_editable=identity_editable,
    )
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        if not identity_editable:
            for name in PRACTITIONER_IDENTITY_FIELDS:
                fields.pop(name, None)
        try:
            entry_services.practitioner_update(acting_user=request.user, practitioner=practitioner, **fields)
        except ApplicationError as error:
            refuse_on_form(form, error)
        else:
            messages.success(request, _("Fiche enregistrée."))
            return redirect("directory:practitioner_detail", practitioner_id=practitioner.public_id)
    status = 400 if form.errors else 200
    return render(
        request,
        "directory/practitioner_edit.html",
        {"practitioner": practitioner, "form": form, "identity_editable": identity_editable},
        status=status,
    )


# --- Contact channels (of a practitioner, of a practice) ----------------------------------------------------------


def _channels_context(owner, *, form=None) -> dict:
    if owner._meta.model_name == "practitioner":
        return {
            "owner": owner,
            "owner_is_practice": False,
            "channels": selectors.channels_of_practitioner(owner),
            "form": form or ContactChannelForm(practitioner=owner),
            "add_url": reverse("directory:practitioner_channels", args=[owner.public_id]),
            "back_url": reverse("directory:practitioner_detail", args=[owner.public_id]),
            "practices": list(selectors.practices_of(owner)),
        }
    return {
        "owner": owner,
        "owner_is_practice": True,
        "channels": selectors.channels_of_practice(owner),
        "form": form or ContactChannelForm(),
        "add_url": reverse("directory:practice_channels", args=[owner.public_id]),
        "back_url": reverse("directory:practice_detail", args=[owner.public_id]),
    }


def _channels_response(request, owner, *, form=None, status=200):
    """The channel list and its add form: the fragment for HTMX, the whole page otherwise."""
    context = _channels_context(owner, form=form)
    if request.htmx:
        template = "directory/_entry_channels.html"
    elif context["owner_is_practice"]:
        template = "directory/practice_channels.html"
    else:
        template = "directory/practitioner_channels.html"
    return with_vary(render(request, template, context, status=status))


def _channel_create(request, owner, *, practitioner=None, practice=None):
    form = ContactChannelForm(request.POST, practitioner=practitioner)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.contact_channel_create(
                acting_user=request.user,
                practitioner=practitioner,
                practice=data.get("practice") if practitioner else practice,
                audience=data["audience"],
                kind=data["kind"],
                value=data["value"],
                hours=data["hours"],
                note=data["note"],
                preferred=data["preferred"],
            )
        except ApplicationError as error:
            refuse_on_form(form, error)
        else:
            if request.htmx:
                return _channels_response(request, owner)
            messages.success(request, _("Moyen de contact ajouté."))
            return redirect(request.path)
    return _channels_response(request, owner, form=form, status=400)


@authenticated
@require_http_methods(["GET", "POST"])
def practitioner_channels(request, practitioner_id):
    """The practitioner's channels, every audience, for the people who edit them; POST adds one."""
    practitioner = fetch_or_404(selectors.practitioner_for_user, request.user, practitioner_id, write=True)
    if request.method == "POST":
        return _channel_create(request, practitioner, practitioner=practitioner)
    return _channels_response(request, practitioner)


def _channel_owner(channel: ContactChannel):
    return channel.practitioner if channel.practitioner_id else channel.practice


def _channels_url(channel: ContactChannel) -> str:
    if channel.practitioner_id:
        return reverse("directory:practitioner_channels", args=[channel.practitioner.public_id])
    return reverse("directory:practice_channels", args=[channel.practice.public_id])


@authenticated
@require_http_methods(["GET", "POST"])
def channel_edit(request, channel_id):
    """One channel's form: inline in the list with HTMX, its own page otherwise."""
    channel = fetch_or_404(selectors.channel_for_user, request.user, channel_id, write=True)
    form = ContactChannelForm(request.POST or None, initial=ContactChannelForm.initial_for(channel))
    form.auto_id = "channel-edit-%s"
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.contact_channel_update(
                acting_user=request.user,
                channel=channel,
                audience=data["audience"],
                kind=data["kind"],
                value=data["value"],
                hours=data["hours"],
                note=data["note"],
                preferred=data["preferred"],
            )
        except ApplicationError as error:
            refuse_on_form(form, error)
        else:
            if request.htmx:
                return _channels_response(request, _channel_owner(channel))
            messages.success(request, _("Moyen de contact enregistré."))
            return redirect(_channels_url(channel))
    context = {
        "channel": channel,
        "form": form,
        "owner": _channel_owner(channel),
        "list_url": _channels_url(channel),
        "inline": bool(request.htmx),
    }
    status = 400 if form.errors else 200
    if request.htmx:
        response = render(request, "directory/_entry_channel_form.html", context, status=status)
        if request.method == "POST":  # the list was the target of the submission: put the form back in its row
            response["HX-Retarget"] = f"#channel-{channel.public_id}"
            response["HX-Reswap"] = "innerHTML"
        return with_vary(response)
    template = "directory/practitioner_channel_edit.html"
    if not channel.practitioner_id:
        template = "directory/practice_channel_edit.html"
    return with_vary(render(request, template, context, status=status))


@authenticated
@require_POST
def channel_delete(request, channel_id):
    channel = fetch_or_404(selectors.channel_for_user, request.user, channel_id, write=True)
    owner, list_url = _channel_owner(channel), _channels_url(channel)
    try:
        services.contact_channel_delete(acting_user=request.user, channel=channel)
    except ApplicationError as error:
        raise_for_access(error)
        messages.error(request, error.message)
    else:
        if request.htmx:
            return _channels_response(request, owner)
        messages.success(request, _("Moyen de contact supprimé."))
    return redirect(list_url)


# --- Tools --------------------------------------------------------------------------------------------------------


@authenticated
@require_http_methods(["GET", "POST"])
def practitioner_tools(request, practitioner_id):
    """The tools the practitioner uses; POST adds one (or updates it when already listed)."""
    practitioner = fetch_or_404(selectors.practitioner_for_user, request.user, practitioner_id, write=True)
    form = PractitionerToolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            entry_services.practitioner_tool_set(
                acting_user=request.user, practitioner=practitioner, **form.cleaned_data
            )
        except ApplicationError as error:
            refuse_on_form(form, error)
        else:
            messages.success(request, _("Outil enregistré."))
            return redirect(request.path)
    context = {"practitioner": practitioner, "tools": selectors.tools_of(practitioner), "form": form}
    return render(request, "directory/practitioner_tools.html", context, status=400 if form.errors else 200)


@authenticated
@require_http_methods(["GET", "POST"])
def practitioner_tool_edit(request, practitioner_id, tool_slug):
    practitioner = fetch_or_404(selectors.practitioner_for_user, request.user, practitioner_id, write=True)
    practitioner_tool = fetch_or_404(selectors.practitioner_tool_for_user, request.user, practitioner, tool_slug)
    initial = {
        "tool": practitioner_tool.tool_id,
        "uses": practitioner_tool.uses,
        "handle_or_link": practitioner_tool.handle_or_link,
    }
    form = PractitionerToolForm(request.POST or None, initial=initial)
    form.fields["tool"].disabled = True  # another tool is another line: remove this one, add that one
    if request.method == "POST" and form.is_valid():
        try:
            entry_services.practitioner_tool_set(
                acting_user=request.user, practitioner=practitioner, **form.cleaned_data
            )
        except ApplicationError as error:
            refuse_on_form(form, error)
        else:
            messages.success(request, _("Outil enregistré."))
            return redirect("directory:practitioner_tools", practitioner_id=practitioner.public_id)
    context = {"practitioner": practitioner, "practitioner_tool": practitioner_tool, "form": form}
    return render(request, "directory/practitioner_tool_edit.html", context, status=400 if form.errors else 200)


@authenticated
@require_POST
def practitioner_tool_remove(request, practitioner_id, tool_slug):
    practitioner = fetch_or_404(selectors.practitioner_for_user, request.user, practitioner_id, write=True)
    practitioner_tool = fetch_or_404(selectors.practitioner_tool_for_user, request.user, practitioner, tool_slug)
    try:
        entry_services.practitioner_tool_remove(acting_user=request.user, practitioner_tool=practitioner_tool)
    except ApplicationError as error:
        raise_for_access(error)
        messages.error(request, error.message)
    else:
        messages.success(request, _("Outil retiré."))
    return redirect("directory:practitioner_tools", practitioner_id=practitioner.public_id)


# --- Absences -----------------------------------------------------------------------------------------------------


@authenticated
@require_http_methods(["GET", "POST"])
def practitioner_absences(request, practitioner_id):
    """The practitioner's absences (from a month ago on); POST declares one."""
    practitioner = fetch_or_404(selectors.practitioner_for_user, request.user, practitioner_id, write=True)
    form = AbsenceForm(request.POST or None, practitioner=practitioner)
    if request.method == "POST" and form.is_valid():
        try:
            services.absence_declare(acting_user=request.user, practitioner=practitioner, **form.cleaned_data)
        except ApplicationError as error:
            refuse_on_form(form, error)
        else:
            messages.success(request, _("Absence enregistrée."))
            return redirect(request.path)
    context = {"practitioner": practitioner, "absences": selectors.absences_of(practitioner), "form": form}
    return render(request, "directory/practitioner_absences.html", context, status=400 if form.errors else 200)


@authenticated
@require_http_methods(["GET", "POST"])
def absence_edit(request, absence_id):
    absence = fetch_or_404(selectors.absence_for_user, request.user, absence_id, write=True)
    practitioner = absence.practitioner
    initial = {
        "starts_on": absence.starts_on,
        "ends_on": absence.ends_on,
        "replacement": absence.replacement_id,
        "note": absence.note,
    }
    form = AbsenceForm(request.POST or None, initial=initial, practitioner=practitioner)
    if request.method == "POST" and form.is_valid():
        try:
            entry_services.absence_update(acting_user=request.user, absence=absence, **form.cleaned_data)
        except ApplicationError as error:
            refuse_on_form(form, error)
        else:
            messages.success(request, _("Absence enregistrée."))
            return redirect("directory:practitioner_absences", practitioner_id=practitioner.public_id)
    context = {"practitioner": practitioner, "absence": absence, "form": form}
    return render(request, "directory/practitioner_absence_edit.html", context, status=400 if form.errors else 200)


@authenticated
@require_POST
def absence_delete(request, absence_id):
    absence = fetch_or_404(selectors.absence_for_user, request.user, absence_id, write=True)
    practitioner = absence.practitioner
    try:
        entry_services.absence_delete(acting_user=request.user, absence=absence)
    except ApplicationError as error:
        raise_for_access(error)
        messages.error(request, error.message)
    else:
        messages.success(request, _("Absence supprimée."))
    return redirect("directory:practitioner_absences", practitioner_id=practitioner.public_id)


# --- Signaler une erreur ------------------------------------------------------------------------------------------


def _client_ip(request) -> str:
    """The visitor's address; behind our TLS proxy, the last address it appended (as accounts' access log)."""
    if settings.SECURE_PROXY_SSL_HEADER:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR") or "unknown"


def _anonymous_report_allowed(request) -> bool:
    """Counts this visitor's reports in the shared cache (a fixed one-hour window per address)."""
    key = f"directory:error-report:{_client_ip(request)}"
    if cache.add(key, 1, timeout=3600):
        return True
    try:
        count = cache.incr(key)
    except ValueError:  # the window ended between add() and incr()
        cache.set(key, 1, timeout=3600)
        return True
    return count <= ANONYMOUS_REPORTS_PER_HOUR


@public
@require_http_methods(["GET", "POST"])
def practitioner_report(request, practitioner_id):
    """ "Signaler une erreur": signed-in users and visitors (who give their e-mail, a few reports an hour)."""
    practitioner = fetch_or_404(selectors.practitioner_for_user, request.user, practitioner_id)
    anonymous = not request.user.is_authenticated
    form = ErrorReportForm(request.POST or None, anonymous=anonymous)
    context = {"practitioner": practitioner, "form": form}
    if request.method == "POST":
        if anonymous and not _anonymous_report_allowed(request):
            context["rate_limited"] = True
            return render(request, "directory/practitioner_report.html", context, status=429)
        if form.is_valid():
            try:
                entry_services.error_report_create(
                    reporter=request.user if not anonymous else None,
                    practitioner=practitioner,
                    message=form.cleaned_data["message"],
                    reporter_email=form.cleaned_data.get("reporter_email", ""),
                )
            except ApplicationError as error:
                refuse_on_form(form, error)
            else:
                messages.success(
                    request, _("Merci : la coordination de la CPTS a reçu votre signalement et va vérifier la fiche.")
                )
                return redirect("directory:practitioner_detail", practitioner_id=practitioner.public_id)
    return render(request, "directory/practitioner_report.html", context, status=400 if form.errors else 200)


# --- Practices ----------------------------------------------------------------------------------------------------


@public
@require_http_methods(["GET"])
def practice_detail(request, practice_id):
    page = fetch_or_404(selectors.practice_page, viewer=request.user, public_id=practice_id)
    return render(request, "directory/practice_detail.html", {"page": page, "practice": page.practice})


@authenticated
@require_http_methods(["GET", "POST"])
def practice_edit(request, practice_id):
    practice = fetch_or_404(selectors.practice_for_user, request.user, practice_id, write=True)
    form = PracticeForm(request.POST or None, initial=PracticeForm.initial_for(practice))
    if request.method == "POST" and form.is_valid():
        try:
            entry_services.practice_update(acting_user=request.user, practice=practice, **form.cleaned_data)
        except ApplicationError as error:
            refuse_on_form(form, error)
        else:
            messages.success(request, _("Cabinet enregistré."))
            return redirect("directory:practice_detail", practice_id=practice.public_id)
    context = {
        "practice": practice,
        "form": form,
        "commune_candidates": [
            (selectors.commune_label(commune), commune) for commune in getattr(form, "commune_candidates", [])
        ],
    }
    return render(request, "directory/practice_edit.html", context, status=400 if form.errors else 200)


@authenticated
@require_http_methods(["GET", "POST"])
def practice_channels(request, practice_id):
    """The practice's own channels (secretariat, reception…), every audience; POST adds one."""
    practice = fetch_or_404(selectors.practice_for_user, request.user, practice_id, write=True)
    if request.method == "POST":
        return _channel_create(request, practice, practice=practice)
    return _channels_response(request, practice)


@public
@require_http_methods(["GET"])
def commune_suggestions(request):
    """``<option>``s for a commune box: the practice form's (``commune``) and the directory search's (``place``);
    reference data, public."""
    communes = selectors.communes_suggested(request.GET.get("commune") or request.GET.get("place", ""))
    options = [selectors.commune_label(commune) for commune in communes]
    response = render(request, "directory/_entry_commune_options.html", {"options": options})
    return with_vary(response)

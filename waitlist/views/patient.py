"""The patient's pages, through the signed link sent to them (no account): where they stand, update, withdraw,
erase, re-confirm; and "lien perdu ?", which sends the link again and says the same thing whether the address is
on the list or not.

Opening a link (GET) never changes anything: mail scanners and link previews open every link of a message. Each
page shows a button; only its POST acts. A link to an erased entry answers 410 "vos données ont été effacées".
"""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from core.access import public
from core.errors import ApplicationError
from core.pages import refuse_on_form
from directory.contact_values import display_value
from directory.selectors import commune_label
from waitlist.patient_forms import ContactCodeForm, EraseForm, FollowUpdateForm, LinkResendForm, WithdrawForm
from waitlist.services import retention, selfservice

LINK_STATUS = {"link_erased": 410, "link_invalid": 404}
RESENDS_PER_HOUR_PER_VISITOR = 10
RESENDS_PER_HOUR_PER_ADDRESS = 3
DONE_NOTICES = {"withdrawn", "updated", "contact", "confirmed"}


def _link_refused(request, error: ApplicationError):
    context = {"message": error.message, "erased": error.code == "link_erased"}
    return render(request, "waitlist/patient/link_error.html", context, status=LINK_STATUS.get(error.code, 400))


def _follow_url(token: str, notice: str = "") -> str:
    url = reverse("waitlist:follow", args=[token])
    return f"{url}?fait={notice}" if notice else url


def _entry(token: str):
    return selfservice.entry_from_link(token)


@public
@require_http_methods(["GET"])
def follow(request, token):
    """Where the household stands, in words, and what they may do."""
    try:
        entry = _entry(token)
    except ApplicationError as error:
        return _link_refused(request, error)
    notice = request.GET.get("fait", "")
    context = {
        "token": token,
        "status": selfservice.entry_status(entry),
        "notice": notice if notice in DONE_NOTICES else "",
        "phone_display": display_value("phone", entry.phone) if entry.phone else "",
    }
    return render(request, "waitlist/patient/follow.html", context)


def _update_page(request, token, entry, form, *, code_forms=(), status=200):
    context = {
        "token": token,
        "entry": entry,
        "form": form,
        "code_forms": code_forms,
        "candidates": [commune_label(commune) for commune in form.commune_candidates],
    }
    return render(request, "waitlist/patient/update.html", context, status=status)


def _code_forms(awaiting: dict[str, str], bound: ContactCodeForm | None = None):
    forms = []
    for channel, address in awaiting.items():
        if bound is not None and bound.data.get("channel") == channel:
            form = bound
        else:
            form = ContactCodeForm(initial={"channel": channel, "address": address})
        shown = display_value("phone", address) if channel == "phone" else address
        forms.append((channel, shown, form))
    return forms


@public
@require_http_methods(["GET", "POST"])
def follow_update(request, token):
    """Contact, commune, distance, the household's facts. A new phone or e-mail receives a code, typed on the same
    page (``follow_contact_confirm``) before it replaces the old one."""
    try:
        entry = _entry(token)
    except ApplicationError as error:
        return _link_refused(request, error)
    members = list(entry.members.all())
    if request.method == "GET":
        initial = {
            "phone": display_value("phone", entry.phone) if entry.phone else "",
            "email": entry.email,
            "commune": commune_label(entry.commune),
            "max_distance_km": entry.max_distance_km,
        }
        return _update_page(request, token, entry, FollowUpdateForm(initial=initial, members=members))
    form = FollowUpdateForm(request.POST, members=members)
    if not form.is_valid():
        return _update_page(request, token, entry, form, status=400)
    try:
        result = selfservice.entry_update(
            entry=entry,
            commune=form.cleaned_data["commune"],
            max_distance_km=form.cleaned_data["max_distance_km"],
            facts=form.facts(),
            phone=_typed_contact(form.cleaned_data["phone"], entry.phone, kind="phone"),
            email=_typed_contact(form.cleaned_data["email"], entry.email, kind="email"),
        )
    except ApplicationError as error:
        refuse_on_form(form, error)
        return _update_page(request, token, entry, form, status=400)
    if result.awaiting_code:
        entry.refresh_from_db()
        return _update_page(request, token, entry, form, code_forms=_code_forms(result.awaiting_code))
    return redirect(_follow_url(token, "updated" if result.changed else ""))


def _typed_contact(typed: str, current: str, *, kind: str) -> str | None:
    """``None`` when the field still holds the current value (shown in the national format for a phone)."""
    typed = (typed or "").strip()
    if not typed:
        return "" if current else None
    if kind == "phone" and current:
        try:
            if selfservice.phone_checked(typed) == current:
                return None
        except ApplicationError:
            return typed  # the service says what is wrong with it
    if kind == "email" and typed.lower() == current.lower():
        return None
    return typed


@public
@require_http_methods(["POST"])
def follow_contact_confirm(request, token):
    """The code sent to the new phone or e-mail: right, the contact changes; wrong, the same page says why."""
    try:
        entry = _entry(token)
    except ApplicationError as error:
        return _link_refused(request, error)
    code_form = ContactCodeForm(request.POST)
    members = list(entry.members.all())
    form = FollowUpdateForm(
        initial={
            "phone": display_value("phone", entry.phone) if entry.phone else "",
            "email": entry.email,
            "commune": commune_label(entry.commune),
            "max_distance_km": entry.max_distance_km,
        },
        members=members,
    )
    awaiting = {request.POST.get("channel", ""): request.POST.get("address", "")}
    if code_form.is_valid():
        try:
            selfservice.entry_contact_confirm(
                entry=entry,
                channel=code_form.cleaned_data["channel"],
                address=code_form.cleaned_data["address"],
                code=code_form.cleaned_data["code"],
            )
        except ApplicationError as error:
            refuse_on_form(code_form, error)
        else:
            return redirect(_follow_url(token, "contact"))
    return _update_page(request, token, entry, form, code_forms=_code_forms(awaiting, bound=code_form), status=400)


@public
@require_http_methods(["GET", "POST"])
def follow_withdraw(request, token):
    """ "J'ai trouvé un médecin" and the other reasons to leave the queue."""
    try:
        entry = _entry(token)
    except ApplicationError as error:
        return _link_refused(request, error)
    form = WithdrawForm(request.POST if request.method == "POST" else None, initial={"reason": "found_gp"})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                selfservice.entry_withdraw(entry=entry, reason=form.cleaned_data["reason"])
            except ApplicationError as error:
                refuse_on_form(form, error)
            else:
                return redirect(_follow_url(token, "withdrawn"))
        status = 400
    context = {"token": token, "entry": entry, "form": form}
    return render(request, "waitlist/patient/withdraw.html", context, status=status)


@public
@require_http_methods(["GET", "POST"])
def follow_erase(request, token):
    """Erase my data: a confirmation step, then nothing that names the person is left."""
    try:
        entry = _entry(token)
    except ApplicationError as error:
        return _link_refused(request, error)
    form = EraseForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                selfservice.entry_erase(entry=entry, by_patient=True)
            except ApplicationError as error:
                if error.code == "link_erased":
                    return _link_refused(request, error)
                refuse_on_form(form, error)
            else:
                return render(request, "waitlist/patient/erased.html")
        status = 400
    context = {"token": token, "entry": entry, "form": form}
    return render(request, "waitlist/patient/erase.html", context, status=status)


@public
@require_http_methods(["GET", "POST"])
def follow_confirm(request, token):
    """ "Toujours sans médecin traitant ?": the link of the six-monthly message opens this page; its button
    confirms (a GET confirms nothing)."""
    try:
        entry = _entry(token)
    except ApplicationError as error:
        return _link_refused(request, error)
    error_message = ""
    if request.method == "POST":
        try:
            retention.entry_reconfirm(entry=entry)
        except ApplicationError as error:
            error_message = error.message
        else:
            return redirect(_follow_url(token, "confirmed"))
    context = {"token": token, "entry": entry, "error_message": error_message}
    return render(request, "waitlist/patient/confirm.html", context, status=400 if error_message else 200)


def _client_ip(request) -> str:
    if settings.SECURE_PROXY_SSL_HEADER:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR") or "unknown"


def _within(key: str, limit: int) -> bool:
    """A fixed one-hour window per key in the shared cache (fails open with it, see ``core.cache``)."""
    if cache.add(key, 1, timeout=3600):
        return True
    try:
        return cache.incr(key) <= limit
    except ValueError:  # the window ended between add() and incr()
        cache.set(key, 1, timeout=3600)
        return True


def _address_key(address: str) -> str:
    # The cache never holds the address itself (it would outlive an erasure there).
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{address.strip().lower()}".encode()).hexdigest()[:32]
    return f"waitlist:link-resend:address:{digest}"


@public
@require_http_methods(["GET", "POST"])
def link_resend(request):
    """ "Lien perdu ?": the link goes again to the phone or e-mail typed, if a sign-up uses it; the page says the
    same either way. A few tries an hour per visitor and per address."""
    form = LinkResendForm(request.POST if request.method == "POST" else None)
    context = {"form": form, "sent": False, "limited": False}
    if request.method == "GET":
        return render(request, "waitlist/patient/link_resend.html", context)
    if not form.is_valid():
        return render(request, "waitlist/patient/link_resend.html", context, status=400)
    address = form.cleaned_data["address"]
    visitor_ok = _within(f"waitlist:link-resend:ip:{_client_ip(request)}", RESENDS_PER_HOUR_PER_VISITOR)
    if not visitor_ok or not _within(_address_key(address), RESENDS_PER_HOUR_PER_ADDRESS):
        context["limited"] = True
        return render(request, "waitlist/patient/link_resend.html", context, status=429)
    try:
        selfservice.link_resend(address=address)
    except ApplicationError as error:
        refuse_on_form(form, error)
        return render(request, "waitlist/patient/link_resend.html", context, status=400)
    context["sent"] = True
    return render(request, "waitlist/patient/link_resend.html", context)

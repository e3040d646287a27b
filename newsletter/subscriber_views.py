"""The subscribers' pages: subscribing (public), the links of the e-mails (confirm by a button, unsubscribe in
one click or from the footer page, manage: editions, export, erasure), the account page's toggle, and the
coordinator's list and import.

A link's page never acts on GET (mail scanners open links): a button POSTs. The one-click unsubscribe (RFC 8058)
is a POST without CSRF token nor session, so that view alone is exempt from CSRF: the signed token is the proof.
A refused link answers a French page: 400 tampered, 410 expired, revoked or already used.
"""

import json

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts.roles import Role, has_role
from core.access import authenticated, permission_required, public
from core.errors import ApplicationError
from core.pages import raise_for_access, refuse_on_form
from newsletter import protection
from newsletter.models import DIGEST, Edition
from newsletter.permissions import can_manage_newsletter
from newsletter.selectors import subscribers as selectors
from newsletter.services import subscriptions as services
from newsletter.subscriber_forms import EditionsForm, ImportForm, SubscribeForm

LINK_STATUS = {"link_invalid": 400, "link_expired": 410, "link_revoked": 410, "link_used": 410}


def _link_refused(request, error: ApplicationError):
    context = {"message": error.message, "subscribe_url": reverse("newsletter:subscribe")}
    return render(request, "newsletter/link_refused.html", context, status=LINK_STATUS.get(error.code, 400))


# --- Subscribing ------------------------------------------------------------------------------------------------


def _subscribe_page(request, form, *, status=200, refusal=""):
    context = {
        "form": form,
        "started": protection.form_started_token(),
        "started_field": protection.STARTED_FIELD,
        "honeypot_field": protection.HONEYPOT_FIELD,
        "refusal": refusal,
    }
    return render(request, "newsletter/subscribe.html", context, status=status)


@public
@require_http_methods(["GET", "POST"])
def subscribe(request):
    professional = has_role(request.user, Role.PROFESSIONAL)
    if request.method == "GET":
        return _subscribe_page(request, SubscribeForm(professional=professional))
    form = SubscribeForm(request.POST, professional=professional)
    if not protection.client_allowed(request):
        form.is_valid()
        return _subscribe_page(request, form, status=429, refusal=protection.too_many_message())
    refusal = protection.robot_refusal(request.POST)
    if refusal:
        form.is_valid()
        return _subscribe_page(request, form, status=400, refusal=refusal)
    if form.is_valid():
        try:
            territory = services.territory_for_slug(request.GET.get("territoire"))
            services.subscription_request(
                territory=territory,
                email=form.cleaned_data["email"],
                editions=form.cleaned_data["editions"],
                acting_user=request.user,
                send_mail=protection.address_allowed(form.cleaned_data["email"]),
            )
        except ApplicationError as error:
            refuse_on_form(form, error)
        else:
            return redirect("newsletter:subscribe_sent")
    return _subscribe_page(request, form, status=400)


@public
@require_http_methods(["GET"])
def subscribe_sent(request):
    return render(request, "newsletter/subscribe_sent.html")


# --- The links of the e-mails -----------------------------------------------------------------------------------


@public
@require_http_methods(["GET", "POST"])
def confirm(request, token):
    """The confirmation link opens this page; only its button confirms."""
    try:
        subscriber = services.subscriber_for_link(purpose=services.CONFIRM_PURPOSE, token=token)
        if request.method == "POST":
            subscriber = services.subscription_confirm(subscriber=subscriber)
            return render(
                request,
                "newsletter/confirmed.html",
                {"subscriber": subscriber, "manage_url": services.manage_url(subscriber)},
            )
        if subscriber.confirmed_at is not None:
            services.subscription_confirm(subscriber=subscriber)  # refuses: the link has served
    except ApplicationError as error:
        return _link_refused(request, error)
    labels = [str(Edition(value).label) for value in subscriber.editions if value in Edition.values]
    context = {"subscriber": subscriber, "token": token, "edition_labels": labels}
    return render(request, "newsletter/confirm.html", context)


def _unsubscribe(request, token):
    # The weekly digest's link leaves the digest only; the letter's leaves everything.
    only = DIGEST if request.GET.get(services.ONLY_PARAMETER) == DIGEST else ""
    try:
        subscriber = services.subscriber_for_link(purpose=services.UNSUBSCRIBE_PURPOSE, token=token)
        if request.method == "POST":
            services.subscription_unsubscribe(subscriber=subscriber, only=only)
            return render(
                request, "newsletter/unsubscribed.html", {"subscriber": subscriber, "digest_only": bool(only)}
            )
        if subscriber.unsubscribed_at is not None or (only and DIGEST not in subscriber.editions):
            services.subscription_unsubscribe(subscriber=subscriber, only=only)  # refuses: already unsubscribed
    except ApplicationError as error:
        return _link_refused(request, error)
    context = {
        "subscriber": subscriber,
        "token": token,
        "digest_only": bool(only),
        "manage_url": services.manage_url(subscriber),
    }
    return render(request, "newsletter/unsubscribe.html", context)


# The List-Unsubscribe URL takes the mail client's POST "List-Unsubscribe=One-Click" (RFC 8058): no session, no
# CSRF token, the signed token in the URL is the proof. The footer link opens the same URL: GET shows a button.
unsubscribe = public(csrf_exempt(require_http_methods(["GET", "POST"])(_unsubscribe)))


def _manage_subscriber(token):
    return services.subscriber_for_link(purpose=services.MANAGE_PURPOSE, token=token)


def _editions_allowed(subscriber):
    if Edition.PROFESSIONAL in subscriber.editions or subscriber.user_id is not None:
        return tuple(Edition.values)
    return (Edition.PUBLIC,)


@public
@require_http_methods(["GET", "POST"])
def manage(request, token):
    """The subscriber's page: editions, leave, download or erase their data."""
    try:
        subscriber = _manage_subscriber(token)
    except ApplicationError as error:
        return _link_refused(request, error)
    allowed = _editions_allowed(subscriber)
    form = EditionsForm(
        request.POST if request.method == "POST" else None,
        initial={"editions": subscriber.editions},
        allowed=allowed,
    )
    status = 200
    notice = ""
    if request.method == "POST":
        action = request.POST.get("action", "editions")
        try:
            if action == "unsubscribe":
                services.subscription_unsubscribe(subscriber=subscriber)
                return render(request, "newsletter/unsubscribed.html", {"subscriber": subscriber})
            if form.is_valid():
                subscriber = services.subscription_editions_update(
                    subscriber=subscriber, editions=form.cleaned_data["editions"]
                )
                notice = _("Vos éditions sont enregistrées.")
            else:
                status = 400
        except ApplicationError as error:
            if error.code.startswith("link_"):
                return _link_refused(request, error)
            refuse_on_form(form, error)
            status = 400
    context = {"subscriber": subscriber, "token": token, "form": form, "notice": notice}
    return render(request, "newsletter/manage.html", context, status=status)


@public
@require_http_methods(["POST"])
def manage_export(request, token):
    try:
        subscriber = _manage_subscriber(token)
    except ApplicationError as error:
        return _link_refused(request, error)
    data = services.subscriber_export(subscriber=subscriber)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="lettre-mes-donnees.json"'
    return response


@public
@require_http_methods(["GET", "POST"])
def manage_erase(request, token):
    try:
        subscriber = _manage_subscriber(token)
    except ApplicationError as error:
        return _link_refused(request, error)
    if request.method == "POST":
        services.subscriber_erase(subscriber=subscriber)
        return render(request, "newsletter/erased.html")
    return render(request, "newsletter/erase.html", {"subscriber": subscriber, "token": token})


# --- The account page's toggle ----------------------------------------------------------------------------------


@authenticated
@require_http_methods(["GET", "POST"])
def account_subscription(request):
    """A professional's professional edition: received by default, left or taken again here."""
    if request.method == "POST" and "digest" in request.POST:
        receive = request.POST.get("digest") == "1"
        try:
            services.account_digest_set(user=request.user, receive=receive)
        except ApplicationError as error:
            raise_for_access(error)
        messages.success(
            request,
            _("Vous recevrez chaque lundi le récapitulatif des changements de l'annuaire.")
            if receive
            else _("Vous ne recevrez plus le récapitulatif de l'annuaire."),
        )
        return redirect("newsletter:account_subscription")
    if request.method == "POST":
        receive = request.POST.get("receive") == "1"
        services.account_subscription_set(user=request.user, receive=receive)
        messages.success(
            request,
            _("Vous recevrez l'édition des professionnels.")
            if receive
            else _("Vous ne recevrez plus l'édition des professionnels."),
        )
        return redirect("newsletter:account_subscription")
    rows = selectors.account_subscriptions(request.user)
    receives = any(Edition.PROFESSIONAL in row.editions and row.receives for row in rows)
    context = {
        "rows": rows,
        "receives": receives,
        "receives_digest": services.account_receives_digest(request.user),
        "professional": has_role(request.user, Role.PROFESSIONAL),
    }
    return render(request, "newsletter/account_subscription.html", context)


# --- The coordination -------------------------------------------------------------------------------------------


def _territory_or_404(request):
    territory = selectors.newsletter_territory_for_user(request.user, request.GET.get("territoire"))
    if territory is None:
        raise Http404
    return territory


@permission_required(can_manage_newsletter)
@require_http_methods(["GET"])
def coordination_subscribers(request):
    territory = _territory_or_404(request)
    query = request.GET.get("q", "").strip()[:200]
    edition = request.GET.get("edition", "")
    state = request.GET.get("etat", "")
    page = Paginator(
        selectors.subscribers_search(territory, query=query, edition=edition, state=state), selectors.PAGE_SIZE
    ).get_page(request.GET.get("page"))
    context = {
        "territory": territory,
        "territories": selectors.newsletter_territories_of(request.user),
        "counts": selectors.subscriber_counts(territory),
        "rows": page,
        "page": page,
        "query": query,
        "edition": edition,
        "state": state,
        "editions": Edition.choices,
        "states": [
            ("confirmed", _("Confirmés")),
            ("unconfirmed", _("Non confirmés")),
            ("unsubscribed", _("Désinscrits")),
            ("bounced", _("Adresse en échec")),
        ],
    }
    return render(request, "newsletter/coordination_subscribers.html", context)


@permission_required(can_manage_newsletter)
@require_http_methods(["GET", "POST"])
def coordination_import(request):
    territory = _territory_or_404(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                report = services.subscribers_import(
                    territory=territory,
                    content=form.cleaned_data["file"].read(),
                    edition=form.cleaned_data["edition"],
                    consent_source=form.cleaned_data["consent_source"],
                )
                status = 200
            except ApplicationError as error:
                refuse_on_form(form, error)
    context = {
        "territory": territory,
        "territories": selectors.newsletter_territories_of(request.user),
        "form": form,
        "report": report,
    }
    return render(request, "newsletter/coordination_import.html", context, status=status)

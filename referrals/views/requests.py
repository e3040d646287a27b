"""The referral pages: the new request with the directory search built in, "Mes demandes" (the GP's requests),
the inbox of the recipient's side with its bulk acknowledgement, one request with its timeline, its thread and
the actions the user may take, and its letter as a PDF.

Thin: parse with ``referrals.forms``, call one selector or service, render. Every form works without
JavaScript (POST, then redirect); HTMX refreshes the lists, the recipient search and the notices about the
recipient. A refused input answers 400 with what was typed and the French message on its field. Whoever may
not see a request gets 404; whoever sees it but may not take an action gets 403. Pages showing patients are
never cached by the browser.
"""

import datetime
import uuid
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.access import authenticated, permission_required
from core.errors import ApplicationError
from core.pages import raise_for_access, refuse_on_form, with_vary
from directory.selectors.api import practitioner_by_public_id
from referrals import services
from referrals.forms import (
    AcceptForm,
    AnswerForm,
    CancelForm,
    CloseForm,
    DeclineForm,
    InboxFilterForm,
    MessageForm,
    ReferralForm,
    SentFilterForm,
)
from referrals.letters import referral_letter_pdf
from referrals.models import Referral, Urgency
from referrals.permissions import REFERRAL_ACTIONS, can_send_referrals, can_work_referral_inbox, referral_actions_for
from referrals.recipients import due_date_for, recipient_label, recipient_reach
from referrals.rules import message_refusal, side_refusal
from referrals.scope import appointment_sites, request_actor
from referrals.selectors import (
    OPEN_STATUSES,
    age_on,
    direct_access_specialty,
    pathways_open_to,
    recipient_choice,
    recipient_of_choice,
    recipients_search,
    referral_list_reads_record,
    referral_sides,
    referral_status_counts,
    referrals_handled_by,
    referrals_inbox,
    referrals_sent_by,
)
from referrals.services.attachments import MAX_ATTACHMENT_BYTES
from referrals.services.billing import billing_preview
from referrals.services.handling import message_post
from referrals.timeline import timeline_entries
from referrals.views import referral_or_404
from referrals.views.billing import billing_context
from referrals.views.handling import handling_context

Status = Referral.Status
LIST_PAGE_SIZE = 25


def _date_or_none(text: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat((text or "").strip())
    except ValueError:
        return None


# --- The new request --------------------------------------------------------------------------------------------

# ?praticien=<id> (from a practitioner's page), ?cabinet=<id>, ?parcours=<id>: the recipient comes preselected.
_PRESELECTION_PARAMETERS = {"praticien": "practitioner", "cabinet": "practice", "parcours": "pathway"}


def _initial_from_query(query: QueryDict) -> dict:
    initial = {}
    for parameter, kind in _PRESELECTION_PARAMETERS.items():
        if query.get(parameter):
            initial["recipient"] = f"{kind}:{query[parameter]}"
    if query.get("type") in Referral.Kind.values:
        initial["kind"] = query["type"]
    return initial


def _initial_from_post(form_class, data: QueryDict) -> dict:
    """What was typed, to show again without validating (a search or a switch of recipient is not a send)."""
    return {name: data.get(name) for name in form_class.base_fields if name in data}


def _recipient_context(user, recipient, *, birth_date, kind, sender=None, typed=None) -> dict:
    """What the form says about the chosen recipient before sending: who receives and answers it on the portal
    (``referrals.recipients.recipient_reach``: nobody, and the letter goes another way; an absence before the
    due date of the urgency chosen, with who replaces them; what to address instead), a specialty of direct
    access, a practitioner who does not answer tele-expertise, and for a tele-expertise what would keep it from
    being billed (no consent, same MSP, the yearly cap for this patient)."""
    context = {
        "recipient": recipient,
        "recipient_value": recipient_choice(recipient) if recipient else "",
        "recipient_kind": recipient._meta.model_name if recipient else "",
    }
    if recipient is not None:
        urgency = (typed or {}).get("urgency") or Urgency.ROUTINE
        context["reach"] = recipient_reach(user, recipient, sender=sender, urgency=urgency, kind=kind)
    if recipient is not None and recipient._meta.model_name == "practitioner":
        context["absence"] = context["reach"].absence
        context["direct_access"] = direct_access_specialty(recipient, patient_birth_date=birth_date)
        context["refuses_teleexpertise"] = kind == Referral.Kind.TELEEXPERTISE and not recipient.answers_teleexpertise
    if kind == Referral.Kind.TELEEXPERTISE and sender is not None and recipient is not None:
        typed = typed or {}
        context["billing_warnings"] = billing_preview(
            sender=sender,
            recipient_practitioner=recipient if recipient._meta.model_name == "practitioner" else None,
            teleexpertise_consent=typed.get("teleexpertise_consent") in ("on", "true", "1", True),
            patient_ins=(typed.get("patient_ins") or "").replace(" ", ""),
            patient_family_name=typed.get("patient_family_name") or "",
            patient_given_names=typed.get("patient_given_names") or "",
            patient_birth_date=birth_date,
            acting_user=user,
        )
    return context


URGENCY_HINTS = {
    Urgency.URGENT: gettext_lazy("Réponse attendue sous 48 h"),
    Urgency.RAPID: gettext_lazy("Sous 7 jours"),
    Urgency.ROUTINE: gettext_lazy("Sous 30 jours"),
}


def _as_choices(practitioners: list, *, field: str) -> list:
    """Each practitioner found with the value its radio button carries in ``field``."""
    for practitioner in practitioners:
        practitioner.choice_value = (
            f"practitioner:{practitioner.public_id}" if field == "recipient" else str(practitioner.public_id)
        )
    return practitioners


def _wants_search(data: QueryDict) -> bool:
    """The search button, or Enter in the search box without JavaScript (no recipient chosen yet)."""
    query = data.get("recipient_query", "").strip()
    return "search_recipient" in data or (bool(query) and not data.get("recipient"))


@permission_required(can_send_referrals)
@require_http_methods(["GET", "POST"])
@never_cache
def referral_new(request):
    """The new request. POST sends it, unless it asks for a directory search or a switch to the replacement of
    an absent recipient: the form then comes back as typed (200). An absent recipient is shown, with their
    replacement, before the request goes to them."""
    sender = request_actor(request).entry
    if sender is None:
        raise PermissionDenied
    data = request.POST.copy() if request.method == "POST" else None
    sending = False
    if data is None:
        form = ReferralForm(initial={"kind": Referral.Kind.LETTER, **_initial_from_query(request.GET)})
        recipient_value = form.initial.get("recipient", "")
    else:
        if data.get("recipient_switch"):
            data["recipient"] = data["recipient_switch"]
        sending = not data.get("recipient_switch") and not _wants_search(data)
        form = ReferralForm(data) if sending else ReferralForm(initial=_initial_from_post(ReferralForm, data))
        recipient_value = data.get("recipient", "")
    recipient = recipient_of_choice(recipient_value, sender=sender) if recipient_value else None
    kind = (data or form.initial).get("kind") or Referral.Kind.LETTER
    birth_date = _date_or_none((data or {}).get("patient_birth_date"))
    recipient_context = _recipient_context(
        request.user, recipient, birth_date=birth_date, kind=kind, sender=sender, typed=data
    )
    absence_first = outside_first = False

    if sending and form.is_valid():
        absence = recipient_context.get("absence")
        reach = recipient_context.get("reach")
        if recipient_value and recipient is None:
            form.add_error("recipient", _("Ce destinataire est introuvable : choisissez-le de nouveau."))
        elif absence is not None and form.cleaned_data["absence_seen"] != str(recipient.public_id):
            absence_first = True
        elif reach is not None and not reach.uses_portal and form.cleaned_data["outside_seen"] != recipient_value:
            outside_first = True  # nobody will find it in the portal: said before it goes
        else:
            try:
                # All or nothing (the service's): a refused document leaves no request behind.
                referral = services.referral_send(
                    acting_user=request.user,
                    attachments=request.FILES.getlist("attachments"),
                    **form.service_arguments(sender=sender, recipient=recipient),
                )
            except ApplicationError as error:
                refuse_on_form(form, error)
            else:
                if reach is not None and not reach.uses_portal:
                    # What really happened: nothing reached anyone; the letter is ready for the GP to send.
                    messages.warning(
                        request,
                        _(
                            "Courrier prêt : à envoyer vous-même à %(name)s. Personne ne reçoit les demandes sur "
                            "le portail de son côté : envoyez le courrier (PDF) par l'un des moyens ci-dessous, "
                            "puis indiquez comment vous l'avez envoyé."
                        )
                        % {"name": recipient_label(recipient)},
                    )
                    return redirect(reverse("referrals:detail", args=[referral.public_id]) + "#sent-outside-title")
                messages.success(
                    request,
                    _("Demande envoyée. Vous suivez ici sa réponse ; elle est aussi dans « Mes demandes »."),
                )
                return redirect("referrals:detail", public_id=referral.public_id)
    elif data is None and recipient_value and recipient is None:
        messages.warning(request, _("Le destinataire proposé est introuvable : choisissez-en un."))

    query = (data or {}).get("recipient_query", "").strip()
    search_results = None
    if data is not None and query:
        found = recipients_search(
            request.user,
            q=query,
            teleexpertise_only=kind == Referral.Kind.TELEEXPERTISE,
            exclude=sender,
            due_on=due_date_for(data.get("urgency") or Urgency.ROUTINE),
        )
        search_results = _as_choices(found, field="recipient")
    context = {
        "form": form,
        "sender": sender,
        "kind": kind,
        "pathways": list(pathways_open_to(sender)),
        "search_results": search_results,
        "query": query,
        "absence_first": absence_first,
        "outside_first": outside_first,
        "attachments_enabled": True,
        "max_attachment_megabytes": MAX_ATTACHMENT_BYTES // (1024 * 1024),
        "urgency_hints": URGENCY_HINTS,
        **recipient_context,
    }
    status = 400 if sending and form.errors else 200
    return render(request, "referrals/referral_new.html", context, status=status)


@permission_required(can_work_referral_inbox)
@require_GET
@never_cache
def recipient_search(request):
    """HTMX: the directory's best matches for what is typed, as choices of a form: the recipient of a new
    request (``field=recipient``) or the colleague a decline suggests (``field=suggested_practitioner``)."""
    field = request.GET.get("field", "recipient")
    if field not in ("recipient", "suggested_practitioner"):
        raise Http404
    query = request.GET.get("q", request.GET.get("recipient_query", request.GET.get("colleague_query", ""))).strip()
    teleexpertise = request.GET.get("kind") == Referral.Kind.TELEEXPERTISE
    results = None
    if query:
        due_on = due_date_for(request.GET.get("urgency") or Urgency.ROUTINE) if field == "recipient" else None
        found = recipients_search(
            request.user,
            q=query,
            teleexpertise_only=teleexpertise,
            exclude=request_actor(request).entry,
            due_on=due_on,
        )
        results = _as_choices(found, field=field)
    context = {"search_results": results, "query": query, "field": field, "chosen": request.GET.get("chosen", "")}
    return with_vary(render(request, "referrals/_recipient_results.html", context))


@permission_required(can_send_referrals)
@require_GET
def recipient_notices(request):
    """HTMX: the notices about the recipient chosen in the new-request form (who receives it on the portal, an
    absence before the due date, what to address instead, direct access), and the send button that goes with
    them (swapped out of band)."""
    sender = request_actor(request).entry
    recipient = recipient_of_choice(request.GET.get("recipient", ""), sender=sender)
    context = _recipient_context(
        request.user,
        recipient,
        birth_date=_date_or_none(request.GET.get("patient_birth_date")),
        kind=request.GET.get("kind", ""),
        sender=sender,
        typed=request.GET,
    )
    return with_vary(render(request, "referrals/_recipient_notices.html", {**context, "oob": True}))


# --- Lists ------------------------------------------------------------------------------------------------------


def _list_page(request, referrals):
    """A page of 25, its rows read once (and logged: each row shows a patient)."""
    page = Paginator(referrals, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    referral_list_reads_record(request.user, page.object_list, request=request)
    return page


@permission_required(can_send_referrals)
@require_GET
@never_cache
def referral_list(request):
    """ "Mes demandes": the GP's requests, overdue first or newest first, filtered by status and by the
    patient's name."""
    form = SentFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    status = filters.get("status", "")
    actor = request_actor(request)
    counts = referral_status_counts(referrals_sent_by(actor))
    form.fields["status"].choices = [
        ("", _("Toutes mes demandes (%(count)s)") % {"count": sum(counts.values())}),
        *((value, f"{label} ({counts.get(value, 0)})") for value, label in Referral.Status.choices),
    ]
    referrals = referrals_sent_by(
        actor,
        status=status,
        patient=filters.get("q", ""),
        newest=filters.get("sort") == SentFilterForm.SORT_NEWEST,
    )
    page = _list_page(request, referrals)
    context = {
        "form": form,
        "page": page,
        "status": status,
        "searched": bool(filters.get("q")),
    }
    template = "referrals/_sent_results.html" if request.htmx else "referrals/referral_list.html"
    return with_vary(render(request, template, context, status=400 if form.errors else 200))


@permission_required(can_work_referral_inbox)
@require_GET
@never_cache
def inbox(request):
    """The inbox of the recipient's side: what the user's practices and own entry receive, overdue first,
    filtered by status, urgency and lateness (a GET form: the URL can be shared)."""
    form = InboxFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    referrals = referrals_inbox(
        request_actor(request),
        status=filters.get("status", ""),
        kind=filters.get("kind", ""),
        urgency=filters.get("urgency", ""),
        overdue=filters.get("overdue", False),
    )
    page = _list_page(request, referrals)
    for referral in page.object_list:
        referral.reason_start = reason_start(referral.reason)
    context = {
        "form": form,
        "page": page,
        "filters_query": _filters_query(request.GET),
        "acknowledgeable": any(referral.status == Status.SENT for referral in page.object_list),
    }
    template = "referrals/_inbox_results.html" if request.htmx else "referrals/inbox.html"
    return with_vary(render(request, template, context, status=400 if form.errors else 200))


_INBOX_FILTERS = ("status", "kind", "urgency", "overdue", "page")

REASON_START_CHARS = 80


def reason_start(reason: str, *, limit: int = REASON_START_CHARS) -> str:
    """The reason's first words, cut at a word (never inside one) and marked as cut: what an inbox row shows."""
    text = " ".join(reason.split())
    if len(text) <= limit:
        return text
    head = text[: limit + 1]
    cut = head.rsplit(" ", 1)[0] if " " in head else text[:limit]  # one long word: cut it, there is no other way
    return cut.rstrip(" ,;:.-") + "…"


def _filters_query(query: QueryDict) -> str:
    """The inbox filters of a query string, re-encoded (nothing else travels through the bulk form)."""
    kept = QueryDict(mutable=True)
    for name in _INBOX_FILTERS:
        if query.get(name):
            kept[name] = query[name]
    return kept.urlencode()


def _described(referral: Referral) -> str:
    """A request named without its patient (flash messages travel through the session)."""
    sent = timezone.localtime(referral.sent_at or referral.created_at)
    return _("la demande de %(sender)s du %(date)s") % {"sender": referral.sender, "date": f"{sent:%d/%m/%Y %H:%M}"}


@permission_required(can_work_referral_inbox)
@require_POST
def inbox_acknowledge(request):
    """The requests ticked in the inbox, each acknowledged through ``referral_acknowledge``; the page says how
    many were, and which could not be and why."""
    wanted = set()
    for value in request.POST.getlist("referrals"):
        try:
            wanted.add(str(uuid.UUID(value)))
        except ValueError:
            continue
    back = reverse("referrals:inbox")
    filters = _filters_query(QueryDict(request.POST.get("filters", "")))
    if filters:
        back = f"{back}?{filters}"
    if not wanted:
        messages.warning(request, _("Cochez au moins une demande à prendre en compte."))
        return redirect(back)
    found = list(referrals_handled_by(request_actor(request)).filter(public_id__in=wanted).select_related("sender"))
    acknowledged = 0
    for referral in found:
        try:
            services.referral_acknowledge(acting_user=request.user, referral=referral)
        except ApplicationError as error:
            messages.warning(
                request,
                _("Non prise en compte : %(referral)s. %(reason)s")
                % {"referral": _described(referral), "reason": error.message},
            )
        else:
            acknowledged += 1
    if acknowledged:
        messages.success(
            request,
            ngettext("%(count)s demande prise en compte.", "%(count)s demandes prises en compte.", acknowledged)
            % {"count": acknowledged},
        )
    missing = len(wanted) - len(found)
    if missing:
        messages.warning(
            request,
            ngettext(
                "%(count)s demande introuvable n'a pas été prise en compte.",
                "%(count)s demandes introuvables n'ont pas été prises en compte.",
                missing,
            )
            % {"count": missing},
        )
    return redirect(back)


# --- One request --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageAction:
    """How the request page shows an action of ``REFERRAL_ACTIONS`` (or the thread's ``message``): its French
    URL slug, the form that collects its inputs, what the page says once it is done."""

    slug: str
    form: type | None
    done: Promise
    label: Promise | str = ""


MESSAGE = "message"
# The actions posted to ``<id>/<slug>/``; forward, convert and the outside-the-portal ones have their own pages.
PAGE_ACTIONS: dict[str, PageAction] = {
    "acknowledge": PageAction("prendre-en-compte", None, gettext_lazy("Demande prise en compte.")),
    "request_info": PageAction(
        "demander-des-precisions",
        MessageForm,
        gettext_lazy("Votre question est partie au médecin adresseur."),
        gettext_lazy("Ce qu'il vous manque pour décider"),
    ),
    "accept": PageAction("accepter", AcceptForm, gettext_lazy("Demande acceptée : le rendez-vous est enregistré.")),
    "answer": PageAction("repondre", AnswerForm, gettext_lazy("Réponse envoyée.")),
    "decline": PageAction("refuser", DeclineForm, gettext_lazy("Demande refusée.")),
    "close": PageAction("cloturer", CloseForm, gettext_lazy("Demande clôturée.")),
    "provide_info": PageAction(
        "completer",
        MessageForm,
        gettext_lazy("Votre réponse est partie : la demande revient au destinataire."),
        gettext_lazy("Votre réponse"),
    ),
    "cancel": PageAction("annuler", CancelForm, gettext_lazy("Demande annulée.")),
    MESSAGE: PageAction("message", MessageForm, gettext_lazy("Message envoyé."), gettext_lazy("Message")),
}
ACTION_BY_SLUG = {action.slug: name for name, action in PAGE_ACTIONS.items()}


def _available_actions(referral: Referral, actor) -> list[str]:
    """The page's actions this user may take on this request now, in the registry's order, then the thread."""
    names = [action.name for action in referral_actions_for(actor, referral) if action.name in PAGE_ACTIONS]
    # The sender answers the question asked, which sends the request back: no separate message then.
    if "provide_info" not in names and message_refusal(actor, referral) is None:
        names.append(MESSAGE)
    return names


def _action_form(name: str, referral: Referral, actor, data=None):
    action = PAGE_ACTIONS[name]
    if action.form is None:
        return None
    kwargs = {"auto_id": f"id_{name}_%s"}  # several forms on one page: ids stay unique
    if name == "accept":
        # The very rule ``referral_accept`` checks: where the recipient's side receives patients.
        kwargs["sites"] = appointment_sites(referral, actor).order_by("name")
    if action.form is MessageForm:
        kwargs["label"] = action.label
    return action.form(data, **kwargs)


# Where each action's form sits on the request page (its ``<details>`` or ``<form>``): what an error in the banner
# without a field of its own links to.
def _action_anchor(name: str) -> str:
    return f"action-{name}"


# The fields of the request page's forms that are not drawn by ``_field.html`` (whose input carries the form's
# ``id_for_label``), with the element an error on them links to instead.
_ERROR_TARGETS = {("decline", "suggested_practitioner"): "id_decline_colleague_query"}


@dataclass(frozen=True)
class PageError:
    """One line of the error banner at the top of the request page: the message, and the field it links to."""

    message: str
    target: str


def _page_errors(bound, action_error, available: list[str]) -> list[PageError]:
    """What the banner at the top of the page lists after a refused action: each error with a link to its field
    (or to the action's form, for an error of the whole form), in the order the form shows them. A refused action
    the page no longer offers (taken meanwhile by a colleague) links to what the page offers now."""
    if action_error:
        name = action_error[0]
        target = _action_anchor(name) if name in available else "referral-actions"
        if not [other for other in available if other != MESSAGE]:
            target = "contenu"  # nothing left to do here: the page itself
        return [PageError(message=action_error[1], target=target)]
    if not bound or bound[1] is None or not bound[1].errors:
        return []
    name, form = bound
    errors = []
    for message in form.non_field_errors():
        errors.append(PageError(message=message, target=_action_anchor(name)))
    for field_name, messages_of_field in form.errors.items():
        if field_name == "__all__":
            continue
        target = _ERROR_TARGETS.get((name, field_name))
        if target is None:
            target = form[field_name].id_for_label if field_name in form.fields else _action_anchor(name)
        errors.extend(PageError(message=message, target=target) for message in messages_of_field)
    return errors


def _detail_response(request, referral: Referral, *, bound=None, action_error=None, colleague_results=None, status=200):
    actor = request_actor(request)
    sides = referral_sides(actor, referral)
    available = _available_actions(referral, actor)
    forms = {}
    for name in available:
        forms[name] = bound[1] if bound and bound[0] == name else _action_form(name, referral, actor)
    now = timezone.now()
    context = {
        "referral": referral,
        "sides": sides,
        "actions": forms,
        # The thread's form is drawn with the thread: "Que faire ?" only for the other actions.
        "decision_actions": [name for name in forms if name != "message"],
        "action_urls": {name: reverse("referrals:action", args=[referral.public_id, name]) for name in available},
        "open_action": bound[0] if bound else (action_error[0] if action_error else ""),
        "page_errors": _page_errors(bound, action_error, available),
        # After a written answer nothing was seen in consultation: the request closes without a visit report.
        "closes_without_report": referral.status == Status.ANSWERED,
        "colleague_results": colleague_results,
        "events": timeline_entries(referral.events.all()),
        "thread": list(referral.messages.all()),
        "is_open": referral.status in OPEN_STATUSES,
        "overdue": referral.status in OPEN_STATUSES and referral.due_at is not None and referral.due_at < now,
        "patient_age": age_on(referral.patient_birth_date, timezone.localdate()),
        **handling_context(request, referral, sides=sides),
        **billing_context(request, referral),
    }
    return render(request, "referrals/referral_detail.html", context, status=status)


@authenticated
@require_GET
@never_cache
def referral_detail(request, public_id):
    """One request: parties, patient, clinical text, status and target date, outcome, thread, timeline, and
    the forms of the actions the user may take now. The read is logged."""
    referral = referral_or_404(request, public_id)
    return _detail_response(request, referral)


@authenticated
@require_POST
@never_cache
def referral_action(request, public_id, action):
    """One action on a request, through its service; back to the request with what was done, or the page again
    with the French refusal (400)."""
    referral = referral_or_404(request, public_id)
    actor = request_actor(request)
    if action == MESSAGE:
        refusal = message_refusal(actor, referral)
    else:
        refusal = side_refusal(REFERRAL_ACTIONS[action].side, actor, referral)
    if refusal is not None:
        raise_for_access(refusal)
    form = _action_form(action, referral, actor, request.POST)
    if action == "decline" and "search_colleague" in request.POST:
        # Without JavaScript the colleague search is a round trip: the page again, the reason kept.
        form = DeclineForm(initial=_initial_from_post(DeclineForm, request.POST), auto_id="id_decline_%s")
        query = request.POST.get("colleague_query", "").strip()
        results = None
        if query:
            found = recipients_search(request.user, q=query, exclude=referral.sender)
            results = _as_choices(found, field="suggested_practitioner")
        return _detail_response(request, referral, bound=(action, form), colleague_results=results)
    if form is not None and not form.is_valid():
        return _detail_response(request, referral, bound=(action, form), status=400)
    if action == "decline" and form.cleaned_data["suggested_practitioner"]:
        form.suggested = practitioner_by_public_id(form.cleaned_data["suggested_practitioner"])
        if form.suggested is None:
            form.add_error("suggested_practitioner", _("Confrère introuvable : cherchez-le de nouveau."))
            return _detail_response(request, referral, bound=(action, form), status=400)
    try:
        if action == MESSAGE:
            message_post(acting_user=request.user, referral=referral, body=form.cleaned_data["message"])
        else:
            registered = REFERRAL_ACTIONS[action]
            inputs = form.action_inputs(registered) if form is not None else {}
            registered.perform(acting_user=request.user, referral=referral, **inputs)
    except ApplicationError as error:
        raise_for_access(error)
        if form is None:
            return _detail_response(request, referral, action_error=(action, error.message), status=400)
        refuse_on_form(form, error)
        return _detail_response(request, referral, bound=(action, form), status=400)
    messages.success(request, PAGE_ACTIONS[action].done)
    # Back where the user was: a message to the thread, lower down; the other actions are at the top of the page,
    # with the new status and the message saying what was done.
    anchor = "#thread-title" if action == MESSAGE else ""
    return redirect(reverse("referrals:detail", args=[referral.public_id]) + anchor)


@authenticated
@require_GET
@never_cache
def referral_letter(request, public_id):
    """The letter as a PDF, for whoever may see the request (the read is logged)."""
    referral = referral_or_404(request, public_id)
    response = HttpResponse(referral_letter_pdf(referral), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="courrier-{referral.public_id}.pdf"'
    return response

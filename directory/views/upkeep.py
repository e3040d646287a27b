"""Pages that keep the directory true.

Public: a professional claims their entry (RPPS, e-mail proven by a link, then a coordinator's approval) and the
owner of an entry confirms it from the link of the monthly e-mail. Signed in: whoever may edit an entry confirms
it. Coordinators: the change feed of their territories, claims to decide, error reports, stale entries,
duplicates to merge.
"""

from allauth.core.internal.httpkit import get_client_ip  # the client address as allauth's own limits read it
from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.access import authenticated, permission_required, public
from core.errors import ApplicationError
from core.identifiers import adeli_is_valid, rpps_is_valid
from core.pages import fetch_or_404, is_fragment_request, page_or_fragment, raise_for_access, refuse_on_form
from directory.forms.upkeep import ClaimLookupForm, ClaimRejectForm, ClaimStartForm, FeedFilterForm, MergeForm
from directory.models import Audience, EntryClaim, PractitionerMerge
from directory.permissions import can_follow_directory
from directory.selectors import upkeep as selectors
from directory.services import upkeep as services

# Claims are open to anyone: an address (IP) may look up or start this many per hour, signed-in people aside.
CLAIM_ATTEMPTS_PER_HOUR = 10
_CLAIM_ATTEMPTS_WINDOW_SECONDS = 3600


def _claim_attempt_refused(request) -> bool:
    """Counts one anonymous claim attempt from the client's address; True once over the hourly budget."""
    if request.user.is_authenticated:
        return False
    key = f"directory:claim-attempts:{get_client_ip(request) or 'unknown'}"
    cache.add(key, 0, timeout=_CLAIM_ATTEMPTS_WINDOW_SECONDS)
    try:
        attempts = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=_CLAIM_ATTEMPTS_WINDOW_SECONDS)
        attempts = 1
    return attempts > CLAIM_ATTEMPTS_PER_HOUR


def _too_many_attempts_message() -> str:
    return _("Trop de demandes depuis votre connexion : réessayez dans une heure, ou écrivez à la coordination.")


def _next_or(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


# --- Claims -----------------------------------------------------------------------------------------------------


@public
@require_http_methods(["GET"])
def claim_lookup(request):
    """ "Gérer ma fiche": the professional types their RPPS and is led to their entry's claim form."""
    form = ClaimLookupForm(request.GET or None)
    status = 200
    if form.is_bound and form.is_valid():
        if _claim_attempt_refused(request):
            form.add_error("rpps", _too_many_attempts_message())
            status = 429
        else:
            value = "".join(form.cleaned_data["rpps"].split()).upper()
            practitioner = None
            if rpps_is_valid(value) or adeli_is_valid(value):
                practitioner = selectors.practitioner_by_national_id(value)
            if practitioner is not None:
                url = reverse("directory:claim_start", kwargs={"practitioner_id": practitioner.public_id})
                return redirect(f"{url}?rpps={value}")
            if len(value) == 11 and value.isdigit() and not rpps_is_valid(value):
                form.add_error("rpps", _("Numéro RPPS invalide : la clé de contrôle ne correspond pas. Vérifiez-le."))
            elif not (rpps_is_valid(value) or adeli_is_valid(value)):
                form.add_error("rpps", _("Un numéro RPPS compte 11 chiffres (un numéro ADELI, 9 caractères)."))
            else:
                form.add_error(
                    "rpps",
                    _(
                        "Aucune fiche de l'annuaire ne porte ce numéro. Si vous exercez dans le territoire, "
                        "écrivez à la coordination de la CPTS : elle créera votre fiche."
                    ),
                )
    if form.errors and status == 200:
        status = 400
    return render(request, "directory/claim_lookup.html", {"form": form}, status=status)


@public
@require_http_methods(["GET", "POST"])
def claim_start(request, practitioner_id):
    """The claim form of one entry: RPPS, e-mail, a message; a link to prove the address is e-mailed."""
    practitioner = fetch_or_404(selectors.practitioner_by_public_id, practitioner_id)
    initial = {"rpps": request.GET.get("rpps", "")[:20]}
    if request.user.is_authenticated:
        initial["email"] = request.user.email
    form = ClaimStartForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if practitioner.user_id is not None:
            status = 400
        elif _claim_attempt_refused(request):
            form.is_valid()
            form.add_error(None, _too_many_attempts_message())
            status = 429
        elif form.is_valid():
            try:
                claim = services.claim_start(practitioner=practitioner, user=request.user, **form.cleaned_data)
            except ApplicationError as error:
                refuse_on_form(form, error)
            else:
                if claim.status == EntryClaim.Status.AWAITING_APPROVAL:
                    messages.info(
                        request,
                        _(
                            "Votre adresse %(email)s est déjà vérifiée : la coordination de la CPTS va examiner "
                            "votre demande."
                        )
                        % {"email": claim.email},
                    )
                else:
                    messages.success(
                        request,
                        _("Un lien vient d'être envoyé à %(email)s : ouvrez-le pour vérifier votre adresse.")
                        % {"email": claim.email},
                    )
                return redirect("directory:claim_sent")
        if form.errors and status == 200:
            status = 400
    context = {"practitioner": practitioner, "form": form, "linked": practitioner.user_id is not None}
    if practitioner.user_id is not None:
        context["already_linked_message"] = _(
            "Cette fiche est déjà rattachée à un compte. Si c'est la vôtre, connectez-vous ; sinon, signalez "
            "l'erreur à la coordination de la CPTS."
        )
    return render(request, "directory/claim_start.html", context, status=status)


@public
@require_http_methods(["GET"])
def claim_sent(request):
    return render(request, "directory/claim_sent.html")


@public
@require_http_methods(["GET", "POST"])
def claim_verify(request, token):
    """The page the verification e-mail links to: one button proves the address.

    Opening the link (GET) never verifies: mail scanners and link previews open every link of a message, and a
    link opened by a scanner in the professional's mailbox must not move someone else's claim forward.
    """
    try:
        if request.method == "POST":
            claim = services.claim_verify(token=token)
        else:
            claim = services.claim_link_claim(token=token)
    except ApplicationError as error:
        return render(request, "directory/claim_link_error.html", {"message": error.message}, status=400)
    return render(request, "directory/claim_verified.html", {"claim": claim})


@permission_required(can_follow_directory)
@require_http_methods(["GET"])
def claim_queue(request):
    page = Paginator(selectors.claims_pending_for(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "directory/claim_queue.html", {"page": page})


@permission_required(can_follow_directory)
@require_http_methods(["GET", "POST"])
def claim_decide(request, claim_id):
    """A claim with the entry it asks for; POST approves it or rejects it with a reason."""
    claim = fetch_or_404(selectors.claim_coordinated_by, request.user, claim_id)
    reject_form = ClaimRejectForm(request.POST if request.POST.get("decision") == "reject" else None)
    error_message = ""
    if request.method == "POST":
        decision = request.POST.get("decision")
        try:
            if decision == "approve":
                claim = services.claim_approve(acting_user=request.user, claim=claim)
                messages.success(
                    request,
                    _("Demande acceptée : %(email)s gère désormais la fiche de %(name)s.")
                    % {"email": claim.email, "name": claim.practitioner},
                )
                return redirect("directory:claim_queue")
            if decision == "reject" and reject_form.is_valid():
                claim = services.claim_reject(
                    acting_user=request.user, claim=claim, reason=reject_form.cleaned_data["reason"]
                )
                messages.success(request, _("Demande refusée ; %(email)s en reçoit le motif.") % {"email": claim.email})
                return redirect("directory:claim_queue")
            if decision not in ("approve", "reject"):
                error_message = _("Choisissez d'accepter ou de refuser la demande.")
        except ApplicationError as error:
            raise_for_access(error)
            if error.field == "reason":
                reject_form.add_error("reason", error.message)
            else:
                error_message = error.message
    context = {
        "claim": claim,
        "summary": selectors.entry_summary(claim.practitioner),
        "reject_form": reject_form,
        "error_message": error_message,
        "page_url": services.practitioner_page_url(claim.practitioner),
        "account": services.claim_account(claim),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "directory/claim_decide.html", context, status=status)


# --- Confirmations ----------------------------------------------------------------------------------------------


@public
@require_http_methods(["GET", "POST"])
def confirm_link(request, token):
    """The page the monthly e-mail links to: the entry as it reads, and one button "Tout est juste".

    Opening the link (GET) never confirms: mail scanners and link previews open every link of a message, so a
    GET would confirm entries nobody read. Only the button's POST does.
    """
    try:
        practitioner = services.confirmation_link_practitioner(token=token)
    except ApplicationError as error:
        return render(request, "directory/confirm_link_error.html", {"message": error.message}, status=400)
    confirmed = False
    if request.method == "POST":
        try:
            practitioner = services.practitioner_confirm_by_link(token=token)
        except ApplicationError as error:
            return render(request, "directory/confirm_link_error.html", {"message": error.message}, status=400)
        confirmed = True
    context = {
        "practitioner": practitioner,
        # The link's holder is not signed in: they see what the entry's public sees, nothing meant for colleagues.
        "summary": selectors.entry_summary(practitioner, audiences=(Audience.PUBLIC,)),
        "public_only": True,
        "confirmed": confirmed,
        "edit_url": services.edit_url(practitioner),
    }
    return render(request, "directory/confirm_entry.html", context)


@authenticated
@require_POST
def entry_confirm(request, practitioner_id):
    """Someone who may edit the entry confirms it from its page (POST only)."""
    practitioner = fetch_or_404(selectors.practitioner_by_public_id, practitioner_id)
    try:
        services.practitioner_confirm(acting_user=request.user, practitioner=practitioner)
    except ApplicationError as error:
        raise_for_access(error)
        messages.error(request, error.message)
    else:
        messages.success(request, _("Merci : la fiche de %(name)s est confirmée à jour.") % {"name": practitioner})
    return redirect(_next_or(request, services.practitioner_page_url(practitioner)))


# --- The coordinator's follow-up --------------------------------------------------------------------------------


@permission_required(can_follow_directory)
@require_http_methods(["GET"])
def upkeep_feed(request):
    """What waits for the coordinator (claims, error reports, stale entries), then every change of their
    territories, newest first, filtered; HTMX gets the filtered changes only."""
    form = FeedFilterForm(request.GET or None, object_types=selectors.revision_object_types_for(request.user))
    filters = {}
    entry = None
    if form.is_valid():
        data = form.cleaned_data
        if data["entry"]:
            entry = selectors.practitioner_coordinated_by(request.user, data["entry"])
            if entry is None:
                form.add_error("entry", _("Cette fiche n'existe pas ou ne relève pas de votre territoire."))
        filters = {
            "action": data["action"],
            "object_type": data["object_type"],
            "who": data["who"],
            "since": data["since"],
            "until": data["until"],
            "practitioner": entry,
        }
    revisions = selectors.revisions_visible_to(request.user, **filters) if not form.errors else []
    page = Paginator(revisions, 50).get_page(request.GET.get("page"))
    rows = [
        {
            "revision": revision,
            "type_label": selectors.object_type_label(revision.object_type),
            "changes": selectors.revision_changes(revision),
        }
        for revision in page
    ]
    context = {"form": form, "page": page, "rows": rows, "entry": entry}
    if not is_fragment_request(request):  # the page adds what waits for the coordinator above the changes
        claims = selectors.claims_pending_for(request.user)
        reports = selectors.error_reports_open_for(request.user)
        context.update(
            claims=claims[:5],
            claims_count=claims.count(),
            reports=reports[:5],
            reports_count=reports.count(),
            freshness=selectors.freshness_counts_for(request.user),
        )
    return page_or_fragment(
        request,
        page="directory/upkeep_feed.html",
        fragment="directory/upkeep_feed_results.html",
        context=context,
        status=400 if form.errors else 200,
    )


@permission_required(can_follow_directory)
@require_http_methods(["GET"])
def upkeep_reports(request):
    page = Paginator(selectors.error_reports_open_for(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "directory/upkeep_reports.html", {"page": page, "reports": page})


@permission_required(can_follow_directory)
@require_POST
def error_report_resolve(request, report_id):
    report = fetch_or_404(selectors.error_report_coordinated_by, request.user, report_id)
    try:
        services.error_report_resolve(acting_user=request.user, report=report)
    except ApplicationError as error:
        raise_for_access(error)
        messages.error(request, error.message)
    else:
        messages.success(request, _("Signalement sur la fiche de %(name)s traité.") % {"name": report.practitioner})
    return redirect(_next_or(request, reverse("directory:upkeep_reports")))


def _reconfirm_period(request) -> str:
    period = request.GET.get("anciennete") or request.POST.get("anciennete") or ""
    return period if period in selectors.RECONFIRM_PERIODS else selectors.DEFAULT_RECONFIRM_PERIOD


def _with_phones(practitioners) -> list:
    """Each entry with ``phone``: the number a coordinator calls to check it (their audience's first phone)."""
    practitioners = list(practitioners)
    phones, _by_practice = selectors.first_phones(practitioner_ids=[entry.pk for entry in practitioners])
    for entry in practitioners:
        entry.phone = phones.get(entry.pk)
    return practitioners


@permission_required(can_follow_directory)
@require_http_methods(["GET"])
def upkeep_stale(request):
    """Entries not confirmed for a year (or six months), the oldest first, each with its phone and a button to
    confirm it in place once the coordinator has checked it."""
    period = _reconfirm_period(request)
    entries = selectors.entries_to_reconfirm_for(request.user, period=period)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "entries": _with_phones(page),
        "period": period,
        "freshness": selectors.freshness_counts_for(request.user),
    }
    return render(request, "directory/upkeep_stale.html", context)


@permission_required(can_follow_directory)
@require_POST
def upkeep_stale_confirm(request, practitioner_id):
    """The coordinator checked an entry (by phone) and confirms it from the list: HTMX swaps its row for the
    confirmed one; without JavaScript, the list comes back with a message."""
    practitioner = fetch_or_404(selectors.practitioner_coordinated_by, request.user, practitioner_id)
    try:
        practitioner = services.practitioner_confirm(acting_user=request.user, practitioner=practitioner)
    except ApplicationError as error:
        raise_for_access(error)
        messages.error(request, error.message)
        return redirect(_next_or(request, reverse("directory:upkeep_stale")))
    if is_fragment_request(request):
        [entry] = _with_phones([practitioner])
        context = {"entry": entry, "confirmed": True, "period": _reconfirm_period(request)}
        return page_or_fragment(
            request, page="directory/upkeep_stale.html", fragment="directory/_upkeep_stale_row.html", context=context
        )
    messages.success(request, _("Merci : la fiche de %(name)s est confirmée à jour.") % {"name": practitioner})
    return redirect(_next_or(request, reverse("directory:upkeep_stale")))


# --- Duplicates -------------------------------------------------------------------------------------------------


@permission_required(can_follow_directory)
@require_http_methods(["GET"])
def merge_candidates(request):
    return render(request, "directory/merge_candidates.html", {"pairs": selectors.duplicate_pairs_for(request.user)})


@permission_required(can_follow_directory)
@require_http_methods(["GET", "POST"])
def merge_confirm(request, first_id, second_id):
    """Both entries side by side; the coordinator chooses the one to keep, the other is merged into it."""
    pair = selectors.merge_pair_for(request.user, first_id, second_id)
    if pair is None:
        merged = PractitionerMerge.objects.filter(merged_public_id__in=[first_id, second_id]).first()
        kept = merged and selectors.practitioner_coordinated_by(request.user, merged.kept.public_id)
        if request.method == "POST" and kept:  # a second click on the button: the merge is done already
            messages.info(request, _("Ces fiches ont déjà été fusionnées."))
            return redirect(f"{reverse('directory:upkeep_feed')}?entry={kept.public_id}")
        raise Http404
    first, second = pair
    form = MergeForm(request.POST or None, first=first, second=second)
    error_message = ""
    if request.method == "POST" and form.is_valid():
        kept, duplicate = (first, second) if form.cleaned_data["keep"] == str(first.public_id) else (second, first)
        try:
            kept = services.practitioner_merge(acting_user=request.user, kept=kept, duplicate=duplicate)
        except ApplicationError as error:
            raise_for_access(error)
            error_message = error.message
        else:
            messages.success(
                request,
                _("Fiches fusionnées : tout ce que portait le doublon est maintenant sur la fiche de %(name)s.")
                % {"name": kept},
            )
            return redirect(f"{reverse('directory:upkeep_feed')}?entry={kept.public_id}")
    context = {"first": first, "second": second, "form": form, "error_message": error_message}
    status = 400 if request.method == "POST" else 200
    return render(request, "directory/merge_confirm.html", context, status=status)

"""The GP's waiting-list pages under /liste-attente/medecin/: their pledges and the form to make one, a pledge's
page with its draw and the batch of proposals to accept or decline, every proposal made to them; and the page of
the GPs who accept new patients, for pharmacists, midwives, nurses and the coordination.

Thin: parse a form from ``waitlist.forms.pledges``, call one service or selector, render. A draw, an acceptance or a
refusal answers HTMX with the region it changed and everyone else with a redirect. A pledge or a proposal that is
not the GP's is 404; bad input a French 400 with what was typed; a proposal already answered a 409.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.access import permission_required
from core.errors import ApplicationError
from core.pages import fetch_or_404, is_fragment_request, raise_for_access, refuse_on_form, with_vary
from directory.contact_values import display_value
from waitlist.forms.pledges import DeclineForm, PledgeForm
from waitlist.models import Proposal
from waitlist.permissions import can_pledge, can_see_accepting_gps
from waitlist.scope import waitlist_actor_for
from waitlist.selectors import pledges as selectors
from waitlist.services import pledges as services

PROPOSALS_PAGE_SIZE = 25


def _page_errors(form) -> list[dict]:
    errors = []
    for name, field_errors in form.errors.items():
        target = form[name].auto_id if name in form.fields else "pledge-form"
        errors.extend({"message": message, "target": target} for message in field_errors)
    return errors


@permission_required(can_see_accepting_gps)
@require_http_methods(["GET", "POST"])
@never_cache
def gp_home(request):
    """The GP's pledges (capacity left, proposals waiting for an answer) and the form to make one. The menu's
    « Liste d'attente » leads every professional here (the menu asks roles only): those who do not pledge are
    sent on to the GPs who accept new patients."""
    if not can_pledge(request.user):
        return redirect("waitlist:accepting_gps")
    actor = waitlist_actor_for(request.user)
    form = PledgeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            pledge = services.pledge_create(acting_user=request.user, **form.service_arguments())
        except ApplicationError as error:
            refuse_on_form(form, error)
        else:
            messages.success(
                request,
                _("Engagement enregistré : %(count)d nouveaux patients jusqu'au %(until)s. Lancez le tirage.")
                % {"count": pledge.capacity, "until": pledge.until.strftime("%d/%m/%Y")},
            )
            return redirect("waitlist:gp_pledge", public_id=pledge.public_id)
    context = {
        "pledges": list(selectors.pledges_of(actor)),
        "form": form,
        "page_errors": _page_errors(form),
        "pending_count": selectors.proposals_for_gp(actor, status=Proposal.Status.PENDING).count(),
    }
    return render(request, "waitlist/gp_home.html", context, status=400 if form.errors else 200)


def _pledge_context(request, pledge, *, error: str = "", drawn=None) -> dict:
    """The pledge and its proposals (each shown is logged), the answers' forms."""
    actor = waitlist_actor_for(request.user)
    proposals = list(selectors.proposals_for_gp(actor, pledge=pledge))
    drawn_ids = {proposal.pk for proposal in drawn or ()}
    # The draw's service logged what it drew; the others shown are logged here.
    selectors.proposal_reads_record(actor, [p for p in proposals if p.pk not in drawn_ids], request=request)
    return {
        "pledge": pledge,
        "facts": selectors.proposal_facts(proposals),
        "error": error,
        "drawn_count": len(drawn_ids) if drawn is not None else None,
    }


@permission_required(can_pledge)
@require_GET
@never_cache
def gp_pledge(request, public_id):
    pledge = fetch_or_404(selectors.pledge_for_user, waitlist_actor_for(request.user), public_id)
    return with_vary(render(request, "waitlist/gp_pledge.html", _pledge_context(request, pledge)))


@permission_required(can_pledge)
@require_POST
def gp_pledge_draw(request, public_id):
    """A batch of proposals for this pledge; HTMX gets the pledge's region back, with the batch in it."""
    actor = waitlist_actor_for(request.user)
    pledge = fetch_or_404(selectors.pledge_for_user, actor, public_id)
    try:
        drawn = services.pledge_draw(pledge=pledge, acting_user=request.user, request=request)
    except ApplicationError as error:
        raise_for_access(error)
        pledge = selectors.pledge_for_user(actor, public_id)
        context = _pledge_context(request, pledge, error=error.message)
        template = "waitlist/_gp_pledge_region.html" if is_fragment_request(request) else "waitlist/gp_pledge.html"
        return with_vary(render(request, template, context, status=409 if error.code == "conflict" else 400))
    if not is_fragment_request(request):
        if drawn:
            messages.success(
                request, _("%(count)d proposition(s) tirée(s) : répondez à chacune.") % {"count": len(drawn)}
            )
        else:
            messages.info(
                request, _("Personne n'attend pour l'instant dans votre rayon : réessayez dans quelques jours.")
            )
        return redirect("waitlist:gp_pledge", public_id=pledge.public_id)
    pledge = selectors.pledge_for_user(actor, public_id)  # its capacity left, after the draw
    context = _pledge_context(request, pledge, drawn=drawn)
    return with_vary(render(request, "waitlist/_gp_pledge_region.html", context))


@permission_required(can_pledge)
@require_POST
def gp_pledge_close(request, public_id):
    pledge = fetch_or_404(selectors.pledge_for_user, waitlist_actor_for(request.user), public_id)
    services.pledge_close(pledge=pledge, acting_user=request.user)
    messages.success(request, _("Engagement clos : les propositions sans réponse retournent dans la file."))
    return redirect("waitlist:gp_home")


@permission_required(can_pledge)
@require_GET
@never_cache
def gp_proposals(request):
    """Every proposal made to the GP, those awaiting an answer first (``?statut=`` keeps one status)."""
    actor = waitlist_actor_for(request.user)
    status = request.GET.get("statut", "")
    if status not in Proposal.Status.values:
        status = ""
    page = Paginator(selectors.proposals_for_gp(actor, status=status), PROPOSALS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    selectors.proposal_reads_record(actor, page.object_list, request=request)
    context = {
        "page": page,
        "facts": selectors.proposal_facts(page.object_list),
        "status": status,
        "statuses": Proposal.Status.choices,
    }
    return render(request, "waitlist/gp_proposals.html", context)


def _card(request, proposal_id, *, status: int = 200, typed_reason: str = "", error: str = ""):
    actor = waitlist_actor_for(request.user)
    proposal = selectors.proposal_for_user(actor, proposal_id, request=request)
    [facts] = selectors.proposal_facts([proposal])
    context = {
        "item": facts,
        "typed_reason": typed_reason,
        "card_error": error,
        "phone_display": display_value("phone", facts.phone) if facts.phone else "",
    }
    return with_vary(render(request, "waitlist/_gp_proposal.html", context, status=status))


@permission_required(can_pledge)
@require_GET
@never_cache
def gp_proposal(request, public_id):
    actor = waitlist_actor_for(request.user)
    proposal = fetch_or_404(selectors.proposal_for_user, actor, public_id, request=request)
    [facts] = selectors.proposal_facts([proposal])
    context = {"item": facts, "phone_display": display_value("phone", facts.phone) if facts.phone else ""}
    return render(request, "waitlist/gp_proposal.html", context)


def _after_answer(request, proposal, message: str):
    if is_fragment_request(request):
        return _card(request, proposal.public_id)
    messages.success(request, message)
    return redirect("waitlist:gp_pledge", public_id=proposal.pledge.public_id)


def _answer_refused(request, proposal, error: ApplicationError, *, typed_reason: str = ""):
    """The card again with the refusal (HTMX), else the pledge's page with it and the reason as typed."""
    raise_for_access(error)
    status = 409 if error.code == "conflict" else 400
    if is_fragment_request(request):
        return _card(request, proposal.public_id, status=status, typed_reason=typed_reason, error=error.message)
    pledge = selectors.pledge_for_user(waitlist_actor_for(request.user), proposal.pledge.public_id)
    context = _pledge_context(request, pledge)
    for facts in context["facts"]:
        if facts.proposal.pk == proposal.pk:  # the refusal on its card, with the reason as typed
            facts.extra.update(typed_reason=typed_reason, card_error=error.message)
    return with_vary(render(request, "waitlist/gp_pledge.html", context, status=status))


@permission_required(can_pledge)
@require_POST
def gp_proposal_accept(request, public_id):
    """The GP takes the household: its name and contact appear, the patient is told how to book."""
    proposal = fetch_or_404(selectors.proposal_of_gp, waitlist_actor_for(request.user), public_id)
    try:
        proposal = services.proposal_accept(proposal=proposal, acting_user=request.user, request=request)
    except ApplicationError as error:
        return _answer_refused(request, proposal, error)
    return _after_answer(
        request, proposal, _("Proposition acceptée : le patient a reçu vos coordonnées pour prendre rendez-vous.")
    )


@permission_required(can_pledge)
@require_POST
def gp_proposal_decline(request, public_id):
    """The GP declines with a reason; the entry goes back to the queue at its place."""
    proposal = fetch_or_404(selectors.proposal_of_gp, waitlist_actor_for(request.user), public_id)
    form = DeclineForm(request.POST)
    typed = request.POST.get("reason", "")
    if not form.is_valid():
        error = ApplicationError(next(iter(form.errors.values()))[0], field="reason")
        return _answer_refused(request, proposal, error, typed_reason=typed)
    try:
        proposal = services.proposal_decline(
            proposal=proposal, acting_user=request.user, reason=form.cleaned_data["reason"], request=request
        )
    except ApplicationError as error:
        return _answer_refused(request, proposal, error, typed_reason=typed)
    return _after_answer(request, proposal, _("Proposition refusée : l'inscription retourne dans la file."))


@permission_required(can_see_accepting_gps)
@require_GET
@never_cache
def accepting_gps(request):
    """The GPs of the user's territories who take new patients (the directory's flag, the pledges that are not
    discreet), with their practice: whom to send a patient without a GP to. No patient data."""
    return render(
        request,
        "waitlist/accepting_gps.html",
        {
            "gps": selectors.accepting_gps(request.user),
            "directory_url": reverse("directory:search"),
            "pledges": can_pledge(request.user),
        },
    )

"""The public sign-up (no account): the form, the code step, the confirmation.

The form is one page in short sections that a phone fills in a few minutes. "Ajouter une personne du foyer" and
"Retirer" post the form back with a row more or less, everything typed kept (no JavaScript needed). A refused
sign-up answers 400 with what was typed and the errors listed at the top; too many sign-ups from one address 429;
a form sent back by a robot (honeypot filled, sent sooner than a person could) 400, nothing saved. None of these
answers depends on who else is on the list.
"""

import datetime
from dataclasses import dataclass

from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from accounts.signed_links import patient_link_read, patient_link_token
from core.access import public
from core.errors import ApplicationError
from directory.selectors import commune_label
from waitlist.services import signup as services
from waitlist.signup_forms import (
    HOUSEHOLD_PREFIX,
    CodeForm,
    HouseholdFormSet,
    MemberForm,
    SignupForm,
    refuse_on_signup,
)
from waitlist.signup_protection import (
    HONEYPOT_FIELD,
    STARTED_FIELD,
    address_allowed,
    form_started_token,
    robot_refusal,
    started_token_kept,
    too_many_message,
)

CODE_STEP_PURPOSE = "waitlist-signup-code"
CODE_STEP_MAX_AGE = datetime.timedelta(days=2)


@dataclass(frozen=True)
class PageError:
    message: str
    target: str


def _rows_typed(data) -> list[dict]:
    """The household rows as posted (a row's fields without their prefix), to show them again unbound."""
    try:
        total = min(int(data.get(f"{HOUSEHOLD_PREFIX}-TOTAL_FORMS", 0)), HouseholdFormSet.absolute_max)
    except ValueError:
        total = 0
    rows = []
    for index in range(max(total, 0)):
        prefix = f"{HOUSEHOLD_PREFIX}-{index}-"
        rows.append({name: data.get(prefix + name) for name in MemberForm.base_fields if data.get(prefix + name)})
    return rows


def _forms_as_typed(data, rows: list[dict]):
    """Unbound forms showing what was typed, without errors (a row added or removed, a robot's refusal)."""
    typed = {name: data.get(name) for name in SignupForm.base_fields if data.get(name) is not None}
    return SignupForm(initial=typed), HouseholdFormSet(prefix=HOUSEHOLD_PREFIX, initial=rows)


def _page_errors(form, household) -> list[PageError]:
    errors = []
    for name, messages in form.errors.items():
        target = form[name].id_for_label if name in form.fields else "signup-form"
        errors += [PageError(message, target) for message in messages]
    for row in household.forms:
        for name, messages in row.errors.items():
            target = row[name].id_for_label if name in row.fields else "household"
            errors += [PageError(message, target) for message in messages]
    errors += [PageError(message, "household") for message in household.non_form_errors()]
    return errors


def _signup_page(request, form, household, *, started, status=200, page_errors=(), focus_row=None):
    context = {
        "form": form,
        "household": household,
        "started": started,
        "started_field": STARTED_FIELD,
        "honeypot_field": HONEYPOT_FIELD,
        "page_errors": list(page_errors),
        "candidates": [commune_label(commune) for commune in getattr(form, "commune_candidates", [])],
        "can_add_member": len(household.forms) < HouseholdFormSet.max_num,
        "focus_row": focus_row,
    }
    return render(request, "waitlist/signup.html", context, status=status)


@public
@require_http_methods(["GET", "POST"])
def signup(request):
    if request.method == "GET":
        household = HouseholdFormSet(prefix=HOUSEHOLD_PREFIX)
        return _signup_page(request, SignupForm(), household, started=form_started_token())
    data = request.POST
    action = data.get("action", "")
    if action == "add_member" or action.startswith("remove_member:"):
        rows = _rows_typed(data)
        if action == "add_member":
            rows = [*rows, {}][: HouseholdFormSet.max_num]
        else:
            index = action.partition(":")[2]
            rows = [row for position, row in enumerate(rows) if str(position) != index]
        form, household = _forms_as_typed(data, rows)
        focus = len(rows) - 1 if action == "add_member" else None
        return _signup_page(request, form, household, started=started_token_kept(data), focus_row=focus)
    allowed, wait = address_allowed(request)
    refusal = None if allowed else too_many_message(wait)
    refusal = refusal or robot_refusal(data)
    if refusal:
        form, household = _forms_as_typed(data, _rows_typed(data))
        status = 400 if allowed else 429
        errors = [PageError(refusal, "signup-form")]
        return _signup_page(
            request, form, household, started=started_token_kept(data), status=status, page_errors=errors
        )
    form = SignupForm(data)
    household = HouseholdFormSet(data, prefix=HOUSEHOLD_PREFIX)
    if form.is_valid() and household.is_valid():
        try:
            entry = services.entry_signup(details=form.details(household.people()), acting_user=request.user)
        except ApplicationError as error:
            refuse_on_signup(form, household, error.field, error.message)
        else:
            return redirect("waitlist:signup_verify", token=_code_step_token(entry))
    return _signup_page(
        request,
        form,
        household,
        started=started_token_kept(data),
        status=400,
        page_errors=_page_errors(form, household),
    )


# --- The code step ----------------------------------------------------------------------------------------------


def _code_step_token(entry) -> str:
    return patient_link_token(purpose=CODE_STEP_PURPOSE, subject_id=str(entry.public_id))


def _entry_of_step(token):
    """The entry of a code step's link, or None (an invalid, expired link or an entry that has none)."""
    try:
        public_id = patient_link_read(purpose=CODE_STEP_PURPOSE, token=token, max_age=CODE_STEP_MAX_AGE)
        return services.entry_for_code(public_id)
    except ApplicationError:
        return None


def _gone(request):
    return render(request, "waitlist/signup_gone.html", status=404)


def _code_page(request, entry, token, *, form=None, status=200, notice=""):
    channel, shown = services.masked_contact(entry)
    context = {
        "form": form or CodeForm(),
        "token": token,
        "channel": channel,
        "shown": shown,
        "notice": notice,
        "signup_url": reverse("waitlist:signup"),
    }
    return render(request, "waitlist/signup_verify.html", context, status=status)


@public
@require_http_methods(["GET", "POST"])
def signup_verify(request, token):
    entry = _entry_of_step(token)
    if entry is None:
        return _gone(request)
    if entry.status != entry.Status.UNVERIFIED:
        return redirect("waitlist:signup_done")
    if request.method == "GET":
        return _code_page(request, entry, token)
    form = CodeForm(request.POST)
    allowed, wait = address_allowed(request)
    if not allowed:
        form.is_valid()
        form.add_error(None, too_many_message(wait))
        return _code_page(request, entry, token, form=form, status=429)
    if form.is_valid():
        try:
            services.entry_verify(entry=entry, code=form.cleaned_data["code"])
        except ApplicationError as error:
            form.add_error("code" if error.field == "code" else None, error.message)
        else:
            return redirect("waitlist:signup_done")
    return _code_page(request, entry, token, form=form, status=400)


@public
@require_http_methods(["POST"])
def signup_resend(request, token):
    entry = _entry_of_step(token)
    if entry is None:
        return _gone(request)
    if entry.status != entry.Status.UNVERIFIED:
        return redirect("waitlist:signup_done")
    form = CodeForm()
    try:
        services.entry_code_resend(entry=entry)
    except ApplicationError as error:
        form = CodeForm(data={})
        form.is_valid()
        form.errors.clear()
        form.add_error(None, error.message)
        return _code_page(request, entry, token, form=form, status=400)
    return _code_page(request, entry, token, form=form, notice="resent")


@public
@require_http_methods(["GET"])
def signup_done(request):
    return render(request, "waitlist/signup_done.html")

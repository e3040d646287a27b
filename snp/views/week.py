"""The professional's week (``/soins-non-programmes/semaine/``): their SNP slots day by day in Europe/Paris, and
the forms to publish a slot or a weekly pattern, withdraw a free slot, cancel a booking, record a visit's outcome,
and hold their private calendar URL. A secretary sees the slots of her practices' practitioners, one at a time.

Thin: each POST parses a form from ``snp.forms``, calls one service, and comes back to the week with what was done
(a redirect), or draws the week again with the form as typed and its French refusal (400). Whoever may not manage
a slot or a booking gets 404, as if it did not exist.
"""

import datetime
from dataclasses import dataclass, field

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core.access import permission_required, public
from core.errors import ApplicationError
from core.pages import fetch_or_404, raise_for_access, refuse_on_form
from directory.models import Practitioner
from snp import calendar, services
from snp.forms import CancelForm, FeedNamesForm, OutcomeForm, PatternForm, SlotPublishForm
from snp.models import Booking, BookingAudience, Slot
from snp.permissions import can_publish_snp_slots
from snp.scope import SnpActor, snp_actor_for
from snp.selectors import booking_for_user, slot_for_user, week_practitioners, week_sites, week_slots

PARIS = services.PARIS


@dataclass(frozen=True)
class PageError:
    """One line of the banner at the top of the page after a refusal: the message and the field it links to."""

    message: str
    target: str


@dataclass
class SlotRow:
    slot: Slot
    booking: Booking | None
    started: bool
    cancel_form: CancelForm | None = None
    outcome_form: OutcomeForm | None = None
    open_form: str = ""  # the refused form, unfolded

    @property
    def audience_labels(self) -> list[str]:
        labels = dict(BookingAudience.choices)
        return [str(labels.get(audience, audience)) for audience in self.slot.audiences]


@dataclass
class Day:
    date: datetime.date
    rows: list[SlotRow] = field(default_factory=list)


@dataclass
class Week:
    """Whose week, which week, and what the page's forms need to come back here."""

    actor: SnpActor
    practitioner: Practitioner | None
    practitioners: list[Practitioner]
    monday: datetime.date

    @property
    def query(self) -> dict:
        query = {"semaine": self.monday.isoformat()}
        if self.practitioner is not None and self.practitioner.pk != self.actor.entry_id:
            query["praticien"] = str(self.practitioner.public_id)
        return query

    def url(self, monday: datetime.date | None = None) -> str:
        query = {**self.query, "semaine": (monday or self.monday).isoformat()}
        return f"{reverse('snp:week')}?{urlencode(query)}"


def _monday(value: str) -> datetime.date:
    try:
        day = datetime.date.fromisoformat(value) if value else timezone.localdate()
    except ValueError:
        day = timezone.localdate()
    return day - datetime.timedelta(days=day.isoweekday() - 1)


def _week_of(request, source) -> Week:
    """The week asked for (``semaine``, any day of it) and whose (``praticien``, among those the user manages;
    their own entry, or the only one, by default). A practitioner the user does not manage is 404."""
    actor = snp_actor_for(request.user)
    practitioners = week_practitioners(actor)
    wanted = source.get("praticien", "")
    practitioner = None
    if wanted:
        practitioner = next((p for p in practitioners if str(p.public_id) == wanted), None)
        if practitioner is None:
            raise Http404(_("Ce professionnel n'existe pas ou ne vous est pas accessible."))
    elif actor.entry_id is not None:
        practitioner = next((p for p in practitioners if p.pk == actor.entry_id), None)
    elif len(practitioners) == 1:
        practitioner = practitioners[0]
    return Week(
        actor=actor, practitioner=practitioner, practitioners=practitioners, monday=_monday(source.get("semaine", ""))
    )


def _row_forms_id(slot: Slot, name: str) -> str:
    return f"id_{name}_{slot.public_id.hex[:12]}_%s"


def _page(request, week: Week, *, status: int = 200, bound: dict | None = None, page_errors=None) -> HttpResponse:
    """The week page; ``bound`` puts back a refused form as typed (``slot_form``, ``pattern_form``, or
    ``(name, slot_pk)`` for a slot's own form)."""
    bound = bound or {}
    context = {"week": week, "page_errors": list(page_errors or [])}
    practitioner = week.practitioner
    if practitioner is not None:
        sites = week_sites(week.actor, practitioner)
        start = datetime.datetime.combine(week.monday, datetime.time(), tzinfo=PARIS)
        end = datetime.datetime.combine(week.monday + datetime.timedelta(days=7), datetime.time(), tzinfo=PARIS)
        slots = week_slots(week.actor, practitioner, starts_from=start, starts_before=end, request=request)
        now = timezone.now()
        days = [Day(date=week.monday + datetime.timedelta(days=offset)) for offset in range(7)]
        for slot in slots:
            booking = slot.live_booking
            row = SlotRow(slot=slot, booking=booking, started=slot.starts_at <= now)
            if booking is not None and booking.status == Booking.Status.BOOKED:
                row.cancel_form = bound.get(("cancel", slot.pk)) or CancelForm(auto_id=_row_forms_id(slot, "cancel"))
                if row.started:
                    row.outcome_form = bound.get(("outcome", slot.pk)) or OutcomeForm(
                        auto_id=_row_forms_id(slot, "outcome")
                    )
            row.open_form = next((key[0] for key in bound if isinstance(key, tuple) and key[1] == slot.pk), "")
            days[(timezone.localtime(slot.starts_at, PARIS).date() - week.monday).days].rows.append(row)
        today = timezone.localdate()
        # The slot form starts on today when this week is shown, else on the Monday of the week shown.
        initial_day = today if week.monday <= today < week.monday + datetime.timedelta(days=7) else week.monday
        context.update(
            {
                "days": days,
                "sites": sites,
                "slot_form": bound.get("slot_form") or SlotPublishForm(sites=sites, initial={"date": initial_day}),
                "pattern_form": bound.get("pattern_form") or PatternForm(sites=sites),
                "own_week": practitioner.pk == week.actor.entry_id,
                "week_label": _("Semaine du %(first)s au %(last)s")
                % {
                    "first": date_format(week.monday, "j F"),
                    "last": date_format(week.monday + datetime.timedelta(days=6), "j F Y"),
                },
                "previous_url": week.url(week.monday - datetime.timedelta(days=7)),
                "next_url": week.url(week.monday + datetime.timedelta(days=7)),
                "this_week_url": week.url(_monday("")),
                "is_this_week": week.monday == _monday(""),
            }
        )
        if context["own_week"]:
            feed = calendar.calendar_feed_of(practitioner)
            context["feed"] = feed
            context["feed_refused"] = any(error.target == "agenda" for error in context["page_errors"])
            context["feed_url"] = calendar.calendar_feed_url(feed) if feed else ""
    return render(request, "snp/week.html", context, status=status)


def _back(week: Week, message: str, request) -> HttpResponse:
    messages.success(request, message)
    return redirect(week.url())


def _form_errors(form, anchor: str) -> list[PageError]:
    errors = [PageError(message=message, target=anchor) for message in form.non_field_errors()]
    for name, field_errors in form.errors.items():
        if name == "__all__":
            continue
        target = form[name].id_for_label or anchor
        if name in ("audiences", "weekdays"):
            target = f"{form.auto_id % name}_0"
        errors.extend(PageError(message=message, target=target) for message in field_errors)
    return errors


def _refused(request, week: Week, form, key, anchor: str, error: ApplicationError | None = None) -> HttpResponse:
    if error is not None:
        refuse_on_form(form, error)
    return _page(request, week, status=400, bound={key: form}, page_errors=_form_errors(form, anchor))


def _week_practitioner(week: Week) -> Practitioner:
    if week.practitioner is None:
        raise Http404(_("Choisissez le professionnel dont ce sont les créneaux."))
    return week.practitioner


# --- The page ------------------------------------------------------------------------------------------------------


@permission_required(can_publish_snp_slots)
@require_GET
@never_cache
def week(request):
    """The week's slots of the user (or of the practitioner a secretary chose), with the forms to act on them."""
    return _page(request, _week_of(request, request.GET))


# --- Publishing ----------------------------------------------------------------------------------------------------


@permission_required(can_publish_snp_slots)
@require_POST
@never_cache
def slot_publish(request):
    week = _week_of(request, request.POST)
    practitioner = _week_practitioner(week)
    form = SlotPublishForm(request.POST, sites=week_sites(week.actor, practitioner))
    if not form.is_valid():
        return _refused(request, week, form, "slot_form", "publish-slot")
    try:
        slot = services.slot_publish(acting_user=request.user, practitioner=practitioner, **form.service_inputs())
    except ApplicationError as error:
        return _refused(request, week, form, "slot_form", "publish-slot", error)
    local = timezone.localtime(slot.starts_at, PARIS)
    week.monday = _monday(local.date().isoformat())  # back to the week of the new slot
    return _back(
        week,
        _("Créneau publié le %(date)s à %(time)s.") % {"date": date_format(local, "l j F"), "time": f"{local:%H:%M}"},
        request,
    )


@permission_required(can_publish_snp_slots)
@require_POST
@never_cache
def pattern_create(request):
    week = _week_of(request, request.POST)
    practitioner = _week_practitioner(week)
    form = PatternForm(request.POST, sites=week_sites(week.actor, practitioner))
    if not form.is_valid():
        return _refused(request, week, form, "pattern_form", "publish-pattern")
    try:
        _pattern, written = services.pattern_create(
            acting_user=request.user, practitioner=practitioner, **form.service_inputs()
        )
    except ApplicationError as error:
        return _refused(request, week, form, "pattern_form", "publish-pattern", error)
    return _back(week, _("Série créée : %(count)s créneaux publiés.") % {"count": written}, request)


# --- One slot ------------------------------------------------------------------------------------------------------


@permission_required(can_publish_snp_slots)
@require_POST
@never_cache
def slot_withdraw(request, public_id):
    week = _week_of(request, request.POST)
    slot = fetch_or_404(slot_for_user, week.actor, public_id)
    try:
        services.slot_withdraw(acting_user=request.user, slot=slot)
    except ApplicationError as error:
        raise_for_access(error)
        errors = [PageError(message=error.message, target=f"slot-{slot.public_id}")]
        return _page(request, week, status=400, page_errors=errors)
    return _back(week, _("Créneau retiré."), request)


@permission_required(can_publish_snp_slots)
@require_POST
@never_cache
def booking_cancel(request, public_id):
    week = _week_of(request, request.POST)
    booking = fetch_or_404(booking_for_user, week.actor, public_id, request=request)
    slot = booking.slot
    form = CancelForm(request.POST, auto_id=_row_forms_id(slot, "cancel"))
    anchor = f"slot-{slot.public_id}"
    if not form.is_valid():
        return _refused(request, week, form, ("cancel", slot.pk), anchor)
    try:
        services.booking_cancel(acting_user=request.user, booking=booking, reason=form.cleaned_data["reason"])
    except ApplicationError as error:
        return _refused(request, week, form, ("cancel", slot.pk), anchor, error)
    return _back(week, _("Réservation annulée : le patient et qui a réservé sont prévenus."), request)


@permission_required(can_publish_snp_slots)
@require_POST
@never_cache
def booking_outcome(request, public_id):
    week = _week_of(request, request.POST)
    booking = fetch_or_404(booking_for_user, week.actor, public_id, request=request)
    slot = booking.slot
    form = OutcomeForm(request.POST, auto_id=_row_forms_id(slot, "outcome"))
    anchor = f"slot-{slot.public_id}"
    if not form.is_valid():
        return _refused(request, week, form, ("outcome", slot.pk), anchor)
    try:
        services.booking_outcome_record(
            acting_user=request.user,
            booking=booking,
            outcome=form.cleaned_data["outcome"],
            note=form.cleaned_data["note"],
        )
    except ApplicationError as error:
        return _refused(request, week, form, ("outcome", slot.pk), anchor, error)
    return _back(week, _("Résultat de la consultation enregistré."), request)


# --- The private calendar ------------------------------------------------------------------------------------------


def _feed_action(request, perform, done: str) -> HttpResponse:
    week = _week_of(request, request.POST)
    try:
        perform()
    except ApplicationError as error:
        raise_for_access(error)
        return _page(request, week, status=400, page_errors=[PageError(message=error.message, target="agenda")])
    messages.success(request, done)
    return redirect(week.url() + "#agenda")


@permission_required(can_publish_snp_slots)
@require_POST
@never_cache
def calendar_feed_create(request):
    return _feed_action(
        request,
        lambda: calendar.calendar_feed_create(acting_user=request.user),
        _("Votre lien d'agenda est prêt : ajoutez-le à votre application d'agenda."),
    )


@permission_required(can_publish_snp_slots)
@require_POST
@never_cache
def calendar_feed_revoke(request):
    return _feed_action(
        request,
        lambda: calendar.calendar_feed_revoke(acting_user=request.user),
        _("Lien d'agenda révoqué : il ne fonctionne plus."),
    )


@permission_required(can_publish_snp_slots)
@require_POST
@never_cache
def calendar_feed_names(request):
    form = FeedNamesForm(request.POST)
    names = form.is_valid() and form.cleaned_data["include_patient_names"]
    return _feed_action(
        request,
        lambda: calendar.calendar_feed_names_set(acting_user=request.user, include_patient_names=names),
        _("Le nom des patients figure désormais dans votre agenda.")
        if names
        else _("Le nom des patients ne figure plus dans votre agenda."),
    )


def _not_found() -> HttpResponse:
    response = HttpResponse(_("Agenda introuvable."), status=404, content_type="text/plain; charset=utf-8")
    # Django logs every 4xx with its path, and this path holds the token: an unknown or revoked one stays out of
    # the logs too.
    response._has_been_logged = True
    return response


@public
@require_GET
def calendar_feed(request, token):
    """The private iCalendar feed: no session (a calendar app fetches it), the token is the key."""
    try:
        feed = calendar.calendar_feed_for_token(token)
    except ApplicationError:
        return _not_found()
    response = HttpResponse(
        calendar.calendar_feed_ics(feed, request=request), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="soins-non-programmes.ics"'
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response

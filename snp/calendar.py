"""A professional's private iCalendar feed of their SNP slots and bookings: creating, revoking and setting it
(services), and the feed itself (RFC 5545, built with ``icalendar`` as the referral's appointment file is).

The URL's token is the only key: a calendar app sends no cookie and no second factor. So the feed carries no
patient name unless the professional opts in, each name it does carry is in the access log (as read by the
feed's owner), and a revoked or unknown token is "not found".
"""

import datetime
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AccessLog, User
from accounts.services import access_log_record
from core.errors import ApplicationError
from directory.models import Practitioner
from snp.models import Booking, BookingAudience, Slot, SlotKind, SnpCalendarFeed
from snp.scope import snp_actor_for

# What the feed covers: the recent past (to see what was honoured) and the patterns' horizon ahead.
FEED_PAST = datetime.timedelta(days=30)
FEED_AHEAD = datetime.timedelta(weeks=9)
TOKEN_BYTES = 32  # 43 URL-safe characters
LIVE_BOOKING_STATUSES = (Booking.Status.BOOKED, Booking.Status.HONOURED, Booking.Status.NO_SHOW)


def _own_entry(acting_user: User) -> Practitioner:
    """The professional's own directory entry: the feed is theirs alone (a secretary does not hold it)."""
    actor = snp_actor_for(acting_user)
    if actor.entry_id is None:
        raise ApplicationError(_("Seul un professionnel a un agenda privé de ses créneaux."), code="forbidden")
    return Practitioner.objects.get(pk=actor.entry_id)


def calendar_feed_of(practitioner: Practitioner) -> SnpCalendarFeed | None:
    """The professional's live feed, if they created one (shown to them alone: the caller checks)."""
    return SnpCalendarFeed.objects.filter(practitioner=practitioner, revoked_at__isnull=True).first()


@transaction.atomic
def calendar_feed_create(*, acting_user: User) -> SnpCalendarFeed:
    """A new private URL for the professional (the live one, if any, stays: creating twice changes nothing)."""
    practitioner = _own_entry(acting_user)
    live = SnpCalendarFeed.objects.select_for_update().filter(practitioner=practitioner, revoked_at__isnull=True)
    if feed := live.first():
        return feed
    try:
        with transaction.atomic():  # the partial unique index settles two clicks at once
            return SnpCalendarFeed.objects.create(
                practitioner=practitioner, token=secrets.token_urlsafe(TOKEN_BYTES), created_by=acting_user
            )
    except IntegrityError:
        return SnpCalendarFeed.objects.get(practitioner=practitioner, revoked_at__isnull=True)


def _live_feed_locked(acting_user: User) -> SnpCalendarFeed:
    practitioner = _own_entry(acting_user)
    feed = SnpCalendarFeed.objects.select_for_update().filter(practitioner=practitioner, revoked_at__isnull=True)
    found = feed.first()
    if found is None:
        raise ApplicationError(_("Vous n'avez pas de lien d'agenda en cours."), code="not_found")
    return found


@transaction.atomic
def calendar_feed_revoke(*, acting_user: User) -> SnpCalendarFeed:
    """The URL stops working at once (404); a new one can be created, with a new token."""
    feed = _live_feed_locked(acting_user)
    feed.revoked_at = timezone.now()
    feed.save(update_fields=["revoked_at", "updated_at"])
    return feed


@transaction.atomic
def calendar_feed_names_set(*, acting_user: User, include_patient_names: bool) -> SnpCalendarFeed:
    """The professional opts in (or out) of the patient's name in their booked events."""
    feed = _live_feed_locked(acting_user)
    feed.include_patient_names = bool(include_patient_names)
    feed.save(update_fields=["include_patient_names", "updated_at"])
    return feed


def calendar_feed_url(feed: SnpCalendarFeed) -> str:
    return f"{settings.SITE_URL}{reverse('snp:calendar_feed', args=[feed.token])}"


def calendar_feed_for_token(token: str) -> SnpCalendarFeed:
    """The live feed of this token, else "not found" (revoked, unknown, malformed)."""
    feed = None
    if token and len(token) <= 64:
        feed = (
            SnpCalendarFeed.objects.select_related("practitioner", "created_by")
            .filter(token=token, revoked_at__isnull=True)
            .first()
        )
    if feed is None or not secrets.compare_digest(feed.token, token):
        raise ApplicationError(_("Cet agenda n'existe pas ou a été révoqué."), code="not_found")
    return feed


def _event_summary(slot: Slot, booking: Booking | None, *, names: bool) -> str:
    if booking is None:
        return _("Créneau libre SNP")
    if names:
        return _("Réservé : %(name)s") % {
            "name": f"{booking.patient_given_names} {booking.patient_family_name.upper()}"
        }
    return _("Réservé")


def calendar_feed_ics(feed: SnpCalendarFeed, *, request: HttpRequest | None = None) -> bytes:
    """The feed's calendar: each live slot of the practitioner from a month back to the horizon ahead, booked
    ones as "Réservé" (with the patient's name only when opted in, each name read logged), free ones as "Créneau
    libre SNP". Withdrawn slots are left out. Nothing of the reason."""
    from icalendar import Calendar, Event

    now = timezone.now()
    slots = list(
        Slot.objects.filter(
            practitioner_id=feed.practitioner_id,
            starts_at__gte=now - FEED_PAST,
            starts_at__lt=now + FEED_AHEAD,
            status__in=(Slot.Status.FREE, Slot.Status.BOOKED),
        )
        .select_related("site")
        .order_by("starts_at")
    )
    bookings = {
        booking.slot_id: booking
        for booking in Booking.objects.filter(slot__in=slots, status__in=LIVE_BOOKING_STATUSES).only(
            "public_id", "slot_id", "status", "patient_family_name", "patient_given_names"
        )
    }
    names = feed.include_patient_names
    calendar = Calendar()
    calendar.add("prodid", "-//CPTS//Portail CPTS//FR")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", _("Soins non programmés"))
    host = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0] or "cpts"
    audiences = dict(BookingAudience.choices)
    kinds = dict(SlotKind.choices)
    named = []
    for slot in slots:
        booking = bookings.get(slot.pk) if slot.status == Slot.Status.BOOKED else None
        if booking is not None:
            named.append(booking)
        event = Event()
        event.add("uid", f"snp-{slot.public_id}@{host}")
        event.add("dtstamp", now)
        event.add("last-modified", slot.updated_at)
        event.add("dtstart", timezone.localtime(slot.starts_at))
        event.add("dtend", timezone.localtime(slot.ends_at))
        event.add("summary", _event_summary(slot, booking, names=names))
        event.add("location", slot.site.name)
        event.add("transp", "OPAQUE" if booking else "TRANSPARENT")
        lines = [
            str(kinds.get(slot.kind, slot.kind)),
            _("Qui peut réserver : %(audiences)s")
            % {"audiences": ", ".join(str(audiences.get(a, a)) for a in slot.audiences)},
        ]
        if booking is not None and booking.status != Booking.Status.BOOKED:
            lines.append(str(booking.get_status_display()))
        event.add("description", "\n".join(lines))
        calendar.add_component(event)
    calendar.add_missing_timezones()
    if names and feed.created_by is not None:
        # ``via`` names the feed, not the request's path: the path holds the token.
        for booking in named:
            access_log_record(
                user=feed.created_by,
                action=AccessLog.Action.READ,
                subject_type="snp_booking",
                subject_id=booking.public_id,
                patient_ref=booking.public_id,
                request=request,
                via="snp.calendar.calendar_feed_ics",
            )
    return calendar.to_ical()

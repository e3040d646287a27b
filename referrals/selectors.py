"""Reads of requests, always scoped to the user: a request is visible to its sender and to its recipient's side
as ``referrals.scope`` defines it (the professional addressed or replacing them today, the practitioners of a
practice addressed as a pool, a pathway's responders, the secretaries of the practices concerned). Every read of
one request writes the access log."""

import datetime
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import BooleanField, Case, Count, Exists, F, OuterRef, Q, QuerySet, TextField, Value, When
from django.db.models.functions import Concat
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AccessLog, User
from accounts.roles import Role
from accounts.services import access_log_record, access_log_record_many
from core.errors import ApplicationError
from directory.models import Activity, ContactChannel, Practice, Practitioner, RoleGrant, SearchText, Specialty
from directory.permissions import coordinated_territory_ids
from directory.selectors import (
    audience_of,
    channels_for_audience,
    practitioners_search,
    territories_coordinated_by,
)
from directory.selectors.api import (
    absences_by_practitioner,
    practice_channels,
    practitioner_for_api,
)
from directory.selectors.portal_use import practitioners_answering, secretaries_of
from referrals.models import NewRequestNotices, Pathway, Referral, ReferralAttachment
from referrals.scope import Actor, actor_for, recipient_practices, recipient_side


def referrals_visible_to(user: User | Actor) -> QuerySet[Referral]:
    """The requests the user sees: those they sent, and those on their recipient's side (``referrals.scope``)."""
    actor = actor_for(user)
    if not getattr(actor.user, "is_authenticated", False):
        return Referral.objects.none()
    condition = actor.recipient_condition
    if actor.entry_id is not None:
        condition |= Q(sender_id=actor.entry_id)
    return Referral.objects.filter(condition).select_related(
        "sender", "recipient_practitioner", "recipient_practice", "pathway"
    )


def referrals_handled_by(user: User | Actor) -> QuerySet[Referral]:
    """The inbox side only (what the user may act on as a recipient)."""
    actor = actor_for(user)
    if not getattr(actor.user, "is_authenticated", False):
        return Referral.objects.none()
    return Referral.objects.filter(actor.recipient_condition)


@dataclass(frozen=True)
class Sides:
    """Where the user stands on one request they may see: its sender, on the recipient's side, or both (a GP
    who is also a responder of the pathway they wrote to)."""

    is_sender: bool
    is_recipient_side: bool


def referral_sides(user: User | Actor, referral: Referral) -> Sides:
    """Which of a request's sides are the user's (read from the request's columns, no query)."""
    actor = actor_for(user)
    return Sides(is_sender=actor.is_sender(referral), is_recipient_side=actor.is_recipient_side(referral))


def referral_for_user(
    user: User | Actor, public_id, *, write: bool = False, request: HttpRequest | None = None
) -> Referral:
    """One request the user may see, the read logged. Raises ``ApplicationError``: ``code="not_found"`` when
    they may not see it (or it does not exist), ``code="forbidden"`` with ``write=True`` when they see it but
    take no part in it that writes (never the case today: whoever sees a request is its sender or on its
    recipient's side; the flag keeps the directory's contract)."""
    actor = actor_for(user)
    try:
        referral = referrals_visible_to(actor).filter(public_id=public_id).first()
    except ValidationError:
        referral = None
    if referral is None:
        raise ApplicationError(_("Cette demande n'existe pas ou ne vous est pas accessible."), code="not_found")
    if write and not actor.is_party(referral):
        raise ApplicationError(_("Vous ne pouvez pas modifier cette demande."), code="forbidden")
    access_log_record(
        user=actor.user,
        action=AccessLog.Action.READ,
        subject_type="referral",
        subject_id=referral.public_id,
        patient_ref=referral.public_id,
        request=request,
        via="" if request is not None else "referrals.selectors.referral_for_user",
    )
    return referral


def get_referral_for_user(user: User | Actor, public_id, *, request: HttpRequest | None = None) -> Referral | None:
    """``referral_for_user``, or None when the user may not see the request (the caller answers 404)."""
    try:
        return referral_for_user(user, public_id, request=request)
    except ApplicationError:
        return None


def pathway_by_public_id(public_id) -> Pathway | None:
    """An open or closed pathway a request names (``referral_send`` refuses a closed one)."""
    return Pathway.objects.filter(public_id=public_id).first()


# --- Lists ------------------------------------------------------------------------------------------------------

OPEN_STATUSES = (Referral.Status.SENT, Referral.Status.ACKNOWLEDGED, Referral.Status.NEEDS_INFO)


def with_lateness(referrals: QuerySet[Referral], now) -> QuerySet[Referral]:
    """Each request with ``is_overdue``: open and past its target date (the rows' « en retard » badge)."""
    overdue = Q(status__in=OPEN_STATUSES, due_at__lt=now)
    return referrals.annotate(
        is_overdue=Case(When(overdue, then=Value(True)), default=Value(False), output_field=BooleanField())
    )


def overdue_first(referrals: QuerySet[Referral], now) -> QuerySet[Referral]:
    """Open requests past their target date first (the oldest target first), then the rest by target date."""
    return with_lateness(referrals, now).order_by("-is_overdue", F("due_at").asc(nulls_last=True), "-created_at")


def newest_first(referrals: QuerySet[Referral], now) -> QuerySet[Referral]:
    """The most recently sent first (a request not sent yet by its creation), each with ``is_overdue``."""
    return with_lateness(referrals, now).order_by(F("sent_at").desc(nulls_last=True), "-created_at")


def patients_named(referrals: QuerySet[Referral], text: str) -> QuerySet[Referral]:
    """The requests whose patient's names (birth, used, given) hold every word typed, whatever the accents, the
    case and the punctuation: « béatrice », « BEATRICE » and « Beatrice » find Béatrice (``SearchText``)."""
    words = text.split()
    if not words:
        return referrals
    names = Concat(
        F("patient_family_name"),
        Value(" "),
        F("patient_used_name"),
        Value(" "),
        F("patient_given_names"),
        output_field=TextField(),
    )
    referrals = referrals.annotate(patient_search_text=SearchText(names))
    for word in words:
        referrals = referrals.filter(patient_search_text__contains=SearchText(Value(word)))
    return referrals


# What an inbox row shows: the list reads these columns only (a directory entry has dozens). The reason's
# first words are shown to the recipient's side, who may read the request (the inbox is scoped to them).
INBOX_FIELDS = (
    "public_id",
    "kind",
    "status",
    "urgency",
    "reason",
    "patient_family_name",
    "patient_given_names",
    "patient_birth_date",
    "sent_at",
    "due_at",
    "created_at",
    "sender__first_name",
    "sender__last_name",
    "recipient_practitioner__first_name",
    "recipient_practitioner__last_name",
    "recipient_practice__name",
    "pathway__name",
)


def referrals_inbox(
    user: User | Actor, *, status: str = "", kind: str = "", urgency: str = "", overdue: bool = False, now=None
) -> QuerySet[Referral]:
    """The shared inbox of the recipient's side: what the user's practices and own entry receive, overdue
    first. ``status`` empty means every open request; ``kind`` a letter or a tele-expertise."""
    now = now or timezone.now()
    referrals = (
        referrals_handled_by(user)
        .select_related("sender", "recipient_practitioner", "recipient_practice", "pathway")
        .only(*INBOX_FIELDS)
    )
    referrals = referrals.filter(status=status) if status else referrals.filter(status__in=OPEN_STATUSES)
    if kind:
        referrals = referrals.filter(kind=kind)
    if urgency:
        referrals = referrals.filter(urgency=urgency)
    if overdue:
        referrals = referrals.filter(status__in=OPEN_STATUSES, due_at__lt=now)
    return overdue_first(referrals, now)


def referrals_sent_by(
    user: User | Actor, *, status: str = "", patient: str = "", newest: bool = False, now=None
) -> QuerySet[Referral]:
    """The GP's own requests, overdue first (``newest``: the most recently sent first); ``patient``: those whose
    patient's names hold the words typed (``patients_named``)."""
    own_entry_id = actor_for(user).entry_id
    if own_entry_id is None:
        return Referral.objects.none()
    referrals = Referral.objects.filter(sender_id=own_entry_id).select_related(
        "recipient_practitioner", "recipient_practice", "pathway", "handled_by", "appointment_site"
    )
    if status:
        referrals = referrals.filter(status=status)
    referrals = patients_named(referrals, patient)
    now = now or timezone.now()
    return newest_first(referrals, now) if newest else overdue_first(referrals, now)


def referrals_overdue_in_territories(user: User, *, now=None) -> QuerySet[Referral]:
    """Every open request past its target date in the territories the user coordinates. Callers show status,
    parties and delays only: the coordinator does not need the clinical text (use ``.only()``-style fields)."""
    now = now or timezone.now()
    territories = territories_coordinated_by(user).values("pk")
    return (
        Referral.objects.filter(territory__in=territories, status__in=OPEN_STATUSES, due_at__lt=now)
        .select_related("sender", "recipient_practitioner", "recipient_practice", "pathway")
        .only(*COORDINATOR_FIELDS)
        .order_by("due_at")
    )


# What a coordinator may read of a request: parties, status and dates, never the patient or the clinical text.
COORDINATOR_FIELDS = (
    "public_id",
    "kind",
    "status",
    "urgency",
    "sent_at",
    "due_at",
    "first_response_at",
    "closed_at",
    "territory",
    "sender__first_name",
    "sender__last_name",
    "recipient_practitioner__first_name",
    "recipient_practitioner__last_name",
    "recipient_practice__name",
    "pathway__name",
)


# --- Attachments ------------------------------------------------------------------------------------------------
# Attachments of a request, and what the recipient's side and the sender need to forward, convert, or send a
# request outside the portal. Reads of one request go through ``get_referral_for_user`` (which logs them).


def attachments_of(referral: Referral) -> list[ReferralAttachment]:
    """The documents of a request the caller already fetched through ``get_referral_for_user``."""
    return list(referral.attachments.order_by("uploaded_at", "id"))


def attachment_for_user(
    user: User, referral_public_id, attachment_public_id, *, request: HttpRequest | None = None
) -> ReferralAttachment | None:
    """One document of a request the user may see, or None (the caller answers 404). The read of the request
    is logged, with the download's path as ``via``: one access-log row per download."""
    referral = get_referral_for_user(user, referral_public_id, request=request)
    if referral is None:
        return None
    return referral.attachments.filter(public_id=attachment_public_id).select_related("referral").first()


def referral_status_for_coordinator(user: User, public_id) -> Referral:
    """One request of a territory the user coordinates, as the overdue list shows it (``COORDINATOR_FIELDS``):
    its status, parties and dates, never the patient nor the clinical text, so no access-log row. Anything else
    is ``not_found``, as if it did not exist."""
    territories = territories_coordinated_by(user).values("pk")
    referral = (
        Referral.objects.filter(territory__in=territories, public_id=public_id)
        .select_related("sender", "recipient_practitioner", "recipient_practice", "pathway")
        .only(*COORDINATOR_FIELDS, "recipient_practitioner_id", "recipient_practice_id", "pathway_id")
        .first()
    )
    if referral is None:
        raise ApplicationError(_("Cette demande n'existe pas."), code="not_found")
    return referral


def referral_status_timeline(referral: Referral) -> QuerySet:
    """The steps of a request a coordinator may read: when, by whom, from which status to which; no note."""
    return referral.events.only("at", "actor", "actor_label", "action", "from_status", "to_status").order_by("at", "id")


def forward_candidates(referral: Referral, user: User | Actor) -> QuerySet[Practitioner]:
    """Colleagues to whom ``user`` may forward the request: practitioners working at one of the recipient's
    practices, other than the current recipient and the sender; for a tele-expertise, those who answer it."""
    candidates = Practitioner.objects.filter(
        pk__in=Activity.objects.filter(practice__in=recipient_practices(referral, user)).values("practitioner")
    ).exclude(pk=referral.sender_id)
    if referral.recipient_practitioner_id:
        candidates = candidates.exclude(pk=referral.recipient_practitioner_id)
    if referral.kind == Referral.Kind.TELEEXPERTISE:
        candidates = candidates.filter(answers_teleexpertise=True)
    return candidates.order_by("last_name", "first_name", "pk")


def recipient_uses_portal(referral: Referral) -> bool:
    """Whether someone on the recipient's side (``referrals.scope.recipient_side``) will find the request in the
    portal: one of its practitioners has an account, or a secretary works for one of its practices. When nobody
    does, the GP sends the letter another way (``referral_mark_sent_outside``)."""
    if not (referral.recipient_practitioner_id or referral.recipient_practice_id or referral.pathway_id):
        return False
    side = recipient_side(referral)
    # An active account with the professional role on one of its entries, or the secretary role on one of its
    # practices (the directory's one definition, also shown in its search results).
    return bool(practitioners_answering(side.practitioner_ids)) or secretaries_of(side.practice_ids) > 0


# The directory's channels a GP may use to send a letter outside the portal (what they write to, then what
# they call), in the directory's order for the viewer: the one to use first at the top.
OUTSIDE_CHANNEL_KINDS = (
    ContactChannel.Kind.MSSANTE,
    ContactChannel.Kind.FAX,
    ContactChannel.Kind.BOOKING_LINK,
    ContactChannel.Kind.SECRETARY,
    ContactChannel.Kind.PROFESSIONAL_LINE,
    ContactChannel.Kind.PHONE,
)


def outside_channels_for(referral: Referral, viewer: User) -> list[ContactChannel]:
    """The recipient's channels (MSSanté address, fax, booking link, then phone lines) that ``viewer``'s
    audience sees in the directory, the preferred one first. A pathway has none: its responders use the
    portal."""
    audience = audience_of(viewer)
    if referral.recipient_practitioner_id:
        channels = channels_for_audience(referral.recipient_practitioner, audience)
    elif referral.recipient_practice_id:
        channels = practice_channels(referral.recipient_practice, audience)
    else:
        channels = []
    usable = [channel for channel in channels if channel.kind in OUTSIDE_CHANNEL_KINDS]
    # An MSSanté address first whatever the directory's order: the letter goes there as it is, attached.
    return sorted(usable, key=lambda channel: channel.kind != ContactChannel.Kind.MSSANTE)


# --- Pages ------------------------------------------------------------------------------------------------------
# What the referral pages read besides the lists above: who may open which page; the recipients a GP may choose
# (practitioners found in the directory, a practice, the territory's open pathways; what the GP learns of them
# before sending is ``referrals.recipients``) and whether a specialty is one of direct access; the access-log
# rows of the list pages.


def pathways_open_to(practitioner: Practitioner | None) -> QuerySet[Pathway]:
    """The open priority pathways of the practitioner's territory: those a GP may address."""
    if practitioner is None or practitioner.territory_id is None:
        return Pathway.objects.none()
    return Pathway.objects.filter(territory_id=practitioner.territory_id, active=True).order_by("name")


def recipient_choice(recipient: Practitioner | Practice | Pathway) -> str:
    """How a form names a recipient: ``practitioner:<public id>``, ``practice:…`` or ``pathway:…``."""
    return f"{recipient._meta.model_name}:{recipient.public_id}"


def recipient_of_choice(choice: str, *, sender: Practitioner | None) -> Practitioner | Practice | Pathway | None:
    """The recipient a form's choice names (see ``recipient_choice``), or None when it names nothing a GP may
    address: a practitioner comes with their specialties and practices, a pathway must be open in the
    sender's territory."""
    kind, _colon, public_id = (choice or "").partition(":")
    try:
        public_id = uuid.UUID(public_id)
    except ValueError:
        return None
    if kind == "practitioner":
        return practitioner_for_api(public_id)
    if kind == "practice":
        return Practice.objects.filter(public_id=public_id).first()
    if kind == "pathway":
        return pathways_open_to(sender).filter(public_id=public_id).first()
    return None


RECIPIENT_SEARCH_LIMIT = 8


def recipients_search(
    viewer: User,
    *,
    q: str,
    teleexpertise_only: bool = False,
    exclude: Practitioner | None = None,
    due_on: datetime.date | None = None,
) -> list[Practitioner]:
    """The directory's best matches for a specialty or a name typed in a form ("cardio", "Rousseau"), each
    with who answers on the portal (``portal_use``), the measured response and ``next_absence``: the first
    absence overlapping today to ``due_on`` (the request's due date; without it, the directory's window), or
    None. A fixed number of queries whatever the number of matches."""
    found = practitioners_search(
        viewer=viewer,
        q=q,
        teleexpertise=True if teleexpertise_only else None,
        limit=RECIPIENT_SEARCH_LIMIT + 1,
    ).practitioners
    found = [practitioner for practitioner in found if exclude is None or practitioner.pk != exclude.pk]
    found = found[:RECIPIENT_SEARCH_LIMIT]
    if due_on is not None:
        absences = absences_by_practitioner([practitioner.pk for practitioner in found], audience_of(viewer))
        for practitioner in found:
            practitioner.next_absence = next(
                (absence for absence in absences.get(practitioner.pk, []) if absence.starts_on <= due_on), None
            )
    return found


# Specialties a patient may consult without being sent by their médecin traitant and still be reimbursed as in
# the coordinated care pathway (Code de la sécurité sociale, art. L162-5-3; codes of the TRE_R38 nomenclature):
# gynaecology, ophthalmology and stomatology at any age, psychiatry and neuropsychiatry from 16 to 25 years old.
DIRECT_ACCESS_SPECIALTY_CODES = frozenset(
    {
        "SM19",  # Gynécologie médicale
        "SM20",  # Gynécologie-obstétrique
        "SM51",  # Gynéco-obstétrique et gynéco-médicale, option gynéco-obstétrique
        "SM52",  # Gynéco-obstétrique et gynéco-médicale, option gynéco-médicale
        "SM38",  # Ophtalmologie
        "SM85",  # Ophtalmologie, option chirurgie ophtalmopédiatrique et strabologique
        "SM50",  # Stomatologie
        "SM07",  # Chirurgie maxillo-faciale et stomatologie
    }
)
YOUNG_ADULT_DIRECT_ACCESS_CODES = frozenset(
    {
        "SM42",  # Psychiatrie
        "SM33",  # Neuro-psychiatrie
        "SM43",  # Psychiatrie de l'enfant et de l'adolescent
        "SM92",  # Psychiatrie, option enfant et adolescent
    }
)
YOUNG_ADULT_AGES = (16, 25)


def age_on(birth_date: datetime.date, day: datetime.date) -> int:
    """Full years of age on ``day``."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def direct_access_specialty(
    practitioner: Practitioner, *, patient_birth_date: datetime.date | None = None, today: datetime.date | None = None
) -> Specialty | None:
    """The practitioner's specialty that the patient may consult directly (no letter needed for the
    reimbursement), or None. Psychiatry counts only when the birth date makes the patient 16 to 25 today."""
    specialties = list(practitioner.specialties.all())
    for specialty in specialties:
        if specialty.code in DIRECT_ACCESS_SPECIALTY_CODES:
            return specialty
    if patient_birth_date is None:
        return None
    youngest, oldest = YOUNG_ADULT_AGES
    if youngest <= age_on(patient_birth_date, today or timezone.localdate()) <= oldest:
        for specialty in specialties:
            if specialty.code in YOUNG_ADULT_DIRECT_ACCESS_CODES:
                return specialty
    return None


def referral_list_reads_record(user: User, referrals, *, request: HttpRequest) -> None:
    """A list page shows each request's patient: one access-log row per request shown, in one query."""
    access_log_record_many(
        user=user,
        action=AccessLog.Action.READ,
        subject_type="referral",
        subjects=[(referral.public_id, referral.public_id) for referral in referrals],
        request=request,
    )


def referral_status_counts(referrals: QuerySet[Referral]) -> dict[str, int]:
    """How many of ``referrals`` are in each status, in one query (for the status filter)."""
    rows = referrals.order_by().values("status").annotate(count=Count("pk")).values_list("status", "count")
    return dict(rows)


# --- How a practice hears of new requests (referrals.services.notices) ----------------------------------------


def notice_practices_for(user: User) -> QuerySet[Practice]:
    """The practices whose choice the user may change (``can_set_new_request_notices``): where they work or for
    which they work as a secretary, and, in the territories they coordinate, the practices where someone uses
    the portal, by name."""
    actor = actor_for(user)
    condition = Q(pk__in=sorted(actor.practice_ids))
    territories = coordinated_territory_ids(actor.user)
    if territories:
        # Only where someone would be told: a secretary's account, or a practitioner's who works there.
        on_portal = Exists(
            RoleGrant.objects.filter(role=Role.SECRETARY, practices=OuterRef("pk"), user__is_active=True)
        ) | Exists(
            Activity.objects.filter(
                practice=OuterRef("pk"),
                practitioner__role_grants__role=Role.PROFESSIONAL,
                practitioner__role_grants__user__is_active=True,
            )
        )
        condition |= Q(on_portal, territory__in=sorted(territories))
    return Practice.objects.filter(condition).select_related("new_request_notices").order_by("name", "pk")


def notices_choice_of(practice: Practice) -> str:
    """A practice's choice (the morning digest when it never chose)."""
    notices = getattr(practice, "new_request_notices", None)
    return notices.when if notices is not None else NewRequestNotices.When.MORNING_DIGEST

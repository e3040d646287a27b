"""The patient's own link (no account): reading it, the status page's facts, updating the sign-up (a new phone or
e-mail is proven by a code first), withdrawing ("j'ai trouvé un médecin"), erasing everything that names the
person (by the patient, or by the coordination on request), and sending the link again to whoever lost it.

Erasure leaves the entry row with what the anonymous counts need (commune, dates, status "erased", level) and
deletes or blanks everything else that could name the person: household members, contact and its verification
dates, notes, free-text reasons, duplicate pairs, the audit's details, the verification codes and the outbox rows
of its addresses (``notifications.services.messages_erase_for``), the admin's history of its members. Every link
sent so far is revoked (``link_version``), and answers "vos données ont été effacées".
"""

import datetime
from dataclasses import dataclass, field

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import AccessLog, User
from accounts.services import access_log_record
from accounts.signed_links import patient_link_read
from core.errors import ApplicationError
from directory.contact_values import display_value, french_phone_e164
from directory.models import Audience, Commune
from directory.selectors import channels_for_audience
from notifications.models import OutboundMessage, VerificationCode
from notifications.services import message_enqueue, messages_erase_for
from notifications.verification import verification_code_check, verification_code_consume, verification_code_send
from waitlist.models import (
    MAX_TRAVEL_KM,
    DuplicateSuspicion,
    Entry,
    EntryEvent,
    EntryNote,
    HouseholdMember,
    Proposal,
)
from waitlist.priority import CRITERIA, level_label
from waitlist.scope import waitlist_actor_for
from waitlist.services.common import (
    FOLLOW_LINK_PURPOSE,
    entry_event_record,
    entry_follow_link,
    entry_priority_refresh,
    rules_of,
    waiting_list_for_commune,
)

# The link is sent at verification, again with each re-confirmation (every 6 months) and on request: a year
# covers the longest gap between two messages with room to spare.
FOLLOW_LINK_MAX_AGE = datetime.timedelta(days=365)
# What the patient may change of the household's facts (never a name or a birth date: those are identity).
MEMBER_FACTS = ("ald", "pregnancy", "disability", "precarity", "treatment_renewal")
# Where the person still stands in the queue and may change what they told.
OPEN_STATUSES = (Entry.Status.WAITING, Entry.Status.PROPOSED, Entry.Status.INACTIVE)
GONE_STATUSES = (Entry.Status.ERASED, Entry.Status.MERGED)

WITHDRAW_REASONS = {
    "found_gp": gettext_lazy("J'ai trouvé un médecin traitant"),
    "moved_away": gettext_lazy("J'ai déménagé hors du secteur"),
    "not_needed": gettext_lazy("Je n'en ai plus besoin"),
    "other": gettext_lazy("Autre raison"),
}
# The coordination erases "on request": how the request came, never free text (it could name the person and it
# would outlive the erasure).
ERASE_REASONS = {
    "patient_phone": gettext_lazy("Demande de la personne par téléphone"),
    "patient_writing": gettext_lazy("Demande de la personne par courrier ou e-mail"),
    "relative": gettext_lazy("Demande d'un proche ou d'un représentant légal"),
    "deceased": gettext_lazy("Décès signalé"),
    "other": gettext_lazy("Autre demande d'effacement"),
}
ERASED_BY_PATIENT = gettext_lazy("Effacée à la demande de la personne (lien reçu)")
ERASED_BY_COORDINATION = gettext_lazy("Effacée par la coordination : %(reason)s")


def erased_message() -> str:
    return _(
        "Ce lien ne sert plus : vos données ont été effacées de la liste d'attente. Pour vous réinscrire, "
        "faites une nouvelle inscription."
    )


def _invalid_link() -> ApplicationError:
    return ApplicationError(_("Ce lien n'est pas valide. Vérifiez qu'il a été copié en entier."), code="link_invalid")


# --- The link -----------------------------------------------------------------------------------------------------


def entry_from_link(token: str) -> Entry:
    """The entry a patient's link names, or a French refusal: invalid, expired, replaced by a newer link, or
    erased (``code="link_erased"``, which the pages answer 410)."""
    subject = patient_link_read(purpose=FOLLOW_LINK_PURPOSE, token=token, max_age=FOLLOW_LINK_MAX_AGE)
    try:
        entry = Entry.objects.select_related("commune", "waiting_list").filter(public_id=subject).first()
    except ValidationError:
        raise _invalid_link() from None
    if entry is None:
        raise _invalid_link()
    if entry.status == Entry.Status.ERASED:
        raise ApplicationError(erased_message(), code="link_erased")
    if entry.status == Entry.Status.MERGED:
        raise ApplicationError(
            _("Cette inscription a été regroupée avec une autre : utilisez le lien du dernier message reçu."),
            code="link_revoked",
        )
    patient_link_read(
        purpose=FOLLOW_LINK_PURPOSE, token=token, max_age=FOLLOW_LINK_MAX_AGE, current_version=entry.link_version
    )
    return entry


@dataclass(frozen=True)
class MatchedWith:
    """The GP who accepted the household, and how to book with them (their preferred public channel)."""

    practitioner: str
    channel_kind: str
    channel_label: str
    channel_value: str
    channel_hours: str


@dataclass(frozen=True)
class EntryStatus:
    """What the patient's page says: where they stand, in words."""

    entry: Entry
    members: list[HouseholdMember]
    level_label: str
    reasons: list[str]
    matched_with: MatchedWith | None = None
    proposal_expires_at: datetime.datetime | None = None
    withdraw_reason: str = ""
    actions: list[str] = field(default_factory=list)


def entry_status(entry: Entry) -> EntryStatus:
    """The status page's facts (the patient's own data, read through their link: no access-log row, which is for
    professionals)."""
    members = list(entry.members.all())
    matched_with = None
    expires_at = None
    if entry.status == Entry.Status.MATCHED:
        accepted = (
            Proposal.objects.filter(entry=entry, status=Proposal.Status.ACCEPTED)
            .select_related("pledge__practitioner")
            .order_by("-answered_at", "-created_at")
            .first()
        )
        if accepted is not None:
            practitioner = accepted.pledge.practitioner
            channels = channels_for_audience(practitioner, Audience.PUBLIC)
            first = channels[0] if channels else None
            matched_with = MatchedWith(
                practitioner=str(practitioner),
                channel_kind=first.kind if first else "",
                channel_label=first.get_kind_display() if first else "",
                channel_value=display_value(first.kind, first.value) if first else "",
                channel_hours=first.hours if first else "",
            )
    elif entry.status == Entry.Status.PROPOSED:
        pending = Proposal.objects.filter(entry=entry, status=Proposal.Status.PENDING).first()
        expires_at = pending.expires_at if pending else None
    actions = []
    if entry.status in OPEN_STATUSES:
        actions += ["update", "withdraw"]
    if entry.status == Entry.Status.INACTIVE or (entry.status == Entry.Status.WAITING and entry.reminders_sent > 0):
        actions.append("confirm")
    actions.append("erase")
    return EntryStatus(
        entry=entry,
        members=members,
        level_label=level_label(rules_of(entry.waiting_list), entry.priority_level),
        reasons=[str(CRITERIA[key]) for key in entry.priority_reasons if key in CRITERIA],
        matched_with=matched_with,
        proposal_expires_at=expires_at,
        actions=actions,
    )


# --- Update ---------------------------------------------------------------------------------------------------------


def contact_code_purpose(entry: Entry) -> str:
    """The codes proving a new contact of this entry: named after it, so that erasure finds them (and the address
    they went to) even when the change was never confirmed."""
    return f"waitlist-contact:{entry.pk}"


def phone_checked(phone: str) -> str:
    try:
        return french_phone_e164((phone or "").strip())
    except ValidationError:
        raise ApplicationError(
            _("Ce numéro de téléphone n'en est pas un (ex. 06 12 34 56 78)."), field="phone"
        ) from None


def email_checked(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ApplicationError(
            _("Cette adresse e-mail n'en est pas une (ex. nom@exemple.fr)."), field="email"
        ) from None
    return email


@dataclass(frozen=True)
class UpdateResult:
    changed: list[str]  # the fields saved at once
    awaiting_code: dict[str, str]  # channel ("phone"/"email") -> the new address a code was sent to


def _locked(entry: Entry) -> Entry:
    return Entry.objects.select_for_update().select_related("commune", "waiting_list").get(pk=entry.pk)


@transaction.atomic
def entry_update(
    *,
    entry: Entry,
    commune: Commune | None = None,
    max_distance_km: int | None = None,
    facts: dict[int, dict[str, bool]] | None = None,
    phone: str | None = None,
    email: str | None = None,
) -> UpdateResult:
    """The patient changes their sign-up through their link. ``None`` leaves a value as it is; an empty phone or
    e-mail removes it (the other one must remain). The commune, the distance and the household's facts (per
    member position) are saved at once and the priority recomputed; a new phone or e-mail is not: a code goes
    to it, and ``entry_contact_confirm`` saves it once the code is typed."""
    entry = _locked(entry)
    if entry.status not in OPEN_STATUSES:
        raise ApplicationError(_("Cette inscription est close : elle ne peut plus être modifiée."))
    changed: list[str] = []
    if commune is not None and commune.pk != entry.commune_id:
        if entry.status == Entry.Status.PROPOSED:
            raise ApplicationError(
                _("Un médecin examine votre inscription : changez de commune après sa réponse."), field="commune"
            )
        waiting_list = waiting_list_for_commune(commune)
        entry.commune = commune
        changed.append("commune")
        if waiting_list.pk != entry.waiting_list_id:
            # Another territory's queue: the household keeps its date (it did not start waiting again).
            entry.waiting_list = waiting_list
            changed.append("waiting_list")
    if max_distance_km is not None and max_distance_km != entry.max_distance_km:
        if not 1 <= max_distance_km <= MAX_TRAVEL_KM:
            raise ApplicationError(
                _("Indiquez une distance entre 1 et %(max)d km.") % {"max": MAX_TRAVEL_KM}, field="max_distance_km"
            )
        entry.max_distance_km = max_distance_km
        changed.append("max_distance_km")
    facts_changed = False
    if facts:
        members = {member.position: member for member in entry.members.all()}
        for position, values in facts.items():
            member = members.get(position)
            if member is None:
                continue
            updated = [name for name in MEMBER_FACTS if name in values and bool(values[name]) != getattr(member, name)]
            for name in updated:
                setattr(member, name, bool(values[name]))
            if updated:
                member.save(update_fields=updated)
                facts_changed = True
    if facts_changed:
        changed.append("facts")
    awaiting: dict[str, str] = {}
    new_phone = phone_checked(phone) if phone else ("" if phone == "" else None)
    new_email = email_checked(email) if email else ("" if email == "" else None)
    remaining_phone = entry.phone if new_phone is None or new_phone else ""
    remaining_email = entry.email if new_email is None or new_email else ""
    if not remaining_phone and not remaining_email and not (new_phone or new_email):
        raise ApplicationError(_("Gardez au moins un téléphone ou une adresse e-mail."), field="phone")
    for channel, new, current in (("phone", new_phone, entry.phone), ("email", new_email, entry.email)):
        if new is None or new == current:
            continue
        if new == "":
            if not (remaining_phone if channel == "email" else remaining_email):
                raise ApplicationError(_("Gardez au moins un téléphone ou une adresse e-mail."), field=channel)
            setattr(entry, channel, "")
            setattr(entry, f"{channel}_verified_at", None)
            changed.append(channel)
            continue
        verification_code_send(
            purpose=contact_code_purpose(entry),
            channel=OutboundMessage.Channel.SMS if channel == "phone" else OutboundMessage.Channel.EMAIL,
            address=new,
            territory_id=territory_of_entry(entry),
        )
        awaiting[channel] = new
    entry_fields = [name for name in changed if name not in ("facts", "waiting_list")]
    if "waiting_list" in changed:
        entry_fields.append("waiting_list")
    if "phone" in entry_fields:
        entry_fields.append("phone_verified_at")
    if "email" in entry_fields:
        entry_fields.append("email_verified_at")
    if entry_fields:
        entry.save(update_fields=[*entry_fields, "updated_at"])
    if facts_changed:
        entry_priority_refresh(entry)
    if changed:
        entry_event_record(entry=entry, kind=EntryEvent.Kind.UPDATED, by_patient=True, details={"fields": changed})
    return UpdateResult(changed=changed, awaiting_code=awaiting)


def entry_contact_confirm(*, entry: Entry, channel: str, address: str, code: str) -> Entry:
    """The code sent to a new phone or e-mail typed back: the contact changes and counts as verified. Not atomic
    here: a wrong code stays counted."""
    if channel not in ("phone", "email"):
        raise ApplicationError(_("Moyen de contact inconnu."), field="channel")
    address = phone_checked(address) if channel == "phone" else email_checked(address)
    code_id = verification_code_check(purpose=contact_code_purpose(entry), address=address, code=code)
    with transaction.atomic():
        verification_code_consume(code_id)
        entry = _locked(entry)
        if entry.status not in OPEN_STATUSES:
            raise ApplicationError(_("Cette inscription est close : elle ne peut plus être modifiée."))
        setattr(entry, channel, address)
        setattr(entry, f"{channel}_verified_at", timezone.now())
        entry.save(update_fields=[channel, f"{channel}_verified_at", "updated_at"])
        entry_event_record(
            entry=entry, kind=EntryEvent.Kind.UPDATED, by_patient=True, details={"fields": [channel], "verified": True}
        )
    return entry


def territory_of_entry(entry: Entry) -> int | None:
    """The territory of the entry's commune within its list (for the outbox page of its coordinators)."""
    return (
        entry.waiting_list.memberships.filter(territory__communes=entry.commune_id)
        .values_list("territory_id", flat=True)
        .first()
        or entry.waiting_list.memberships.values_list("territory_id", flat=True).first()
    )


# --- Withdraw -------------------------------------------------------------------------------------------------------


def _cancel_pending_proposals(entry: Entry) -> int:
    return Proposal.objects.filter(entry=entry, status=Proposal.Status.PENDING).update(
        status=Proposal.Status.CANCELLED, answered_at=timezone.now(), updated_at=timezone.now()
    )


@transaction.atomic
def entry_withdraw(*, entry: Entry, reason: str) -> Entry:
    """The patient leaves the queue ("j'ai trouvé un médecin", moved away…): status withdrawn with the reason,
    a proposal in progress is cancelled (its GP's place goes back to the pledge). The link keeps working: the
    page says it is withdrawn and still offers erasure."""
    if reason not in WITHDRAW_REASONS:
        raise ApplicationError(_("Choisissez pourquoi vous quittez la liste."), field="reason")
    entry = _locked(entry)
    if entry.status == Entry.Status.WITHDRAWN:
        return entry
    if entry.status not in (*OPEN_STATUSES, Entry.Status.UNVERIFIED):
        raise ApplicationError(_("Cette inscription est déjà close."))
    now = timezone.now()
    cancelled = _cancel_pending_proposals(entry)
    entry.status = Entry.Status.WITHDRAWN
    entry.closed_at = now
    entry.closed_reason = str(WITHDRAW_REASONS[reason])
    entry.save(update_fields=["status", "closed_at", "closed_reason", "updated_at"])
    entry_event_record(
        entry=entry,
        kind=EntryEvent.Kind.WITHDRAWN,
        by_patient=True,
        details={"reason": reason, "proposals_cancelled": cancelled},
    )
    return entry


# --- Erase ----------------------------------------------------------------------------------------------------------


def entry_for_erasure(user: User, public_id, *, request=None) -> Entry:
    """The entry a coordinator may erase (one of the lists they coordinate), else ``not_found``; the confirmation
    page shows who it is, so the read is logged."""
    actor = waitlist_actor_for(user)
    entry = (
        Entry.objects.select_related("commune")
        .filter(public_id=public_id, waiting_list_id__in=sorted(actor.coordinated_list_ids))
        .exclude(status__in=GONE_STATUSES)
        .first()
        if actor.coordinated_list_ids
        else None
    )
    if entry is None:
        raise ApplicationError(_("Cette inscription n'existe pas ou ne vous est pas accessible."), code="not_found")
    access_log_record(
        user=user,
        action=AccessLog.Action.READ,
        subject_type="waitlist_entry",
        subject_id=str(entry.public_id),
        patient_ref=str(entry.public_id),
        request=request,
        via="" if request is not None else "waitlist.services.selfservice.entry_for_erasure",
    )
    return entry


@transaction.atomic
def entry_erase(
    *, entry: Entry, acting_user: User | None = None, by_patient: bool = False, reason: str = "", request=None
) -> Entry:
    """Erases everything that names the person and keeps the anonymous counts. Either the patient through their
    link (``by_patient=True``) or a coordinator of the entry's list on request (``acting_user``, with one of
    ``ERASE_REASONS``). Entries merged into this one (the same person's duplicates) are erased with it."""
    if by_patient == (acting_user is not None):
        raise ValueError("entry_erase: either by_patient=True or acting_user")
    if acting_user is not None:
        actor = waitlist_actor_for(acting_user)
        if entry.waiting_list_id not in actor.coordinated_list_ids:
            raise ApplicationError(_("Cette inscription n'existe pas ou ne vous est pas accessible."), code="not_found")
        if reason not in ERASE_REASONS:
            raise ApplicationError(_("Indiquez d'où vient la demande d'effacement."), field="reason")
    entry = _locked(entry)
    if entry.status == Entry.Status.ERASED:
        raise ApplicationError(erased_message(), code="link_erased" if by_patient else "invalid")
    closed_reason = (
        str(ERASED_BY_PATIENT) if by_patient else str(ERASED_BY_COORDINATION) % {"reason": ERASE_REASONS[reason]}
    )
    duplicates = list(Entry.objects.select_for_update().filter(merged_into=entry).exclude(status=Entry.Status.ERASED))
    for each in [entry, *duplicates]:
        _erase_one(each, closed_reason=closed_reason)
    entry_event_record(
        entry=entry,
        kind=EntryEvent.Kind.ERASED,
        actor=acting_user,
        by_patient=by_patient,
        details={"by": "patient" if by_patient else "coordination", "reason": reason or "link"},
    )
    if acting_user is not None:
        access_log_record(
            user=acting_user,
            action=AccessLog.Action.DELETE,
            subject_type="waitlist_entry",
            subject_id=str(entry.public_id),
            patient_ref=str(entry.public_id),
            request=request,
            via="" if request is not None else "waitlist.services.selfservice.entry_erase",
        )
    return entry


def _erase_one(entry: Entry, *, closed_reason: str) -> None:
    now = timezone.now()
    purpose = contact_code_purpose(entry)
    # The addresses the person was reached at, or was sent a code at (a change never confirmed included).
    coded = VerificationCode.objects.filter(purpose=purpose).values_list("address", flat=True)
    addresses = {entry.phone, entry.email, *coded}
    messages_erase_for(sorted(a for a in addresses if a), about=[str(entry.public_id)])
    VerificationCode.objects.filter(purpose=purpose).delete()
    member_ids = [str(pk) for pk in entry.members.values_list("pk", flat=True)]
    if member_ids:
        # The admin's history names a member in its text ("Jeanne Durand" changed).
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(HouseholdMember), object_id__in=member_ids
        ).delete()
    HouseholdMember.objects.filter(entry=entry).delete()
    EntryNote.objects.filter(entry=entry).delete()
    DuplicateSuspicion.objects.filter(entry=entry).delete()
    DuplicateSuspicion.objects.filter(other=entry).delete()
    _cancel_pending_proposals(entry)
    # A GP's reason may name the household.
    Proposal.objects.filter(entry=entry).exclude(decline_reason="").update(decline_reason="")
    EntryEvent.objects.filter(entry=entry).exclude(details={}).update(details={})
    entry.status = Entry.Status.ERASED
    entry.phone = ""
    entry.email = ""
    entry.phone_verified_at = None
    entry.email_verified_at = None
    entry.priority_reasons = []
    entry.level_override_reason = ""
    entry.closed_at = now
    entry.closed_reason = closed_reason
    entry.duplicate_suspected = False
    entry.link_version += 1
    entry.save(
        update_fields=[
            "status",
            "phone",
            "email",
            "phone_verified_at",
            "email_verified_at",
            "priority_reasons",
            "level_override_reason",
            "closed_at",
            "closed_reason",
            "duplicate_suspected",
            "link_version",
            "updated_at",
        ]
    )


# --- Lost link ------------------------------------------------------------------------------------------------------

LINK_RESEND_TEMPLATE = "waitlist_link_resent"


def link_resend(*, address: str) -> int:
    """Sends the follow link again to a phone or an e-mail address typed on the "lost your link?" page, for each
    live entry reached there. Returns how many were sent, which the page never shows: it says the same thing
    whether the address is on the list or not. At most one message per entry, channel and hour."""
    address = (address or "").strip()
    if "@" in address:
        channel, field_name = OutboundMessage.Channel.EMAIL, "email"
        address = email_checked(address)
        entries = Entry.objects.filter(email__iexact=address)
    else:
        channel, field_name = OutboundMessage.Channel.SMS, "phone"
        try:
            address = phone_checked(address)
        except ApplicationError:
            raise ApplicationError(
                _("Tapez un numéro de téléphone (06 12 34 56 78) ou une adresse e-mail."), field="address"
            ) from None
        entries = Entry.objects.filter(phone=address)
    entries = entries.exclude(status__in=(*GONE_STATUSES, Entry.Status.UNVERIFIED)).select_related("waiting_list")
    hour = timezone.now().strftime("%Y%m%d%H")
    sent = 0
    with transaction.atomic():
        for entry in entries:
            message_enqueue(
                channel=channel,
                recipient=getattr(entry, field_name),
                template=LINK_RESEND_TEMPLATE,
                context={"follow_url": entry_follow_link(entry)},
                idempotency_key=f"{LINK_RESEND_TEMPLATE}:{entry.public_id}:{channel}:{hour}",
                recipient_kind=OutboundMessage.RecipientKind.PATIENT,
                territory_id=territory_of_entry(entry),
            )
            sent += 1
    return sent

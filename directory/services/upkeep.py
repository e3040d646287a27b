"""Keeping the directory true: professionals claim their entry, owners confirm it, coordinators resolve error
reports and merge duplicates. Every write here records an ``EntryRevision`` in its transaction."""

import datetime

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Role
from accounts.services import user_create
from accounts.signed_links import patient_link_read, patient_link_token
from core.errors import ApplicationError
from core.identifiers import rpps_is_valid
from directory.models import (
    CONFIRMATION_REQUEST_AFTER_DAYS,
    Absence,
    Activity,
    ContactChannel,
    EntryClaim,
    EntryRevision,
    ErrorReport,
    Practitioner,
    PractitionerMerge,
    PractitionerTool,
    RoleGrant,
)
from directory.permissions import can_edit_practitioner, coordinates_practitioner
from directory.selectors.upkeep import entry_summary
from directory.services import NOT_YOURS, role_grant_create, set_password_url
from directory.services.revisions import revision_record, snapshot
from notifications.models import OutboundMessage
from notifications.services import message_enqueue

CLAIM_LINK_PURPOSE = "directory-claim"
CLAIM_LINK_VALID_DAYS = 7
CONFIRMATION_LINK_PURPOSE = "directory-confirmation"
CONFIRMATION_LINK_VALID_DAYS = 30
# An owner asked to confirm is not asked again before this many days, whatever the reruns of the task.
CONFIRMATION_REQUEST_INTERVAL_DAYS = 30
CONFIRMATION_LINK_ACTOR_LABEL = "Lien de confirmation"

_ENTRY_OUT_OF_SCOPE = _("Cette fiche n'existe pas ou ne relève pas de votre territoire.")


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def practitioner_page_url(practitioner: Practitioner) -> str:
    return reverse("directory:practitioner_detail", kwargs={"practitioner_id": practitioner.public_id})


def _normalised_national_id(value: str) -> str:
    return "".join((value or "").split()).upper()


def _coordinators_of(practitioner: Practitioner) -> list[User]:
    """Coordinators of the entry's territory and of the territories of the practices where they work."""
    territories = set(
        Activity.objects.filter(practitioner=practitioner, practice__territory__isnull=False).values_list(
            "practice__territory", flat=True
        )
    )
    if practitioner.territory_id:
        territories.add(practitioner.territory_id)
    return list(
        User.objects.filter(
            is_active=True,
            pk__in=RoleGrant.objects.filter(role=Role.COORDINATOR, territory__in=territories).values("user"),
        ).order_by("pk")
    )


# --- Claims -----------------------------------------------------------------------------------------------------


def _refuse_if_linked(practitioner: Practitioner) -> None:
    if practitioner.user_id is not None:
        raise ApplicationError(
            _(
                "Cette fiche est déjà rattachée à un compte. Si c'est la vôtre, connectez-vous ; sinon, "
                "signalez l'erreur à la coordination de la CPTS."
            ),
            code="already_linked",
        )


def _check_national_id(practitioner: Practitioner, typed: str) -> None:
    """The claimant proves they know the entry's RPPS (or its ADELI number when it has no RPPS)."""
    value = _normalised_national_id(typed)
    if practitioner.rpps:
        if not rpps_is_valid(value):
            raise ApplicationError(
                _("Numéro RPPS invalide : 11 chiffres dont une clé de contrôle (« %(value)s »).") % {"value": typed},
                field="rpps",
            )
        if value != practitioner.rpps:
            raise ApplicationError(_("Ce numéro RPPS n'est pas celui de cette fiche."), field="rpps")
    elif value != (practitioner.adeli or ""):
        raise ApplicationError(_("Ce numéro ADELI n'est pas celui de cette fiche."), field="rpps")


def claim_link_url(claim: EntryClaim) -> str:
    token = patient_link_token(purpose=CLAIM_LINK_PURPOSE, subject_id=str(claim.public_id))
    return _absolute(reverse("directory:claim_verify", kwargs={"token": token}))


def _send_claim_link(claim: EntryClaim, *, now: datetime.datetime) -> None:
    # One link per claim and hour: asking again re-sends it, but a refreshed page does not flood the mailbox.
    message_enqueue(
        channel=OutboundMessage.Channel.EMAIL,
        recipient=claim.email,
        template="directory_claim_verification",
        context={
            "practitioner": str(claim.practitioner),
            "verify_url": claim_link_url(claim),
            "valid_days": CLAIM_LINK_VALID_DAYS,
        },
        idempotency_key=f"directory-claim-verification:{claim.public_id}:{now:%Y%m%d%H}",
        territory_id=claim.practitioner.territory_id,
    )


def _has_verified_address(user: User, email: str) -> bool:
    return EmailAddress.objects.filter(user=user, email__iexact=email, verified=True).exists()


def claim_account(claim: EntryClaim) -> User | None:
    """The account an approval gives the entry to: the one whose address the claim proved (``None``: approval
    opens one for it). Never the account that happened to be signed in when the claim was made."""
    return User.objects.filter(email__iexact=claim.email).first()


@transaction.atomic
def claim_start(
    *, practitioner: Practitioner, rpps: str, email: str, message: str = "", user: User | None = None
) -> EntryClaim:
    """Someone asks to manage ``practitioner``'s entry: the national id must match; a link proving the address
    is e-mailed. Asking again for the same entry and address re-sends the link of the open claim.

    The claim is for the address, never for whoever types it: the signed-in ``user`` is recorded only when
    ``email`` is their own verified address (a secretary typing a professional's address claims nothing for
    herself); approval binds the entry to the account of the address (see ``claim_account``)."""
    practitioner = Practitioner.objects.select_for_update().get(pk=practitioner.pk)
    _refuse_if_linked(practitioner)
    _check_national_id(practitioner, rpps)
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ApplicationError(_("Indiquez une adresse e-mail valide."), field="email") from None
    message = (message or "").strip()
    if len(message) > 2000:
        raise ApplicationError(_("Votre message ne peut dépasser 2 000 caractères."), field="message")
    user = user if user is not None and user.is_authenticated else None
    if user is not None and not _has_verified_address(user, email):
        user = None
    if user is not None and RoleGrant.objects.filter(user=user, role=Role.PROFESSIONAL).exists():
        raise ApplicationError(
            _("Votre compte gère déjà une fiche de l'annuaire : un compte ne gère qu'une fiche."), field="email"
        )
    now = timezone.now()
    open_statuses = (EntryClaim.Status.AWAITING_EMAIL, EntryClaim.Status.AWAITING_APPROVAL)
    claim = EntryClaim.objects.filter(practitioner=practitioner, email=email, status__in=open_statuses).first()
    if claim is None:
        claim = EntryClaim.objects.create(practitioner=practitioner, email=email, message=message, user=user)
    elif claim.status == EntryClaim.Status.AWAITING_APPROVAL:
        return claim  # the address is proven already: the coordination decides, nothing to send
    elif message and message != claim.message:
        claim.message = message
        claim.save(update_fields=["message", "updated_at"])
    _send_claim_link(claim, now=now)
    return claim


@transaction.atomic
def claim_link_claim(*, token: str) -> EntryClaim:
    """The claim an e-mailed verification link is for, or an ``ApplicationError`` saying what is wrong with it."""
    claim_id = patient_link_read(
        purpose=CLAIM_LINK_PURPOSE, token=token, max_age=datetime.timedelta(days=CLAIM_LINK_VALID_DAYS)
    )
    claim = EntryClaim.objects.select_related("practitioner").filter(public_id=claim_id).first()
    if claim is None:
        raise ApplicationError(_("Cette demande n'existe plus : faites-en une nouvelle."), code="link_invalid")
    return claim


@transaction.atomic
def claim_verify(*, token: str) -> EntryClaim:
    """The claimant pressed the button of the e-mailed link's page: their address is proven and the coordinators
    are told. Never on opening the link (a mail scanner opens every link of a message: see the view). Pressing
    it again changes nothing."""
    claim = claim_link_claim(token=token)
    now = timezone.now()
    verified = EntryClaim.objects.filter(pk=claim.pk, status=EntryClaim.Status.AWAITING_EMAIL).update(
        status=EntryClaim.Status.AWAITING_APPROVAL, email_verified_at=now, updated_at=now
    )
    claim.refresh_from_db()
    if verified:
        decide_url = _absolute(reverse("directory:claim_decide", kwargs={"claim_id": claim.public_id}))
        for coordinator in _coordinators_of(claim.practitioner):
            message_enqueue(
                channel=OutboundMessage.Channel.EMAIL,
                recipient=coordinator.email,
                template="directory_claim_pending",
                context={
                    "first_name": coordinator.first_name,
                    "practitioner": str(claim.practitioner),
                    "national_id": claim.practitioner.national_id_label,
                    "email": claim.email,
                    "message": claim.message,
                    "decide_url": decide_url,
                },
                idempotency_key=f"directory-claim-pending:{claim.public_id}:{coordinator.public_id}",
                territory_id=claim.practitioner.territory_id,
            )
    return claim


def _claim_for_decision(acting_user: User, claim: EntryClaim) -> EntryClaim:
    claim = EntryClaim.objects.select_for_update(of=("self",)).select_related("practitioner").get(pk=claim.pk)
    if not coordinates_practitioner(acting_user, claim.practitioner):
        raise ApplicationError(_("Cette demande n'existe pas ou ne relève pas de votre territoire."), code="not_found")
    if claim.status == EntryClaim.Status.AWAITING_EMAIL:
        raise ApplicationError(_("L'adresse e-mail de cette demande n'a pas encore été vérifiée."))
    if claim.status != EntryClaim.Status.AWAITING_APPROVAL:
        raise ApplicationError(
            _("Cette demande a déjà été traitée (%(status)s).") % {"status": claim.get_status_display()}
        )
    return claim


def _mark_decided(claim: EntryClaim, *, status: str, acting_user: User | None, note: str, now) -> None:
    """Claims with a conditional update: two coordinators deciding at once cannot both win."""
    changed = EntryClaim.objects.filter(pk=claim.pk, status=EntryClaim.Status.AWAITING_APPROVAL).update(
        status=status, decided_by=acting_user, decided_at=now, decision_note=note[:500], updated_at=now
    )
    if changed != 1:
        raise ApplicationError(_("Cette demande vient d'être traitée par quelqu'un d'autre."))
    claim.refresh_from_db()


def _send_rejection(claim: EntryClaim) -> None:
    message_enqueue(
        channel=OutboundMessage.Channel.EMAIL,
        recipient=claim.email,
        template="directory_claim_rejected",
        context={"practitioner": str(claim.practitioner), "reason": claim.decision_note},
        idempotency_key=f"directory-claim-rejected:{claim.public_id}",
        territory_id=claim.practitioner.territory_id,
    )


@transaction.atomic
def claim_approve(*, acting_user: User, claim: EntryClaim) -> EntryClaim:
    """A coordinator of the entry's territory approves a verified claim: the account of the proven address, else a
    new one for it (e-mailed a link to choose a password), becomes the entry's professional; the account that was
    signed in when the claim was made gets nothing unless it is that one."""
    claim = _claim_for_decision(acting_user, claim)
    practitioner = Practitioner.objects.select_for_update().get(pk=claim.practitioner_id)
    _refuse_if_linked(practitioner)
    now = timezone.now()
    account = claim_account(claim)
    created = account is None
    if created:
        account = user_create(email=claim.email, password=None, email_verified=True)
    elif RoleGrant.objects.filter(user=account, role=Role.PROFESSIONAL).exists():
        raise ApplicationError(
            _("Le compte %(email)s est déjà rattaché à une autre fiche de l'annuaire.") % {"email": account.email}
        )
    role_grant_create(user=account, role=Role.PROFESSIONAL, practitioner=practitioner, granted_by=acting_user)
    _mark_decided(claim, status=EntryClaim.Status.APPROVED, acting_user=acting_user, note="", now=now)
    if claim.user_id != account.pk:
        claim.user = account
        claim.save(update_fields=["user", "updated_at"])
    revision_record(
        actor=acting_user,
        action=EntryRevision.Action.CLAIMED,
        object_type="practitioner",
        object_label=str(practitioner),
        practitioner=practitioner,
        before={"user": ""},
        after={"user": account.email},
    )
    # The entry has its account: the other open claims on it can no longer be approved.
    others = EntryClaim.objects.filter(
        practitioner=practitioner,
        status__in=(EntryClaim.Status.AWAITING_EMAIL, EntryClaim.Status.AWAITING_APPROVAL),
    ).exclude(pk=claim.pk)
    for other in others:
        other.status = EntryClaim.Status.REJECTED
        other.decided_by, other.decided_at = acting_user, now
        other.decision_note = _("La fiche a été rattachée à un autre compte.")
        other.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
        _send_rejection(other)
    context = {
        "practitioner": str(practitioner),
        "decided_by": acting_user.get_full_name() or acting_user.email,
        "login_url": _absolute(reverse("account_login")),
        "set_password_url": set_password_url(account) if created else "",
        "valid_days": max(settings.PASSWORD_RESET_TIMEOUT // 86400, 1),
    }
    message_enqueue(
        channel=OutboundMessage.Channel.EMAIL,
        recipient=account.email,
        template="directory_claim_approved",
        context=context,
        idempotency_key=f"directory-claim-approved:{claim.public_id}",
        territory_id=practitioner.territory_id,
    )
    return claim


@transaction.atomic
def claim_reject(*, acting_user: User, claim: EntryClaim, reason: str) -> EntryClaim:
    """A coordinator refuses a verified claim, saying why; the claimant is told by e-mail."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Dites pourquoi vous refusez : la personne recevra ce motif."), field="reason")
    if len(reason) > 500:
        raise ApplicationError(_("Le motif ne peut dépasser 500 caractères."), field="reason")
    claim = _claim_for_decision(acting_user, claim)
    _mark_decided(claim, status=EntryClaim.Status.REJECTED, acting_user=acting_user, note=reason, now=timezone.now())
    revision_record(
        actor=acting_user,
        action=EntryRevision.Action.UPDATED,
        object_type="entry_claim",
        object_label=_("Demande de %(email)s") % {"email": claim.email},
        practitioner=claim.practitioner,
        before={"status": EntryClaim.Status.AWAITING_APPROVAL},
        after={"status": claim.status, "decision_note": reason},
    )
    _send_rejection(claim)
    return claim


# --- Confirmations ----------------------------------------------------------------------------------------------

_MAIL_CHANNEL_ORDER = (ContactChannel.Kind.EMAIL, ContactChannel.Kind.MSSANTE)


def confirmation_address(practitioner: Practitioner) -> str:
    """Where to ask the owner of an entry: the e-mail of the account linked to it; else the entry's own e-mail
    channel; else its own MSSanté address (last, because an MSSanté box accepts mail from the MSSanté trust
    space only: a refusal then shows among the outbox failures). Preferred channels first, then the oldest.
    A practice's channels are left out: they reach a secretariat, not the professional."""
    if practitioner.user_id and practitioner.user.email:
        return practitioner.user.email
    channels = [
        channel
        for channel in practitioner.contact_channels.all()
        if channel.kind in _MAIL_CHANNEL_ORDER and channel.practice_id is None
    ]
    channels.sort(key=lambda channel: (_MAIL_CHANNEL_ORDER.index(channel.kind), not channel.preferred, channel.pk))
    return channels[0].value if channels else ""


def confirmation_link_url(practitioner: Practitioner) -> str:
    token = patient_link_token(
        purpose=CONFIRMATION_LINK_PURPOSE,
        subject_id=str(practitioner.public_id),
        version=practitioner.confirmation_link_version,
    )
    return _absolute(reverse("directory:confirm_link", kwargs={"token": token}))


def edit_url(practitioner: Practitioner) -> str:
    """An owner with an account edits the entry (after signing in); one without claims the entry first."""
    if practitioner.user_id:
        return reverse("directory:practitioner_edit", kwargs={"practitioner_id": practitioner.public_id})
    return reverse("directory:claim_start", kwargs={"practitioner_id": practitioner.public_id})


def practitioners_due_for_confirmation(*, now: datetime.datetime) -> models.QuerySet[Practitioner]:
    """Entries confirmed (or created) more than six months ago, not asked in the last 30 days, with an address."""
    mail_channel = ContactChannel.objects.filter(
        practitioner=OuterRef("pk"), practice__isnull=True, kind__in=_MAIL_CHANNEL_ORDER
    )
    return (
        Practitioner.objects.annotate(confirmed_or_created=Coalesce("last_confirmed_at", "created_at"))
        .filter(confirmed_or_created__lt=now - datetime.timedelta(days=CONFIRMATION_REQUEST_AFTER_DAYS))
        .filter(
            Q(confirmation_requested_at__isnull=True)
            | Q(confirmation_requested_at__lt=now - datetime.timedelta(days=CONFIRMATION_REQUEST_INTERVAL_DAYS))
        )
        .filter(Q(user__isnull=False) | Exists(mail_channel))
        .order_by("pk")
    )


def confirmation_requests_send(*, now: datetime.datetime | None = None) -> int:
    """Asks the owner of every entry due (see ``practitioners_due_for_confirmation``) "is this still right?",
    through the outbox, and returns how many were asked. Safe to run twice: each entry is claimed with a
    conditional update of ``confirmation_requested_at`` before its e-mail is written, and the outbox key is
    per entry and month."""
    now = now or timezone.now()
    due_ids = list(practitioners_due_for_confirmation(now=now).values_list("pk", flat=True))
    sent = 0
    for start in range(0, len(due_ids), 200):
        batch = (
            Practitioner.objects.filter(pk__in=due_ids[start : start + 200])
            .select_related("user", "profession")
            .prefetch_related("contact_channels", "specialties")
        )
        for practitioner in batch:
            if _confirmation_request_send(practitioner, now=now):
                sent += 1
    return sent


@transaction.atomic
def _confirmation_request_send(practitioner: Practitioner, *, now: datetime.datetime) -> bool:
    recipient = confirmation_address(practitioner)
    if not recipient:
        return False
    claimed = (
        practitioners_due_for_confirmation(now=now)
        .filter(pk=practitioner.pk)
        .update(confirmation_requested_at=now, updated_at=now)
    )
    if claimed != 1:
        return False  # another run took it meanwhile
    try:
        message_enqueue(
            channel=OutboundMessage.Channel.EMAIL,
            recipient=recipient,
            template="directory_confirmation_request",
            context={
                "practitioner": str(practitioner),
                "summary": entry_summary(practitioner),
                "confirm_url": confirmation_link_url(practitioner),
                "edit_url": _absolute(edit_url(practitioner)),
                "has_account": practitioner.user_id is not None,
                "valid_days": CONFIRMATION_LINK_VALID_DAYS,
            },
            idempotency_key=f"directory-confirmation:{practitioner.public_id}:{now:%Y-%m}",
            territory_id=practitioner.territory_id,
        )
    except ApplicationError:
        # An address the outbox refuses (a mistyped channel): nothing is sent, and the entry waits 30 days.
        return False
    return True


def _confirm(practitioner: Practitioner, *, actor: User | None, actor_label: str = "") -> Practitioner:
    before = snapshot(practitioner, ("last_confirmed_at",))
    practitioner.last_confirmed_at = timezone.now()
    practitioner.save(update_fields=["last_confirmed_at", "updated_at"])
    revision_record(
        actor=actor,
        actor_label=actor_label,
        action=EntryRevision.Action.CONFIRMED,
        object_type="practitioner",
        object_label=str(practitioner),
        practitioner=practitioner,
        before=before,
        after=snapshot(practitioner, ("last_confirmed_at",)),
    )
    return practitioner


@transaction.atomic
def practitioner_confirm(*, acting_user: User, practitioner: Practitioner) -> Practitioner:
    """Someone who may edit the entry says everything on it is right."""
    if not can_edit_practitioner(acting_user, practitioner):
        raise ApplicationError(NOT_YOURS, code="forbidden")
    return _confirm(practitioner, actor=acting_user)


def confirmation_link_practitioner(*, token: str) -> Practitioner:
    """The entry a confirmation link was sent for, or an ``ApplicationError`` saying what is wrong with it: expired,
    tampered with, or used already (a link confirms once: using it bumps the entry's link version)."""
    max_age = datetime.timedelta(days=CONFIRMATION_LINK_VALID_DAYS)
    practitioner_id = patient_link_read(purpose=CONFIRMATION_LINK_PURPOSE, token=token, max_age=max_age)
    practitioner = Practitioner.objects.filter(public_id=practitioner_id).first()
    if practitioner is None:
        merge = PractitionerMerge.objects.select_related("kept").filter(merged_public_id=practitioner_id).first()
        if merge is None:
            raise ApplicationError(_("Cette fiche n'existe plus dans l'annuaire."), code="link_invalid")
        practitioner = merge.kept
    try:
        patient_link_read(
            purpose=CONFIRMATION_LINK_PURPOSE,
            token=token,
            max_age=max_age,
            current_version=practitioner.confirmation_link_version,
        )
    except ApplicationError:
        raise ApplicationError(
            _("Ce lien a déjà servi : la fiche a été confirmée. Connectez-vous pour la modifier."), code="link_used"
        ) from None
    return practitioner


@transaction.atomic
def practitioner_confirm_by_link(*, token: str) -> Practitioner:
    """The owner pressed "Tout est juste" on the page of the e-mailed link (never on opening it: see the view).
    The link is then used up: the entry's link version moves on, so a second press or a replay is refused."""
    practitioner = confirmation_link_practitioner(token=token)
    practitioner = Practitioner.objects.select_for_update().get(pk=practitioner.pk)
    # Checked again under the lock: two presses at once confirm once.
    practitioner = confirmation_link_practitioner(token=token)
    Practitioner.objects.filter(pk=practitioner.pk).update(confirmation_link_version=F("confirmation_link_version") + 1)
    practitioner.refresh_from_db()
    return _confirm(practitioner, actor=None, actor_label=CONFIRMATION_LINK_ACTOR_LABEL)


# --- Error reports ----------------------------------------------------------------------------------------------


@transaction.atomic
def error_report_resolve(*, acting_user: User, report: ErrorReport) -> ErrorReport:
    """A coordinator of the entry's territory marks an error report as dealt with."""
    report = ErrorReport.objects.select_for_update(of=("self",)).select_related("practitioner").get(pk=report.pk)
    if not coordinates_practitioner(acting_user, report.practitioner):
        raise ApplicationError(_("Ce signalement n'existe pas ou ne relève pas de votre territoire."), code="not_found")
    if report.status == ErrorReport.Status.RESOLVED:
        return report
    report.status = ErrorReport.Status.RESOLVED
    report.resolved_by = acting_user
    report.resolved_at = timezone.now()
    report.save(update_fields=["status", "resolved_by", "resolved_at", "updated_at"])
    revision_record(
        actor=acting_user,
        action=EntryRevision.Action.UPDATED,
        object_type="error_report",
        object_label=_("Signalement : %(message)s") % {"message": report.message[:80]},
        practitioner=report.practitioner,
        before={"status": ErrorReport.Status.OPEN},
        after={"status": ErrorReport.Status.RESOLVED},
    )
    return report


# --- Merging duplicates -----------------------------------------------------------------------------------------

# Filled on the entry kept when empty there; the lists are joined instead (a language spoken, a tag of the
# practice, known from either entry, stays known).
_FILLED_FIELDS = (
    "rpps",
    "adeli",
    "civility",
    "profession",
    "territory",
    "accepting_new_patients",
    "practice_notes",
    "cpts_member_since",
    "last_confirmed_at",
    "confirmation_requested_at",
    "rpps_seen_at",
)
_JOINED_FIELDS = ("languages", "practice_tags")
_SNAPSHOT_FIELDS = (
    "rpps",
    "adeli",
    "first_name",
    "last_name",
    "civility",
    "profession",
    "territory",
    "languages",
    "accepting_new_patients",
    "answers_teleexpertise",
    "practice_tags",
    "practice_notes",
    "cpts_member_since",
    "last_confirmed_at",
    "source",
    "specialties",
)


def _duplicate_snapshot(duplicate: Practitioner) -> dict:
    """Everything the duplicate held, as it was: kept in ``PractitionerMerge`` for the record."""
    data = snapshot(duplicate, _SNAPSHOT_FIELDS)
    data.update(
        public_id=str(duplicate.public_id),
        user=duplicate.user.email if duplicate.user_id else "",
        created_at=duplicate.created_at.isoformat(),
        practices=sorted(str(activity.practice) for activity in duplicate.activities.select_related("practice")),
        contact_channels=[
            snapshot(channel, ("practice", "audience", "kind", "value", "hours", "note", "preferred"))
            for channel in duplicate.contact_channels.select_related("practice").order_by("pk")
        ],
        tools=[
            {"tool": tool.tool.name, "uses": list(tool.uses), "handle_or_link": tool.handle_or_link}
            for tool in duplicate.tools.select_related("tool").order_by("pk")
        ],
        absences=[
            snapshot(absence, ("starts_on", "ends_on", "replacement", "note"))
            for absence in duplicate.absences.select_related("replacement").order_by("pk")
        ],
    )
    return data


def _is_empty(value) -> bool:
    return value is None or value == "" or value == []


def _refuse_merge(acting_user: User, kept: Practitioner, duplicate: Practitioner) -> None:
    if kept.pk == duplicate.pk:
        raise ApplicationError(_("Une fiche ne peut pas être fusionnée avec elle-même."))
    if not (coordinates_practitioner(acting_user, kept) and coordinates_practitioner(acting_user, duplicate)):
        raise ApplicationError(_ENTRY_OUT_OF_SCOPE, code="not_found")
    if kept.user_id and duplicate.user_id and kept.user_id != duplicate.user_id:
        raise ApplicationError(
            _(
                "Ces deux fiches sont rattachées à deux comptes différents (%(first)s et %(second)s) : retirez "
                "d'abord le rôle de professionnel de l'un des deux comptes."
            )
            % {"first": kept.user.email, "second": duplicate.user.email}
        )
    if kept.rpps and duplicate.rpps and kept.rpps != duplicate.rpps:
        raise ApplicationError(
            _(
                "Ces deux fiches portent deux numéros RPPS différents (%(first)s et %(second)s) : ce sont deux "
                "professionnels, pas un doublon."
            )
            % {"first": kept.rpps, "second": duplicate.rpps}
        )


def _move_channels(kept: Practitioner, duplicate: Practitioner) -> None:
    # Both entries' channels are kept; where both have a preferred one for the same practice and audience,
    # the kept entry's stays preferred (the unique index allows one).
    kept_preferred = ContactChannel.objects.filter(practitioner=kept, preferred=True)
    for channel in kept_preferred:
        ContactChannel.objects.filter(
            practitioner=duplicate, practice=channel.practice_id, audience=channel.audience, preferred=True
        ).update(preferred=False)
    ContactChannel.objects.filter(practitioner=duplicate).update(practitioner=kept)


def _move_tools(kept: Practitioner, duplicate: Practitioner) -> None:
    kept_tools = {tool.tool_id: tool for tool in PractitionerTool.objects.filter(practitioner=kept)}
    for tool in PractitionerTool.objects.filter(practitioner=duplicate):
        same = kept_tools.get(tool.tool_id)
        if same is None:
            tool.practitioner = kept
            tool.save(update_fields=["practitioner"])
            continue
        same.uses = [*same.uses, *(use for use in tool.uses if use not in same.uses)]
        same.handle_or_link = same.handle_or_link or tool.handle_or_link
        same.save(update_fields=["uses", "handle_or_link"])
        tool.delete()


def _move_absences(kept: Practitioner, duplicate: Practitioner) -> None:
    # An absence of one replaced by the other would become an absence replaced by oneself: the replacement
    # is dropped there, the absence kept.
    Absence.objects.filter(
        Q(practitioner=duplicate, replacement=kept) | Q(practitioner=kept, replacement=duplicate)
    ).update(replacement=None)
    Absence.objects.filter(replacement=duplicate).update(replacement=kept)
    Absence.objects.filter(practitioner=duplicate).update(practitioner=kept)


def _move_activities(kept: Practitioner, duplicate: Practitioner) -> None:
    Activity.objects.filter(
        practitioner=duplicate, practice__in=Activity.objects.filter(practitioner=kept).values("practice")
    ).delete()
    Activity.objects.filter(practitioner=duplicate).update(practitioner=kept)


def _move_claims(kept: Practitioner, duplicate: Practitioner, now) -> None:
    # At most one open claim per entry and address: the duplicate's twin of an open claim on the kept entry
    # is closed (the one on the kept entry goes on).
    open_statuses = (EntryClaim.Status.AWAITING_EMAIL, EntryClaim.Status.AWAITING_APPROVAL)
    EntryClaim.objects.filter(
        practitioner=duplicate,
        status__in=open_statuses,
        email__in=EntryClaim.objects.filter(practitioner=kept, status__in=open_statuses).values("email"),
    ).update(
        status=EntryClaim.Status.REJECTED,
        decided_at=now,
        decision_note=_("Doublon d'une demande sur la fiche conservée lors d'une fusion."),
    )
    EntryClaim.objects.filter(practitioner=duplicate).update(practitioner=kept)


# Relations moved explicitly above (or by the deletion itself); any other relation pointing at an entry,
# present or added later by another app, is moved by ``_move_other_relations``.
_MOVED_EXPLICITLY = {
    ("directory", "contactchannel", "practitioner"),
    ("directory", "practitionertool", "practitioner"),
    ("directory", "absence", "practitioner"),
    ("directory", "absence", "replacement"),
    ("directory", "activity", "practitioner"),
    ("directory", "entryclaim", "practitioner"),
}


def _move_other_relations(kept: Practitioner, duplicate: Practitioner) -> None:
    for relation in Practitioner._meta.related_objects:
        if not (relation.one_to_many or relation.one_to_one) or relation.field.model is Practitioner:
            continue
        model = relation.related_model
        key = (model._meta.app_label, model._meta.model_name, relation.field.name)
        if key in _MOVED_EXPLICITLY:
            continue
        try:
            with transaction.atomic():
                model._base_manager.filter(**{relation.field.name: duplicate}).update(**{relation.field.name: kept})
        except IntegrityError:
            raise ApplicationError(
                _("La fusion est impossible : « %(what)s » existe sur les deux fiches et ne peut être réuni.")
                % {"what": model._meta.verbose_name}
            ) from None


@transaction.atomic
def practitioner_merge(*, acting_user: User, kept: Practitioner, duplicate: Practitioner) -> Practitioner:
    """A coordinator of both entries' territory merges ``duplicate`` into ``kept``, losing nothing.

    Channels, tools (one row per tool, uses joined), absences (and those where the duplicate replaces someone),
    activities (one per practice), specialties, change events, revisions, claims, error reports and role grants
    move to the entry kept, and so does the account link when the kept entry has none. The kept entry's empty
    fields take the duplicate's values (its RPPS or ADELI number included). The duplicate, as it was, is kept in
    a ``PractitionerMerge`` (so that its old id resolves to the entry kept), a MERGED revision is written, and
    the duplicate is deleted.
    """
    first, second = sorted((kept.pk, duplicate.pk))
    locked = {
        practitioner.pk: practitioner
        for practitioner in Practitioner.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(pk__in=(first, second))
        .order_by("pk")
    }
    if kept.pk not in locked or duplicate.pk not in locked:
        raise ApplicationError(_ENTRY_OUT_OF_SCOPE, code="not_found")
    kept, duplicate = locked[kept.pk], locked[duplicate.pk]
    _refuse_merge(acting_user, kept, duplicate)
    now = timezone.now()
    duplicate_snapshot = _duplicate_snapshot(duplicate)
    kept_before = snapshot(kept, (*_FILLED_FIELDS, *_JOINED_FIELDS, "user", "specialties"))
    duplicate_label = f"{duplicate} — {duplicate.national_id_label}"
    account = duplicate.user if duplicate.user_id and not kept.user_id else None

    _move_channels(kept, duplicate)
    _move_tools(kept, duplicate)
    _move_absences(kept, duplicate)
    _move_activities(kept, duplicate)
    _move_claims(kept, duplicate, now)
    kept.specialties.add(*duplicate.specialties.all())
    _move_other_relations(kept, duplicate)  # change events, revisions, error reports, role grants, merges…

    updated = []
    for name in _FILLED_FIELDS:
        if _is_empty(getattr(kept, name)) and not _is_empty(getattr(duplicate, name)):
            setattr(kept, name, getattr(duplicate, name))
            updated.append(name)
    for name in _JOINED_FIELDS:
        joined = [*getattr(kept, name), *(item for item in getattr(duplicate, name) if item not in getattr(kept, name))]
        if joined != getattr(kept, name):
            setattr(kept, name, joined)
            updated.append(name)
    if not kept.answers_teleexpertise and duplicate.answers_teleexpertise:
        kept.answers_teleexpertise = True
        updated.append("answers_teleexpertise")
    if account is not None:
        kept.user = account
        updated.append("user")

    PractitionerMerge.objects.create(
        kept=kept,
        merged_public_id=duplicate.public_id,
        merged_label=duplicate_label[:255],
        merged_snapshot=duplicate_snapshot,
        merged_by=acting_user,
        merged_at=now,
    )
    # Deleting the duplicate first frees its unique RPPS / ADELI number and account for the entry kept.
    duplicate_pk = duplicate.pk
    duplicate.delete()
    duplicate.pk = duplicate_pk
    try:
        kept.full_clean(
            exclude=[field.name for field in Practitioner._meta.fields if field.name not in updated],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as error:
        raise ApplicationError(error.messages[0]) from None
    kept.save(update_fields=[*updated, "updated_at"])

    after = snapshot(kept, (*_FILLED_FIELDS, *_JOINED_FIELDS, "user", "specialties"))
    changed = [name for name in after if after[name] != kept_before[name]]
    revision_record(
        actor=acting_user,
        action=EntryRevision.Action.MERGED,
        object_type="practitioner",
        object_label=f"{duplicate_label} → {kept}",
        practitioner=kept,
        before={name: kept_before[name] for name in changed},
        after={"merged_duplicate": duplicate_label, **{name: after[name] for name in changed}},
    )
    return kept

"""Writes of the directory: entries, practices, contact channels, absences, role grants, and the accounts
coordinators open."""

import datetime
from collections.abc import Iterable

from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Role, forget_roles
from accounts.services import user_create
from core.errors import ApplicationError
from directory import selectors
from directory.models import (
    ROLES_SCOPED_TO_TERRITORY,
    Absence,
    Activity,
    ContactChannel,
    EntryRevision,
    Practice,
    Practitioner,
    RegulatorService,
    RoleGrant,
    RoleGrantEvent,
    Territory,
)
from directory.permissions import (
    can_edit_practice,
    can_edit_practitioner,
    can_manage_accounts,
    can_manage_grant,
    coordinated_territory_ids,
)
from directory.services.revisions import revision_record, snapshot
from notifications.models import OutboundMessage
from notifications.services import message_enqueue


@transaction.atomic
def role_grant_create(
    *,
    user: User,
    role: str,
    territory: Territory | None = None,
    practitioner: Practitioner | None = None,
    practices: Iterable[Practice] = (),
    granted_by: User | None = None,
    service: str = "",
) -> RoleGrant:
    """Gives ``user`` a role with the scope that role needs; refuses an incomplete or duplicate scope. A regulator
    works for one service (``RegulatorService``; the SAS when none is named)."""
    practices = list(practices)
    if role not in Role.values:
        raise ApplicationError(_("Rôle inconnu."), field="role")
    if role == Role.REGULATOR:
        service = service or RegulatorService.SAS
        if service not in RegulatorService.values:
            raise ApplicationError(_("Service de régulation inconnu."), field="service")
    elif service:
        raise ApplicationError(_("Seul un rôle de régulation se rattache à un service."), field="service")
    if role == Role.PROFESSIONAL:
        if practitioner is None:
            raise ApplicationError(_("Un rôle de professionnel se rattache à une fiche de l'annuaire."))
        if practitioner.user_id not in (None, user.pk):
            raise ApplicationError(_("Cette fiche de l'annuaire est déjà rattachée à un autre compte."))
    if role == Role.SECRETARY and not practices:
        raise ApplicationError(_("Un rôle de secrétariat se rattache à au moins un cabinet."))
    if role in ROLES_SCOPED_TO_TERRITORY and territory is None:
        raise ApplicationError(_("Ce rôle se rattache à un territoire."))
    existing = RoleGrant.objects.filter(user=user, role=role)
    if role in ROLES_SCOPED_TO_TERRITORY:
        existing = existing.filter(territory=territory)
    if existing.exists():
        raise ApplicationError(_("Ce compte a déjà ce rôle."))
    grant = RoleGrant.objects.create(
        user=user,
        role=role,
        territory=territory,
        practitioner=practitioner if role == Role.PROFESSIONAL else None,
        service=service,
        granted_by=granted_by,
    )
    if practices:
        grant.practices.set(practices)
    if role == Role.PROFESSIONAL and practitioner.user_id is None:
        practitioner.user = user
        practitioner.save(update_fields=["user", "updated_at"])
    _record_grant_event(grant, RoleGrantEvent.Action.GRANTED, actor=granted_by)
    forget_roles(user)
    return grant


def _grant_territory(grant: RoleGrant) -> Territory | None:
    if grant.territory_id:
        return grant.territory
    if grant.role == Role.PROFESSIONAL and grant.practitioner is not None:
        return grant.practitioner.territory
    practice = grant.practices.select_related("territory").first()
    return practice.territory if practice else None


def _grant_scope_text(grant: RoleGrant) -> str:
    if grant.role == Role.SECRETARY:
        return ", ".join(grant.practices.order_by("name").values_list("name", flat=True))
    if grant.role == Role.PROFESSIONAL and grant.practitioner is not None:
        return f"{grant.practitioner} — {grant.practitioner.national_id_label}"
    return str(grant.territory or "")


def _record_grant_event(grant: RoleGrant, action: str, *, actor: User | None) -> RoleGrantEvent:
    """Called before a revoked grant is deleted, so that its scope can still be read."""
    return RoleGrantEvent.objects.create(
        user=grant.user,
        role=grant.role,
        action=action,
        scope=_grant_scope_text(grant)[:500],
        territory=_grant_territory(grant),
        actor=actor,
        actor_email=actor.email if actor else "",
    )


def _refuse_unless_coordinator(acting_user: User) -> None:
    if not can_manage_accounts(acting_user):
        raise ApplicationError(_("Réservé à la coordination de la CPTS."), code="forbidden")


def set_password_url(user: User) -> str:
    """An absolute link to allauth's "new password" page, valid until used or PASSWORD_RESET_TIMEOUT."""
    path = reverse(
        "account_reset_password_from_key",
        kwargs={"uidb36": user_pk_to_url_str(user), "key": default_token_generator.make_token(user)},
    )
    return f"{settings.SITE_URL}{path}"


@transaction.atomic
def account_invite(*, acting_user: User, email: str, first_name: str, last_name: str) -> User:
    """A coordinator opens an account and e-mails its owner a link to choose a password.

    The address counts as verified: the coordinator vouches for it, and the link proves it on first use.
    The account holds no role yet; the coordinator grants them from the account's page.
    """
    _refuse_unless_coordinator(acting_user)
    user = user_create(
        email=email,
        password=None,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email_verified=True,
    )
    territories = selectors.territories_coordinated_by(acting_user)
    message_enqueue(
        channel=OutboundMessage.Channel.EMAIL,
        recipient=user.email,
        template="account_invitation",
        context={
            "first_name": user.first_name,
            "invited_by": acting_user.get_full_name() or acting_user.email,
            "territory": ", ".join(territory.name for territory in territories),
            "set_password_url": set_password_url(user),
            "valid_days": max(settings.PASSWORD_RESET_TIMEOUT // 86400, 1),
        },
        idempotency_key=f"account-invitation:{user.public_id}",
    )
    return user


@transaction.atomic
def role_grant_give(
    *,
    acting_user: User,
    account: User,
    role: str,
    territory: Territory | None = None,
    practices: Iterable[Practice] = (),
    practitioner: Practitioner | None = None,
    service: str = "",
) -> RoleGrant:
    """A coordinator grants a role whose whole scope lies in the territories they coordinate (a regulator's
    with its service)."""
    _refuse_unless_coordinator(acting_user)
    if selectors.account_managed_by(acting_user, account.public_id) is None:
        raise ApplicationError(_("Ce compte n'existe pas ou ne relève pas de votre territoire."), code="not_found")
    territories = coordinated_territory_ids(acting_user)
    practices = list(practices)
    if role in ROLES_SCOPED_TO_TERRITORY and territory is not None and territory.pk not in territories:
        raise ApplicationError(_("Vous ne coordonnez pas ce territoire."), field="territory")
    if role == Role.SECRETARY and any(practice.territory_id not in territories for practice in practices):
        raise ApplicationError(_("Ce cabinet ne relève pas de votre territoire."), field="practices")
    if role == Role.PROFESSIONAL and practitioner is not None and practitioner.territory_id not in territories:
        raise ApplicationError(_("Cette fiche de l'annuaire ne relève pas de votre territoire."), field="practitioner")
    return role_grant_create(
        user=account,
        role=role,
        territory=territory if role in ROLES_SCOPED_TO_TERRITORY else None,
        practices=practices if role == Role.SECRETARY else (),
        practitioner=practitioner if role == Role.PROFESSIONAL else None,
        service=service if role == Role.REGULATOR else "",
        granted_by=acting_user,
    )


@transaction.atomic
def role_grant_revoke(*, acting_user: User, grant_public_id) -> RoleGrant:
    """A coordinator takes back a role granted in their territories; a professional's entry is freed."""
    _refuse_unless_coordinator(acting_user)
    grant = (
        RoleGrant.objects.select_for_update(of=("self",))
        .select_related("user", "practitioner")
        .filter(public_id=grant_public_id)
        .first()
    )
    if grant is None or not can_manage_grant(acting_user, grant):
        raise ApplicationError(_("Ce rôle n'existe pas ou ne relève pas de votre territoire."), code="not_found")
    if grant.user_id == acting_user.pk and grant.role == Role.COORDINATOR:
        raise ApplicationError(
            _("Vous ne pouvez pas retirer votre propre rôle de coordination : demandez-le à un autre coordinateur.")
        )
    if (
        grant.role == Role.PROFESSIONAL
        and grant.practitioner is not None
        and grant.practitioner.user_id == grant.user_id
    ):
        grant.practitioner.user = None
        grant.practitioner.save(update_fields=["user", "updated_at"])
    _record_grant_event(grant, RoleGrantEvent.Action.REVOKED, actor=acting_user)
    grant.delete()
    forget_roles(grant.user)
    return grant


# --- Entries: contact channels and absences ---------------------------------------------------------------------

NOT_YOURS = _("Vous ne pouvez pas modifier cette fiche de l'annuaire.")


def raise_first_error(error: ValidationError) -> None:
    """Turns a model validation error into the one ``ApplicationError`` the pages and the API translate."""
    if hasattr(error, "error_dict"):
        field, errors = next(iter(error.error_dict.items()))
        raise ApplicationError(errors[0].messages[0], field=None if field == NON_FIELD_ERRORS else field) from None
    raise ApplicationError(error.messages[0]) from None


def _refuse_unless_channel_owner_editable(
    acting_user: User, practitioner: Practitioner | None, practice: Practice | None
) -> None:
    if practitioner is None and practice is None:
        raise ApplicationError(_("Un moyen de contact appartient à un professionnel ou à un cabinet."))
    allowed = (
        can_edit_practitioner(acting_user, practitioner) if practitioner else can_edit_practice(acting_user, practice)
    )
    if not allowed:
        raise ApplicationError(NOT_YOURS, code="forbidden")
    if practitioner and practice and not Activity.objects.filter(practitioner=practitioner, practice=practice).exists():
        raise ApplicationError(_("Ce professionnel n'exerce pas dans ce cabinet."), field="practice")


def _lock_owner(practitioner: Practitioner | None, practice: Practice | None) -> None:
    """Serialises the writes on one owner's channels, so that two "preferred" never race into the unique index."""
    if practitioner is not None:
        Practitioner.objects.select_for_update().filter(pk=practitioner.pk).first()
    else:
        Practice.objects.select_for_update().filter(pk=practice.pk).first()


CHANNEL_RECORDED_FIELDS = ("audience", "kind", "value", "hours", "note", "preferred")


def _record_channel(acting_user: User, action: str, channel: ContactChannel, before: dict | None = None) -> None:
    after = {} if action == EntryRevision.Action.DELETED else snapshot(channel, CHANNEL_RECORDED_FIELDS)
    revision_record(
        actor=acting_user,
        action=action,
        object_type="contact_channel",
        object_label=f"{channel.get_kind_display()} ({channel.get_audience_display()})",
        practitioner=channel.practitioner,
        practice=channel.practice,
        before=before,
        after=after,
    )


def _save_channel(channel: ContactChannel, *, update_fields: list[str] | None = None) -> ContactChannel:
    try:
        # The unique "one preferred" constraint is checked after the previous preferred channel let go.
        channel.full_clean(validate_constraints=False)
    except ValidationError as error:
        raise_first_error(error)
    if channel.preferred:
        ContactChannel.objects.filter(
            practitioner=channel.practitioner,
            practice=channel.practice,
            audience=channel.audience,
            preferred=True,
        ).exclude(pk=channel.pk).update(preferred=False)
    if update_fields is None:
        channel.save()
    else:
        channel.save(update_fields=[*update_fields, "updated_at"])
    return channel


@transaction.atomic
def contact_channel_create(
    *,
    acting_user: User,
    practitioner: Practitioner | None = None,
    practice: Practice | None = None,
    audience: str,
    kind: str,
    value: str,
    hours: str = "",
    note: str = "",
    preferred: bool = False,
) -> ContactChannel:
    """Adds a way to reach a practitioner, a practice, or a practitioner at one practice, for one audience.

    The value is normalised (phone numbers in E.164) or refused with a French message. A preferred channel
    takes the place of the owner's previous preferred one for that audience.
    """
    _refuse_unless_channel_owner_editable(acting_user, practitioner, practice)
    _lock_owner(practitioner, practice)
    channel = ContactChannel(
        practitioner=practitioner,
        practice=practice,
        audience=audience,
        kind=kind,
        value=value,
        hours=hours.strip(),
        note=note.strip(),
        preferred=preferred,
    )
    _save_channel(channel)
    _record_channel(acting_user, EntryRevision.Action.CREATED, channel)
    return channel


_CHANNEL_EDITABLE_FIELDS = ("audience", "kind", "value", "hours", "note", "preferred")


@transaction.atomic
def contact_channel_update(
    *,
    acting_user: User,
    channel: ContactChannel,
    audience: str | None = None,
    kind: str | None = None,
    value: str | None = None,
    hours: str | None = None,
    note: str | None = None,
    preferred: bool | None = None,
) -> ContactChannel:
    """Changes the fields given (None leaves a field as it is); the owner of a channel does not change."""
    _refuse_unless_channel_owner_editable(acting_user, channel.practitioner, channel.practice)
    _lock_owner(channel.practitioner, channel.practice)
    before = snapshot(channel, CHANNEL_RECORDED_FIELDS)
    changes = {"audience": audience, "kind": kind, "value": value, "hours": hours, "note": note, "preferred": preferred}
    changed = []
    for field in _CHANNEL_EDITABLE_FIELDS:
        new_value = changes[field]
        if new_value is None:
            continue
        if isinstance(new_value, str) and field in ("hours", "note"):
            new_value = new_value.strip()
        setattr(channel, field, new_value)
        changed.append(field)
    if not changed:
        return channel
    if "kind" in changed and "value" not in changed:
        changed.append("value")  # the stored value is re-checked, and re-normalised, for its new kind
    _save_channel(channel, update_fields=changed)
    _record_channel(acting_user, EntryRevision.Action.UPDATED, channel, before)
    return channel


@transaction.atomic
def contact_channel_delete(*, acting_user: User, channel: ContactChannel) -> None:
    _refuse_unless_channel_owner_editable(acting_user, channel.practitioner, channel.practice)
    _record_channel(acting_user, EntryRevision.Action.DELETED, channel, snapshot(channel, CHANNEL_RECORDED_FIELDS))
    channel.delete()


# An absence is declared to warn colleagues: one that began more than a day ago warns nobody (yesterday's is still
# worth saying on a Monday morning), and a start typed years back (0001-01-01) is a typing mistake. One that ends
# more than five years ahead (a leave planned well ahead fits) is a mistake too (9999-12-31), and it would weigh on
# every "available this week" search. A start already recorded stays as it is: a long absence remains editable.
ABSENCE_PAST_DAYS = 1
ABSENCE_FUTURE_DAYS = 5 * 365


def absence_dates_check(
    starts_on: datetime.date | None, ends_on: datetime.date | None, *, recorded_start: datetime.date | None = None
) -> None:
    """Both dates given, in order, starting at most a day back (``ABSENCE_PAST_DAYS``) and ending at most five years
    ahead of today; else a French refusal on the field. A start already recorded (``recorded_start``) is not
    checked again: an absence that began last month stays editable (its end moved, its replacement named)."""
    if starts_on is None or ends_on is None:
        raise ApplicationError(_("Indiquez les dates de début et de fin de l'absence."), field="starts_on")
    if ends_on < starts_on:
        raise ApplicationError(
            _("La fin de l'absence (%(ends)s) précède son début (%(starts)s).")
            % {"ends": ends_on.strftime("%d/%m/%Y"), "starts": starts_on.strftime("%d/%m/%Y")},
            field="ends_on",
        )
    today = timezone.localdate()
    earliest = today - datetime.timedelta(days=ABSENCE_PAST_DAYS)
    latest = today + datetime.timedelta(days=ABSENCE_FUTURE_DAYS)
    if starts_on < earliest and starts_on != recorded_start:
        raise ApplicationError(
            _(
                "Une absence ne peut commencer avant le %(date)s (hier au plus tôt) : elle sert à prévenir les "
                "confrères de ce qui vient. Pour une absence en cours, indiquez aujourd'hui comme début."
            )
            % {"date": earliest.strftime("%d/%m/%Y")},
            field="starts_on",
        )
    if ends_on > latest:
        raise ApplicationError(
            _("Une absence ne peut finir après le %(date)s (cinq ans à l'avance au plus).")
            % {"date": latest.strftime("%d/%m/%Y")},
            field="ends_on",
        )


@transaction.atomic
def absence_declare(
    *,
    acting_user: User,
    practitioner: Practitioner,
    starts_on: datetime.date,
    ends_on: datetime.date,
    replacement: Practitioner | None = None,
    note: str = "",
) -> Absence:
    """Records that ``practitioner`` is away from ``starts_on`` to ``ends_on`` included, perhaps replaced."""
    if not can_edit_practitioner(acting_user, practitioner):
        raise ApplicationError(NOT_YOURS, code="forbidden")
    absence_dates_check(starts_on, ends_on)
    if replacement is not None and replacement.pk == practitioner.pk:
        raise ApplicationError(_("Un professionnel ne se remplace pas lui-même."), field="replacement")
    absence = Absence(
        practitioner=practitioner, starts_on=starts_on, ends_on=ends_on, replacement=replacement, note=note.strip()
    )
    try:
        absence.full_clean()
    except ValidationError as error:
        raise_first_error(error)
    absence.save()
    revision_record(
        actor=acting_user,
        action=EntryRevision.Action.CREATED,
        object_type="absence",
        object_label=str(absence),
        practitioner=practitioner,
        after=snapshot(absence, ("starts_on", "ends_on", "replacement", "note")),
    )
    return absence

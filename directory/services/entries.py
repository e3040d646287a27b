"""Writes behind the practitioner and practice pages: an entry's details, a practice's details, the tools a
practitioner uses, their absences, and the error reports anyone may send about an entry.

Each service checks the permission itself (``can_edit_practitioner`` / ``can_edit_practice``), validates with
``full_clean()``, writes an ``EntryRevision`` (before/after) in its transaction, and raises one
``ApplicationError`` with a French message (``field`` names the input at fault). Contact channels have their
services in ``directory.services`` (``contact_channel_create/update/delete``), and absences are declared with
``absence_declare`` there.
"""

import datetime
import re
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Role
from core.errors import ApplicationError
from directory.languages import ISO_639_1_CODES
from directory.models import (
    Absence,
    AccessibilityTag,
    ChangeEvent,
    Commune,
    DigitalTool,
    EntryRevision,
    ErrorReport,
    Practice,
    PracticeTag,
    Practitioner,
    PractitionerTool,
    Profession,
    Specialty,
    ToolUse,
)
from directory.permissions import can_edit_practice, can_edit_practitioner
from directory.selectors.entries import can_edit_identity
from directory.services import NOT_YOURS, absence_dates_check, raise_first_error
from directory.services.revisions import revision_record, snapshot
from notifications.models import OutboundMessage
from notifications.services import message_enqueue

# --- Practitioner details -----------------------------------------------------------------------------------------

# What the practitioner, a secretary of their practice or a coordinator may change.
PRACTITIONER_EDITABLE_FIELDS = (
    "profession",
    "specialties",
    "languages",
    "accepting_new_patients",
    "answers_teleexpertise",
    "practice_tags",
    "practice_notes",
    "cpts_member_since",
)
# Who the entry is: the national identifiers (and the names the national register gives) are changed by the
# coordination only, so that nobody takes over somebody else's identity by editing their own entry.
PRACTITIONER_IDENTITY_FIELDS = ("rpps", "adeli", "civility", "first_name", "last_name")
PRACTITIONER_RECORDED_FIELDS = (*PRACTITIONER_IDENTITY_FIELDS, *PRACTITIONER_EDITABLE_FIELDS)
_NAME_MAX_LENGTH = 150
_NOTES_MAX_LENGTH = 5000


def _digits(value) -> str:
    return re.sub(r"[\s.\-]", "", str(value or ""))


def _profession(value) -> Profession | None:
    if value is None or value == "" or isinstance(value, Profession):
        return value or None
    profession = Profession.objects.filter(code=str(value)).first()
    if profession is None:
        raise ApplicationError(_("Profession inconnue : « %(value)s ».") % {"value": value}, field="profession")
    return profession


def _specialties(values) -> list[Specialty]:
    values = list(values or [])
    codes = [value for value in values if not isinstance(value, Specialty)]
    known = {specialty.code: specialty for specialty in Specialty.objects.filter(code__in=[str(c) for c in codes])}
    specialties = []
    for value in values:
        if isinstance(value, Specialty):
            specialties.append(value)
        elif str(value) in known:
            specialties.append(known[str(value)])
        else:
            raise ApplicationError(_("Spécialité inconnue : « %(value)s ».") % {"value": value}, field="specialties")
    return specialties


def _languages(values) -> list[str]:
    if isinstance(values, str):
        values = re.split(r"[\s,;]+", values)
    codes = []
    for value in values or []:
        code = str(value).strip().lower()
        if not code:
            continue
        if code not in ISO_639_1_CODES:
            raise ApplicationError(
                _("Code de langue inconnu : « %(value)s » (deux lettres ISO 639-1, par exemple « en », « ar »).")
                % {"value": value},
                field="languages",
            )
        if code not in codes:
            codes.append(code)
    return codes


def _choices(values, allowed: type, field: str) -> list[str]:
    chosen = []
    for value in values or []:
        if value not in allowed.values:
            raise ApplicationError(_("Choix inconnu : « %(value)s ».") % {"value": value}, field=field)
        if value not in chosen:
            chosen.append(value)
    return chosen


def _clean_practitioner_value(name: str, value):
    if name == "profession":
        return _profession(value)
    if name == "specialties":
        return _specialties(value)
    if name == "languages":
        return _languages(value)
    if name == "practice_tags":
        return _choices(value, PracticeTag, name)
    if name == "practice_notes":
        value = (value or "").strip()
        if len(value) > _NOTES_MAX_LENGTH:
            raise ApplicationError(
                _("Précisions trop longues : %(max)s caractères au plus.") % {"max": _NOTES_MAX_LENGTH}, field=name
            )
        return value
    if name == "answers_teleexpertise":
        return bool(value)
    if name == "accepting_new_patients":
        return None if value is None else bool(value)
    if name == "cpts_member_since":
        if value is not None and not isinstance(value, datetime.date):
            raise ApplicationError(_("Date invalide."), field=name)
        if value is not None and value > timezone.localdate():
            raise ApplicationError(_("La date d'adhésion à la CPTS ne peut pas être dans le futur."), field=name)
        return value
    if name in ("rpps", "adeli"):
        return _digits(value).upper() or None
    if name in ("first_name", "last_name"):
        value = (value or "").strip()
        if not value:
            raise ApplicationError(_("Ce champ est obligatoire."), field=name)
        if len(value) > _NAME_MAX_LENGTH:
            raise ApplicationError(_("Nom trop long : %(max)s caractères au plus.") % {"max": 150}, field=name)
        return value
    if name == "civility":
        return (value or "").strip()[:20]
    return value


@transaction.atomic
def practitioner_update(*, acting_user: User, practitioner: Practitioner, **fields) -> Practitioner:
    """Changes the given details of an entry (any of ``PRACTITIONER_EDITABLE_FIELDS``; the identity fields
    ``PRACTITIONER_IDENTITY_FIELDS``, RPPS included, for a coordinator of its territory only).

    ``profession`` is a ``Profession`` or its code, ``specialties`` ``Specialty`` rows or codes, ``languages``
    ISO 639-1 codes. An RPPS number is checked by its Luhn key. Setting ``cpts_member_since`` on an entry that
    had none records a "new CPTS member" event for the newsletter. Raises ``ApplicationError`` with ``field``.
    """
    if not can_edit_practitioner(acting_user, practitioner):
        raise ApplicationError(NOT_YOURS, code="forbidden")
    unknown = [name for name in fields if name not in PRACTITIONER_RECORDED_FIELDS]
    if unknown:
        raise ApplicationError(_("Ce champ ne se modifie pas ici : « %(field)s ».") % {"field": unknown[0]})
    identity = [name for name in fields if name in PRACTITIONER_IDENTITY_FIELDS]
    if identity and not can_edit_identity(acting_user, practitioner):
        raise ApplicationError(
            _("Seule la coordination de la CPTS modifie le nom et les numéros RPPS ou ADELI d'une fiche."),
            field=identity[0],
            code="forbidden",
        )
    cleaned = {name: _clean_practitioner_value(name, value) for name, value in fields.items()}

    Practitioner.objects.select_for_update().filter(pk=practitioner.pk).first()
    practitioner.refresh_from_db()
    before = snapshot(practitioner, PRACTITIONER_RECORDED_FIELDS)
    was_member_since = practitioner.cpts_member_since
    specialties = cleaned.pop("specialties", None)
    for name, value in cleaned.items():
        setattr(practitioner, name, value)
    if practitioner.rpps is None and practitioner.adeli is None:
        raise ApplicationError(_("Une fiche garde un numéro RPPS ou ADELI."), field="rpps")
    try:
        practitioner.full_clean(validate_constraints=False)
    except ValidationError as error:
        raise_first_error(error)
    if cleaned:
        practitioner.save(update_fields=[*cleaned, "updated_at"])
    if specialties is not None:
        practitioner.specialties.set(specialties)
    if was_member_since is None and practitioner.cpts_member_since is not None:
        ChangeEvent.objects.create(
            practitioner=practitioner,
            kind=ChangeEvent.Kind.NEW_CPTS_MEMBER,
            happened_on=practitioner.cpts_member_since,
            territory=practitioner.territory,
        )
    revision_record(
        actor=acting_user,
        action=EntryRevision.Action.UPDATED,
        object_type="practitioner",
        object_label=f"{practitioner} — {practitioner.national_id_label}",
        practitioner=practitioner,
        before=before,
        after=snapshot(practitioner, PRACTITIONER_RECORDED_FIELDS),
    )
    return practitioner


# --- Practice details ---------------------------------------------------------------------------------------------

PRACTICE_EDITABLE_FIELDS = (
    "name",
    "address",
    "commune",
    "postal_code",
    "latitude",
    "longitude",
    "finess",
    "siret",
    "opening_hours",
    "secretariat_hours",
    "accessibility",
    "is_msp",
)
PRACTICE_RECORDED_FIELDS = (*PRACTICE_EDITABLE_FIELDS, "city")
_HOURS_MAX_LENGTH = 1000


def _clean_practice_value(name: str, value):
    if name == "name":
        value = (value or "").strip()
        if not value:
            raise ApplicationError(_("Indiquez le nom du cabinet."), field=name)
        return value
    if name in ("address", "opening_hours", "secretariat_hours"):
        value = (value or "").strip()
        if name != "address" and len(value) > _HOURS_MAX_LENGTH:
            raise ApplicationError(
                _("Horaires trop longs : %(max)s caractères au plus.") % {"max": _HOURS_MAX_LENGTH}, field=name
            )
        return value
    if name in ("finess", "siret"):
        return _digits(value).upper()
    if name == "postal_code":
        return _digits(value)
    if name == "accessibility":
        return _choices(value, AccessibilityTag, name)
    if name == "is_msp":
        return bool(value)
    if name == "commune":
        if value is not None and not isinstance(value, Commune):
            found = Commune.objects.filter(insee_code=str(value).upper()).first()
            if found is None:
                raise ApplicationError(_("Commune inconnue : « %(value)s ».") % {"value": value}, field=name)
            value = found
        return value
    if name in ("latitude", "longitude"):
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ApplicationError(_("Coordonnée invalide : « %(value)s ».") % {"value": value}, field=name) from None
    return value


@transaction.atomic
def practice_update(*, acting_user: User, practice: Practice, **fields) -> Practice:
    """Changes the given details of a practice (any of ``PRACTICE_EDITABLE_FIELDS``).

    ``commune`` is a ``Commune`` (or its INSEE code): the practice takes its name as ``city`` and, unless a
    postal code of that commune is given, its first postal code. Unless a position is given with it, a practice
    that changes commune (or has no position) is placed at the commune's town hall. FINESS and SIRET are checked
    by their keys. Raises ``ApplicationError`` with ``field``.
    """
    if not can_edit_practice(acting_user, practice):
        raise ApplicationError(_("Vous ne pouvez pas modifier ce cabinet."), code="forbidden")
    unknown = [name for name in fields if name not in PRACTICE_EDITABLE_FIELDS]
    if unknown:
        raise ApplicationError(_("Ce champ ne se modifie pas ici : « %(field)s ».") % {"field": unknown[0]})
    cleaned = {name: _clean_practice_value(name, value) for name, value in fields.items()}

    Practice.objects.select_for_update().filter(pk=practice.pk).first()
    practice.refresh_from_db()
    before = snapshot(practice, PRACTICE_RECORDED_FIELDS)
    old_commune_id, old_position = practice.commune_id, (practice.latitude, practice.longitude)
    for name, value in cleaned.items():
        setattr(practice, name, value)
    changed = set(cleaned)

    if (practice.latitude is None) != (practice.longitude is None):
        raise ApplicationError(_("Indiquez la latitude et la longitude, ou aucune des deux."), field="latitude")
    commune = practice.commune
    if "commune" in cleaned and commune is not None:
        practice.city = commune.name
        changed.add("city")
        if practice.postal_code not in commune.postal_codes:
            if "postal_code" in cleaned and practice.postal_code:
                raise ApplicationError(
                    _("Le code postal %(postal_code)s ne dessert pas %(commune)s (codes : %(codes)s).")
                    % {
                        "postal_code": practice.postal_code,
                        "commune": commune.name,
                        "codes": ", ".join(commune.postal_codes),
                    },
                    field="postal_code",
                )
            practice.postal_code = commune.postal_codes[0] if commune.postal_codes else ""
            changed.add("postal_code")
        # A position typed with the commune wins; otherwise a practice that moves (or has no position yet) is
        # placed at the town hall, so that the distance search does not keep it where it was.
        moved = commune.pk != old_commune_id
        position_typed = (practice.latitude, practice.longitude) != old_position
        if practice.latitude is None or (moved and not position_typed):
            practice.latitude, practice.longitude = commune.latitude, commune.longitude
            changed |= {"latitude", "longitude"}
    try:
        practice.full_clean(validate_constraints=False)
    except ValidationError as error:
        raise_first_error(error)
    if changed:
        practice.save(update_fields=[*sorted(changed), "updated_at"])
    revision_record(
        actor=acting_user,
        action=EntryRevision.Action.UPDATED,
        object_type="practice",
        object_label=practice.name,
        practice=practice,
        before=before,
        after=snapshot(practice, PRACTICE_RECORDED_FIELDS),
    )
    return practice


# --- Digital tools ------------------------------------------------------------------------------------------------

TOOL_RECORDED_FIELDS = ("tool", "uses", "handle_or_link")
_validate_url = URLValidator(schemes=["https", "http"])


def _tool_label(practitioner_tool: PractitionerTool) -> str:
    return f"{practitioner_tool.tool.name} — {practitioner_tool.practitioner}"


@transaction.atomic
def practitioner_tool_set(
    *,
    acting_user: User,
    practitioner: Practitioner,
    tool: DigitalTool,
    uses: Iterable[str] = (),
    handle_or_link: str = "",
) -> PractitionerTool:
    """Says that ``practitioner`` uses ``tool`` for ``uses`` (``ToolUse`` values), under a handle or at a link;
    a tool already listed is updated rather than added twice. A link must be a web address."""
    if not can_edit_practitioner(acting_user, practitioner):
        raise ApplicationError(NOT_YOURS, code="forbidden")
    if tool is None:
        raise ApplicationError(_("Choisissez un outil du catalogue."), field="tool")
    uses = _choices(list(uses), ToolUse, "uses")
    handle_or_link = (handle_or_link or "").strip()
    if handle_or_link.lower().startswith(("http://", "https://", "www.")):
        link = handle_or_link if "://" in handle_or_link else f"https://{handle_or_link}"
        try:
            _validate_url(link)
        except ValidationError:
            raise ApplicationError(
                _("Lien invalide : « %(value)s » (une adresse web commençant par https://).")
                % {"value": handle_or_link},
                field="handle_or_link",
            ) from None
        handle_or_link = link
    Practitioner.objects.select_for_update().filter(pk=practitioner.pk).first()
    existing = PractitionerTool.objects.select_related("tool").filter(practitioner=practitioner, tool=tool).first()
    before = snapshot(existing, TOOL_RECORDED_FIELDS) if existing else None
    practitioner_tool = existing or PractitionerTool(practitioner=practitioner, tool=tool)
    practitioner_tool.uses = uses
    practitioner_tool.handle_or_link = handle_or_link
    try:
        practitioner_tool.full_clean(validate_constraints=False)
    except ValidationError as error:
        raise_first_error(error)
    practitioner_tool.save()
    revision_record(
        actor=acting_user,
        action=EntryRevision.Action.UPDATED if existing else EntryRevision.Action.CREATED,
        object_type="tool",
        object_label=_tool_label(practitioner_tool),
        practitioner=practitioner,
        before=before,
        after=snapshot(practitioner_tool, TOOL_RECORDED_FIELDS),
    )
    return practitioner_tool


@transaction.atomic
def practitioner_tool_remove(*, acting_user: User, practitioner_tool: PractitionerTool) -> None:
    """The practitioner no longer uses this tool."""
    practitioner = practitioner_tool.practitioner
    if not can_edit_practitioner(acting_user, practitioner):
        raise ApplicationError(NOT_YOURS, code="forbidden")
    revision_record(
        actor=acting_user,
        action=EntryRevision.Action.DELETED,
        object_type="tool",
        object_label=_tool_label(practitioner_tool),
        practitioner=practitioner,
        before=snapshot(practitioner_tool, TOOL_RECORDED_FIELDS),
    )
    practitioner_tool.delete()


# --- Absences -----------------------------------------------------------------------------------------------------

ABSENCE_RECORDED_FIELDS = ("starts_on", "ends_on", "replacement", "note")


def _check_replacement(practitioner: Practitioner, replacement: Practitioner | None) -> None:
    if replacement is None:
        return
    if replacement.pk == practitioner.pk:
        raise ApplicationError(_("Un professionnel ne se remplace pas lui-même."), field="replacement")
    if practitioner.territory_id is None or replacement.territory_id != practitioner.territory_id:
        raise ApplicationError(_("Le remplaçant doit exercer dans le territoire de la CPTS."), field="replacement")


@transaction.atomic
def absence_update(
    *,
    acting_user: User,
    absence: Absence,
    starts_on: datetime.date,
    ends_on: datetime.date,
    replacement: Practitioner | None = None,
    note: str = "",
) -> Absence:
    """Changes the dates, the replacement (a practitioner of the same territory) and the note of an absence."""
    practitioner = absence.practitioner
    if not can_edit_practitioner(acting_user, practitioner):
        raise ApplicationError(NOT_YOURS, code="forbidden")
    absence_dates_check(starts_on, ends_on, recorded_start=absence.starts_on)
    _check_replacement(practitioner, replacement)
    before = snapshot(absence, ABSENCE_RECORDED_FIELDS)
    absence.starts_on, absence.ends_on = starts_on, ends_on
    absence.replacement = replacement
    absence.note = (note or "").strip()
    try:
        absence.full_clean()
    except ValidationError as error:
        raise_first_error(error)
    absence.save(update_fields=[*ABSENCE_RECORDED_FIELDS, "updated_at"])
    revision_record(
        actor=acting_user,
        action=EntryRevision.Action.UPDATED,
        object_type="absence",
        object_label=str(absence),
        practitioner=practitioner,
        before=before,
        after=snapshot(absence, ABSENCE_RECORDED_FIELDS),
    )
    return absence


@transaction.atomic
def absence_delete(*, acting_user: User, absence: Absence) -> None:
    practitioner = absence.practitioner
    if not can_edit_practitioner(acting_user, practitioner):
        raise ApplicationError(NOT_YOURS, code="forbidden")
    revision_record(
        actor=acting_user,
        action=EntryRevision.Action.DELETED,
        object_type="absence",
        object_label=str(absence),
        practitioner=practitioner,
        before=snapshot(absence, ABSENCE_RECORDED_FIELDS),
    )
    absence.delete()


# --- Error reports ------------------------------------------------------------------------------------------------

ERROR_REPORT_MAX_LENGTH = 5000


def coordinators_of(practitioner: Practitioner) -> list[User]:
    """The coordinators of the entry's territory (of its practices' territories when the entry has none)."""
    if practitioner.territory_id:
        territories = [practitioner.territory_id]
    else:
        territories = list(
            practitioner.practices.exclude(territory=None).values_list("territory_id", flat=True).distinct()
        )
    return list(
        User.objects.filter(is_active=True, role_grants__role=Role.COORDINATOR, role_grants__territory__in=territories)
        .distinct()
        .order_by("pk")
    )


@transaction.atomic
def error_report_create(
    *, reporter: User | None, practitioner: Practitioner, message: str, reporter_email: str = ""
) -> ErrorReport:
    """Somebody says what is wrong on an entry: the report is stored and each coordinator of the entry's
    territory is e-mailed (through the outbox) which entry, what is wrong, and a link to it.

    A visitor who is not signed in must give an e-mail address, so that the coordinator can answer.
    """
    if reporter is not None and not reporter.is_authenticated:
        reporter = None
    message = (message or "").strip()
    if not message:
        raise ApplicationError(_("Dites ce qui est faux ou manque sur cette fiche."), field="message")
    if len(message) > ERROR_REPORT_MAX_LENGTH:
        raise ApplicationError(
            _("Message trop long : %(max)s caractères au plus.") % {"max": ERROR_REPORT_MAX_LENGTH}, field="message"
        )
    reporter_email = (reporter_email or "").strip()
    if not reporter_email and reporter is not None:
        reporter_email = reporter.email
    if reporter is None and not reporter_email:
        raise ApplicationError(
            _("Indiquez votre adresse e-mail : la coordination pourra vous répondre."), field="reporter_email"
        )
    if reporter_email:
        try:
            validate_email(reporter_email)
        except ValidationError:
            raise ApplicationError(
                _("Adresse e-mail invalide : « %(value)s ».") % {"value": reporter_email}, field="reporter_email"
            ) from None
    report = ErrorReport(practitioner=practitioner, reporter=reporter, reporter_email=reporter_email, message=message)
    try:
        report.full_clean()
    except ValidationError as error:
        raise_first_error(error)
    report.save()
    reporter_label = (reporter.get_full_name() or reporter.email) if reporter else reporter_email
    revision_record(
        actor=reporter,
        actor_label=reporter_label if reporter else _("Visiteur non connecté (%(email)s)") % {"email": reporter_email},
        action=EntryRevision.Action.CREATED,
        object_type="error_report",
        object_label=f"{practitioner} — {practitioner.national_id_label}",
        practitioner=practitioner,
        after={"message": message},
    )
    entry_path = reverse("directory:practitioner_detail", args=[practitioner.public_id])
    context = {
        "practitioner_name": str(practitioner),
        "national_id": practitioner.national_id_label,
        "territory": str(practitioner.territory or ""),
        "message": message,
        "reporter": reporter_label,
        "reporter_email": reporter_email,
        "signed_in": reporter is not None,
        "entry_url": f"{settings.SITE_URL}{entry_path}",
        "reported_at": timezone.localtime(report.created_at).strftime("%d/%m/%Y %H:%M"),
    }
    for coordinator in coordinators_of(practitioner):
        message_enqueue(
            channel=OutboundMessage.Channel.EMAIL,
            recipient=coordinator.email,
            template="directory_error_report",
            context={**context, "first_name": coordinator.first_name},
            idempotency_key=f"directory-error-report:{report.public_id}:{coordinator.public_id}",
            territory_id=practitioner.territory_id,
        )
    return report

"""Reads for keeping the directory true: the coordinator's change feed, claims waiting for a decision, open error
reports, stale entries, likely duplicates; the summary of an entry its owner is asked to confirm.

Everything a coordinator reads is scoped to the territories they coordinate: an entry belongs to a territory by
its own territory or by a practice where the practitioner works (as ``can_edit_practitioner`` says).
"""

import datetime
import re
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models
from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import capfirst
from django.utils.translation import get_language_info, gettext_lazy
from django.utils.translation import gettext as _

from accounts.models import User
from directory.contact_values import display_value
from directory.models import (
    CONFIRMATION_REQUEST_AFTER_DAYS,
    STALE_AFTER_DAYS,
    Activity,
    Audience,
    ContactChannel,
    EntryClaim,
    EntryRevision,
    ErrorReport,
    Practitioner,
    PractitionerMerge,
    PractitionerTool,
    Specialty,
)
from directory.permissions import coordinated_territory_ids
from directory.selectors import VISIBLE_AUDIENCES, channel_order

# --- Scope ------------------------------------------------------------------------------------------------------


def _in_territories(territories, prefix: str = "") -> Q:
    return Q(**{f"{prefix}territory__in": territories}) | Q(
        **{f"{prefix}pk__in": Activity.objects.filter(practice__territory__in=territories).values("practitioner")}
    )


def entries_coordinated_by(user: User) -> QuerySet[Practitioner]:
    territories = coordinated_territory_ids(user)
    if not territories:
        return Practitioner.objects.none()
    return Practitioner.objects.filter(_in_territories(territories))


def practitioner_coordinated_by(user: User, public_id) -> Practitioner | None:
    return (
        entries_coordinated_by(user)
        .select_related("user", "profession", "territory")
        .filter(public_id=public_id)
        .first()
    )


def practitioner_by_public_id(public_id) -> Practitioner | None:
    """Any entry of the directory (its name and national id are public), or the entry a merged one went into."""
    practitioner = Practitioner.objects.filter(public_id=public_id).first()
    if practitioner is None:
        merge = PractitionerMerge.objects.select_related("kept").filter(merged_public_id=public_id).first()
        practitioner = merge.kept if merge else None
    return practitioner


def practitioner_by_national_id(value: str) -> Practitioner | None:
    value = "".join((value or "").split()).upper()
    if not value:
        return None
    return Practitioner.objects.filter(Q(rpps=value) | Q(adeli=value)).first()


# --- Claims and error reports -----------------------------------------------------------------------------------


def claims_pending_for(user: User) -> QuerySet[EntryClaim]:
    """Verified claims on entries of the coordinator's territories, oldest first: they wait for a decision."""
    return (
        EntryClaim.objects.filter(
            status=EntryClaim.Status.AWAITING_APPROVAL, practitioner__in=entries_coordinated_by(user)
        )
        .select_related("practitioner", "user")
        .order_by("email_verified_at", "pk")
    )


def claim_coordinated_by(user: User, public_id) -> EntryClaim | None:
    return (
        EntryClaim.objects.filter(practitioner__in=entries_coordinated_by(user), public_id=public_id)
        .select_related("practitioner__user", "practitioner__profession", "user", "decided_by")
        .first()
    )


def error_reports_open_for(user: User) -> QuerySet[ErrorReport]:
    return (
        ErrorReport.objects.filter(status=ErrorReport.Status.OPEN, practitioner__in=entries_coordinated_by(user))
        .select_related("practitioner", "reporter")
        .order_by("created_at", "pk")
    )


def error_report_coordinated_by(user: User, public_id) -> ErrorReport | None:
    return (
        ErrorReport.objects.filter(practitioner__in=entries_coordinated_by(user), public_id=public_id)
        .select_related("practitioner")
        .first()
    )


# --- Freshness --------------------------------------------------------------------------------------------------


def _with_reference(practitioners: QuerySet[Practitioner]) -> QuerySet[Practitioner]:
    return practitioners.annotate(confirmed_or_created=Coalesce("last_confirmed_at", "created_at"))


# The lists of entries to reconfirm, by how long ago they were last confirmed: more than a year (the search flags
# them stale) or more than six months (the monthly e-mail asks their owner). Slug in the page's URL → days.
RECONFIRM_PERIODS = {"un-an": STALE_AFTER_DAYS, "six-mois": CONFIRMATION_REQUEST_AFTER_DAYS}
DEFAULT_RECONFIRM_PERIOD = "un-an"


def entries_to_reconfirm_for(
    user: User, *, period: str = DEFAULT_RECONFIRM_PERIOD, now: datetime.datetime | None = None
) -> QuerySet[Practitioner]:
    """Entries of the coordinator's territories not confirmed for ``period`` (a key of ``RECONFIRM_PERIODS``), the
    oldest first. The one answer to "how many entries to reconfirm": the tiles count it, the list pages it."""
    now = now or timezone.now()
    days = RECONFIRM_PERIODS[period]
    return (
        _with_reference(entries_coordinated_by(user))
        .filter(confirmed_or_created__lt=now - datetime.timedelta(days=days))
        .select_related("profession", "user")
        .order_by("confirmed_or_created", "last_name", "first_name", "pk")
    )


def stale_entries_for(user: User, *, now: datetime.datetime | None = None) -> QuerySet[Practitioner]:
    """Entries of the coordinator's territories not confirmed for a year (flagged stale), the oldest first."""
    return entries_to_reconfirm_for(user, period="un-an", now=now)


def freshness_counts_for(user: User, *, now: datetime.datetime | None = None) -> dict[str, int]:
    """How many entries are stale (a year), due for confirmation (six months or more: stale ones included, as the
    list of entries to reconfirm shows them), asked in the last 30 days."""
    now = now or timezone.now()
    stale_before = now - datetime.timedelta(days=STALE_AFTER_DAYS)
    due_before = now - datetime.timedelta(days=CONFIRMATION_REQUEST_AFTER_DAYS)
    return _with_reference(entries_coordinated_by(user)).aggregate(
        total=Count("pk"),
        stale=Count("pk", filter=Q(confirmed_or_created__lt=stale_before)),
        due=Count("pk", filter=Q(confirmed_or_created__lt=due_before)),
        asked=Count("pk", filter=Q(confirmation_requested_at__gte=now - datetime.timedelta(days=30))),
    )


_PHONE_KINDS = (ContactChannel.Kind.PHONE, ContactChannel.Kind.PROFESSIONAL_LINE, ContactChannel.Kind.SECRETARY)


def first_phones(
    *, practitioner_ids=(), practice_ids=(), audience: str = Audience.PROFESSIONALS
) -> tuple[dict[int, ContactChannel], dict[int, ContactChannel]]:
    """The phone ``audience`` should call first for each practitioner and each practice, in two queries, in the
    order of ``channels_for_audience`` (preferred first, this audience's line before wider ones'). A
    practitioner without a phone of their own is reached at a practice where they work."""
    visible = VISIBLE_AUDIENCES.get(audience, VISIBLE_AUDIENCES[Audience.PUBLIC])
    practitioner_ids, practice_ids = list(practitioner_ids), list(practice_ids)
    order = ("-preferred", "audience_rank", "owner_rank", "kind_rank", "id")
    phones = (
        ContactChannel.objects.filter(audience__in=visible, kind__in=_PHONE_KINDS)
        .select_related("practitioner", "practice")
        .annotate(**channel_order(visible))
    )
    by_practitioner: dict[int, ContactChannel] = {}
    if practitioner_ids:
        practices_of: dict[int, list[int]] = {}
        for practitioner_id, practice_id in Activity.objects.filter(practitioner__in=practitioner_ids).values_list(
            "practitioner_id", "practice_id"
        ):
            practices_of.setdefault(practice_id, []).append(practitioner_id)
        channels = phones.filter(
            Q(practitioner__in=practitioner_ids) | Q(practitioner__isnull=True, practice__in=list(practices_of))
        ).order_by(*order)
        for channel in channels:
            owners = [channel.practitioner_id] if channel.practitioner_id else practices_of.get(channel.practice_id, [])
            for owner in owners:
                by_practitioner.setdefault(owner, channel)
    by_practice: dict[int, ContactChannel] = {}
    if practice_ids:
        for channel in phones.filter(practitioner__isnull=True, practice__in=practice_ids).order_by(*order):
            by_practice.setdefault(channel.practice_id, channel)
    return by_practitioner, by_practice


# --- The change feed --------------------------------------------------------------------------------------------

# The model whose verbose names label the fields of a revision, by object type ("contact_channel" finds
# ContactChannel by itself; a few types are named otherwise).
_OBJECT_MODELS = {"tool": PractitionerTool, "claim": EntryClaim}
_EXTRA_FIELD_LABELS = {
    "user": gettext_lazy("Compte rattaché"),
    "merged_duplicate": gettext_lazy("Fiche fusionnée"),
    "specialties": gettext_lazy("Spécialités"),
    "practitioner": gettext_lazy("Professionnel"),
    "practice": gettext_lazy("Cabinet"),
    "tool": gettext_lazy("Outil"),
}


def _object_model(object_type: str) -> type[models.Model] | None:
    if object_type in _OBJECT_MODELS:
        return _OBJECT_MODELS[object_type]
    try:
        return apps.get_model("directory", object_type.replace("_", ""))
    except LookupError:
        return None


_OBJECT_TYPE_LABELS = {"practitioner": gettext_lazy("Fiche")}


def object_type_label(object_type: str) -> str:
    if object_type in _OBJECT_TYPE_LABELS:
        return str(_OBJECT_TYPE_LABELS[object_type])
    model = _object_model(object_type)
    return capfirst(model._meta.verbose_name) if model else object_type


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str
    after: str


def _field(model: type[models.Model] | None, name: str):
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _readable(field, value) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("oui") if value else _("non")
    if isinstance(value, list):
        base = getattr(field, "base_field", None)
        return ", ".join(_readable(base, item) for item in value)
    choices = dict(field.flatchoices) if field is not None and field.choices else {}
    if value in choices:
        return str(choices[value])
    if isinstance(value, str) and isinstance(field, models.DateTimeField):
        moment = parse_datetime(value)
        if moment is not None:
            return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")
    if isinstance(value, str) and isinstance(field, models.DateField):
        day = parse_date(value)
        if day is not None:
            return formats.date_format(day, "SHORT_DATE_FORMAT")
    if isinstance(value, dict):
        return ", ".join(f"{key} : {item}" for key, item in value.items())
    return str(value)


_E164 = re.compile(r"^\+\d{8,15}$")


def _readable_value(model, field, name: str, value) -> str:
    # Phone numbers are stored in E.164: they read as on the pages ("02 51 00 00 00").
    if model is ContactChannel and name == "value" and isinstance(value, str) and _E164.match(value):
        return display_value(ContactChannel.Kind.PHONE, value)
    return _readable(field, value)


def revision_changes(revision: EntryRevision) -> list[FieldChange]:
    """What a revision changed, in French: each field by its verbose name, its values as the pages show them."""
    model = _object_model(revision.object_type)
    before, after = revision.before or {}, revision.after or {}
    changes = []
    names = [*before, *(key for key in after if key not in before)]
    if model is not None:  # in the model's order (the database stores JSON keys in an order of its own)
        order = {field.name: index for index, field in enumerate(model._meta.get_fields())}
        names.sort(key=lambda name: order.get(name, len(order)))
    if revision.action == EntryRevision.Action.CREATED:  # what a new object left empty says nothing
        names = [name for name in names if after.get(name) not in (None, "", [])]
    elif revision.action == EntryRevision.Action.DELETED:
        names = [name for name in names if before.get(name) not in (None, "", [])]
    for name in names:
        field = _field(model, name)
        if name in _EXTRA_FIELD_LABELS:
            label = _EXTRA_FIELD_LABELS[name]
        elif field is not None and getattr(field, "verbose_name", None):
            label = field.verbose_name
        else:
            label = name.replace("_", " ")
        changes.append(
            FieldChange(
                str(capfirst(label)),
                _readable_value(model, field, name, before.get(name)),
                _readable_value(model, field, name, after.get(name)),
            )
        )
    return changes


def revisions_visible_to(
    user: User,
    *,
    action: str = "",
    object_type: str = "",
    who: str = "",
    since: datetime.date | None = None,
    until: datetime.date | None = None,
    practitioner: Practitioner | None = None,
) -> QuerySet[EntryRevision]:
    """The revisions of the coordinator's territories, newest first, filtered; ``until`` is included."""
    territories = coordinated_territory_ids(user)
    if not territories:
        return EntryRevision.objects.none()
    revisions = EntryRevision.objects.filter(territory__in=territories)
    if action:
        revisions = revisions.filter(action=action)
    if object_type:
        revisions = revisions.filter(object_type=object_type)
    for word in (who or "").split():
        revisions = revisions.filter(actor_label__icontains=word)
    if since:
        revisions = revisions.filter(at__date__gte=since)
    if until:
        revisions = revisions.filter(at__date__lte=until)
    if practitioner is not None:
        revisions = revisions.filter(practitioner=practitioner)
    return revisions.select_related("practitioner", "practice").order_by("-at", "-id")


def revision_object_types_for(user: User) -> list[tuple[str, str]]:
    """The kinds of objects the feed of the coordinator's territories holds, as (value, French label)."""
    types = (
        EntryRevision.objects.filter(territory__in=coordinated_territory_ids(user))
        .order_by()
        .values_list("object_type", flat=True)
        .distinct()
    )
    return sorted(((value, object_type_label(value)) for value in types), key=lambda item: item[1])


# --- Duplicates -------------------------------------------------------------------------------------------------

# Two entries are likely one person when their names are the same (accents, case and hyphens aside), or when
# they share a phone number or an MSSanté address of their own. A secretariat's number is left out: it is shared
# by every practitioner of a practice. Two entries that both carry an RPPS number are two persons (the number is
# unique), so they are not proposed.
_DUPLICATES_SQL = """
WITH scope AS (
    SELECT p.id, p.rpps, directory_search_text(p.last_name) AS last_name,
           directory_search_text(p.first_name) AS first_name
    FROM directory_practitioner p
    WHERE p.territory_id = ANY(%(territories)s)
       OR EXISTS (
           SELECT 1 FROM directory_activity a JOIN directory_practice pr ON pr.id = a.practice_id
           WHERE a.practitioner_id = p.id AND pr.territory_id = ANY(%(territories)s)
       )
),
same_name AS (
    SELECT a.id AS first_id, b.id AS second_id
    FROM scope a JOIN scope b ON a.last_name = b.last_name AND a.first_name = b.first_name AND a.id < b.id
),
same_channel AS (
    SELECT DISTINCT ca.practitioner_id AS first_id, cb.practitioner_id AS second_id
    FROM directory_contactchannel ca
    JOIN directory_contactchannel cb ON cb.value = ca.value AND ca.practitioner_id < cb.practitioner_id
    WHERE ca.practitioner_id IN (SELECT id FROM scope) AND cb.practitioner_id IN (SELECT id FROM scope)
      AND ca.practice_id IS NULL AND cb.practice_id IS NULL
      AND (
          (ca.kind IN ('phone', 'professional_line') AND cb.kind IN ('phone', 'professional_line'))
          OR (ca.kind = 'mssante' AND cb.kind = 'mssante')
      )
),
pairs AS (
    SELECT first_id, second_id, true AS by_name, false AS by_channel FROM same_name
    UNION ALL
    SELECT first_id, second_id, false, true FROM same_channel
)
SELECT pairs.first_id, pairs.second_id, bool_or(pairs.by_name), bool_or(pairs.by_channel)
FROM pairs
JOIN scope a ON a.id = pairs.first_id
JOIN scope b ON b.id = pairs.second_id
WHERE a.rpps IS NULL OR b.rpps IS NULL
GROUP BY pairs.first_id, pairs.second_id, a.last_name, a.first_name
ORDER BY a.last_name, a.first_name, pairs.first_id, pairs.second_id
LIMIT %(limit)s
"""


@dataclass
class DuplicatePair:
    first: Practitioner
    second: Practitioner
    same_name: bool
    same_channel: bool


def _with_details(practitioners: QuerySet[Practitioner]) -> QuerySet[Practitioner]:
    return practitioners.select_related("user", "profession", "territory").prefetch_related(
        Prefetch("specialties", queryset=Specialty.objects.order_by("label")),
        Prefetch("activities", queryset=Activity.objects.select_related("practice").order_by("practice__name")),
    )


def duplicate_pairs_for(user: User, *, limit: int = 100) -> list[DuplicatePair]:
    """Likely duplicates among the entries of the coordinator's territories, found in SQL (see above)."""
    territories = sorted(coordinated_territory_ids(user))
    if not territories:
        return []
    with connection.cursor() as cursor:
        cursor.execute(_DUPLICATES_SQL, {"territories": territories, "limit": limit})
        rows = cursor.fetchall()
    ids = {pk for first, second, *_reasons in rows for pk in (first, second)}
    entries = {practitioner.pk: practitioner for practitioner in _with_details(Practitioner.objects.filter(pk__in=ids))}
    return [
        DuplicatePair(entries[first], entries[second], by_name, by_channel)
        for first, second, by_name, by_channel in rows
        if first in entries and second in entries
    ]


def merge_pair_for(user: User, first_id, second_id) -> tuple[Practitioner, Practitioner] | None:
    """Two entries of the coordinator's territories, with what the side-by-side page shows; None if either is
    missing or out of scope."""
    entries = {
        str(practitioner.public_id): practitioner
        for practitioner in _with_details(entries_coordinated_by(user).filter(public_id__in=[first_id, second_id]))
        .prefetch_related(
            "contact_channels", Prefetch("tools", queryset=PractitionerTool.objects.select_related("tool"))
        )
        .annotate(absence_count=Count("absences", distinct=True), revision_count=Count("revisions", distinct=True))
    }
    first, second = entries.get(str(first_id)), entries.get(str(second_id))
    if first is None or second is None:
        return None
    return first, second


# --- The summary of an entry ------------------------------------------------------------------------------------


def _language_name(code: str) -> str:
    try:
        return get_language_info(code)["name_translated"]
    except KeyError:
        return code


def entry_summary(practitioner: Practitioner, *, audiences: tuple[str, ...] | None = None) -> dict:
    """What an entry says, as plain text (JSON-safe: it also goes into the outbox row of the e-mail asking its
    owner to confirm it): identity, specialties, practices, every channel of its own (only those meant for
    ``audiences`` when given), tools."""
    specialties = sorted(specialty.label for specialty in practitioner.specialties.all())
    activities = (
        Activity.objects.filter(practitioner=practitioner).select_related("practice").order_by("practice__name")
    )
    channels = ContactChannel.objects.filter(practitioner=practitioner).select_related("practice")
    if audiences is not None:
        channels = channels.filter(audience__in=audiences)
    tools = PractitionerTool.objects.filter(practitioner=practitioner).select_related("tool").order_by("tool__name")
    if practitioner.accepting_new_patients is None:
        accepting = ""
    else:
        accepting = _("oui") if practitioner.accepting_new_patients else _("non")
    return {
        "name": str(practitioner),
        "national_id": practitioner.national_id_label,
        "profession": practitioner.profession.label if practitioner.profession_id else "",
        "specialties": specialties,
        "languages": [_language_name(code) for code in practitioner.languages],
        "accepting_new_patients": accepting,
        "teleexpertise": _("oui") if practitioner.answers_teleexpertise else _("non"),
        "practices": [
            {
                "name": activity.practice.name,
                "address": ", ".join(
                    part
                    for part in (
                        activity.practice.address,
                        f"{activity.practice.postal_code} {activity.practice.city}".strip(),
                    )
                    if part
                ),
            }
            for activity in activities
        ],
        "channels": [
            {
                "kind": channel.get_kind_display(),
                "audience": channel.get_audience_display(),
                "value": channel.display_value,
                "hours": channel.hours,
                "practice": channel.practice.name if channel.practice_id else "",
                "preferred": channel.preferred,
            }
            for channel in channels
        ],
        "tools": [
            {
                "name": tool.tool.name,
                "uses": ", ".join(
                    str(dict(PractitionerTool._meta.get_field("uses").base_field.choices).get(use, use))
                    for use in tool.uses
                ),
                "handle_or_link": tool.handle_or_link,
            }
            for tool in tools
        ],
        "last_confirmed_at": (
            formats.date_format(timezone.localtime(practitioner.last_confirmed_at), "SHORT_DATE_FORMAT")
            if practitioner.last_confirmed_at
            else ""
        ),
    }

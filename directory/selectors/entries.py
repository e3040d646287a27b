"""Reads behind the practitioner and practice pages and their editing.

A page shows an entry as the viewer's audience sees it (``channels_for_audience``): the public sees what is public,
colleagues see their lines and the absences. Single objects for editing are fetched with ``*_for_user(user, id,
write=...)``, which raise ``ApplicationError`` with code ``not_found`` when the user may not see the object (the
pages answer 404) and ``forbidden`` when they may see it but not change it (403).
"""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Role, has_role
from core.errors import ApplicationError
from directory.forms import SEARCH_LANGUAGES
from directory.models import (
    Absence,
    AccessibilityTag,
    Activity,
    Audience,
    Commune,
    ContactChannel,
    DigitalTool,
    Practice,
    PracticeTag,
    Practitioner,
    PractitionerMerge,
    PractitionerTool,
    RoleGrant,
    Specialty,
    ToolUse,
)
from directory.permissions import can_edit_practice, can_edit_practitioner, coordinated_territory_ids
from directory.selectors import (
    INSEE_IN_LABEL,
    VISIBLE_AUDIENCES,
    audience_of,
    channels_for_audience,
    communes_matching,
)
from directory.selectors import commune_label as commune_label  # the practice form's commune box reads it here

# Who sees absences and replacements: colleagues, pharmacies and labs, regulators; never the public.
AUDIENCES_SEEING_ABSENCES = frozenset({Audience.PROFESSIONALS, Audience.PHARMACISTS_AND_LABS, Audience.REGULATORS})
# "Accepting new patients" is a GP's answer (médecin traitant).
GP_SPECIALTY_CODES = frozenset({"SM54", "SM53", "SM26"})
ABSENCES_SHOWN = 10


def _not_found() -> ApplicationError:
    return ApplicationError(_("Cette page n'existe pas ou ne vous est pas accessible."), code="not_found")


def _forbidden(message: str | None = None) -> ApplicationError:
    return ApplicationError(message or _("Vous ne pouvez pas modifier cette fiche de l'annuaire."), code="forbidden")


@dataclass
class Viewer:
    """Who looks at a page: the audience whose channels they see (``audience_of``)."""

    audience: str

    @property
    def sees_absences(self) -> bool:
        return self.audience in AUDIENCES_SEEING_ABSENCES


def viewer_of(user: User) -> Viewer:
    return Viewer(audience=audience_of(user))


# --- Labels -------------------------------------------------------------------------------------------------------


def language_names(codes: list[str]) -> list[str]:
    """French names of ISO 639-1 codes where Django knows them ("en" -> "Anglais"), the code otherwise."""
    known = dict(SEARCH_LANGUAGES)
    names = []
    for code in codes:
        if code in known:
            names.append(str(known[code]))
            continue
        try:
            names.append(str(get_language_info(code)["name_translated"]).capitalize())
        except KeyError:
            names.append(code)
    return names


def _labels(values: list[str], choices: type) -> list[str]:
    labels = dict(choices.choices)
    return [str(labels.get(value, value)) for value in values]


# --- The practitioner page ----------------------------------------------------------------------------------------


@dataclass
class PractitionerPage:
    """Everything the practitioner page shows to one viewer; lists are already filtered for their audience."""

    practitioner: Practitioner
    viewer: Viewer
    channels: list[ContactChannel]
    sites: list[Practice]
    tools: list[PractitionerTool]
    absences: list[Absence] = field(default_factory=list)
    can_edit: bool = False
    is_owner: bool = False
    editable_practice_ids: set[int] = field(default_factory=set)
    is_gp: bool = False
    languages: list[str] = field(default_factory=list)
    practice_tags: list[str] = field(default_factory=list)

    @property
    def preferred_channel(self) -> ContactChannel | None:
        return self.channels[0] if self.channels else None

    @property
    def current_absence(self) -> Absence | None:
        today = timezone.localdate()
        return next((absence for absence in self.absences if absence.starts_on <= today), None)


def can_edit_identity(user: User, practitioner: Practitioner) -> bool:
    """Names and national identifiers (RPPS, ADELI) are changed by a coordinator of the entry's territory (or of
    a practice where the practitioner works) only: nobody takes over an identity by editing their own entry."""
    territories = coordinated_territory_ids(user)
    if not territories:
        return False
    return practitioner.territory_id in territories or (
        Activity.objects.filter(practitioner=practitioner, practice__territory__in=territories).exists()
    )


def merged_into(public_id) -> Practitioner | None:
    """The entry kept when ``public_id`` was a duplicate merged into it."""
    merge = PractitionerMerge.objects.select_related("kept").filter(merged_public_id=public_id).first()
    return merge.kept if merge else None


def practice_ids_editable_by(user: User, practices: list[Practice]) -> set[int]:
    """Which of ``practices`` the user may edit, in at most two queries: the rule of ``can_edit_practice``
    (a coordinator of its territory, a secretary of the practice, a professional who works there)."""
    if not getattr(user, "is_authenticated", False) or not practices:
        return set()
    territories = coordinated_territory_ids(user)
    editable = {practice.pk for practice in practices if practice.territory_id in territories}
    ids = [practice.pk for practice in practices if practice.pk not in editable]
    if ids and has_role(user, Role.SECRETARY):
        editable |= set(
            RoleGrant.objects.filter(user=user, role=Role.SECRETARY, practices__in=ids).values_list(
                "practices", flat=True
            )
        )
    if ids and has_role(user, Role.PROFESSIONAL):
        editable |= set(
            Activity.objects.filter(
                practice__in=ids,
                practitioner__role_grants__user=user,
                practitioner__role_grants__role=Role.PROFESSIONAL,
            ).values_list("practice_id", flat=True)
        )
    return editable


def _page_practitioners() -> QuerySet[Practitioner]:
    return Practitioner.objects.select_related("profession", "territory", "response_statistic").prefetch_related(
        Prefetch("specialties", queryset=Specialty.objects.order_by("label")),
        Prefetch(
            "activities",
            queryset=Activity.objects.select_related("practice__commune").order_by("practice__name"),
        ),
        Prefetch(
            "tools",
            queryset=PractitionerTool.objects.select_related("tool").order_by("tool__name"),
        ),
    )


def practitioner_page(*, viewer: User, public_id) -> PractitionerPage | None:
    """The practitioner page as ``viewer`` sees it; None when there is no such entry (see ``merged_into``).

    The public sees public channels, the sites, and tools used for appointments (a booking link); colleagues,
    pharmacies and labs, and regulators see their channels (``channels_for_audience``), every tool, and the
    current and upcoming absences with the replacement. The number of queries does not depend on the number of
    channels, sites, tools or absences.
    """
    practitioner = _page_practitioners().filter(public_id=public_id).first()
    if practitioner is None:
        return None
    seen_by = viewer_of(viewer)
    sites = [activity.practice for activity in practitioner.activities.all()]
    tools = list(practitioner.tools.all())
    if seen_by.audience == Audience.PUBLIC:
        tools = [tool for tool in tools if ToolUse.APPOINTMENTS in tool.uses]
    for tool in tools:
        tool.use_labels = _labels(tool.uses, ToolUse)
    for site in sites:
        site.accessibility_labels = _labels(site.accessibility, AccessibilityTag)
    absences = []
    if seen_by.sees_absences:
        absences = list(
            Absence.objects.filter(practitioner=practitioner, ends_on__gte=timezone.localdate())
            .select_related("replacement")
            .order_by("starts_on", "id")[:ABSENCES_SHOWN]
        )
    # The account that claimed the entry is its owner (``role_grant_create`` links both ways).
    is_owner = viewer.is_authenticated and practitioner.user_id == viewer.pk
    can_edit = is_owner or can_edit_practitioner(viewer, practitioner)
    if is_owner:  # a professional edits the practices where they work: all of their own sites
        editable_practice_ids = {site.pk for site in sites}
    else:
        editable_practice_ids = practice_ids_editable_by(viewer, sites) if can_edit else set()
    return PractitionerPage(
        practitioner=practitioner,
        viewer=seen_by,
        channels=channels_for_audience(practitioner, seen_by.audience),
        sites=sites,
        tools=tools,
        absences=absences,
        can_edit=can_edit,
        is_owner=is_owner,
        editable_practice_ids=editable_practice_ids,
        is_gp=any(specialty.code in GP_SPECIALTY_CODES for specialty in practitioner.specialties.all()),
        languages=language_names(practitioner.languages),
        practice_tags=_labels(practitioner.practice_tags, PracticeTag),
    )


# --- The practice page --------------------------------------------------------------------------------------------


@dataclass
class PracticePage:
    practice: Practice
    viewer: Viewer
    channels: list[ContactChannel]
    practitioners: list[Practitioner]
    can_edit: bool = False
    accessibility: list[str] = field(default_factory=list)


def practice_page(*, viewer: User, public_id) -> PracticePage | None:
    """A practice: address, hours, accessibility, who works there, and its own channels for the viewer."""
    practice = Practice.objects.select_related("commune", "territory").filter(public_id=public_id).first()
    if practice is None:
        return None
    seen_by = viewer_of(viewer)
    visible = VISIBLE_AUDIENCES.get(seen_by.audience, VISIBLE_AUDIENCES[Audience.PUBLIC])
    channels = list(
        ContactChannel.objects.filter(practice=practice, practitioner__isnull=True, audience__in=visible).order_by(
            "-preferred", "audience", "kind", "id"
        )
    )
    practitioners = list(
        Practitioner.objects.filter(activities__practice=practice)
        .prefetch_related(Prefetch("specialties", queryset=Specialty.objects.order_by("label")))
        .order_by("last_name", "first_name")
    )
    return PracticePage(
        practice=practice,
        viewer=seen_by,
        channels=channels,
        practitioners=practitioners,
        can_edit=can_edit_practice(viewer, practice),
        accessibility=_labels(practice.accessibility, AccessibilityTag),
    )


# --- Single objects for editing -----------------------------------------------------------------------------------


def practitioner_for_user(user: User, public_id, *, write: bool = False) -> Practitioner:
    """An entry (every entry is visible: its page is public); ``forbidden`` when ``write`` and not editable."""
    practitioner = Practitioner.objects.select_related("territory", "profession").filter(public_id=public_id).first()
    if practitioner is None:
        raise _not_found()
    if write and not can_edit_practitioner(user, practitioner):
        raise _forbidden()
    return practitioner


def practice_for_user(user: User, public_id, *, write: bool = False) -> Practice:
    practice = Practice.objects.select_related("territory", "commune").filter(public_id=public_id).first()
    if practice is None:
        raise _not_found()
    if write and not can_edit_practice(user, practice):
        raise _forbidden(_("Vous ne pouvez pas modifier ce cabinet."))
    return practice


def _channel_editable(user: User, channel: ContactChannel) -> bool:
    if channel.practitioner_id:
        return can_edit_practitioner(user, channel.practitioner)
    return can_edit_practice(user, channel.practice)


def channel_for_user(user: User, public_id, *, write: bool = False) -> ContactChannel:
    """A contact channel: ``not_found`` unless its audience is one the user sees (or they may edit its owner)."""
    channel = (
        ContactChannel.objects.select_related("practitioner__territory", "practice__territory")
        .filter(public_id=public_id)
        .first()
    )
    if channel is None:
        raise _not_found()
    if _channel_editable(user, channel):
        return channel
    visible = VISIBLE_AUDIENCES.get(viewer_of(user).audience, VISIBLE_AUDIENCES[Audience.PUBLIC])
    if channel.audience not in visible:
        raise _not_found()
    if write:
        raise _forbidden()
    return channel


def absence_for_user(user: User, public_id, *, write: bool = False) -> Absence:
    """An absence: ``not_found`` for the public (absences are for colleagues), ``forbidden`` to change another's."""
    absence = (
        Absence.objects.select_related("practitioner__territory", "replacement").filter(public_id=public_id).first()
    )
    if absence is None:
        raise _not_found()
    if can_edit_practitioner(user, absence.practitioner):
        return absence
    if not viewer_of(user).sees_absences:
        raise _not_found()
    if write:
        raise _forbidden()
    return absence


def practitioner_tool_for_user(user: User, practitioner: Practitioner, tool_slug: str) -> PractitionerTool:
    """A tool of the entry, for editing (the caller checked the entry is editable)."""
    practitioner_tool = (
        PractitionerTool.objects.select_related("tool", "practitioner")
        .filter(practitioner=practitioner, tool__slug=tool_slug)
        .first()
    )
    if practitioner_tool is None:
        raise _not_found()
    if not can_edit_practitioner(user, practitioner):
        raise _forbidden()
    return practitioner_tool


# --- Lists for the editing pages ----------------------------------------------------------------------------------


def channels_of_practitioner(practitioner: Practitioner) -> list[ContactChannel]:
    """All the practitioner's own channels, every audience (for the people who edit them)."""
    return list(
        ContactChannel.objects.filter(practitioner=practitioner)
        .select_related("practice")
        .order_by("audience", "-preferred", "kind", "id")
    )


def channels_of_practice(practice: Practice) -> list[ContactChannel]:
    """The practice's own channels (not those of one practitioner there), every audience."""
    return list(
        ContactChannel.objects.filter(practice=practice, practitioner__isnull=True).order_by(
            "audience", "-preferred", "kind", "id"
        )
    )


def practices_of(practitioner: Practitioner) -> QuerySet[Practice]:
    return Practice.objects.filter(activities__practitioner=practitioner).select_related("commune").order_by("name")


def tools_of(practitioner: Practitioner) -> list[PractitionerTool]:
    tools = list(
        PractitionerTool.objects.filter(practitioner=practitioner).select_related("tool").order_by("tool__name")
    )
    for tool in tools:
        tool.use_labels = _labels(tool.uses, ToolUse)
    return tools


def digital_tools() -> QuerySet[DigitalTool]:
    return DigitalTool.objects.order_by("name")


def absences_of(practitioner: Practitioner, *, include_past_days: int = 31) -> list[Absence]:
    """The practitioner's absences, from a month ago on, soonest first (for the people who edit them)."""
    since = timezone.localdate() - timedelta(days=include_past_days)
    return list(
        Absence.objects.filter(practitioner=practitioner, ends_on__gte=since)
        .select_related("replacement")
        .order_by("starts_on", "id")
    )


def replacement_candidates(practitioner: Practitioner) -> QuerySet[Practitioner]:
    """Who may replace a practitioner: the other practitioners of their territory."""
    if practitioner.territory_id is None:
        return Practitioner.objects.none()
    return (
        Practitioner.objects.filter(territory_id=practitioner.territory_id)
        .exclude(pk=practitioner.pk)
        .order_by("last_name", "first_name")
    )


# --- Communes typed in a form -------------------------------------------------------------------------------------


@dataclass
class CommuneChoice:
    commune: Commune | None
    candidates: list[Commune]


def commune_from_input(text: str) -> CommuneChoice:
    """The commune a user typed: a suggestion's label (with its INSEE code), an INSEE code, a postal code serving
    a single commune, or a name that ``communes_matching`` resolves to one commune (exactly that name, once).
    Otherwise ``commune`` is None and ``candidates`` lists what the user may have meant (empty: unknown)."""
    text = (text or "").strip()
    if not text:
        return CommuneChoice(None, [])
    code = INSEE_IN_LABEL.search(text)
    if code:
        commune = Commune.objects.filter(insee_code=code.group(1).upper()).first()
        if commune is not None:
            return CommuneChoice(commune, [commune])
        text = INSEE_IN_LABEL.sub("", text).strip(" ()—-")
    candidates = communes_matching(text, limit=8)
    if len(candidates) == 1:
        return CommuneChoice(candidates[0], candidates)
    wanted = _comparable(text)
    exact = [commune for commune in candidates if _comparable(commune.name) == wanted]
    if len(exact) == 1:
        return CommuneChoice(exact[0], candidates)
    return CommuneChoice(None, candidates)


def _comparable(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return " ".join(re.findall(r"\w+", text))


def communes_suggested(text: str) -> list[Commune]:
    """Suggestions for the commune box (at least two characters typed)."""
    text = (text or "").strip()
    if len(text) < 2:
        return []
    return communes_matching(text, limit=8)

"""Reads behind the REST API and the FHIR facade: one entry with everything its page shows, practices, the tools
catalogue, channels of many owners at once, and the FHIR searches (identifier, name, specialty, address).

The directory is public: anyone reads entries, practices and tools. What differs by viewer is which contact
channels they see (``VISIBLE_AUDIENCES``) and whether they see absences (not the public). The search of the
page and of ``/api/v1/practitioners/`` is ``practitioners_search`` in the package's ``__init__``.
"""

import re
from dataclasses import dataclass
from datetime import date

from django.db.models import F, Prefetch, Q, QuerySet, TextField, Value
from django.db.models.functions import Concat
from django.utils import timezone

from directory.models import (
    Absence,
    Activity,
    Audience,
    ContactChannel,
    DigitalTool,
    Practice,
    Practitioner,
    PractitionerTool,
    SearchText,
    Specialty,
)
from directory.selectors import (
    VISIBLE_AUDIENCES,
    channel_order,
    communes_matching,
    specialties_matching,
)
from directory.selectors.entries import AUDIENCES_SEEING_ABSENCES  # the page's rule: not the public


def visible_audiences(audience: str) -> tuple[str, ...]:
    return VISIBLE_AUDIENCES.get(audience, VISIBLE_AUDIENCES[Audience.PUBLIC])


def _activities_prefetch() -> Prefetch:
    return Prefetch(
        "activities",
        queryset=Activity.objects.select_related("practice__commune").order_by("practice__name", "practice_id"),
    )


def _specialties_prefetch() -> Prefetch:
    return Prefetch("specialties", queryset=Specialty.objects.select_related("profession").order_by("label"))


def practitioners_with_details() -> QuerySet[Practitioner]:
    """Practitioners with what an API answer shows of each, fetched in a fixed number of queries."""
    return Practitioner.objects.select_related("profession").prefetch_related(
        _specialties_prefetch(),
        _activities_prefetch(),
        Prefetch("tools", queryset=PractitionerTool.objects.select_related("tool").order_by("tool__name")),
    )


def practitioner_for_api(public_id) -> Practitioner | None:
    return practitioners_with_details().filter(public_id=public_id).first()


def practitioner_by_public_id(public_id) -> Practitioner | None:
    """The entry a write acts on (the services check who may change it)."""
    return Practitioner.objects.filter(public_id=public_id).first()


def practitioner_channel(practitioner: Practitioner, channel_public_id) -> ContactChannel | None:
    """One of the practitioner's own channels (with or without a practice); a practice's shared line is not."""
    return (
        ContactChannel.objects.select_related("practitioner", "practice")
        .filter(practitioner=practitioner, public_id=channel_public_id)
        .first()
    )


def practice_by_public_id(public_id) -> Practice | None:
    return Practice.objects.filter(public_id=public_id).first()


def absences_for_audience(practitioner: Practitioner, audience: str, *, today: date | None = None) -> list[Absence]:
    """Current and upcoming absences, for the audiences that see them; nothing for the public."""
    if audience not in AUDIENCES_SEEING_ABSENCES:
        return []
    today = today or timezone.localdate()
    return list(
        Absence.objects.filter(practitioner=practitioner, ends_on__gte=today)
        .select_related("replacement")
        .order_by("starts_on", "id")
    )


def absences_by_practitioner(practitioner_ids: list[int], audience: str) -> dict[int, list[Absence]]:
    """``absences_for_audience`` for many practitioners in one query."""
    if audience not in AUDIENCES_SEEING_ABSENCES or not practitioner_ids:
        return {}
    found: dict[int, list[Absence]] = {}
    rows = (
        Absence.objects.filter(practitioner_id__in=practitioner_ids, ends_on__gte=timezone.localdate())
        .select_related("replacement")
        .order_by("starts_on", "id")
    )
    for absence in rows:
        found.setdefault(absence.practitioner_id, []).append(absence)
    return found


@dataclass
class OwnedChannels:
    """Channels visible to one audience, grouped the way FHIR resources carry them."""

    # A practitioner's own channels that belong to no practice.
    of_practitioner: dict[int, list[ContactChannel]]
    # Channels of a practitioner at one practice: (practitioner id, practice id).
    of_practitioner_at: dict[tuple[int, int], list[ContactChannel]]
    # A practice's shared channels (its secretariat, its switchboard).
    of_practice: dict[int, list[ContactChannel]]


def channels_of_owners(*, practitioner_ids=(), practice_ids=(), audience: str) -> OwnedChannels:
    """Every channel ``audience`` sees of these practitioners and practices, in one query, each group in the
    order ``channels_for_audience`` uses (preferred first, narrower audience first, then kind)."""
    visible = visible_audiences(audience)
    owned = OwnedChannels(of_practitioner={}, of_practitioner_at={}, of_practice={})
    practitioner_ids, practice_ids = list(practitioner_ids), list(practice_ids)
    if not practitioner_ids and not practice_ids:
        return owned
    rows = (
        ContactChannel.objects.filter(audience__in=visible)
        .filter(Q(practitioner__in=practitioner_ids) | Q(practitioner__isnull=True, practice__in=practice_ids))
        .select_related("practice")
        .annotate(**channel_order(visible))
        .order_by("-preferred", "audience_rank", "kind_rank", "id")
    )
    for channel in rows:
        if channel.practitioner_id is None:
            owned.of_practice.setdefault(channel.practice_id, []).append(channel)
        elif channel.practice_id is None:
            owned.of_practitioner.setdefault(channel.practitioner_id, []).append(channel)
        else:
            owned.of_practitioner_at.setdefault((channel.practitioner_id, channel.practice_id), []).append(channel)
    return owned


# --- Practices and tools --------------------------------------------------------------------------------------


def practices_for_api(*, q: str = "", commune: str = "") -> tuple[QuerySet[Practice], bool]:
    """Practices by name (words, accents and case aside) and commune (INSEE code, postal code or name: every
    commune ``communes_matching`` gives for a postal code, the best one otherwise), with their practitioners.

    Returns the queryset and whether the commune was understood (False: nothing can match)."""
    practices = Practice.objects.select_related("commune")
    words = re.findall(r"\w+", q or "")
    if words:
        practices = practices.annotate(search_name=SearchText(F("name")))
    for word in words:
        practices = practices.filter(
            Q(search_name__startswith=SearchText(Value(word)))
            | Q(search_name__contains=Concat(Value(" "), SearchText(Value(word)), output_field=TextField()))
        )
    if commune:
        communes = communes_matching(commune, limit=50)
        if not communes:
            return Practice.objects.none(), False
        if not re.fullmatch(r"\d{5}", commune.strip()):
            communes = communes[:1]
        practices = practices.filter(commune__in=[found.insee_code for found in communes])
    practitioners = Practitioner.objects.select_related("profession").order_by("last_name", "first_name", "pk")
    return (
        practices.prefetch_related(Prefetch("practitioners", queryset=practitioners)).order_by("name", "pk"),
        True,
    )


def practice_for_api(public_id) -> Practice | None:
    practitioners = Practitioner.objects.select_related("profession").order_by("last_name", "first_name", "pk")
    return (
        Practice.objects.select_related("commune")
        .prefetch_related(Prefetch("practitioners", queryset=practitioners))
        .filter(public_id=public_id)
        .first()
    )


def practice_channels(practice: Practice, audience: str) -> list[ContactChannel]:
    """The practice's shared channels ``audience`` sees, the one to use first at the top."""
    return channels_of_owners(practice_ids=[practice.pk], audience=audience).of_practice.get(practice.pk, [])


def digital_tools() -> QuerySet[DigitalTool]:
    return DigitalTool.objects.order_by("name")


# --- FHIR searches ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StringCriterion:
    """A FHIR string search: starts with (the default), ``:exact`` or ``:contains``; one of several values."""

    values: tuple[str, ...]
    modifier: str = ""  # "", "exact", "contains"


@dataclass(frozen=True)
class TokenCriterion:
    """A FHIR token: ``system|code``, ``|code`` (no system), ``system|`` (any code of the system), ``code``."""

    system: str | None
    code: str | None


def _string_condition(expression: str, criterion: StringCriterion) -> Q:
    """OR over the criterion's values, on a text column or path (``last_name``, ``practice__city``…)."""
    condition = Q()
    for value in criterion.values:
        if criterion.modifier == "exact":
            condition |= Q(**{expression: value})
        else:
            lookup = "contains" if criterion.modifier == "contains" else "startswith"
            condition |= Q(**{f"{_annotation_name(expression)}__{lookup}": SearchText(Value(value))})
    return condition


def _annotation_name(expression: str) -> str:
    return "search_" + expression.replace("__", "_")


def _annotate_search_text(queryset: QuerySet, *expressions: str) -> QuerySet:
    missing = {
        _annotation_name(expression): SearchText(F(expression))
        for expression in expressions
        if _annotation_name(expression) not in queryset.query.annotations
    }
    return queryset.annotate(**missing) if missing else queryset


def _filter_strings(queryset: QuerySet, criteria: list[StringCriterion], *expressions: str) -> QuerySet:
    """Each criterion (a repeated parameter) must hold; one criterion holds when one of the expressions matches."""
    if not criteria:
        return queryset
    queryset = _annotate_search_text(queryset, *expressions)
    for criterion in criteria:
        condition = Q()
        for expression in expressions:
            condition |= _string_condition(expression, criterion)
        queryset = queryset.filter(condition)
    return queryset


# The systems identifiers are searched with; old spellings the ANS documents used are accepted too.
IDNPS_SYSTEMS = frozenset({"urn:oid:1.2.250.1.71.4.2.1"})
RPPS_SYSTEMS = frozenset({"https://rpps.esante.gouv.fr", "http://rpps.esante.gouv.fr", "http://rpps.fr"})
ADELI_SYSTEMS = frozenset({"https://adeli.esante.gouv.fr", "http://adeli.esante.gouv.fr", "http://adeli.fr"})


def _national_id_condition(criterion: TokenCriterion, prefix: str = "") -> Q:
    """A practitioner's identifier: RPPS, ADELI, or the IDNPS ("8" + RPPS, "0" + ADELI)."""
    rpps, adeli = f"{prefix}rpps", f"{prefix}adeli"
    system, code = criterion.system, criterion.code
    if system is None or system == "":
        if not code:
            return Q(pk__in=[])
        condition = Q(**{rpps: code}) | Q(**{adeli: code})
        if system is None:  # a bare value: any system, the IDNPS included
            if code.startswith("8"):
                condition |= Q(**{rpps: code[1:]})
            elif code.startswith("0"):
                condition |= Q(**{adeli: code[1:]})
        return condition
    if system in IDNPS_SYSTEMS:
        if not code:
            return Q(**{f"{rpps}__isnull": False}) | Q(**{f"{adeli}__isnull": False})
        if code.startswith("8"):
            return Q(**{rpps: code[1:]})
        if code.startswith("0"):
            return Q(**{adeli: code[1:]})
        return Q(pk__in=[])
    if system in RPPS_SYSTEMS:
        return Q(**{rpps: code}) if code else Q(**{f"{rpps}__isnull": False})
    if system in ADELI_SYSTEMS:
        return Q(**{adeli: code}) if code else Q(**{f"{adeli}__isnull": False})
    return Q(pk__in=[])


SPECIALTY_SYSTEM = "https://mos.esante.gouv.fr/NOS/TRE_R38-SpecialiteOrdinale/FHIR/TRE-R38-SpecialiteOrdinale"
PROFESSION_SYSTEM = "https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante/FHIR/TRE-G15-ProfessionSante"


def _code_condition(criterion: TokenCriterion, field: str, system: str) -> Q:
    if criterion.system not in (None, system):
        return Q(pk__in=[])
    if not criterion.code:
        return Q(**{f"{field}__isnull": False})
    return Q(**{field: criterion.code})


def _filter_tokens(queryset: QuerySet, criteria: list[list[TokenCriterion]], condition_of) -> QuerySet:
    """Each list is one parameter (its comma-separated values are ORed); the parameters are ANDed."""
    for alternatives in criteria:
        condition = Q()
        for criterion in alternatives:
            condition |= condition_of(criterion)
        queryset = queryset.filter(condition)
    return queryset


def _specialty_text_condition(texts: list[str], field: str) -> Q:
    """``specialty:text=cardio``: the specialties whose label or a synonym the text names (as the search page)."""
    condition = Q()
    for text in texts:
        found = specialties_matching(text)
        condition |= Q(**{f"{field}__in": [specialty.pk for specialty in found]})
    return condition


@dataclass
class FhirPractitionerQuery:
    ids: list[list[str]]
    identifiers: list[list[TokenCriterion]]
    names: list[StringCriterion]
    families: list[StringCriterion]
    givens: list[StringCriterion]
    specialties: list[list[TokenCriterion]]
    specialty_texts: list[list[str]]
    cities: list[StringCriterion]
    postal_codes: list[StringCriterion]


def fhir_practitioners(query: FhirPractitionerQuery) -> QuerySet[Practitioner]:
    """Practitioners matching a FHIR search, ordered by name; not yet fetched (the caller pages and counts)."""
    practitioners = Practitioner.objects.all()
    for ids in query.ids:
        practitioners = practitioners.filter(public_id__in=ids)
    practitioners = _filter_tokens(practitioners, query.identifiers, _national_id_condition)
    practitioners = _filter_strings(practitioners, query.names, "last_name", "first_name", "civility")
    practitioners = _filter_strings(practitioners, query.families, "last_name")
    practitioners = _filter_strings(practitioners, query.givens, "first_name")
    specialty_filter = Practitioner.specialties.through.objects
    for alternatives in query.specialties:
        condition = Q()
        for criterion in alternatives:
            condition |= _code_condition(criterion, "specialty__code", SPECIALTY_SYSTEM)
        practitioners = practitioners.filter(pk__in=specialty_filter.filter(condition).values("practitioner"))
    for texts in query.specialty_texts:
        condition = _specialty_text_condition(texts, "specialty")
        practitioners = practitioners.filter(pk__in=specialty_filter.filter(condition).values("practitioner"))
    for criterion in query.cities:
        at = _filter_strings(Activity.objects.all(), [criterion], "practice__city", "practice__commune__name")
        practitioners = practitioners.filter(pk__in=at.values("practitioner"))
    for criterion in query.postal_codes:
        at = _filter_strings(Activity.objects.all(), [criterion], "practice__postal_code")
        practitioners = practitioners.filter(pk__in=at.values("practitioner"))
    return practitioners.order_by("last_name", "first_name", "pk")


@dataclass
class FhirRoleQuery:
    ids: list[list[str]]
    practitioners: list[list[str]]
    organizations: list[list[str]]
    specialties: list[list[TokenCriterion]]
    specialty_texts: list[list[str]]
    roles: list[list[TokenCriterion]]
    cities: list[StringCriterion]
    postal_codes: list[StringCriterion]


def fhir_roles(query: FhirRoleQuery) -> QuerySet[Activity]:
    """Activities (a practitioner at a practice: a FHIR PractitionerRole) matching a FHIR search."""
    activities = Activity.objects.all()
    for ids in query.ids:
        condition = Q()
        for practitioner_id, practice_id in ids:
            condition |= Q(practitioner__public_id=practitioner_id, practice__public_id=practice_id)
        activities = activities.filter(condition)
    for ids in query.practitioners:
        activities = activities.filter(practitioner__public_id__in=ids)
    for ids in query.organizations:
        activities = activities.filter(practice__public_id__in=ids)
    specialty_filter = Practitioner.specialties.through.objects
    for alternatives in query.specialties:
        condition = Q()
        for criterion in alternatives:
            condition |= _code_condition(criterion, "specialty__code", SPECIALTY_SYSTEM)
        activities = activities.filter(practitioner__in=specialty_filter.filter(condition).values("practitioner"))
    for texts in query.specialty_texts:
        condition = _specialty_text_condition(texts, "specialty")
        activities = activities.filter(practitioner__in=specialty_filter.filter(condition).values("practitioner"))
    activities = _filter_tokens(
        activities,
        query.roles,
        lambda criterion: _code_condition(criterion, "practitioner__profession__code", PROFESSION_SYSTEM),
    )
    for criterion in query.cities:
        activities = _filter_strings(activities, [criterion], "practice__city", "practice__commune__name")
    for criterion in query.postal_codes:
        activities = _filter_strings(activities, [criterion], "practice__postal_code")
    return activities.order_by(
        "practitioner__last_name", "practitioner__first_name", "practitioner_id", "practice__name", "pk"
    )


def roles_with_details(activities: QuerySet[Activity]) -> QuerySet[Activity]:
    return activities.select_related("practice__commune", "practitioner__profession").prefetch_related(
        Prefetch("practitioner__specialties", queryset=Specialty.objects.order_by("label"))
    )


FINESS_SYSTEMS = frozenset({"https://finess.esante.gouv.fr", "http://finess.esante.gouv.fr"})
SIRET_SYSTEMS = frozenset({"https://sirene.fr", "http://sirene.fr"})


def _structure_id_condition(criterion: TokenCriterion) -> Q:
    system, code = criterion.system, criterion.code
    if system is None or system == "":
        return (Q(finess=code) | Q(siret=code)) if code else Q(pk__in=[])
    if system in FINESS_SYSTEMS:
        return Q(finess=code) if code else ~Q(finess="")
    if system in SIRET_SYSTEMS:
        return Q(siret=code) if code else ~Q(siret="")
    return Q(pk__in=[])


@dataclass
class FhirOrganizationQuery:
    ids: list[list[str]]
    identifiers: list[list[TokenCriterion]]
    names: list[StringCriterion]
    cities: list[StringCriterion]
    postal_codes: list[StringCriterion]


def fhir_organizations(query: FhirOrganizationQuery) -> QuerySet[Practice]:
    practices = Practice.objects.all()
    for ids in query.ids:
        practices = practices.filter(public_id__in=ids)
    practices = _filter_tokens(practices, query.identifiers, _structure_id_condition)
    practices = _filter_strings(practices, query.names, "name")
    practices = _filter_strings(practices, query.cities, "city", "commune__name")
    practices = _filter_strings(practices, query.postal_codes, "postal_code")
    return practices.order_by("name", "pk")


def organizations_with_details(practices: QuerySet[Practice]) -> QuerySet[Practice]:
    return practices.select_related("commune")


# --- What the REST search's parameters mean -------------------------------------------------------------------


def digital_tool_exists(slug: str) -> bool:
    return DigitalTool.objects.filter(slug=slug).exists()


def practitioners_for_fhir(practitioners: QuerySet[Practitioner]) -> QuerySet[Practitioner]:
    """What a FHIR Practitioner shows, fetched in a fixed number of queries whatever the page size."""
    return practitioners.select_related("profession").prefetch_related(
        Prefetch("specialties", queryset=Specialty.objects.order_by("label")), _activities_prefetch()
    )


def role_for_fhir(practitioner_public_id, practice_public_id) -> Activity | None:
    activities = Activity.objects.filter(
        practitioner__public_id=practitioner_public_id, practice__public_id=practice_public_id
    )
    return roles_with_details(activities).first()


def practitioner_for_fhir(public_id) -> Practitioner | None:
    return practitioners_for_fhir(Practitioner.objects.filter(public_id=public_id)).first()


def practice_for_fhir(public_id) -> Practice | None:
    return organizations_with_details(Practice.objects.filter(public_id=public_id)).first()

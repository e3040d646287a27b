"""Reads of the directory scoped to a user, starting with the scopes of their role grants; reference data lookups.

Reference data (communes, professions, specialties) is public: its selectors take no user.
"""

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.postgres.lookups import DataContains, TrigramWordSimilar
from django.contrib.postgres.search import TrigramWordSimilarity
from django.core.cache import cache
from django.db.models import (
    Case,
    Count,
    DurationField,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    Min,
    Model,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, Concat
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import mfa_required_but_missing
from accounts.roles import Role, has_role
from core.errors import ApplicationError
from directory.models import (
    Absence,
    Activity,
    Audience,
    Commune,
    ContactChannel,
    DigitalTool,
    LlToEarth,
    Practice,
    Practitioner,
    PractitionerTool,
    Profession,
    RoleGrant,
    RoleGrantEvent,
    SearchText,
    Specialty,
    Territory,
)
from directory.permissions import can_manage_grant, coordinated_territory_ids


def role_grants_of(user: User) -> QuerySet[RoleGrant]:
    return (
        RoleGrant.objects.filter(user=user)
        .select_related("territory", "practitioner")
        .prefetch_related("practices")
        .order_by("role", "created_at")
    )


def practitioner_of(user: User) -> Practitioner | None:
    """The directory entry the user acts for as a professional, if any."""
    grant = RoleGrant.objects.filter(user=user, role=Role.PROFESSIONAL).select_related("practitioner").first()
    return grant.practitioner if grant else None


def practices_served_by(user: User) -> QuerySet[Practice]:
    """Practices whose inbox the user works: as a secretary of the practice, or as one of its practitioners."""
    as_secretary = RoleGrant.objects.filter(user=user, role=Role.SECRETARY).values("practices")
    as_practitioner = Activity.objects.filter(
        practitioner__role_grants__user=user, practitioner__role_grants__role=Role.PROFESSIONAL
    ).values("practice")
    return Practice.objects.filter(Q(pk__in=as_secretary) | Q(pk__in=as_practitioner)).order_by("name")


def territories_of(user: User, *roles: str) -> QuerySet[Territory]:
    """Territories where the user holds one of ``roles`` (coordination, regulation, observation)."""
    return Territory.objects.filter(role_grants__user=user, role_grants__role__in=roles).distinct()


def _grants_prefetch() -> Prefetch:
    grants = (
        RoleGrant.objects.select_related("territory", "practitioner")
        .prefetch_related(Prefetch("practices", queryset=Practice.objects.order_by("name")))
        .order_by("role", "created_at")
    )
    return Prefetch("role_grants", queryset=grants)


def _accounts_in_scope(user: User) -> QuerySet[User]:
    territories = coordinated_territory_ids(user)
    if not territories:
        return User.objects.none()
    in_territory = RoleGrant.objects.filter(
        Q(territory__in=territories)
        | Q(role=Role.SECRETARY, practices__territory__in=territories)
        | Q(role=Role.PROFESSIONAL, practitioner__territory__in=territories)
    ).values("user")
    # Accounts without any grant were just opened (by an invitation) and wait for a role. Technical
    # administrators are left to the technical admin.
    return User.objects.filter(Q(pk__in=in_territory) | Q(role_grants__isnull=True)).exclude(is_superuser=True)


def accounts_managed_by(user: User, query: str = "") -> QuerySet[User]:
    """Accounts a coordinator manages: a grant in their territories, or no grant yet; searched by name, e-mail."""
    accounts = _accounts_in_scope(user)
    for word in query.split():
        accounts = accounts.filter(
            Q(email__icontains=word) | Q(first_name__icontains=word) | Q(last_name__icontains=word)
        )
    # The filters above join grants: the ids go through a subquery so that each account comes once.
    return (
        User.objects.filter(pk__in=accounts.values("pk"))
        .prefetch_related(_grants_prefetch())
        .order_by("last_name", "first_name", "email")
    )


def account_managed_by(user: User, account_public_id) -> User | None:
    """One account the coordinator manages, with its grants; None when it does not exist or is out of scope."""
    return accounts_managed_by(user).filter(public_id=account_public_id).first()


def practices_grantable_by(user: User) -> QuerySet[Practice]:
    return Practice.objects.filter(territory__in=coordinated_territory_ids(user)).order_by("name")


def practitioners_grantable_by(user: User) -> QuerySet[Practitioner]:
    """Directory entries of the coordinator's territories that no account acts for yet."""
    return Practitioner.objects.filter(territory__in=coordinated_territory_ids(user), user__isnull=True).order_by(
        "last_name", "first_name"
    )


# A grant's scope is picked by searching, never from a list of every practice or entry of the territory.
GRANT_SCOPE_MATCHES = 10


def practices_grantable_matching(user: User, query: str, *, limit: int = GRANT_SCOPE_MATCHES) -> list[Practice]:
    """The first practices of the coordinator's territories whose name (or commune) holds every word typed."""
    words = _WORD.findall(query or "")
    if not words:
        return []
    practices = practices_grantable_by(user).annotate(
        search_name=SearchText(Concat(F("name"), Value(" "), F("city"), output_field=TextField()))
    )
    for word in words:  # each word typed starts a word of the name or the commune
        wanted = SearchText(Value(word))
        spaced = Concat(Value(" "), wanted, output_field=TextField())
        practices = practices.filter(
            Q(search_name__startswith=wanted) | Q(search_name__contains=spaced) | Q(finess=word)
        )
    return list(practices[:limit])


def practitioners_grantable_matching(user: User, query: str, *, limit: int = GRANT_SCOPE_MATCHES) -> list[Practitioner]:
    """The first entries no account acts for yet, of the coordinator's territories, by name or RPPS/ADELI."""
    query = (query or "").strip()
    if not _WORD.findall(query):
        return []
    entries = practitioners_grantable_by(user).select_related("profession")
    compact = "".join(query.split())
    if compact.isdigit() or (len(compact) == 9 and compact[:2].isdigit()):
        return list(entries.filter(Q(rpps=compact) | Q(adeli=compact.upper()))[:limit])
    first_word = SearchText(Value(_WORD.findall(query)[0]))
    entries = (
        entries.annotate(search_last_name=SearchText(F("last_name")), search_first_name=SearchText(F("first_name")))
        .filter(_name_matches(query))
        # The names the query starts before those that are only like it (the trigram match is fuzzy).
        .annotate(exact_rank=Case(When(search_last_name__startswith=first_word, then=Value(0)), default=Value(1)))
        .order_by("exact_rank", "last_name", "first_name", "pk")
    )
    return list(entries[:limit])


@dataclass
class GrantScope:
    """What the grant form shows of the scope of the role chosen: for a secretary, the practices picked and a few
    matches of the search (every practice when the territory has no more than a page of them); for a
    professional, the entry picked and a few matches. Never every practice or entry of a large territory."""

    role: str
    practices_picked: list = field(default_factory=list)
    practice_matches: list = field(default_factory=list)
    practices_listed_all: bool = False
    practitioner_picked: Practitioner | None = None
    practitioner_matches: list = field(default_factory=list)


def grant_scope_for(
    user: User,
    *,
    role: str,
    practice_q: str = "",
    practitioner_q: str = "",
    practices_picked=(),
    practitioner_picked: int | None = None,
) -> GrantScope:
    scope = GrantScope(role=role)
    if role == Role.SECRETARY:
        practices = practices_grantable_by(user)
        picked_ids = set(practices_picked)
        scope.practices_picked = list(practices.filter(pk__in=picked_ids)) if picked_ids else []
        if practice_q.strip():
            matches = practices_grantable_matching(user, practice_q, limit=GRANT_SCOPE_MATCHES + len(picked_ids))
        else:
            first = list(practices[: GRANT_SCOPE_MATCHES + 1])
            scope.practices_listed_all = len(first) <= GRANT_SCOPE_MATCHES
            matches = first if scope.practices_listed_all else []
        scope.practice_matches = [p for p in matches if p.pk not in picked_ids][:GRANT_SCOPE_MATCHES]
    elif role == Role.PROFESSIONAL:
        entries = practitioners_grantable_by(user).select_related("profession")
        if practitioner_picked:
            scope.practitioner_picked = entries.filter(pk=practitioner_picked).first()
        if practitioner_q.strip():
            picked_pk = scope.practitioner_picked.pk if scope.practitioner_picked else None
            matches = practitioners_grantable_matching(user, practitioner_q, limit=GRANT_SCOPE_MATCHES + 1)
            scope.practitioner_matches = [entry for entry in matches if entry.pk != picked_pk][:GRANT_SCOPE_MATCHES]
    return scope


def territories_coordinated_by(user: User) -> QuerySet[Territory]:
    return Territory.objects.filter(pk__in=coordinated_territory_ids(user)).order_by("name")


def role_grant_history(user: User, account: User) -> QuerySet[RoleGrantEvent]:
    """Role changes of ``account`` that the coordinator may read: those of their territories."""
    return RoleGrantEvent.objects.filter(user=account, territory__in=coordinated_territory_ids(user)).order_by(
        "-at", "-id"
    )


# --- Reference data -------------------------------------------------------------------------------------------

_POSTAL_CODE = re.compile(r"^\d{5}$")
_INSEE_CODE = re.compile(r"^(\d{5}|\d[AB]\d{3})$", re.IGNORECASE)  # 2A004: Corsica
_SAINT = re.compile(r"\b(st|ste)\b\.?", re.IGNORECASE)
_WORD = re.compile(r"\w+")
# "La Roche-sur-Yon — 85000 (INSEE 85191)": how a suggested commune reads (``commune_label``); the INSEE code
# at the end names it without ambiguity.
INSEE_IN_LABEL = re.compile(r"INSEE\s*(\d[\dAB]\d{3})", re.IGNORECASE)
# "Laroche", "Lesherbiers": an article typed without its space ("La Roche-sur-Yon", "Les Herbiers").
_JOINED_ARTICLE = re.compile(r"^(les|la|le)(?=[^\W\d_]{3,})", re.IGNORECASE)


def commune_label(commune: Commune) -> str:
    """How a commune reads in a suggestion and in a link to search it: the INSEE code at the end lets the forms
    find it again without ambiguity."""
    postal_code = commune.postal_codes[0] if commune.postal_codes else ""
    return f"{commune.name} — {postal_code} (INSEE {commune.insee_code})".replace(" —  (", " (")


def _expand_saints(query: str) -> str:
    """Expands how commune names are abbreviated: "st gilles" -> "saint gilles", "Ste-Foy" -> "sainte-Foy"."""
    return _SAINT.sub(lambda match: "saint" if match.group(1).lower() == "st" else "sainte", query)


def communes_matching(query: str, limit: int = 10) -> list[Commune]:
    """Communes a place typed by a user may mean, best first; an empty list when nothing fits.

    A postal code gives every commune it serves (there may be more than ``limit``); otherwise an INSEE code, or a
    suggestion's label (``commune_label``, ending with the INSEE code), gives that commune; anything else is a
    name, compared without accents or case: names starting with the query first (an article typed without its
    space counts: "Laroche" starts "La Roche-sur-Yon"), then names with a word starting with it, then near
    spellings (trigrams). Within the first two groups the communes of the portal's territories come first (the
    GP in Vendée typing "La Roche" means La Roche-sur-Yon, not La Rochelle), then each group by population.
    """
    query = (query or "").strip()
    if not query:
        return []
    labelled = INSEE_IN_LABEL.search(query)
    if labelled:
        found = list(Commune.objects.filter(insee_code=labelled.group(1).upper()))
        if found:
            return found
        query = INSEE_IN_LABEL.sub("", query).strip(" ()—-")
    code = query.upper()
    if _POSTAL_CODE.match(code):
        # Five digits are a postal code first (85300 serves Challans; INSEE 85300 is another commune): one query
        # for both, the INSEE commune kept only when no commune has that postal code.
        found = list(
            Commune.objects.filter(Q(postal_codes__contains=[code]) | Q(insee_code=code))
            .annotate(by_postal_code=Case(When(postal_codes__contains=[code], then=Value(0)), default=Value(1)))
            .order_by("by_postal_code", "-population", "name")
        )
        served = [commune for commune in found if code in commune.postal_codes]
        return served or found
    if _INSEE_CODE.match(code):
        return list(Commune.objects.filter(insee_code=code))
    text = _expand_saints(query)
    if not _WORD.search(text):
        return []
    # Both sides go through the same SQL normalisation, so the index on SearchText(name) serves the filters.
    name = SearchText(F("name"))
    wanted = SearchText(Value(text))
    starts = Q(search_name__startswith=wanted)
    spaced = _JOINED_ARTICLE.sub(lambda match: match.group(1) + " ", text.lstrip(), count=1)
    if spaced != text.lstrip():
        starts |= Q(search_name__startswith=SearchText(Value(spaced)))
    in_territory = Exists(Territory.communes.through.objects.filter(commune_id=OuterRef("pk")))
    communes = Commune.objects.annotate(search_name=name).filter(
        starts
        | Q(search_name__contains=Concat(Value(" "), wanted, output_field=TextField()))
        | TrigramWordSimilar(name, wanted)
    )
    communes = communes.annotate(
        rank=Case(
            When(search_name=wanted, then=Value(0)),
            When(starts, then=Value(1)),
            When(search_name__contains=Concat(Value(" "), wanted, output_field=TextField()), then=Value(2)),
            default=Value(3),
            output_field=IntegerField(),
        ),
        similarity=TrigramWordSimilarity(wanted, name),
        outside_territories=Case(When(in_territory, then=Value(0)), default=Value(1), output_field=IntegerField()),
    ).annotate(
        # Exactly the name typed first; then what starts with it or has a word starting with it; then the rest.
        group=Case(
            When(rank=0, then=Value(0)), When(rank__lte=2, then=Value(1)), default=Value(2), output_field=IntegerField()
        ),
    )
    return list(communes.order_by("group", "outside_territories", "rank", "-similarity", "-population", "name")[:limit])


def communes_within(*, insee_code: str, radius_km: float) -> QuerySet[Commune]:
    """Communes whose town hall lies within ``radius_km`` of that of ``insee_code`` (earthdistance, in SQL)."""
    center = Commune.objects.filter(insee_code=insee_code, latitude__isnull=False).first()
    if center is None:
        return Commune.objects.none()
    distance = Func(
        Func(Value(center.latitude), Value(center.longitude), function="ll_to_earth"),
        Func(F("latitude"), F("longitude"), function="ll_to_earth"),
        function="earth_distance",
        output_field=FloatField(),
    )
    return (
        Commune.objects.filter(latitude__isnull=False)
        .annotate(distance_m=distance)
        .filter(distance_m__lte=radius_km * 1000)
        .order_by("distance_m")
    )


def _matching_label_or_synonym(model: type[Model], query: str) -> QuerySet:
    """Rows of ``model`` (label + synonyms) where every word of the query starts a word, accents and case aside."""
    words = _WORD.findall(query or "")
    if not words:
        return model.objects.none()
    # " cardiologie et maladies vasculaires cardio cardiologue coeur": one normalised text per row.
    synonyms = Func(F("synonyms"), Value(" "), function="array_to_string", output_field=TextField())
    haystack = Concat(
        Value(" "),
        SearchText(Concat(F("label"), Value(" "), synonyms, output_field=TextField())),
        output_field=TextField(),
    )
    rows = model.objects.annotate(haystack=haystack)
    for word in words:
        rows = rows.filter(haystack__contains=Concat(Value(" "), SearchText(Value(word)), output_field=TextField()))
    return rows.order_by("label")


def specialties_matching(query: str) -> list[Specialty]:
    """Specialties whose label or a synonym the query names: "cardio", "Cardiologie", "gyneco", "ORL"."""
    return list(_matching_label_or_synonym(Specialty, query))


def professions_matching(query: str) -> list[Profession]:
    """Professions whose label or a synonym the query names: "kiné", "infirmière", "dentiste"."""
    return list(_matching_label_or_synonym(Profession, query))


def specialties_and_professions_matching(query: str) -> tuple[list[Specialty], list[Profession]]:
    """Both of the above in one query (a UNION), for the search page whose query count is budgeted."""
    found = _specialty_and_profession_rows(query)
    return found["specialty"], found["profession"]


def _specialty_and_profession_rows(query: str, *, code: str = "") -> dict[str, list]:
    """What ``specialties_and_professions_matching`` finds for ``query`` and, with ``code``, the specialty whose
    code it is (case aside) and the profession whose code it is: one UNION, one query, whatever is asked.

    Returns lists under "specialty" and "profession" (label matches) and, with ``code``, "specialty_code" and
    "profession_code" (the row of that code, if any); every row only has its pk, code and label."""
    columns = ("pk", "code", "label", "table")
    parts = [
        _matching_label_or_synonym(Specialty, query).annotate(table=Value("specialty")).values(*columns),
        _matching_label_or_synonym(Profession, query).annotate(table=Value("profession")).values(*columns),
    ]
    if code:
        parts += [
            Specialty.objects.filter(code__iexact=code).annotate(table=Value("specialty_code")).values(*columns),
            Profession.objects.filter(code=code).annotate(table=Value("profession_code")).values(*columns),
        ]
    first, *others = [part.order_by() for part in parts]
    found: dict[str, list] = {"specialty": [], "profession": [], "specialty_code": [], "profession_code": []}
    for row in first.union(*others, all=True).order_by("label", "code"):
        model = Specialty if row["table"].startswith("specialty") else Profession
        found[row["table"]].append(model(pk=row["pk"], code=row["code"], label=row["label"]))
    return found


# --- Entries --------------------------------------------------------------------------------------------------

# Who sees the channels meant for whom. A channel says who it is *for*; a wider audience never sees a narrower
# audience's line, while a narrower one sees what is meant for the wider ones:
# - the public sees the public channels only (never a professional line, a regulators' line or an MSSanté box
#   meant for colleagues);
# - health professionals see the public channels and those for professionals;
# - pharmacists and labs are health professionals with their own lines (a pharmacy's line for prescription
#   questions, a lab's line for urgent results): they see those, plus everything professionals see;
# - regulators (SAS / 15) must reach anyone at once: they see every channel.
VISIBLE_AUDIENCES: dict[str, tuple[str, ...]] = {
    Audience.PUBLIC: (Audience.PUBLIC,),
    Audience.PROFESSIONALS: (Audience.PROFESSIONALS, Audience.PUBLIC),
    Audience.PHARMACISTS_AND_LABS: (Audience.PHARMACISTS_AND_LABS, Audience.PROFESSIONALS, Audience.PUBLIC),
    Audience.REGULATORS: (
        Audience.REGULATORS,
        Audience.PHARMACISTS_AND_LABS,
        Audience.PROFESSIONALS,
        Audience.PUBLIC,
    ),
}


def channels_for_audience(practitioner: Practitioner, audience: str) -> list[ContactChannel]:
    """The channels ``audience`` may use to reach ``practitioner``, the one to use first at the top.

    Visible audiences: see ``VISIBLE_AUDIENCES`` (the public sees public channels only; professionals see public
    and professional ones; pharmacists and labs see those and their own; regulators see all). The channels are
    the practitioner's own (with or without a practice) and those of the practices where they work (a practice's
    secretary line serves all of its practitioners).

    Order: preferred first; then the channels meant for this very audience before those meant for wider ones
    (the regulators' line before the public phone); then the practitioner's own before their practices'; then
    by kind (in the order ``ContactChannel.Kind`` declares them) and age. An unknown audience sees what the
    public sees.
    """
    visible = VISIBLE_AUDIENCES.get(audience, VISIBLE_AUDIENCES[Audience.PUBLIC])
    at_practices = Activity.objects.filter(practitioner=practitioner).values("practice")
    channels = (
        ContactChannel.objects.filter(audience__in=visible)
        .filter(Q(practitioner=practitioner) | Q(practitioner__isnull=True, practice__in=at_practices))
        .select_related("practice")
        .annotate(**channel_order(visible))
        .order_by("-preferred", "audience_rank", "owner_rank", "kind_rank", "id")
    )
    return list(channels)


# --- Search ---------------------------------------------------------------------------------------------------

DEFAULT_RADIUS_KM = 30
# Beyond this many matches a search is counted as "more than 1,000" and paged no further: nobody reads on, and
# the count stays cheap on a national directory.
SEARCH_COUNT_CAP = 1000
MIN_RADIUS_KM = 1
MAX_RADIUS_KM = 200
_HONORIFICS = frozenset({"dr", "docteur", "pr", "professeur", "mme", "m"})


@dataclass
class SearchResults:
    """What a search found, and what it understood of the query (to say so on the page)."""

    audience: str
    radius_km: float
    practitioners: list[Practitioner] = field(default_factory=list)
    specialties: list[Specialty] = field(default_factory=list)
    professions: list[Profession] = field(default_factory=list)
    commune: Commune | None = None
    # What else the place typed may mean, best first: the page offers them ("pas celle-ci ?").
    other_communes: list[Commune] = field(default_factory=list)
    unknown_place: bool = False
    # Paging: the rows shown start at ``offset``; ``total`` counts every match.
    offset: int = 0
    limit: int = 50
    total: int = 0  # up to SEARCH_COUNT_CAP + 1

    @property
    def total_is_capped(self) -> bool:
        """More matches than ``SEARCH_COUNT_CAP``: the page says "more than …" and asks to narrow the search."""
        return self.total > SEARCH_COUNT_CAP

    @property
    def shown_total(self) -> int:
        return min(self.total, SEARCH_COUNT_CAP)

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.practitioners) < self.shown_total

    @property
    def page_number(self) -> int:
        return self.offset // self.limit + 1 if self.limit else 1

    @property
    def page_count(self) -> int:
        return max(1, -(-self.shown_total // self.limit)) if self.limit else 1


# Professions whose members use the pharmacists' and labs' lines: pharmacists (21); the labs' biologists are
# pharmacists or physicians with a biology savoir-faire, and reach the pharmacists' lines through the former.
PHARMACY_AND_LAB_PROFESSIONS = frozenset({"21"})


def audience_of(user: User) -> str:
    """The audience whose channels a signed-in person uses first: regulators see every line, pharmacists their
    own lines besides the professional ones, the CPTS's professionals (and their secretaries and coordinators)
    the professional ones, anybody else the public ones.

    A second factor is the price of every role-restricted line: someone whose roles require it and who has not
    enrolled one (a session or an API token alike) sees what the public sees until they do."""
    if mfa_required_but_missing(user):
        return Audience.PUBLIC
    if has_role(user, Role.REGULATOR):
        return Audience.REGULATORS
    if has_role(user, Role.PROFESSIONAL):
        pharmacist = RoleGrant.objects.filter(
            user=user, role=Role.PROFESSIONAL, practitioner__profession__code__in=PHARMACY_AND_LAB_PROFESSIONS
        ).exists()
        return Audience.PHARMACISTS_AND_LABS if pharmacist else Audience.PROFESSIONALS
    if has_role(user, Role.SECRETARY, Role.COORDINATOR):
        return Audience.PROFESSIONALS
    return Audience.PUBLIC


def _earth_distance_m(latitude: float, longitude: float, *, prefix: str = "") -> Func:
    """Metres from a point to a practice, placed at its commune's town hall when it has no position."""
    return Func(
        LlToEarth(Value(latitude), Value(longitude)),
        LlToEarth(
            Coalesce(F(f"{prefix}latitude"), F(f"{prefix}commune__latitude")),
            Coalesce(F(f"{prefix}longitude"), F(f"{prefix}commune__longitude")),
        ),
        function="earth_distance",
        output_field=FloatField(),
    )


def _practices_near(centre: Commune, radius_km: float) -> QuerySet:
    """Ids of the practices within ``radius_km`` of the commune's town hall, found through the GiST indexes.

    ``earth_box`` is a cube around the centre that the indexes on ``ll_to_earth`` answer; it holds a little more
    than the circle, so ``earth_distance`` then keeps what is really within the radius.
    """
    radius_m = radius_km * 1000
    box = Func(LlToEarth(Value(centre.latitude), Value(centre.longitude)), Value(radius_m), function="earth_box")
    communes_in_box = Commune.objects.filter(DataContains(box, LlToEarth(F("latitude"), F("longitude")))).values(
        "insee_code"
    )
    # Two queries joined by UNION rather than one with OR: an OR between the box and "no position" keeps
    # PostgreSQL from using the GiST index, and it reads every practice instead.
    centre_point = LlToEarth(Value(centre.latitude), Value(centre.longitude))
    positioned = Practice.objects.filter(DataContains(box, LlToEarth(F("latitude"), F("longitude")))).annotate(
        distance_m=Func(
            centre_point, LlToEarth(F("latitude"), F("longitude")), function="earth_distance", output_field=FloatField()
        )
    )
    at_town_hall = Practice.objects.filter(latitude__isnull=True, commune__in=communes_in_box).annotate(
        distance_m=_earth_distance_m(centre.latitude, centre.longitude)
    )
    return (
        positioned.filter(distance_m__lte=radius_m)
        .order_by()
        .values_list("pk", flat=True)
        .union(at_town_hall.filter(distance_m__lte=radius_m).order_by().values_list("pk", flat=True), all=True)
    )


def _name_matches(query: str) -> Q:
    """Every word of the query starts a word of the first or last name, or is near a word of the last name."""
    condition = Q()
    words = [word for word in _WORD.findall(query) if word.lower() not in _HONORIFICS] or _WORD.findall(query)
    for word in words:
        wanted = SearchText(Value(word))
        spaced = Concat(Value(" "), wanted, output_field=TextField())
        condition &= (
            Q(search_last_name__startswith=wanted)
            | Q(search_last_name__contains=spaced)
            | Q(search_first_name__startswith=wanted)
            | Q(search_first_name__contains=spaced)
            # The indexed name on the left (``name %> word``: the word is like a word of the name), so that the
            # trigram index answers; the other way round is a scan of every row.
            | Q(TrigramWordSimilar(SearchText(F("last_name")), wanted))
        )
    return condition


def _specialties_named(specialty: str) -> tuple[list[Specialty], list[Profession]]:
    """A code of the nomenclature (a savoir-faire "SM04" or a profession "60") names exactly one; a text, those
    whose label or a synonym it names. One query for the three readings."""
    found = _specialty_and_profession_rows(specialty, code=specialty)
    if found["specialty_code"]:
        return found["specialty_code"][:1], []
    if found["profession_code"]:
        return [], found["profession_code"][:1]
    return found["specialty"], found["profession"]


def _practising(specialties: list[Specialty], professions: list[Profession]) -> Q:
    """Practitioners with one of the specialties, or of one of the professions (by their profession, or by a
    specialty of that profession for entries whose profession is not filled in)."""
    profession_ids = [profession.pk for profession in professions]
    # The specialty ids straight on the link table (no join to the specialties unless a profession asks for
    # it): a join fewer leaves the planner free to start from the circle of a search near a place.
    with_specialty = Q(specialty__in=[specialty.pk for specialty in specialties])
    if profession_ids:
        with_specialty |= Q(specialty__profession__in=profession_ids)
    condition = Q(pk__in=Practitioner.specialties.through.objects.filter(with_specialty).values("practitioner"))
    if profession_ids:
        condition |= Q(profession__in=profession_ids)
    return condition


def _week_left(today: date) -> tuple[date, date]:
    """Today to Sunday: "available this week" means not away on any day left of the week."""
    return today, today + timedelta(days=6 - today.weekday())


def practitioners_search(
    *,
    viewer: User,
    q: str = "",
    specialty: str = "",
    place: str = "",
    radius_km: float | None = None,
    language: str = "",
    tool: str = "",
    accepting_new_patients: bool | None = None,
    teleexpertise: bool | None = None,
    available_this_week: bool = False,
    sort: str = "",
    limit: int = 50,
    offset: int = 0,
) -> SearchResults:
    """Practitioners the query names, nearest first when a place is given, each with the channel to use first.

    ``q`` is a specialty or a profession (label or synonym: "cardio", "kiné") or else a name (accents, case and
    small typos aside). ``specialty`` (a code of the nomenclature, "SM04" or "10", or a text) names the specialty
    on its own; ``q`` is then a name. ``place`` is a commune name or postal code; the first commune
    ``communes_matching`` gives is the centre, and the results are the practitioners with a practice within
    ``radius_km`` (default 30), annotated ``distance_km`` (to their nearest practice, in SQL) and sorted by
    distance then name. Raises
    ``ApplicationError`` (field ``radius_km``) for a radius under 1 or over 200 km.

    ``sort="response"`` puts first the practitioners with the shortest measured median time to a first response
    (``ResponseStatistic``, shown from ``MIN_REQUESTS_FOR_RESPONSE_FIGURES`` requests on; the others come last),
    then by distance or name as above; any other value than ``SEARCH_SORTS`` raises ``ApplicationError``
    (field ``sort``).

    The queries do not depend on the number of results: specialties, nearest practice with its commune and
    the viewer's first channel are fetched for all results at once.
    """
    radius_km = DEFAULT_RADIUS_KM if radius_km is None else radius_km
    if sort not in SEARCH_SORTS:
        raise ApplicationError(_("Tri inconnu : « %(sort)s ».") % {"sort": sort}, field="sort")
    if offset < 0 or limit < 1:
        raise ApplicationError(_("Page de résultats inexistante."), field="page")
    if not MIN_RADIUS_KM <= radius_km <= MAX_RADIUS_KM:
        raise ApplicationError(
            _("Le rayon doit être compris entre %(min)s et %(max)s km.") % {"min": MIN_RADIUS_KM, "max": MAX_RADIUS_KM},
            field="radius_km",
        )
    q, place = (q or "").strip(), (place or "").strip()
    results = SearchResults(audience=audience_of(viewer), radius_km=radius_km, offset=offset, limit=limit)
    practitioners = Practitioner.objects.all()

    specialty = (specialty or "").strip()
    if specialty:
        specialties, professions = _specialties_named(specialty)
        if not (specialties or professions):
            raise ApplicationError(
                _("Aucune spécialité ne correspond à « %(specialty)s ».") % {"specialty": specialty}, field="specialty"
            )
        results.specialties, results.professions = specialties, professions
        practitioners = practitioners.filter(_practising(specialties, professions))
    if q and specialty:
        practitioners = practitioners.annotate(
            search_last_name=SearchText(F("last_name")), search_first_name=SearchText(F("first_name"))
        ).filter(_name_matches(q))
    elif q:
        specialties, professions = specialties_and_professions_matching(q)
        if specialties or professions:
            results.specialties = specialties
            results.professions = professions
            practitioners = practitioners.filter(_practising(specialties, professions))
        else:
            practitioners = practitioners.annotate(
                search_last_name=SearchText(F("last_name")), search_first_name=SearchText(F("first_name"))
            ).filter(_name_matches(q))
    if language:
        practitioners = practitioners.filter(languages__contains=[language])
    if tool:
        practitioners = practitioners.filter(
            pk__in=PractitionerTool.objects.filter(tool__slug=tool).values("practitioner")
        )
    if accepting_new_patients is not None:
        practitioners = practitioners.filter(accepting_new_patients=accepting_new_patients)
    if teleexpertise is not None:
        practitioners = practitioners.filter(answers_teleexpertise=teleexpertise)
    if available_this_week:
        first_day, last_day = _week_left(timezone.localdate())
        practitioners = practitioners.exclude(
            pk__in=Absence.objects.filter(starts_on__lte=last_day, ends_on__gte=first_day).values("practitioner")
        )

    activities = Activity.objects.select_related("practice__commune")
    if place:
        placed = [commune for commune in communes_matching(place, limit=6) if commune.latitude is not None]
        centre = placed[0] if placed else None
        results.commune, results.other_communes = centre, placed[1:]
        if centre is None:
            results.unknown_place = True
            return results
        # The practices in the circle (GiST indexes) as a subquery of the page's query: their ids never travel
        # to Python and back. The page's activities are then those of its practitioners within the radius.
        near = _practices_near(centre, radius_km)
        counted = practitioners.filter(pk__in=Activity.objects.filter(practice__in=near).values("practitioner"))
        practitioners = (
            practitioners.filter(activities__practice__in=near)
            .annotate(
                distance_m=Min(_earth_distance_m(centre.latitude, centre.longitude, prefix="activities__practice__"))
            )
            .order_by(*_response_first(sort), "distance_m", "last_name", "first_name", "pk")
        )
        activities = (
            activities.annotate(distance_m=_earth_distance_m(centre.latitude, centre.longitude, prefix="practice__"))
            .filter(distance_m__lte=radius_km * 1000)
            .order_by("distance_m", "practice__name")
        )
    else:
        counted = practitioners.order_by("last_name", "first_name", "pk")
        practitioners = practitioners.order_by(*_response_first(sort), "last_name", "first_name", "pk")
        activities = activities.order_by("practice__name")

    # The total comes with the page (COUNT(*) OVER ()): the order needs every match computed anyway, so a
    # separate COUNT would do the work twice. Only a page past the end asks for it on its own.
    found = list(
        practitioners.select_related("profession", "response_statistic")
        .annotate(matches=Window(Count("pk")))
        .prefetch_related(
            Prefetch("specialties", queryset=Specialty.objects.order_by("label")),
            Prefetch("activities", queryset=activities, to_attr="nearby_activities"),
        )[offset : min(offset + limit, SEARCH_COUNT_CAP)]
    )
    if found:
        results.total = found[0].matches
    else:
        results.total = counted.order_by()[: SEARCH_COUNT_CAP + 1].count() if offset else 0
    first_channels = _first_channels(found, results.audience)  # from the activities just prefetched
    for practitioner in found:
        distance_m = getattr(practitioner, "distance_m", None)
        practitioner.distance_km = None if distance_m is None else distance_m / 1000
        practitioner.nearest_practice = (
            practitioner.nearby_activities[0].practice if practitioner.nearby_activities else None
        )
        practitioner.first_channel = first_channels.get(practitioner.pk)
    # Who answers on the portal and the next absence, for the professionals (one query). Imported here: the
    # module reads ``entries``, which imports this package.
    from directory.selectors.portal_use import portal_use_annotate

    portal_use_annotate(found, audience=results.audience)
    results.practitioners = found
    return results


def channel_order(visible: tuple[str, ...]) -> dict:
    """The ranks ``channels_for_audience`` orders by (see its docstring)."""
    return {
        "audience_rank": Case(
            *(When(audience=value, then=Value(rank)) for rank, value in enumerate(visible)),
            output_field=IntegerField(),
        ),
        "owner_rank": Case(When(practitioner__isnull=False, then=Value(0)), default=Value(1)),
        "kind_rank": Case(
            *(When(kind=value, then=Value(rank)) for rank, value in enumerate(ContactChannel.Kind.values)),
            output_field=IntegerField(),
        ),
    }


def _first_channels(practitioners: list[Practitioner], audience: str) -> dict[int, ContactChannel]:
    """The first channel ``audience`` should use for each practitioner, in one query (the order of
    ``channels_for_audience``): their own channels and those of the practices found for them (their
    ``nearby_activities``: near the place searched, or all of them without a place)."""
    if not practitioners:
        return {}
    visible = VISIBLE_AUDIENCES.get(audience, VISIBLE_AUDIENCES[Audience.PUBLIC])
    ids = [practitioner.pk for practitioner in practitioners]
    practitioners_at: dict[int, list[int]] = {}
    for practitioner in practitioners:
        for activity in practitioner.nearby_activities:
            practitioners_at.setdefault(activity.practice_id, []).append(practitioner.pk)
    channels = (
        ContactChannel.objects.filter(audience__in=visible)
        .filter(Q(practitioner__in=ids) | Q(practitioner__isnull=True, practice__in=list(practitioners_at)))
        .annotate(**channel_order(visible))
        .order_by("-preferred", "audience_rank", "owner_rank", "kind_rank", "id")
    )
    first: dict[int, ContactChannel] = {}
    for channel in channels:
        owners = [channel.practitioner_id] if channel.practitioner_id else practitioners_at.get(channel.practice_id, [])
        for owner in owners:
            first.setdefault(owner, channel)
    return first


DIGITAL_TOOL_CHOICES_CACHE_KEY = "directory:digital-tool-choices"


def digital_tool_choices() -> list[tuple[str, str]]:
    """The tools of the catalogue, as (slug, name) for a filter. Cached for a few minutes: every search page
    shows the filter, and the catalogue changes a few times a year."""
    choices = cache.get(DIGITAL_TOOL_CHOICES_CACHE_KEY)
    if choices is None:
        choices = list(DigitalTool.objects.order_by("name").values_list("slug", "name"))
        cache.set(DIGITAL_TOOL_CHOICES_CACHE_KEY, choices, timeout=300)
    return choices


TERRITORY_COMMUNE_POSITIONS_CACHE_KEY = "directory:territory-commune-positions"


def territory_commune_positions() -> list[tuple[float, float]]:
    """(latitude, longitude) of the town halls of the portal's territories' communes: the faint background of
    the results map. Cached for ten minutes like the tools of the filter: every search page draws it, and a
    territory's communes change a few times a year."""
    positions = cache.get(TERRITORY_COMMUNE_POSITIONS_CACHE_KEY)
    if positions is None:
        positions = [
            (latitude, longitude)
            for latitude, longitude in Commune.objects.filter(territories__isnull=False, latitude__isnull=False)
            .order_by("insee_code")
            .distinct()
            .values_list("latitude", "longitude")
        ]
        cache.set(TERRITORY_COMMUNE_POSITIONS_CACHE_KEY, positions, timeout=600)
    return positions


def account_grants_for(user: User, account: User) -> tuple[list[RoleGrant], int]:
    """The grants of ``account`` the coordinator manages, and how many others it holds elsewhere."""
    grants = list(account.role_grants.all())
    managed = [grant for grant in grants if can_manage_grant(user, grant)]
    return managed, len(grants) - len(managed)


# --- Response statistics --------------------------------------------------------------------------------------

# Measured figures (``ResponseStatistic``, written nightly) are shown, and sorted by, from this many requests on:
# below, a median says more about chance than about the practitioner.
MIN_REQUESTS_FOR_RESPONSE_FIGURES = 5
# The orders of the search: "" (nearest, or by name) and "response" (shortest measured first response first).
SEARCH_SORTS = ("", "response")


def _response_first(sort: str) -> list:
    """The leading ``order_by`` terms of a search sorted by measured response: the median first response of
    those measured on enough requests, everyone else after them."""
    if sort != "response":
        return []
    shown = Case(
        When(
            response_statistic__requests__gte=MIN_REQUESTS_FOR_RESPONSE_FIGURES,
            then=F("response_statistic__median_first_response"),
        ),
        default=None,
        output_field=DurationField(),
    )
    return [shown.asc(nulls_last=True)]

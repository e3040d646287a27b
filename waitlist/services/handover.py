"""A departing GP's patients handed over month by month (``HandoverPlan``):

1. the coordination creates the plan: the departing practitioner (of a territory of a list they coordinate), the
   departure date, the first month and how many months;
2. the practice (or the coordination) uploads the patients in a CSV (``handover_import``): each valid line is
   signed up as a waiting entry of the plan, with the consent recorded as the practice's statement (the text
   shown on the upload page, ``given_by="handover"``, ``recorded_by`` the uploader); each rejected line is
   reported with its number and a French reason, and does not stop the others;
3. the patients are spread over the months (``handover_allocations_spread``) against the open pledges of the
   list — the summer rule: July and August count half a month each (``MONTH_WEIGHTS``), so they get about half
   the patients of another month; each pledge gets a share of a month in proportion to its places still free,
   and never more than those; the coordination may then change every number (``handover_allocations_save``);
4. a month's allocations become proposals to the receiving pledges (``handover_month_propose``): the plan's
   waiting entries, highest level first, then the oldest, one pending proposal per entry (the database's
   partial unique index), a household only to a pledge that welcomes families.
"""

import csv
import datetime
import io
import math
import re
import unicodedata
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.services import access_log_record
from core.errors import ApplicationError
from directory.contact_values import french_phone_e164
from directory.models import Activity, Commune, Practitioner
from waitlist.models import (
    MAX_HOUSEHOLD_SIZE,
    MAX_PLEDGE_CAPACITY,
    MAX_PLEDGE_MONTHS,
    MAX_TRAVEL_KM,
    PROPOSAL_TIMEOUT_DAYS,
    ConsentRecord,
    Entry,
    EntryEvent,
    HandoverAllocation,
    HandoverPlan,
    HandoverProposal,
    HouseholdMember,
    Pledge,
    Proposal,
    Sex,
    SignupSource,
    Situation,
    WaitingListTerritory,
)
from waitlist.priority import PersonFacts, priority_of
from waitlist.scope import waitlist_actor_for
from waitlist.selectors.coordination import (
    ENTRY_SUBJECT,
    TAKEN_PROPOSALS,
    handover_plans_uploadable_by,
    plan_months,
    pledge_runs_in,
    receiving_pledges,
)
from waitlist.services.common import entry_event_record, rules_of
from waitlist.services.duplicates import entry_duplicates_flag
from waitlist.services.signup import entry_welcome_send

# The summer rule: how much of a full month each calendar month takes (July and August: half).
MONTH_WEIGHTS = {7: 0.5, 8: 0.5}
HANDOVER_CONSENT_VERSION = "reprise-1"
# The follow link sent to each imported patient: it says their GP's practice signed them up.
HANDOVER_WELCOME_TEMPLATE = "waitlist_handover_welcome"
HANDOVER_CONSENT_TEXT = gettext_lazy(
    "Votre médecin traitant cesse son activité. Avec votre accord, son cabinet transmet à la CPTS votre nom, "
    "vos prénoms, votre date de naissance, votre sexe, votre commune, votre téléphone ou votre adresse e-mail et, "
    "sans aucun diagnostic, si vous êtes en affection de longue durée, enceinte, en situation de handicap, "
    "bénéficiaire de la CSS ou de l'AME ou sous traitement à renouveler, pour vous inscrire sur la liste des "
    "patients sans médecin traitant et vous proposer un nouveau médecin. Ces données servent à cela seulement ; "
    "vous pouvez à tout moment les consulter, les corriger, vous retirer de la liste ou les faire effacer avec le "
    "lien qui vous sera envoyé."
)
MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_IMPORT_LINES = 5000
DEFAULT_MAX_DISTANCE_KM = 20

# The columns a file may have, each with the names a practice's software may give it (compared without accents,
# case or punctuation).
COLUMNS = {
    "family_name": ("family_name", "nom", "nom_de_famille", "nom_naissance", "nom_de_naissance"),
    "given_names": ("given_names", "prenom", "prenoms"),
    "birth_date": ("birth_date", "date_naissance", "date_de_naissance", "naissance", "ddn"),
    "sex": ("sex", "sexe"),
    "commune": ("commune", "commune_insee", "code_insee", "insee"),
    "postal_code": ("postal_code", "code_postal", "cp"),
    "commune_name": ("commune_name", "nom_commune", "ville"),
    "phone": ("phone", "telephone", "tel", "portable", "mobile"),
    "email": ("email", "e_mail", "courriel", "mail"),
    "ald": ("ald",),
    "pregnancy": ("pregnancy", "grossesse"),
    "disability": ("disability", "handicap"),
    "precarity": ("precarity", "precarite", "css_ame", "css", "ame"),
    "treatment_renewal": ("treatment_renewal", "traitement", "traitement_a_renouveler"),
    "household": ("household", "foyer", "famille"),
    "max_distance_km": ("max_distance_km", "distance_max_km", "distance_km"),
}
REQUIRED_COLUMNS = ("family_name", "given_names", "birth_date", "sex")
FACTS = ("ald", "pregnancy", "disability", "precarity", "treatment_renewal")
TRUE_WORDS = {"1", "oui", "o", "yes", "y", "true", "vrai", "x"}
FALSE_WORDS = {"", "0", "non", "n", "no", "false", "faux"}
SEX_WORDS = {"f": Sex.FEMALE, "femme": Sex.FEMALE, "m": Sex.MALE, "h": Sex.MALE, "homme": Sex.MALE, "x": Sex.OTHER}
_INSEE = re.compile(r"^(\d{5}|2[AB]\d{3})$", re.IGNORECASE)
_POSTAL = re.compile(r"^\d{5}$")


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().lower()
    return " ".join(re.findall(r"[a-z0-9]+", text))


def _not_found() -> ApplicationError:
    return ApplicationError(
        _("Ce plan de reprise n'existe pas ou ne relève pas de votre coordination."), code="not_found"
    )


def _plan_checked(acting_user: User, plan: HandoverPlan) -> None:
    if plan.waiting_list_id not in waitlist_actor_for(acting_user).coordinated_list_ids:
        raise _not_found()


# --- The plan ---------------------------------------------------------------------------------------------------


@transaction.atomic
def handover_plan_create(
    *,
    acting_user: User,
    practitioner: Practitioner,
    departure_on: datetime.date,
    first_month: datetime.date,
    months: int,
    notes: str = "",
) -> HandoverPlan:
    """A plan for a practitioner of a territory whose list the user coordinates."""
    membership = WaitingListTerritory.objects.filter(territory_id=practitioner.territory_id).first()
    if membership is None or membership.waiting_list_id not in waitlist_actor_for(acting_user).coordinated_list_ids:
        raise ApplicationError(
            _("Ce médecin n'exerce pas dans un territoire dont vous coordonnez la liste d'attente."),
            field="practitioner",
        )
    if not 1 <= int(months) <= MAX_PLEDGE_MONTHS:
        raise ApplicationError(_("Un plan s'étale sur 1 à %(max)d mois.") % {"max": MAX_PLEDGE_MONTHS}, field="months")
    first_month = first_month.replace(day=1)
    today = timezone.localdate()
    if first_month < today.replace(day=1):
        raise ApplicationError(_("Le premier mois ne peut pas être déjà passé."), field="first_month")
    if abs((departure_on - today).days) > 3 * 366:
        raise ApplicationError(_("Vérifiez la date de départ : elle est à plus de trois ans."), field="departure_on")
    plan = HandoverPlan.objects.create(
        waiting_list_id=membership.waiting_list_id,
        departing_practitioner=practitioner,
        departure_on=departure_on,
        first_month=first_month,
        months=int(months),
        notes=(notes or "").strip()[:2000],
        created_by=acting_user,
    )
    return plan


# --- The CSV import ---------------------------------------------------------------------------------------------


@dataclass
class RejectedLine:
    line: int
    reason: str


@dataclass
class ImportReport:
    entries: int = 0  # households signed up
    people: int = 0
    rejected: list[RejectedLine] = field(default_factory=list)


@dataclass
class _Person:
    line: int
    family_name: str
    given_names: str
    birth_date: datetime.date
    sex: str
    commune: Commune | None
    phone: str
    email: str
    facts: dict
    household: str
    max_distance_km: int | None


def _decoded(content: bytes) -> str:
    if len(content) > MAX_IMPORT_BYTES:
        raise ApplicationError(
            _("Le fichier dépasse %(max)d Mo : découpez-le en plusieurs envois.") % {"max": MAX_IMPORT_BYTES // 2**20},
            field="file",
        )
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApplicationError(
            _("Le fichier n'est pas en UTF-8 : enregistrez-le en « CSV UTF-8 » depuis votre tableur."), field="file"
        ) from None


def _header_map(header: list[str]) -> dict[str, int]:
    by_alias = {alias: key for key, aliases in COLUMNS.items() for alias in aliases}
    found: dict[str, int] = {}
    for index, name in enumerate(header):
        key = by_alias.get(_plain(name).replace(" ", "_"))
        if key and key not in found:
            found[key] = index
    missing = [key for key in REQUIRED_COLUMNS if key not in found]
    if missing:
        raise ApplicationError(
            _("Colonnes manquantes dans la première ligne : %(columns)s.") % {"columns": ", ".join(missing)},
            field="file",
        )
    if "commune" not in found and "postal_code" not in found:
        raise ApplicationError(
            _("Il faut une colonne « commune » (code INSEE) ou « postal_code » avec « commune_name »."), field="file"
        )
    return found


def _date(value: str) -> datetime.date:
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise ValueError


class _Communes:
    """Looks up the communes of a file with as few queries as it has distinct codes or postal codes."""

    def __init__(self, rows: list[dict]):
        codes = {row.get("commune", "").upper() for row in rows if _INSEE.match(row.get("commune", ""))}
        self.by_insee = {c.insee_code: c for c in Commune.objects.filter(insee_code__in=sorted(codes))}
        self.by_postal: dict[str, list[Commune]] = {}

    def _postal(self, code: str) -> list[Commune]:
        if code not in self.by_postal:
            self.by_postal[code] = list(Commune.objects.filter(postal_codes__contains=[code]))
        return self.by_postal[code]

    def find(self, insee: str, postal_code: str, name: str) -> Commune | None:
        """Raises ValueError with the French reason when what was typed names no commune, or several."""
        insee, postal_code, name = insee.strip(), postal_code.strip(), name.strip()
        if insee and _INSEE.match(insee):
            commune = self.by_insee.get(insee.upper())
            if commune is None and not postal_code:
                raise ValueError(_("code INSEE inconnu : « %(code)s »") % {"code": insee})
            if commune is not None:
                return commune
        if insee and not name:
            name = insee  # a name typed in the commune column
        if not postal_code:
            if name:
                raise ValueError(_("commune « %(name)s » sans code postal ni code INSEE") % {"name": name})
            return None
        if not _POSTAL.match(postal_code):
            raise ValueError(_("code postal illisible : « %(code)s »") % {"code": postal_code})
        served = self._postal(postal_code)
        if not served:
            raise ValueError(_("code postal inconnu : « %(code)s »") % {"code": postal_code})
        if name:
            named = [c for c in served if _plain(c.name) == _plain(name)]
            if len(named) == 1:
                return named[0]
            raise ValueError(
                _("aucune commune « %(name)s » au code postal %(code)s") % {"name": name, "code": postal_code}
            )
        if len(served) == 1:
            return served[0]
        raise ValueError(
            _("le code postal %(code)s dessert plusieurs communes : indiquez son nom ou le code INSEE")
            % {"code": postal_code}
        )


def _person(line: int, row: dict, communes: _Communes, today: datetime.date) -> _Person:
    """One line read, or ValueError with the French reason."""
    family_name = " ".join(row.get("family_name", "").split())
    given_names = " ".join(row.get("given_names", "").split())
    if not family_name:
        raise ValueError(_("nom manquant"))
    if not given_names:
        raise ValueError(_("prénom manquant"))
    if len(family_name) > 150 or len(given_names) > 150:
        raise ValueError(_("nom ou prénom trop long"))
    raw_date = row.get("birth_date", "").strip()
    try:
        birth_date = _date(raw_date)
    except ValueError:
        raise ValueError(
            _("date de naissance illisible : « %(value)s » (JJ/MM/AAAA ou AAAA-MM-JJ)") % {"value": raw_date}
        ) from None
    if birth_date > today:
        raise ValueError(_("date de naissance dans le futur"))
    if birth_date.year < 1900:
        raise ValueError(_("date de naissance avant 1900"))
    raw_sex = row.get("sex", "").strip()
    sex = SEX_WORDS.get(_plain(raw_sex))
    if sex is None:
        raise ValueError(_("sexe illisible : « %(value)s » (F, M ou X)") % {"value": raw_sex})
    commune = communes.find(row.get("commune", ""), row.get("postal_code", ""), row.get("commune_name", ""))
    phone = row.get("phone", "").strip()
    if phone:
        try:
            phone = french_phone_e164(phone)
        except ValidationError:
            raise ValueError(_("numéro de téléphone invalide : « %(value)s »") % {"value": phone}) from None
    email = row.get("email", "").strip().lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ValueError(_("adresse e-mail invalide : « %(value)s »") % {"value": email}) from None
    facts = {}
    for fact in FACTS:
        word = _plain(row.get(fact, ""))
        if word in TRUE_WORDS:
            facts[fact] = True
        elif word in FALSE_WORDS:
            facts[fact] = False
        else:
            raise ValueError(
                _("colonne « %(column)s » : « %(value)s » n'est ni oui ni non") % {"column": fact, "value": row[fact]}
            )
    distance = row.get("max_distance_km", "").strip()
    max_distance = None
    if distance:
        if not distance.isdigit() or not 1 <= int(distance) <= MAX_TRAVEL_KM:
            raise ValueError(_("distance maximale : un nombre de km de 1 à %(max)d") % {"max": MAX_TRAVEL_KM})
        max_distance = int(distance)
    return _Person(
        line=line,
        family_name=family_name,
        given_names=given_names,
        birth_date=birth_date,
        sex=sex,
        commune=commune,
        phone=phone,
        email=email,
        facts=facts,
        household=row.get("household", "").strip(),
        max_distance_km=max_distance,
    )


def _rows(text: str) -> tuple[list[tuple[int, dict]], dict[str, int]]:
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise ApplicationError(_("Le fichier est vide."), field="file") from None
    columns = _header_map(header)
    rows = []
    for values in reader:
        if not any(value.strip() for value in values):
            continue
        if len(rows) >= MAX_IMPORT_LINES:
            raise ApplicationError(
                _("Au plus %(max)d lignes par envoi : découpez le fichier.") % {"max": MAX_IMPORT_LINES}, field="file"
            )
        row = {key: (values[index] if index < len(values) else "") for key, index in columns.items()}
        rows.append((reader.line_num, row))
    return rows, columns


@transaction.atomic
def handover_import(*, acting_user: User, plan: HandoverPlan, content: bytes, consent_confirmed: bool) -> ImportReport:
    """Signs up the patients of a CSV as waiting entries of the plan; see the module's docstring. A line sharing a
    ``household`` value with others joins their entry (the first valid one is the main member, whose commune
    and contact the household keeps). Lines already in the plan (same names and birth date) are rejected, so a
    file sent twice adds nobody. The coordination uploads, or the departing GP's practice (its secretaries, its
    practitioners)."""
    if not handover_plans_uploadable_by(waitlist_actor_for(acting_user)).filter(pk=plan.pk).exists():
        raise _not_found()
    if not consent_confirmed:
        raise ApplicationError(
            _("Confirmez que chaque patient du fichier a donné son accord au texte ci-dessus."), field="consent"
        )
    if plan.status == HandoverPlan.Status.DONE:
        raise ApplicationError(_("Ce plan est terminé : il ne reçoit plus de patients."), field="file")
    rows, _columns = _rows(_decoded(content))
    if not rows:
        raise ApplicationError(_("Le fichier n'a aucune ligne de patient après la ligne des colonnes."), field="file")
    today = timezone.localdate()
    communes = _Communes([row for _line, row in rows])
    report = ImportReport()
    known = {
        (_plain(f), _plain(g), b): None
        for f, g, b in HouseholdMember.objects.filter(entry__handover_plan=plan).values_list(
            "family_name", "given_names", "birth_date"
        )
    }
    seen_in_file: dict[tuple, int] = {}
    groups: dict[str, list[_Person]] = {}
    order: list[str] = []
    for line, row in rows:
        try:
            person = _person(line, row, communes, today)
        except ValueError as error:
            report.rejected.append(RejectedLine(line, str(error)))
            continue
        key = (_plain(person.family_name), _plain(person.given_names), person.birth_date)
        if key in known:
            report.rejected.append(RejectedLine(line, _("déjà inscrit dans ce plan")))
            continue
        if key in seen_in_file:
            report.rejected.append(
                RejectedLine(line, _("même personne qu'à la ligne %(line)d") % {"line": seen_in_file[key]})
            )
            continue
        seen_in_file[key] = line
        group = f"foyer:{person.household}" if person.household else f"ligne:{line}"
        if group not in groups:
            groups[group] = []
            order.append(group)
        groups[group].append(person)

    rules = rules_of(plan.waiting_list)
    now = timezone.now()
    consent_text = str(HANDOVER_CONSENT_TEXT)
    created: list[tuple[Entry, list[_Person]]] = []
    for group in order:
        people = groups[group]
        main = people[0]
        if main.commune is None:
            report.rejected.extend(RejectedLine(p.line, _("commune manquante")) for p in people)
            continue
        phone = next((p.phone for p in people if p.phone), "")
        email = next((p.email for p in people if p.email), "")
        if not phone and not email:
            report.rejected.extend(RejectedLine(p.line, _("ni téléphone ni e-mail pour ce foyer")) for p in people)
            continue
        if len(people) > MAX_HOUSEHOLD_SIZE:
            report.rejected.extend(
                RejectedLine(p.line, _("foyer de plus de %(max)d personnes") % {"max": MAX_HOUSEHOLD_SIZE})
                for p in people[MAX_HOUSEHOLD_SIZE:]
            )
            people = people[:MAX_HOUSEHOLD_SIZE]
        priority = priority_of(
            [PersonFacts(birth_date=p.birth_date, **p.facts) for p in people], rules=rules, today=today
        )
        entry = Entry(
            waiting_list_id=plan.waiting_list_id,
            status=Entry.Status.WAITING,
            commune=main.commune,
            phone=phone,
            email=email,
            situation=Situation.GP_RETIRED,
            max_distance_km=main.max_distance_km or DEFAULT_MAX_DISTANCE_KM,
            source=SignupSource.HANDOVER,
            household_size=len(people),
            priority_level=priority.level,
            priority_score=priority.score,
            priority_reasons=list(priority.reasons),
            waiting_since=now,
            confirmed_at=now,
            handover_plan=plan,
        )
        created.append((entry, people))
    report.rejected.sort(key=lambda rejected: rejected.line)
    if not created:
        return report
    Entry.objects.bulk_create([entry for entry, _people in created], batch_size=500)
    members, consents, events = [], [], []
    for entry, people in created:
        members.extend(
            HouseholdMember(
                entry=entry,
                position=position,
                family_name=p.family_name,
                given_names=p.given_names,
                birth_date=p.birth_date,
                sex=p.sex,
                **p.facts,
            )
            for position, p in enumerate(people)
        )
        consents.append(
            ConsentRecord(
                entry=entry,
                version=HANDOVER_CONSENT_VERSION,
                text=consent_text,
                given_at=now,
                given_by=SignupSource.HANDOVER,
                recorded_by=acting_user,
            )
        )
        events.append(
            EntryEvent(
                entry=entry,
                kind=EntryEvent.Kind.SIGNED_UP,
                actor=acting_user,
                details={"source": SignupSource.HANDOVER, "handover_plan": str(plan.public_id)},
            )
        )
    HouseholdMember.objects.bulk_create(members, batch_size=1000)
    ConsentRecord.objects.bulk_create(consents, batch_size=1000)
    EntryEvent.objects.bulk_create(events, batch_size=1000)
    for entry, _people in created:
        # As at a public sign-up: a suspected duplicate is flagged for the coordination, and the patient receives
        # their follow link (the practice holds the contact; the message says who signed them up).
        entry_duplicates_flag(entry=entry)
        entry_welcome_send(entry=entry, template=HANDOVER_WELCOME_TEMPLATE)
        access_log_record(
            user=acting_user,
            action="create",
            subject_type=ENTRY_SUBJECT,
            subject_id=str(entry.public_id),
            patient_ref=str(entry.public_id),
            via="waitlist.services.handover.handover_import",
        )
    report.entries = len(created)
    report.people = len(members)
    return report


# --- Spreading over the months ----------------------------------------------------------------------------------


def month_weight(month: datetime.date) -> float:
    return MONTH_WEIGHTS.get(month.month, 1.0)


def shares(total: int, weights: list[float]) -> list[int]:
    """``total`` split in proportion to ``weights`` in whole numbers that add up to it (the largest remainders
    get the units left; ties go to the earliest)."""
    if total <= 0 or not weights or sum(weights) <= 0:
        return [0] * len(weights)
    exact = [total * weight / sum(weights) for weight in weights]
    floors = [math.floor(value) for value in exact]
    left = total - sum(floors)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
    for index in by_remainder[:left]:
        floors[index] += 1
    return floors


def month_targets(total: int, months: list[datetime.date]) -> list[int]:
    """How many patients each month takes: ``total`` spread with the summer rule (``MONTH_WEIGHTS``)."""
    return shares(total, [month_weight(month) for month in months])


def _capped_shares(total: int, room: list[int]) -> list[int]:
    """``total`` split in proportion to each pledge's ``room``, never above it (what one cannot take goes to the
    others while they have room)."""
    given = [0] * len(room)
    left = min(total, sum(room))
    while left > 0:
        free = [max(r - g, 0) for r, g in zip(room, given, strict=True)]
        if not any(free):
            break
        step = shares(left, [float(f) for f in free])
        step = [min(s, f) for s, f in zip(step, free, strict=True)]
        if not any(step):  # a unit the rounding gave to a full pledge: give it to the first one with room
            step = [1 if i == next(j for j, f in enumerate(free) if f) else 0 for i in range(len(free))]
        given = [g + s for g, s in zip(given, step, strict=True)]
        left -= sum(step)
    return given


@dataclass
class SpreadResult:
    planned: int
    unplaced: int  # patients for whom no pledge had room in the months left


@transaction.atomic
def handover_allocations_spread(*, acting_user: User, plan: HandoverPlan) -> SpreadResult:
    """Proposes the numbers again for the months not started (no proposal made yet, not past): the plan's
    waiting patients not yet covered by an allocation already proposed from, spread with the summer rule, each
    month shared among the pledges running then in proportion to their free places."""
    _plan_checked(acting_user, plan)
    HandoverPlan.objects.select_for_update().filter(pk=plan.pk).first()
    current_month = timezone.localdate().replace(day=1)
    allocations = list(HandoverAllocation.objects.filter(plan=plan).annotate(proposed_count=Count("proposals")))
    started = {a.month for a in allocations if a.proposed_count}
    open_months = [m for m in plan_months(plan) if m not in started and m >= current_month]
    HandoverAllocation.objects.filter(plan=plan, month__in=open_months).delete()
    kept = [a for a in allocations if a.month not in open_months]
    outstanding_by_pledge: dict[int, int] = defaultdict(int)
    for allocation in kept:
        outstanding_by_pledge[allocation.pledge_id] += max(allocation.planned - allocation.proposed_count, 0)
    waiting = Entry.objects.filter(handover_plan=plan, status=Entry.Status.WAITING).count()
    to_place = max(waiting - sum(outstanding_by_pledge.values()), 0)
    pledges = receiving_pledges(plan)
    room = {p.pk: max(p.remaining - outstanding_by_pledge[p.pk], 0) for p in pledges}
    new_rows, unplaced = [], 0
    for month, target in zip(open_months, month_targets(to_place, open_months), strict=True):
        running = [p for p in pledges if pledge_runs_in(p, month) and room[p.pk] > 0]
        given = _capped_shares(target, [room[p.pk] for p in running])
        unplaced += target - sum(given)
        for pledge, number in zip(running, given, strict=True):
            if number:
                room[pledge.pk] -= number
                new_rows.append(HandoverAllocation(plan=plan, month=month, pledge=pledge, planned=number))
    HandoverAllocation.objects.bulk_create(new_rows)
    return SpreadResult(planned=sum(row.planned for row in new_rows), unplaced=unplaced)


@transaction.atomic
def handover_allocations_save(
    *, acting_user: User, plan: HandoverPlan, planned: dict[tuple[datetime.date, int], int]
) -> int:
    """The coordination's numbers (``(month, pledge id) -> patients``) for the plan: a month of the plan, a
    pledge of the list running that month, never fewer than already proposed, and for each pledge never more
    than its free places. Returns the total planned."""
    _plan_checked(acting_user, plan)
    HandoverPlan.objects.select_for_update().filter(pk=plan.pk).first()
    months = set(plan_months(plan))
    pledges = {p.pk: p for p in receiving_pledges(plan)}
    existing = {
        (a.month, a.pledge_id): a
        for a in HandoverAllocation.objects.filter(plan=plan).annotate(proposed_count=Count("proposals"))
    }
    outstanding: dict[int, int] = defaultdict(int)
    for (month, pledge_id), allocation in existing.items():
        if (month, pledge_id) not in planned:
            outstanding[pledge_id] += max(allocation.planned - allocation.proposed_count, 0)
    for (month, pledge_id), number in planned.items():
        pledge = pledges.get(pledge_id)
        if month not in months or pledge is None:
            raise ApplicationError(_("Ce mois ou cet engagement ne fait pas partie du plan."), field="planned")
        if not isinstance(number, int) or not 0 <= number <= MAX_PLEDGE_CAPACITY:
            raise ApplicationError(
                _("Indiquez un nombre de patients de 0 à %(max)d.") % {"max": MAX_PLEDGE_CAPACITY}, field="planned"
            )
        if number and not pledge_runs_in(pledge, month):
            raise ApplicationError(
                _("L'engagement du Dr %(name)s ne couvre pas %(month)s.")
                % {"name": pledge.practitioner.last_name, "month": month.strftime("%m/%Y")},
                field="planned",
            )
        allocation = existing.get((month, pledge_id))
        proposed = allocation.proposed_count if allocation else 0
        if number < proposed:
            raise ApplicationError(
                _("%(month)s : %(proposed)d patients ont déjà été proposés au Dr %(name)s, pas moins.")
                % {"month": month.strftime("%m/%Y"), "proposed": proposed, "name": pledge.practitioner.last_name},
                field="planned",
            )
        outstanding[pledge_id] += number - proposed
    for pledge_id, number in outstanding.items():
        pledge = pledges.get(pledge_id)
        if pledge is not None and number > pledge.remaining:
            raise ApplicationError(
                _("Le Dr %(name)s n'a plus que %(free)d places : le plan lui en prévoit %(planned)d.")
                % {"name": pledge.practitioner.last_name, "free": pledge.remaining, "planned": number},
                field="planned",
            )
    for (month, pledge_id), number in planned.items():
        allocation = existing.get((month, pledge_id))
        if allocation is None:
            if number:
                HandoverAllocation.objects.create(plan=plan, month=month, pledge_id=pledge_id, planned=number)
        elif number == 0 and not allocation.proposed_count:
            allocation.delete()
        elif allocation.planned != number:
            allocation.planned = number
            allocation.save(update_fields=["planned"])
    return sum(HandoverAllocation.objects.filter(plan=plan).values_list("planned", flat=True))


# --- Turning a month into proposals -----------------------------------------------------------------------------


def _practice_position(practitioner_id: int) -> tuple[float, float] | None:
    activity = (
        Activity.objects.filter(practitioner_id=practitioner_id)
        .select_related("practice__commune")
        .order_by("pk")
        .first()
    )
    if activity is None:
        return None
    practice = activity.practice
    if practice.latitude is not None and practice.longitude is not None:
        return practice.latitude, practice.longitude
    if practice.commune and practice.commune.latitude is not None:
        return practice.commune.latitude, practice.commune.longitude
    return None


def _distance_km(origin: tuple[float, float] | None, commune: Commune) -> float:
    if origin is None or commune.latitude is None or commune.longitude is None:
        return 0.0
    lat1, lon1, lat2, lon2 = map(math.radians, (*origin, commune.latitude, commune.longitude))
    a = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return round(6371.0 * 2 * math.asin(math.sqrt(a)), 1)


@transaction.atomic
def handover_month_propose(*, acting_user: User, plan: HandoverPlan, month: datetime.date) -> list[Proposal]:
    """For each receiving pledge of ``month``: as many of the plan's waiting entries as its allocation still
    has room for (and the pledge free places), highest level first, then the oldest, each proposed to that
    pledge (a household only to a pledge that welcomes families, a patient only within both the pledge's radius
    and their own distance of the GP's practice, as in a draw). An entry another draw took in the meantime is
    skipped: the partial unique index keeps it to one pending proposal."""
    _plan_checked(acting_user, plan)
    month = month.replace(day=1)
    if month not in plan_months(plan):
        raise ApplicationError(_("Ce mois ne fait pas partie du plan."), field="month")
    allocations = list(
        HandoverAllocation.objects.select_for_update()
        .filter(plan=plan, month=month)
        .select_related("pledge__practitioner")
        .order_by("pk")
    )
    if not allocations:
        raise ApplicationError(_("Aucun patient n'est prévu ce mois-là : répartissez d'abord."), field="month")
    now = timezone.now()
    made: list[Proposal] = []
    pending_elsewhere = Proposal.objects.filter(entry=OuterRef("pk"), status=Proposal.Status.PENDING)
    for allocation in allocations:
        pledge = Pledge.objects.select_for_update().get(pk=allocation.pledge_id)
        if pledge.status != Pledge.Status.OPEN:
            continue
        taken = pledge.proposals.filter(status__in=TAKEN_PROPOSALS).count()
        wanted = min(allocation.planned - allocation.proposals.count(), pledge.capacity - taken)
        if wanted <= 0:
            continue
        candidates = Entry.objects.filter(handover_plan=plan, status=Entry.Status.WAITING).exclude(
            Exists(pending_elsewhere)
        )
        if not pledge.families_welcome:
            candidates = candidates.filter(household_size=1)
        candidates = (
            candidates.select_related("commune")
            .order_by("-priority_level", "waiting_since", "pk")
            .select_for_update(skip_locked=True, of=("self",))
        )
        origin = _practice_position(pledge.practitioner_id)
        batch = uuid.uuid4()
        proposed_here = 0
        for entry in candidates:  # a plan's patients: a few hundred at most, read once in the queue's order
            if proposed_here >= wanted:
                break
            distance = _distance_km(origin, entry.commune)
            if origin is not None and distance > min(pledge.radius_km, entry.max_distance_km):
                continue  # out of the receiving GP's reach, or farther than the patient can go: another pledge's
            try:
                with transaction.atomic():
                    proposal = Proposal.objects.create(
                        pledge=pledge,
                        entry=entry,
                        batch=batch,
                        distance_km=distance,
                        priority_level=entry.priority_level,
                        household_size=entry.household_size,
                        expires_at=now + datetime.timedelta(days=PROPOSAL_TIMEOUT_DAYS),
                    )
            except IntegrityError:
                continue  # proposed elsewhere meanwhile
            proposed_here += 1
            HandoverProposal.objects.create(proposal=proposal, allocation=allocation)
            Entry.objects.filter(pk=entry.pk).update(status=Entry.Status.PROPOSED, updated_at=now)
            entry_event_record(
                entry=entry,
                kind=EntryEvent.Kind.PROPOSED,
                actor=acting_user,
                details={
                    "pledge": str(pledge.public_id),
                    "proposal": str(proposal.public_id),
                    "handover_plan": str(plan.public_id),
                    "month": month.strftime("%Y-%m"),
                },
            )
            access_log_record(
                user=acting_user,
                action="update",
                subject_type=ENTRY_SUBJECT,
                subject_id=str(entry.public_id),
                patient_ref=str(entry.public_id),
                via="waitlist.services.handover.handover_month_propose",
            )
            made.append(proposal)
    if made and plan.status == HandoverPlan.Status.DRAFT:
        HandoverPlan.objects.filter(pk=plan.pk).update(status=HandoverPlan.Status.ACTIVE, updated_at=now)
        plan.status = HandoverPlan.Status.ACTIVE
    return made

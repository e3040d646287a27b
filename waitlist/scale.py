"""Synthetic waiting lists at national scale, for the benchmarks (``manage.py seed_scale --waitlist N``).

``count`` sign-ups go to the list of one territory (``--territory``, else the first territory with communes), over
its real communes in proportion to their population: households of one to four (people of every age, invented
names), a plausible mix of priority facts (a sixth with an ALD, a few pregnancies, CSS/AME, disabilities) whose
level and reasons come from ``waitlist.priority`` with the default rules, sign-ups spread over the last two years,
most waiting, some matched, withdrawn, inactive or still to verify. No phone nor e-mail is a real one (numbers of
the +33 6 99 range kept for fiction). Rows go in with PostgreSQL ``COPY`` in one transaction, then ``ANALYZE``;
the data is the same for a given seed, public ids aside.
"""

import datetime
import random
import time
import uuid
from dataclasses import dataclass
from itertools import accumulate

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from directory.models import Territory
from directory.scale import FIRST_NAMES, LAST_NAMES, copy_rows, copy_text, reserve_ids
from waitlist.models import Entry, HouseholdMember, SignupSource, Situation
from waitlist.priority import DEFAULT_RULES, PersonFacts, priority_of
from waitlist.services.common import waiting_list_of_territory

DAYS_BACK = 730
CHUNK = 50_000
HOUSEHOLD_MIX = [(70, 1), (15, 2), (10, 3), (5, 4)]
STATUS_MIX = [
    (88, Entry.Status.WAITING),
    (4, Entry.Status.MATCHED),
    (3, Entry.Status.WITHDRAWN),
    (3, Entry.Status.INACTIVE),
    (2, Entry.Status.UNVERIFIED),
]
TRAVEL_KM = [5, 10, 10, 15, 15, 20, 30, 50]
ENTRY_COLUMNS = [
    "id",
    "public_id",
    "created_at",
    "updated_at",
    "waiting_list_id",
    "status",
    "commune_id",
    "phone",
    "phone_verified_at",
    "situation",
    "max_distance_km",
    "source",
    "household_size",
    "priority_level",
    "priority_score",
    "priority_reasons",
    "waiting_since",
    "confirmed_at",
    "closed_at",
]
MEMBER_COLUMNS = [
    "entry_id",
    "position",
    "family_name",
    "given_names",
    "birth_date",
    "sex",
    "ald",
    "pregnancy",
    "disability",
    "precarity",
    "treatment_renewal",
]


@dataclass
class WaitlistScaleReport:
    entries: int = 0
    members: int = 0
    waiting: int = 0
    communes: int = 0
    seconds: float = 0.0


def _territory(slug: str) -> Territory:
    territories = Territory.objects.filter(communes__isnull=False).distinct().order_by("pk")
    territory = territories.filter(slug=slug).first() if slug else territories.first()
    if territory is None:
        raise ApplicationError(
            _("Territoire inconnu ou sans communes : « %(slug)s ».") % {"slug": slug}
            if slug
            else _("Il faut d'abord un territoire avec ses communes (seed_demo, ou --territory …)."),
            field="territory",
        )
    return territory


def _mix(rng: random.Random, mix):
    return rng.choices([value for _share, value in mix], weights=[share for share, _value in mix])[0]


def _person(rng: random.Random, today: datetime.date, *, family_name: str, adult: bool) -> tuple:
    age = rng.randint(18, 95) if adult else rng.randint(0, 17)
    birth = today - datetime.timedelta(days=age * 365 + rng.randrange(365))
    sex = rng.choice("FM")
    facts = PersonFacts(
        birth_date=birth,
        ald=rng.random() < (0.35 if age >= 60 else 0.08),
        pregnancy=sex == "F" and 18 <= age <= 42 and rng.random() < 0.05,
        disability=rng.random() < 0.04,
        precarity=rng.random() < 0.10,
        treatment_renewal=rng.random() < (0.30 if age >= 50 else 0.05),
    )
    return family_name, rng.choice(FIRST_NAMES), sex, facts


@transaction.atomic
def seed_waitlist(*, count: int, territory_slug: str = "", seed: int = 1) -> WaitlistScaleReport:
    """Writes ``count`` synthetic sign-ups (and their household members) with COPY, then ANALYZEs the tables."""
    if count < 1:
        raise ApplicationError(_("Le nombre d'inscriptions doit être au moins 1."), field="waitlist")
    territory = _territory(territory_slug)
    waiting_list = waiting_list_of_territory(territory)
    communes = list(territory.communes.order_by("insee_code").values_list("insee_code", "population"))
    rng = random.Random(seed)
    started = time.perf_counter()
    now = timezone.now()
    today = timezone.localdate()
    codes = [code for code, _population in communes]
    weights = list(accumulate(max(population, 50) for _code, population in communes))
    situations = Situation.values
    first_id = reserve_ids(Entry, count)
    report = WaitlistScaleReport(communes=len(communes))
    flagged_share = 0.02

    def rows(first: int, last: int, members: list[str]):
        """The entries ``first`` to ``last`` (excluded); their members are appended to ``members``."""
        for entry_id in range(first, last):
            size = _mix(rng, HOUSEHOLD_MIX)
            family_name = rng.choice(LAST_NAMES).upper()
            people = [_person(rng, today, family_name=family_name, adult=True)]
            for position in range(1, size):
                people.append(_person(rng, today, family_name=family_name, adult=position == 1 and rng.random() < 0.5))
            flagged = rng.random() < flagged_share
            priority = priority_of(
                [facts for *_rest, facts in people], flagged=flagged, rules=DEFAULT_RULES, today=today
            )
            status = _mix(rng, STATUS_MIX)
            signed_up = now - datetime.timedelta(seconds=rng.randrange(DAYS_BACK * 86400))
            verified = status != Entry.Status.UNVERIFIED
            if status == Entry.Status.WAITING:
                report.waiting += 1
            for position, (family, given, sex, facts) in enumerate(people):
                members.append(
                    f"{entry_id}\t{position}\t{family}\t{given}\t{facts.birth_date.isoformat()}\t{sex}\t"
                    + "\t".join(
                        "t" if flag else "f"
                        for flag in (
                            facts.ald,
                            facts.pregnancy,
                            facts.disability,
                            facts.precarity,
                            facts.treatment_renewal,
                        )
                    )
                )
            closed = status in (Entry.Status.MATCHED, Entry.Status.WITHDRAWN, Entry.Status.INACTIVE)
            yield "\t".join(
                copy_text(value)
                for value in (
                    entry_id,
                    uuid.uuid4(),
                    signed_up,
                    signed_up,
                    waiting_list.pk,
                    status,
                    codes[rng.choices(range(len(codes)), cum_weights=weights)[0]],
                    f"+33699{entry_id % 1_000_000:06d}",
                    signed_up if verified else None,
                    rng.choice(situations),
                    rng.choice(TRAVEL_KM),
                    SignupSource.SELF,
                    size,
                    priority.level,
                    priority.score,
                    list(priority.reasons),
                    signed_up if verified else None,
                    signed_up if verified else None,
                    now if closed else None,
                )
            )

    # By chunks, entries then their members: memory stays that of one chunk whatever ``count``.
    for first in range(first_id, first_id + count, CHUNK):
        members: list[str] = []
        report.entries += copy_rows(Entry, ENTRY_COLUMNS, rows(first, min(first + CHUNK, first_id + count), members))
        report.members += copy_rows(HouseholdMember, MEMBER_COLUMNS, members)
    with connection.cursor() as cursor:
        cursor.execute(
            "ANALYZE "
            + ", ".join(connection.ops.quote_name(model._meta.db_table) for model in (Entry, HouseholdMember))
        )
    report.seconds = time.perf_counter() - started
    return report

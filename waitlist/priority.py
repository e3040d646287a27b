"""The priority of a sign-up, as a pure function of the household's facts and the list's rules (no database):
each criterion met adds its weight once per household, the total score picks the level, and the explanation
says why in words a coordinator can read out ("ALD (+3) + 70 ans et plus (+2) = 5 → Prioritaire").

Rules are a weight per criterion and the score at which each level starts; the coordinator edits them, and
``rules_checked`` refuses a set that would not make sense (a negative weight, levels out of order).
"""

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import ApplicationError

# The criteria, in the order the explanation lists them. Labels say a fact, never a diagnosis.
CRITERIA = {
    "ald": gettext_lazy("ALD"),
    "over_70": gettext_lazy("70 ans et plus"),
    "precarity": gettext_lazy("précarité (CSS/AME)"),
    "disability": gettext_lazy("handicap"),
    "pregnancy": gettext_lazy("grossesse"),
    "flagged": gettext_lazy("signalé par un professionnel ou un élu"),
    "treatment_renewal": gettext_lazy("traitement à renouveler"),
    "young_child": gettext_lazy("enfant de moins de 2 ans"),
}
DEFAULT_WEIGHTS = {
    "ald": 3,
    "over_70": 2,
    "precarity": 2,
    "disability": 2,
    "pregnancy": 3,
    "flagged": 2,
    "treatment_renewal": 1,
    "young_child": 1,
}
DEFAULT_LEVELS = [
    {"min_score": 0, "label": "Standard"},
    {"min_score": 3, "label": "Prioritaire"},
    {"min_score": 5, "label": "Très prioritaire"},
]
MAX_WEIGHT = 20
MAX_LEVELS = 5


@dataclass(frozen=True)
class PersonFacts:
    birth_date: datetime.date
    ald: bool = False
    pregnancy: bool = False
    disability: bool = False
    precarity: bool = False
    treatment_renewal: bool = False


@dataclass(frozen=True)
class Rules:
    weights: Mapping[str, int]
    levels: Sequence[Mapping]  # [{"min_score": int, "label": str}], increasing, the first at 0


@dataclass(frozen=True)
class Priority:
    level: int  # 0 is the lowest; a higher level is more urgent
    label: str
    score: int
    reasons: tuple[str, ...]  # criteria keys, in CRITERIA's order
    explanation: str


DEFAULT_RULES = Rules(weights=DEFAULT_WEIGHTS, levels=DEFAULT_LEVELS)


def age_on(birth_date: datetime.date, day: datetime.date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def criteria_met(members: Sequence[PersonFacts], *, flagged: bool, today: datetime.date) -> tuple[str, ...]:
    """The criteria at least one member meets, each once, in CRITERIA's order."""
    met = set()
    for person in members:
        age = age_on(person.birth_date, today)
        if person.ald:
            met.add("ald")
        if age >= 70:
            met.add("over_70")
        if age < 2:
            met.add("young_child")
        for fact in ("precarity", "disability", "pregnancy", "treatment_renewal"):
            if getattr(person, fact):
                met.add(fact)
    if flagged:
        met.add("flagged")
    return tuple(key for key in CRITERIA if key in met)


def priority_of(
    members: Sequence[PersonFacts], *, flagged: bool = False, rules: Rules = DEFAULT_RULES, today: datetime.date
) -> Priority:
    reasons = criteria_met(members, flagged=flagged, today=today)
    weighted = [(key, int(rules.weights.get(key, 0))) for key in reasons]
    weighted = [(key, weight) for key, weight in weighted if weight > 0]
    score = sum(weight for _key, weight in weighted)
    level = 0
    for index, step in enumerate(rules.levels):
        if score >= int(step["min_score"]):
            level = index
    label = str(rules.levels[level]["label"])
    if weighted:
        terms = " + ".join(f"{CRITERIA[key]} (+{weight})" for key, weight in weighted)
        explanation = f"{terms} = {score} → {label}"
    else:
        explanation = _("aucun critère de priorité → %(label)s") % {"label": label}
    return Priority(
        level=level,
        label=label,
        score=score,
        reasons=tuple(key for key, _weight in weighted),
        explanation=explanation,
    )


def level_label(rules: Rules, level: int) -> str:
    levels = rules.levels
    return str(levels[min(max(level, 0), len(levels) - 1)]["label"])


def rules_checked(*, weights: Mapping[str, object], levels: Sequence[Mapping]) -> Rules:
    """Rules a coordinator typed, checked: every weight a whole number from 0 to MAX_WEIGHT for a known
    criterion; 2 to MAX_LEVELS levels, each with a label, the first starting at 0, scores strictly increasing."""
    clean_weights = {}
    for key, value in weights.items():
        if key not in CRITERIA:
            raise ApplicationError(_("Critère inconnu : %(key)s.") % {"key": key}, field="weights")
        try:
            weight = int(value)
        except (TypeError, ValueError):
            raise ApplicationError(
                _("Le poids de « %(label)s » doit être un nombre entier.") % {"label": CRITERIA[key]}, field=key
            ) from None
        if not 0 <= weight <= MAX_WEIGHT:
            raise ApplicationError(
                _("Le poids de « %(label)s » doit être entre 0 et %(max)d.")
                % {"label": CRITERIA[key], "max": MAX_WEIGHT},
                field=key,
            )
        clean_weights[key] = weight
    if not 2 <= len(levels) <= MAX_LEVELS:
        raise ApplicationError(
            _("Il faut entre 2 et %(max)d niveaux de priorité.") % {"max": MAX_LEVELS}, field="levels"
        )
    clean_levels = []
    previous = None
    for index, step in enumerate(levels):
        label = str(step.get("label", "")).strip()
        if not label:
            raise ApplicationError(_("Chaque niveau a besoin d'un nom."), field="levels")
        try:
            min_score = int(step.get("min_score"))
        except (TypeError, ValueError):
            raise ApplicationError(
                _("Le score du niveau « %(label)s » doit être un nombre entier.") % {"label": label}, field="levels"
            ) from None
        if index == 0 and min_score != 0:
            raise ApplicationError(_("Le premier niveau commence au score 0."), field="levels")
        if previous is not None and min_score <= previous:
            raise ApplicationError(
                _("Les scores des niveaux doivent aller en croissant (« %(label)s »).") % {"label": label},
                field="levels",
            )
        previous = min_score
        clean_levels.append({"min_score": min_score, "label": label[:60]})
    return Rules(weights={**dict.fromkeys(CRITERIA, 0), **clean_weights}, levels=clean_levels)

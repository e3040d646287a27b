"""The priority is a pure function of the household's facts and the list's rules: table-tested, no database."""

import datetime

import pytest

from core.errors import ApplicationError
from waitlist.priority import DEFAULT_RULES, PersonFacts, Rules, priority_of, rules_checked

TODAY = datetime.date(2026, 12, 4)
ADULT = datetime.date(1980, 1, 1)
SEVENTY = datetime.date(1956, 12, 4)  # 70 today
SIXTY_NINE = datetime.date(1956, 12, 5)  # 70 tomorrow
BABY = datetime.date(2025, 6, 1)


@pytest.mark.parametrize(
    ("members", "flagged", "level", "reasons"),
    [
        ([PersonFacts(ADULT)], False, 0, ()),
        ([PersonFacts(ADULT, treatment_renewal=True)], False, 0, ("treatment_renewal",)),
        ([PersonFacts(ADULT, ald=True)], False, 1, ("ald",)),
        ([PersonFacts(SEVENTY)], False, 0, ("over_70",)),
        ([PersonFacts(SIXTY_NINE)], False, 0, ()),
        ([PersonFacts(SEVENTY, ald=True)], False, 2, ("ald", "over_70")),
        ([PersonFacts(ADULT, precarity=True, disability=True)], False, 1, ("precarity", "disability")),
        ([PersonFacts(ADULT, pregnancy=True), PersonFacts(BABY)], False, 1, ("pregnancy", "young_child")),
        ([PersonFacts(ADULT, pregnancy=True, precarity=True)], False, 2, ("precarity", "pregnancy")),
        ([PersonFacts(ADULT)], True, 0, ("flagged",)),
        ([PersonFacts(ADULT, ald=True)], True, 2, ("ald", "flagged")),
        # Two members with an ALD count once: the household's level, not a sum of its people.
        ([PersonFacts(ADULT, ald=True), PersonFacts(ADULT, ald=True)], False, 1, ("ald",)),
    ],
)
def test_levels_by_the_default_rules(members, flagged, level, reasons):
    priority = priority_of(members, flagged=flagged, rules=DEFAULT_RULES, today=TODAY)
    assert (priority.level, priority.reasons) == (level, reasons)


def test_the_explanation_reads_as_the_coordinator_says_it():
    priority = priority_of([PersonFacts(SEVENTY, ald=True)], rules=DEFAULT_RULES, today=TODAY)
    assert priority.explanation == "ALD (+3) + 70 ans et plus (+2) = 5 → Très prioritaire"
    assert priority_of([PersonFacts(ADULT)], today=TODAY).explanation == "aucun critère de priorité → Standard"


def test_a_criterion_weighted_zero_is_no_reason():
    rules = Rules(
        weights={"ald": 0, "over_70": 4}, levels=[{"min_score": 0, "label": "A"}, {"min_score": 4, "label": "B"}]
    )
    priority = priority_of([PersonFacts(SEVENTY, ald=True)], rules=rules, today=TODAY)
    assert (priority.level, priority.label, priority.reasons, priority.score) == (1, "B", ("over_70",), 4)


@pytest.mark.parametrize(
    ("weights", "levels", "message"),
    [
        ({"ald": -1}, [{"min_score": 0, "label": "A"}, {"min_score": 2, "label": "B"}], "entre 0 et 20"),
        ({"ald": "beaucoup"}, [{"min_score": 0, "label": "A"}, {"min_score": 2, "label": "B"}], "nombre entier"),
        ({"astrologie": 2}, [{"min_score": 0, "label": "A"}, {"min_score": 2, "label": "B"}], "Critère inconnu"),
        ({}, [{"min_score": 0, "label": "A"}], "entre 2 et 5 niveaux"),
        ({}, [{"min_score": 1, "label": "A"}, {"min_score": 2, "label": "B"}], "commence au score 0"),
        ({}, [{"min_score": 0, "label": "A"}, {"min_score": 0, "label": "B"}], "en croissant"),
        ({}, [{"min_score": 0, "label": "A"}, {"min_score": 3, "label": " "}], "besoin d'un nom"),
    ],
)
def test_rules_that_make_no_sense_are_refused_in_french(weights, levels, message):
    with pytest.raises(ApplicationError, match=message):
        rules_checked(weights=weights, levels=levels)


def test_checked_rules_give_every_criterion_a_weight():
    rules = rules_checked(weights={"ald": "4"}, levels=[{"min_score": 0, "label": "A"}, {"min_score": 4, "label": "B"}])
    assert rules.weights["ald"] == 4 and rules.weights["over_70"] == 0

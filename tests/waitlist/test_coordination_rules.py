"""The priority rules editor: the weights and levels of the list, each explained on a few households
(« ALD et 72 ans : ALD (+3) + 70 ans et plus (+2) = 5 → Très prioritaire »), a preview that saves nothing, and
a save that bumps the version and recomputes the waiting entries' levels, a level fixed by hand staying."""

import pytest

from tests.waitlist.coordination_helpers import RULES, fixture_marais, fixture_marais_list  # noqa: F401
from waitlist.models import Entry, EntryEvent, PriorityRules
from waitlist.priority import CRITERIA, DEFAULT_WEIGHTS

pytestmark = pytest.mark.django_db


def _form(weights=None, levels=None):
    weights = {**DEFAULT_WEIGHTS, **(weights or {})}
    levels = levels or [("Standard", 0), ("Prioritaire", 3), ("Très prioritaire", 5)]
    data = {f"weight_{key}": str(weights[key]) for key in CRITERIA}
    for index, (label, minimum) in enumerate(levels):
        data[f"level_{index}_label"] = label
        data[f"level_{index}_min"] = str(minimum)
    return data


def test_the_page_explains_each_level_on_examples(coordinator, waiting_list, signed_in):
    response = signed_in(coordinator).get(RULES)
    page = response.content.decode()
    assert response.status_code == 200
    assert "ALD et 72 ans" in page and "ALD (+3) + 70 ans et plus (+2) = 5 → Très prioritaire" in page
    assert "aucun critère de priorité → Standard" in page
    assert "Règles par défaut (version 1)" in page


def test_saving_bumps_the_version_and_recomputes_the_waiting_levels_keeping_overrides(
    coordinator, waiting_entry, signed_in
):
    pregnant = waiting_entry(family_name="Enceinte", pregnancy=True)  # 3: Prioritaire
    fixed = waiting_entry(family_name="Fixee", pregnancy=True)
    Entry.objects.filter(pk=fixed.pk).update(level_override=0, priority_level=0)
    withdrawn = waiting_entry(family_name="Partie", pregnancy=True, status=Entry.Status.WITHDRAWN)
    client = signed_in(coordinator)
    response = client.post(RULES, _form(weights={"pregnancy": 6}))
    assert response.status_code == 302
    rules = PriorityRules.objects.get(waiting_list=pregnant.waiting_list)
    assert rules.version == 2 and rules.weights["pregnancy"] == 6 and rules.updated_by == coordinator
    pregnant.refresh_from_db()
    fixed.refresh_from_db()
    withdrawn.refresh_from_db()
    assert (pregnant.priority_level, pregnant.priority_score) == (2, 6)
    assert pregnant.events.filter(kind=EntryEvent.Kind.LEVEL_CHANGED).exists()
    assert (fixed.priority_level, fixed.priority_score, fixed.level_override) == (0, 6, 0)
    assert withdrawn.priority_level == 1  # only the waiting entries are recomputed
    followed = client.get(RULES).content.decode()
    assert "Version 2" in followed and "grossesse (+6) = 6 → Très prioritaire" in followed
    assert client.post(RULES, _form(weights={"pregnancy": 1})).status_code == 302
    assert PriorityRules.objects.get(pk=rules.pk).version == 3


def test_a_preview_explains_the_typed_rules_without_saving(coordinator, waiting_list, signed_in):
    data = {**_form(weights={"ald": 9}), "apercu": "1"}
    response = signed_in(coordinator).post(RULES, data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Aperçu avec les règles tapées" in page and "ALD (+9) + 70 ans et plus (+2) = 11" in page
    assert not PriorityRules.objects.exists()


@pytest.mark.parametrize(
    ("levels", "message"),
    [
        ([("Standard", 0), ("Prioritaire", 3), ("Urgent", 3)], "doivent aller en croissant"),
        ([("Standard", 0)], "Il faut entre 2 et 5 niveaux"),
        ([("Standard", 0), ("", 3)], "Chaque niveau a besoin d&#x27;un nom"),
    ],
)
def test_rules_that_make_no_sense_are_refused_keeping_what_was_typed(
    coordinator, waiting_list, signed_in, levels, message
):
    response = signed_in(coordinator).post(RULES, _form(weights={"ald": 7}, levels=levels))
    page = response.content.decode()
    assert response.status_code == 400
    assert message in page
    assert 'name="weight_ald" value="7"' in page
    assert not PriorityRules.objects.exists()


def test_a_weight_above_the_maximum_is_a_french_400(coordinator, waiting_list, signed_in):
    response = signed_in(coordinator).post(RULES, _form(weights={"ald": 99}))
    assert response.status_code == 400
    assert "inférieure ou égale à 20" in response.content.decode()


def test_the_gp_and_the_observer_do_not_open_the_rules(gp, observer, waiting_list, signed_in, client):
    for user in (gp, observer):
        client.force_login(user)
        assert client.get(RULES).status_code == 403
        assert client.post(RULES, _form()).status_code == 403


def test_a_large_list_is_recomputed_in_batches(coordinator, waiting_list, communes, signed_in, settings):
    from tests.waitlist.coordination_helpers import entries_bulk
    from waitlist.services import coordination

    entries_bulk(waiting_list, communes["la_roche"], 30)
    old_batch = coordination.RECOMPUTE_BATCH
    coordination.RECOMPUTE_BATCH = 7
    try:
        signed_in(coordinator).post(RULES, _form())
    finally:
        coordination.RECOMPUTE_BATCH = old_batch
    # Every bulk entry is one adult without any criterion: level 0, whatever it was stored with.
    assert set(Entry.objects.filter(waiting_list=waiting_list).values_list("priority_level", flat=True)) == {0}


def test_a_list_too_large_to_wait_for_is_recomputed_by_a_task_after_the_commit(
    coordinator, waiting_entry, signed_in, monkeypatch, django_capture_on_commit_callbacks
):
    from waitlist import tasks
    from waitlist.services import coordination

    pregnant = waiting_entry(family_name="Enceinte", pregnancy=True)
    waiting_entry(family_name="Autre")
    monkeypatch.setattr(coordination, "RECOMPUTE_INLINE_LIMIT", 1)
    queued = []
    monkeypatch.setattr(tasks.recompute_levels, "delay", lambda *args: queued.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(coordinator).post(RULES, _form(weights={"pregnancy": 6}), follow=True)
    assert "recalculés en arrière-plan" in response.content.decode()
    pregnant.refresh_from_db()
    assert pregnant.priority_level == 1  # not yet
    assert queued == [(pregnant.waiting_list_id, 2)]
    assert tasks.recompute_levels.run(*queued[0]) == 1
    pregnant.refresh_from_db()
    assert pregnant.priority_level == 2
    # A task of rules replaced since does nothing: the newer save queued its own.
    assert tasks.recompute_levels.run(pregnant.waiting_list_id, 1) == 0


def test_a_coordinator_of_two_lists_chooses_which_rules_to_edit(
    coordinator, waiting_list, marais, marais_list, signed_in
):
    from django.utils.html import escape

    from accounts.roles import Role
    from directory.services import role_grant_create
    from waitlist.scope import forget_waitlist_actor

    role_grant_create(user=coordinator, role=Role.COORDINATOR, territory=marais)
    forget_waitlist_actor(coordinator)
    client = signed_in(coordinator)
    page = client.get(RULES).content.decode()
    assert escape(waiting_list.name) in page and escape(marais_list.name) in page
    response = client.post(
        f"{RULES}?liste={marais_list.slug}", {**_form(weights={"ald": 5}), "liste": marais_list.slug}
    )
    assert response.status_code == 302 and response["Location"].endswith(f"?liste={marais_list.slug}")
    assert PriorityRules.objects.get().waiting_list == marais_list
    assert client.get(RULES, {"liste": "inconnue"}).status_code == 404

# ruff: noqa: F811 (the fixtures imported from render_helpers are requested by name)
"""A coordinator opens the month's issue: it is filled from the directory's change events of that month and
that territory only, a second fill adds nothing, the public edition's departure says who, where and when only,
and the figures block is there when an app has figures."""

import pytest
from django.urls import reverse

from core.errors import ApplicationError
from newsletter.models import Edition, Issue, Item, Section
from newsletter.services.issues import issue_fill, issue_open, issue_open_both, item_create, item_move
from tests.newsletter.render_helpers import MONTH, month_events, neighbour_coordinator  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def test_coordinator_opens_an_issue_filled_with_the_month_and_territory_events_only(coordinator, month_events):
    issue = issue_open(acting_user=coordinator, month=MONTH, edition=Edition.PROFESSIONAL)
    sources = set(issue.items.exclude(source_event=None).values_list("source_event_id", flat=True))
    assert sources == {month_events[k].pk for k in ("departure", "arrival", "retirement", "member")}
    sections = dict(issue.items.exclude(source_event=None).values_list("source_event_id", "section"))
    assert sections[month_events["departure"].pk] == Section.DEPARTURES
    assert sections[month_events["retirement"].pk] == Section.DEPARTURES
    assert sections[month_events["arrival"].pk] == Section.ARRIVALS
    assert sections[month_events["member"].pk] == Section.NEW_MEMBERS


def test_a_new_establishment_of_the_month_has_its_item_without_naming_anyone(coordinator, month_events, territory):
    from directory.models import ChangeEvent
    from tests.factories import PracticeFactory

    place = PracticeFactory(name="Centre de santé du Lac", address="2 rue du Lac", city="Aizenay", territory=territory)
    ChangeEvent.objects.create(
        practice=place, kind=ChangeEvent.Kind.NEW_PRACTICE, happened_on=MONTH.replace(day=8), territory=territory
    )
    public = issue_open(acting_user=coordinator, month=MONTH, edition=Edition.PUBLIC)
    item = public.items.get(section=Section.NEW_PLACES)
    assert item.title == "Centre de santé du Lac"
    assert item.body.startswith("Centre de santé du Lac ouvre ses portes (2 rue du Lac, Aizenay)")
    assert item.body.endswith("dans l'annuaire depuis le 8 novembre 2026.")


def test_a_second_fill_adds_nothing(coordinator, month_events):
    issue = issue_open(acting_user=coordinator, month=MONTH, edition=Edition.PROFESSIONAL)
    count = issue.items.count()
    assert issue_fill(acting_user=coordinator, issue=issue) == 0
    assert issue.items.count() == count


def test_a_second_open_of_the_same_month_and_edition_is_a_conflict_naming_the_draft(coordinator, month_events):
    first = issue_open(acting_user=coordinator, month=MONTH, edition=Edition.PUBLIC)
    with pytest.raises(ApplicationError) as refused:
        issue_open(acting_user=coordinator, month=MONTH, edition=Edition.PUBLIC)
    assert refused.value.code == "conflict"
    assert refused.value.details["issue"] == str(first.public_id)
    assert "existe déjà" in refused.value.message


def test_public_departure_names_who_where_and_when_never_the_note(coordinator, month_events):
    public = issue_open(acting_user=coordinator, month=MONTH, edition=Edition.PUBLIC)
    item = public.items.get(source_event=month_events["departure"])
    assert item.body == "Dr Jean Dupont quitte le cabinet Maison de santé des Tilleuls le 15 novembre 2026."
    assert "patients" not in item.body
    professional = issue_open(acting_user=coordinator, month=MONTH, edition=Edition.PROFESSIONAL)
    assert "diabétiques" in professional.items.get(source_event=month_events["departure"]).body


def test_both_editions_from_one_draft_and_a_written_item_in_both(coordinator, month_events):
    professional, public = issue_open_both(acting_user=coordinator, month=MONTH)
    assert {professional.edition, public.edition} == {Edition.PROFESSIONAL, Edition.PUBLIC}
    item_create(
        acting_user=coordinator,
        issue=professional,
        section=Section.EVENTS,
        title="Soirée de la CPTS",
        body="Venez **nombreux**.",
        event_place="Salle des fêtes",
        registration_url="https://example.org/inscription",
        also_in_other_edition=True,
    )
    assert public.items.filter(title="Soirée de la CPTS", event_place="Salle des fêtes").exists()


def test_items_are_reordered_within_their_section(coordinator, month_events):
    issue = issue_open(acting_user=coordinator, month=MONTH, edition=Edition.PROFESSIONAL)
    departures = list(issue.items.filter(section=Section.DEPARTURES).order_by("position"))
    item_move(acting_user=coordinator, item=departures[1], direction="up")
    assert list(issue.items.filter(section=Section.DEPARTURES).order_by("position")) == departures[::-1]


def test_figures_block_is_absent_when_no_app_has_figures_for_the_month(coordinator, territory, month_events):
    issue = issue_open(acting_user=coordinator, month=MONTH, edition=Edition.PUBLIC)
    assert not issue.items.filter(section=Section.FIGURES).exists()


def test_figures_block_from_the_waiting_list_suppresses_small_counts_in_public(
    coordinator, territory, month_events, monkeypatch
):
    import waitlist.statistics

    monkeypatch.setattr(
        waitlist.statistics,
        "waitlist_monthly_figures",
        lambda *, territory_ids, month: {"signed_up": 4, "matched": 12, "waiting": 40, "median_wait_days": None},
    )
    public = issue_open(acting_user=coordinator, month=MONTH, edition=Edition.PUBLIC)
    figures = public.items.get(section=Section.FIGURES).body
    assert "moins de 10 inscriptions" in figures and "12 patients" in figures
    professional = issue_open(acting_user=coordinator, month=MONTH, edition=Edition.PROFESSIONAL)
    assert "4 inscriptions" in professional.items.get(section=Section.FIGURES).body
    assert issue_fill(acting_user=coordinator, issue=public) == 0  # the block is written once


def test_gp_cannot_open_an_issue(gp, month_events):
    with pytest.raises(ApplicationError) as refused:
        issue_open(acting_user=gp, month=MONTH, edition=Edition.PUBLIC)
    assert refused.value.code == "forbidden"


# --- Pages -------------------------------------------------------------------------------------------------------


def test_coordinator_opens_both_editions_on_the_page_and_edits_an_item(signed_in, coordinator, month_events):
    client = signed_in(coordinator)
    response = client.post(reverse("newsletter:coordination_issues"), {"month": "2026-11", "edition": "both"})
    assert response.status_code == 302
    assert Issue.objects.count() == 2
    issue = Issue.objects.get(edition=Edition.PROFESSIONAL)
    page = client.get(response["Location"])
    assert "Dr Jean Dupont" in page.content.decode()
    item = issue.items.get(source_event=month_events["arrival"])
    url = reverse("newsletter:coordination_item", args=[issue.public_id, item.pk])
    edited = client.post(
        url, {"title": "Bienvenue au Dr Moreau", "body": "Elle consulte le mardi."}, HTTP_HX_REQUEST="true"
    )
    assert edited.status_code == 200 and "Bienvenue au Dr Moreau" in edited.content.decode()
    item.refresh_from_db()
    assert item.title == "Bienvenue au Dr Moreau" and not item.included  # the box was left unticked
    again = client.post(reverse("newsletter:coordination_issues"), {"month": "2026-11", "edition": "public"})
    assert again.status_code == 409 and "existe déjà" in again.content.decode()


def test_bad_month_on_the_page_is_a_french_400_keeping_what_was_typed(signed_in, coordinator):
    response = signed_in(coordinator).post(
        reverse("newsletter:coordination_issues"), {"month": "novembre", "edition": "public"}
    )
    assert response.status_code == 400
    assert "Mois illisible" in response.content.decode() and 'value="novembre"' in response.content.decode()


def test_gp_gets_403_and_other_territory_coordinator_404(
    signed_in, coordinator, gp, neighbour_coordinator, month_events
):
    issue = issue_open(acting_user=coordinator, month=MONTH, edition=Edition.PUBLIC)
    url = reverse("newsletter:coordination_issue", args=[issue.public_id])
    assert signed_in(gp).get(url).status_code == 403
    assert signed_in(neighbour_coordinator).get(url).status_code == 404
    item = Item.objects.filter(issue=issue).first()
    move = reverse("newsletter:coordination_item_move", args=[issue.public_id, item.pk])
    assert signed_in(neighbour_coordinator).post(move, {"direction": "up"}).status_code == 404


def test_coordinator_moves_and_leaves_out_items_with_htmx(signed_in, coordinator, month_events):
    issue = issue_open(acting_user=coordinator, month=MONTH, edition=Edition.PUBLIC)
    first, second = issue.items.filter(section=Section.DEPARTURES).order_by("position")
    client = signed_in(coordinator)
    url = reverse("newsletter:coordination_item_move", args=[issue.public_id, second.pk])
    moved = client.post(url, {"direction": "up"}, HTTP_HX_REQUEST="true")
    assert moved.status_code == 200 and 'id="elements"' in moved.content.decode()
    assert list(issue.items.filter(section=Section.DEPARTURES).order_by("position")) == [second, first]
    left_out = client.post(url, {"included": "0"}, HTTP_HX_REQUEST="true")
    assert "laissé hors de la lettre" in left_out.content.decode()
    second.refresh_from_db()
    assert not second.included

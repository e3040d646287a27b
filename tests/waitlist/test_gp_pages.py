"""The GP's pages under /liste-attente/medecin/ and "who accepts new patients": Alice pledges (a bad figure is a
French 400 keeping what she typed), draws a batch on her pledge's page, accepts one (its name and phone appear) and
declines another with a reason (HTMX swaps the card); Bob gets 404 on all of it; the lists make the same number of
queries for 10 or 40 rows; every proposal shown is in the access log; a discreet pledge never shows elsewhere."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessLog
from waitlist.models import Entry, Pledge, Proposal
from waitlist.services.pledges import pledge_create, pledge_draw

pytestmark = pytest.mark.django_db

HOME = "/liste-attente/medecin/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def _pledge(user, **overrides):
    arguments = {"capacity": 12, "radius_km": 10, "until": timezone.localdate() + datetime.timedelta(90), **overrides}
    return pledge_create(acting_user=user, **arguments)


def test_the_pages_have_their_names():
    assert reverse("waitlist:gp_home") == HOME
    assert reverse("waitlist:accepting_gps") == "/liste-attente/medecins-qui-acceptent/"


def test_alice_pledges_from_her_page_and_lands_on_the_pledge(gp, gp_entry, waiting_list, signed_in):
    client = signed_in(gp)
    page = client.get(HOME)
    assert page.status_code == 200
    assert "Nouvel engagement" in page.content.decode()
    until = (timezone.localdate() + datetime.timedelta(90)).isoformat()
    response = client.post(
        HOME, {"capacity": "12", "radius_km": "10", "until": until, "families_welcome": "on", "discreet": "on"}
    )
    pledge = Pledge.objects.get()
    assert response.status_code == 302 and response.url == reverse("waitlist:gp_pledge", args=[pledge.public_id])
    assert (pledge.capacity, pledge.radius_km, pledge.families_welcome, pledge.discreet) == (12, 10, True, True)
    assert "Tirer des propositions" in client.get(response.url).content.decode()


def test_a_pledge_of_ten_thousand_is_a_french_400_keeping_what_was_typed(gp, gp_entry, waiting_list, signed_in):
    until = (timezone.localdate() + datetime.timedelta(90)).isoformat()
    response = signed_in(gp).post(HOME, {"capacity": "10000", "radius_km": "7", "until": until})
    assert response.status_code == 400
    body = response.content.decode()
    assert "entre 1 et 500" in body and 'value="10000"' in body and 'value="7"' in body
    assert not Pledge.objects.exists()


def test_others_cannot_open_the_gp_pages(cardiologist, pharmacist, coordinator, observer, signed_in, client):
    # The menu leads every professional to the GP's page: who does not pledge goes on to the GPs who accept.
    for user in (cardiologist, pharmacist, coordinator):
        assert signed_in(user).get(HOME).url == reverse("waitlist:accepting_gps")
    assert signed_in(observer).get(HOME).status_code == 403
    client.logout()
    assert client.get(HOME).status_code == 302  # to the sign-in page


def test_the_draw_shows_the_batch_without_names_and_the_answers(gp, gp_entry, waiting_entry, signed_in):
    waiting_entry(family_name="Durand", ald=True, birth_date=datetime.date(1950, 1, 2))
    waiting_entry(family_name="Lefebvre", birth_date=datetime.date(1960, 1, 2))
    pledge = _pledge(gp)
    client = signed_in(gp)

    response = client.post(reverse("waitlist:gp_pledge_draw", args=[pledge.public_id]), **HTMX)

    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('class="proposal-card') == 2
    assert "ALD" in body and "La Roche-sur-Yon" in body and "Très prioritaire" in body
    assert body.index("76 ans") < body.index("66 ans")  # the most urgent first
    assert "Durand" not in body and "Lefebvre" not in body and "06 12" not in body  # no name, no phone yet
    assert "2 propositions tirées" in body
    assert Proposal.objects.filter(pledge=pledge, status="pending").count() == 2


def test_without_javascript_the_draw_redirects_to_the_pledge(gp, gp_entry, waiting_entry, signed_in):
    waiting_entry()
    pledge = _pledge(gp)
    response = signed_in(gp).post(reverse("waitlist:gp_pledge_draw", args=[pledge.public_id]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("waitlist:gp_pledge", args=[pledge.public_id])
    assert "1 proposition(s) tirée(s)" in response.content.decode()


def test_accepting_shows_the_name_and_phone_declining_needs_a_reason(gp, gp_entry, waiting_entry, signed_in):
    waiting_entry(family_name="Durand", given_names="Jeanne", waiting_since=timezone.now() - datetime.timedelta(9))
    waiting_entry(family_name="Lefebvre", given_names="Marc")
    pledge = _pledge(gp)
    first, second = pledge_draw(pledge=pledge, acting_user=gp)
    client = signed_in(gp)

    accepted = client.post(reverse("waitlist:gp_proposal_accept", args=[first.public_id]), **HTMX)
    assert accepted.status_code == 200
    body = accepted.content.decode()
    assert "Jeanne DURAND" in body and "06 12 34 56 78" in body and 'href="tel:+33612345678"' in body

    decline_url = reverse("waitlist:gp_proposal_decline", args=[second.public_id])
    refused = client.post(decline_url, {"reason": "  "}, **HTMX)
    assert refused.status_code == 400
    assert "Indiquez la raison du refus" in refused.content.decode()
    declined = client.post(decline_url, {"reason": "Hors de mon secteur de visites"}, **HTMX)
    assert declined.status_code == 200
    assert "Hors de mon secteur de visites" in declined.content.decode()
    assert "Marc" not in declined.content.decode()
    assert Entry.objects.get(pk=second.entry_id).status == "waiting"
    # Answered twice: a conflict, said on the card.
    again = client.post(reverse("waitlist:gp_proposal_accept", args=[second.public_id]), **HTMX)
    assert again.status_code == 409 and "déjà sa réponse" in again.content.decode()


def test_a_refused_decline_without_javascript_keeps_the_page_and_says_why(gp, gp_entry, waiting_entry, signed_in):
    waiting_entry()
    [proposal] = pledge_draw(pledge=_pledge(gp), acting_user=gp)
    response = signed_in(gp).post(reverse("waitlist:gp_proposal_decline", args=[proposal.public_id]), {"reason": ""})
    assert response.status_code == 400
    assert "Indiquez la raison du refus" in response.content.decode()


def test_bob_gets_404_on_alice_s_pledge_and_proposals(gp, gp_entry, gp2, gp2_entry, waiting_entry, signed_in):
    waiting_entry()
    pledge = _pledge(gp)
    [proposal] = pledge_draw(pledge=pledge, acting_user=gp)
    client = signed_in(gp2)
    for method, name, target in (
        ("get", "waitlist:gp_pledge", pledge),
        ("post", "waitlist:gp_pledge_draw", pledge),
        ("post", "waitlist:gp_pledge_close", pledge),
        ("get", "waitlist:gp_proposal", proposal),
        ("post", "waitlist:gp_proposal_accept", proposal),
        ("post", "waitlist:gp_proposal_decline", proposal),
    ):
        response = getattr(client, method)(reverse(name, args=[target.public_id]), {"reason": "x"})
        assert response.status_code == 404, name
    assert Proposal.objects.get().status == "pending"
    assert "Durand" not in client.get(reverse("waitlist:gp_proposals")).content.decode()


def test_every_proposal_shown_is_in_the_access_log(gp, gp_entry, waiting_entry, signed_in):
    for _ in range(3):
        waiting_entry()
    pledge_draw(pledge=_pledge(gp), acting_user=gp)
    AccessLog.objects.all().delete()
    signed_in(gp).get(reverse("waitlist:gp_proposals"))
    assert AccessLog.objects.filter(user=gp, subject_type="waitlist_entry", action="read").count() == 3


@pytest.mark.parametrize("view", ["waitlist:gp_proposals", "waitlist:gp_home"])
def test_the_lists_make_the_same_queries_for_10_or_40_rows(
    gp, gp_entry, waiting_entry, signed_in, django_assert_max_num_queries, view
):
    client = signed_in(gp)

    def fill(count):
        for _ in range(count):
            waiting_entry()
        pledge = _pledge(gp, capacity=count)
        for _ in range(0, count, 5):
            pledge_draw(pledge=pledge, acting_user=gp)

    def pledge_page():
        return reverse("waitlist:gp_pledge", args=[Pledge.objects.order_by("pk").first().public_id])

    fill(10)
    client.get(reverse(view))
    with django_assert_max_num_queries(12) as few:
        assert client.get(reverse(view)).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(pledge_page()).status_code == 200
    fill(30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse(view)).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(pledge_page()).status_code == 200


# --- Who accepts new patients -------------------------------------------------------------------------------------


def test_the_pharmacist_sees_the_gps_who_accept_but_never_a_discreet_pledge(
    gp, gp_entry, gp2, gp2_entry, pharmacist, waiting_entry, signed_in, django_assert_max_num_queries
):
    waiting_entry(family_name="Durand")
    _pledge(gp, capacity=8, radius_km=15)
    _pledge(gp2, discreet=True)
    client = signed_in(pharmacist)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("waitlist:accepting_gps"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Alice Martin" in body and "Encore 8 places" in body and "15 km" in body
    assert "Bob Benali" not in body
    assert "Durand" not in body
    # Bob's directory flag shows him, still without his discreet pledge.
    gp2_entry.accepting_new_patients = True
    gp2_entry.save(update_fields=["accepting_new_patients"])
    body = client.get(reverse("waitlist:accepting_gps")).content.decode()
    assert "Bob Benali" in body and body.count("Encore ") == 1


def test_a_full_or_ended_pledge_is_not_offered(gp, gp_entry, pharmacist, waiting_entry, signed_in):
    waiting_entry()
    pledge_draw(pledge=_pledge(gp, capacity=1), acting_user=gp)
    assert "Alice Martin" not in signed_in(pharmacist).get(reverse("waitlist:accepting_gps")).content.decode()


def test_who_accepts_is_for_professionals_and_coordinators_only(
    observer, outsider, coordinator, waiting_list, signed_in
):
    assert signed_in(observer).get(reverse("waitlist:accepting_gps")).status_code == 403
    assert signed_in(outsider).get(reverse("waitlist:accepting_gps")).status_code == 403
    assert signed_in(coordinator).get(reverse("waitlist:accepting_gps")).status_code == 200

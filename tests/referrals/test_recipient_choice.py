"""Choosing the recipient of a new request: the GP learns before sending who receives and answers it on the
portal, any absence before the date the answer is due (not only today's), the measured delays, what to address
instead; and when nobody on the recipient's side uses the portal, they are told so before sending, and after it
the page says that the letter is ready for them to send, with the recipient's MSSanté address first."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from directory.models import Absence, Activity, Audience, ContactChannel, Practitioner, ResponseStatistic
from directory.selectors.portal_use import portal_use_annotate
from directory.services import role_grant_create
from referrals.models import Pathway, Referral
from referrals.recipients import due_date_for, recipient_reach
from referrals.selectors import recipient_uses_portal
from tests.factories import PracticeFactory, PractitionerFactory, SpecialtyFactory, UserFactory
from tests.referrals.conftest import NEW_REQUEST_URL, RECIPIENT_NOTICES_URL, detail_url, new_request_form

SEARCH = reverse("referrals:recipient_search")
DIRECTORY = "/annuaire/"


def _page(response) -> str:
    assert response.status_code in (200, 400), response.status_code
    return response.content.decode()


@pytest.fixture
def cardio(cardiologist):
    return Practitioner.objects.get(user=cardiologist)


@pytest.fixture
def pulmonology():
    return SpecialtyFactory(code="SM41", label="Pneumologie")


@pytest.fixture
def station_practice(territory):
    return PracticeFactory(name="Cabinet de pneumologie de la Gare", territory=territory)


@pytest.fixture
def noel(territory, station_practice, pulmonology) -> Practitioner:
    """Dr Odile Noël, pulmonologist: in the directory with an MSSanté address, no account, no secretary."""
    practitioner = PractitionerFactory(first_name="Odile", last_name="Noël", territory=territory)
    practitioner.specialties.add(pulmonology)
    Activity.objects.create(practitioner=practitioner, practice=station_practice)
    ContactChannel.objects.create(
        practice=station_practice, audience=Audience.PUBLIC, kind=ContactChannel.Kind.FAX, value="+33251446161"
    )
    ContactChannel.objects.create(
        practitioner=practitioner,
        audience=Audience.PROFESSIONALS,
        kind=ContactChannel.Kind.MSSANTE,
        value="odile.noel@medecin.mssante.fr",
    )
    return practitioner


def _professional_with_account(first_name, last_name, practice, specialty, territory) -> Practitioner:
    practitioner = PractitionerFactory(first_name=first_name, last_name=last_name, territory=territory)
    practitioner.specialties.add(specialty)
    Activity.objects.create(practitioner=practitioner, practice=practice)
    user = UserFactory(email=f"{first_name.lower()}.{last_name.lower()}@cpts.test")
    role_grant_create(user=user, role=Role.PROFESSIONAL, practitioner=practitioner)
    return practitioner


def _away(practitioner, *, starts_in: int, days: int, replacement=None) -> Absence:
    today = timezone.localdate()
    return Absence.objects.create(
        practitioner=practitioner,
        starts_on=today + datetime.timedelta(days=starts_in),
        ends_on=today + datetime.timedelta(days=starts_in + days),
        replacement=replacement,
    )


def _notices(browser, recipient, **typed) -> str:
    query = {"recipient": f"{recipient._meta.model_name}:{recipient.public_id}", "kind": "letter", **typed}
    return _page(browser.get(RECIPIENT_NOTICES_URL, query, HTTP_HX_REQUEST="true"))


# --- Who receives and answers on the portal ---------------------------------------------------------------------


def test_a_practice_with_an_active_secretary_account_answers_on_the_portal(gp, noel, station_practice):
    assert recipient_reach(gp, noel, sender=None).uses_portal is False

    secretary = UserFactory(email="accueil.gare@cpts.test")
    role_grant_create(user=secretary, role=Role.SECRETARY, practices=[station_practice])
    reach = recipient_reach(gp, noel, sender=None)
    assert (reach.uses_portal, reach.answers, reach.secretaries) == (True, False, 1)
    assert recipient_uses_portal(Referral(recipient_practitioner=noel)) is True

    secretary.is_active = False  # the account closed: nobody reads the inbox any more
    secretary.save(update_fields=["is_active"])
    assert recipient_reach(gp, noel, sender=None).uses_portal is False
    assert recipient_uses_portal(Referral(recipient_practitioner=noel)) is False


def test_the_form_says_who_receives_it_and_counts_the_secretaries_without_names(
    signed_in, gp, cardio, cardio_secretary
):
    ResponseStatistic.objects.create(
        practitioner=cardio,
        requests=12,
        median_first_response=datetime.timedelta(days=2),
        computed_at=timezone.now(),
    )
    page = _notices(signed_in(gp), cardio)

    assert "le destinataire y répond lui-même" in page
    assert "1 secrétaire la reçoit" in page and "Denise" not in page and "Moreau" not in page
    assert "Première réponse en 2 j (médiane sur 12 demandes)" in page
    assert "Personne ne reçoit" not in page


# --- Absences before the due date ----------------------------------------------------------------------------------


def test_an_absence_overlapping_the_due_date_but_not_today_is_shown_and_holds_the_request(
    signed_in, gp, gp2, cardio, cardio_secretary
):
    _away(cardio, starts_in=10, days=7, replacement=Practitioner.objects.get(user=gp2))
    browser = signed_in(gp)

    routine = _notices(browser, cardio, urgency="routine")  # due in 30 days: the absence comes before
    urgent = _notices(browser, cardio, urgency="urgent")  # due in 48 h: back by then, nothing to say
    held = browser.post(NEW_REQUEST_URL, new_request_form(cardio, urgency="routine"))

    starts = (timezone.localdate() + datetime.timedelta(days=10)).day
    assert f"Absent du {starts} " in routine and "l'absence tombe avant" in routine
    assert "Adresser plutôt à Bob Benali" in routine
    assert "Absent du" not in urgent
    assert held.status_code == 200 and not Referral.objects.exists()
    assert f"sera absent à partir du {starts} " in _page(held)
    sent = browser.post(
        NEW_REQUEST_URL, new_request_form(cardio, urgency="routine", absence_seen=str(cardio.public_id))
    )
    assert sent.status_code == 302 and Referral.objects.get().recipient_practitioner == cardio


def test_the_search_shows_absences_before_the_due_date_of_the_urgency_chosen(signed_in, gp, cardio):
    _away(cardio, starts_in=5, days=3)
    browser = signed_in(gp)

    routine = _page(browser.get(SEARCH, {"q": "Rousseau", "urgency": "routine"}, HTTP_HX_REQUEST="true"))
    urgent = _page(browser.get(SEARCH, {"q": "Rousseau", "urgency": "urgent"}, HTTP_HX_REQUEST="true"))

    assert "Absent du" in routine and "Répond sur le portail" in routine
    assert "Absent du" not in urgent and "Répond sur le portail" in urgent


def test_the_due_date_follows_the_urgency_and_the_pathway():
    today = timezone.localdate()
    assert due_date_for("urgent") == today + datetime.timedelta(days=2)
    assert due_date_for("routine") == today + datetime.timedelta(days=30)
    assert due_date_for("routine", pathway=Pathway(target_delay=datetime.timedelta(days=5))) == today + (
        datetime.timedelta(days=5)
    )


# --- What to address instead -----------------------------------------------------------------------------------


def test_a_pathway_covering_the_specialty_and_a_colleague_who_answers_are_offered_first(
    signed_in, gp, territory, noel, station_practice, pulmonology
):
    roux = _professional_with_account("Paul", "Roux", station_practice, pulmonology, territory)
    elsewhere = PracticeFactory(name="Centre respiratoire", territory=territory)
    responder = _professional_with_account("Inès", "Caron", elsewhere, pulmonology, territory)
    pathway = Pathway.objects.create(territory=territory, name="Dyspnée inexpliquée")
    pathway.responder_practitioners.set([responder])
    Pathway.objects.create(territory=territory, name="Suspicion de cancer")  # no pulmonologist: not offered

    page = _notices(signed_in(gp), noel)

    assert "Adresser plutôt à Parcours « Dyspnée inexpliquée »" in page
    assert "Adresser plutôt à Paul Roux" in page
    assert "Adresser plutôt à Cabinet de pneumologie de la Gare" in page  # Dr Roux answers for the practice
    assert "Suspicion de cancer" not in page
    assert page.index("Dyspnée inexpliquée") < page.index("Paul Roux")
    assert f'value="pathway:{pathway.public_id}"' in page and f'value="practitioner:{roux.public_id}"' in page


def test_a_colleague_away_before_the_due_date_is_not_offered(
    signed_in, gp, territory, noel, station_practice, pulmonology
):
    roux = _professional_with_account("Paul", "Roux", station_practice, pulmonology, territory)
    _away(roux, starts_in=3, days=10)

    assert "Paul Roux" not in _notices(signed_in(gp), noel)


# --- Nobody uses the portal ------------------------------------------------------------------------------------------


def test_nobody_on_the_portal_is_said_before_sending_next_to_the_button(signed_in, gp, noel):
    browser = signed_in(gp)

    notices = _notices(browser, noel)
    form = _page(browser.get(NEW_REQUEST_URL, {"praticien": str(noel.public_id)}))

    assert "Personne ne reçoit les demandes sur le portail pour Odile Noël" in notices
    assert "par messagerie sécurisée à odile.noel@medecin.mssante.fr" in notices  # MSSanté first, before the fax
    assert 'id="recipient-send" hx-swap-oob="true"' in notices  # the button's note follows the choice
    assert "Préparer le courrier à envoyer" in notices
    assert 'id="recipient-send-note"' in form and "ce bouton prépare le courrier (PDF)" in form
    assert "Envoyer la demande</button>" not in form.split('id="recipient-send"')[1]


def test_without_the_notice_seen_the_request_to_nobody_is_held(signed_in, gp, noel):
    held = signed_in(gp).post(NEW_REQUEST_URL, new_request_form(noel))

    assert held.status_code == 200 and not Referral.objects.exists()
    assert "la demande n'est pas encore partie" in _page(held)
    assert 'name="outside_seen"' in _page(held) and 'value="Louise Marie"' in _page(held)


def test_after_sending_to_nobody_the_page_says_the_letter_is_ready_to_send_yourself(signed_in, gp, noel):
    browser = signed_in(gp)

    sent = browser.post(NEW_REQUEST_URL, new_request_form(noel, outside_seen=f"practitioner:{noel.public_id}"))
    referral = Referral.objects.get()
    page = _page(browser.get(detail_url(referral)))

    assert sent.status_code == 302 and sent.url == detail_url(referral) + "#sent-outside-title"
    assert "Courrier prêt : à envoyer vous-même à Odile Noël" in page
    assert "Demande envoyée." not in page
    assert reverse("referrals:letter", args=[referral.public_id]) in page
    assert page.index("odile.noel@medecin.mssante.fr") < page.index("Fax")
    assert "indiquez comment vous l&#x27;avez envoyé" in page or "indiquez comment vous l'avez envoyé" in page


def test_a_request_that_reaches_someone_still_says_sent(signed_in, gp, cardio):
    browser = signed_in(gp)

    sent = browser.post(NEW_REQUEST_URL, new_request_form(cardio), follow=True)

    assert "Demande envoyée." in _page(sent) and "Courrier prêt" not in _page(sent)


# --- The directory's results --------------------------------------------------------------------------------------


def test_the_directory_results_say_who_answers_on_the_portal_and_the_absences(
    client, signed_in, gp, cardio, cardio_secretary, noel
):
    _away(noel, starts_in=4, days=2)
    page = _page(signed_in(gp).get(DIRECTORY, {"q": "Rousseau"}))
    offline = _page(signed_in(gp).get(DIRECTORY, {"q": "Noël"}))

    assert "Répond sur le portail ; son secrétariat aussi (1 secrétaire)" in page
    assert "N&#x27;utilise pas le portail" in offline or "N'utilise pas le portail" in offline
    assert "Absent du" in offline


def test_the_public_is_not_told_who_has_an_account(client, cardio, noel):
    client.logout()
    page = _page(client.get(DIRECTORY, {"q": "Rousseau"}))

    assert "Chloé" in page and "portail" not in page.split('class="search-results"')[1]


def test_the_portal_facts_cost_one_query_whatever_the_number(gp, territory, station_practice, pulmonology, noel):
    others = [
        _professional_with_account(f"P{n}", f"Pneumo{n}", station_practice, pulmonology, territory) for n in range(5)
    ]
    with CaptureQueriesContext(connection) as queries:
        portal_use_annotate([noel, *others], audience=Audience.PROFESSIONALS)
    assert len(queries) == 1
    assert noel.portal_use.receives is False and all(other.portal_use.own_account for other in others)

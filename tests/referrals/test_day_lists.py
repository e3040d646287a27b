"""Issue 11, the request page and the lists as a day's work: a GP finds a patient's request by name, newest or
late first; the recipient's side filters its inbox by kind and reads each request's first words; the request
page puts the next action first, folds the rest, comes back where the user was and lists its errors at the top,
each linking to its field; a request answered in writing closes without a visit report."""

import datetime
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.errors import ApplicationError
from directory.models import Activity, Practitioner
from notifications.models import OutboundMessage
from notifications.services import message_render
from referrals.models import Referral, ReferralEvent
from referrals.services import referral_accept, referral_acknowledge, referral_answer, referral_close, referral_send
from referrals.services.deadlines import deadline_reminders_send
from referrals.views.requests import reason_start
from tests.factories import PractitionerFactory
from tests.referrals.conftest import PATIENT, detail_url

MINE = reverse("referrals:list")
INBOX = reverse("referrals:inbox")


@pytest.fixture
def cardio(cardiologist):
    return Practitioner.objects.get(user=cardiologist)


@pytest.fixture
def expert(cardio):
    cardio.answers_teleexpertise = True
    cardio.save(update_fields=["answers_teleexpertise"])
    return cardio


def _send(gp, recipient, *, family_name="Durand", given_names="Louise Marie", days_ago=0, overdue=False, **changes):
    referral = referral_send(
        acting_user=gp,
        kind=changes.pop("kind", "letter"),
        recipient_practitioner=recipient,
        **{**PATIENT, "patient_family_name": family_name, "patient_given_names": given_names, **changes},
    )
    updates = {}
    if days_ago:
        updates["sent_at"] = timezone.now() - datetime.timedelta(days=days_ago)
    if overdue:
        updates["due_at"] = timezone.now() - datetime.timedelta(days=1)
    if updates:
        Referral.objects.filter(pk=referral.pk).update(**updates)
    return referral


def _page(response) -> str:
    return response.content.decode()


def _action(referral, name) -> str:
    return reverse("referrals:action", args=[referral.public_id, name])


# --- "Mes demandes" ---------------------------------------------------------------------------------------------


def test_a_gp_sorts_her_requests_newest_first_or_late_first(signed_in, gp, cardio):
    _send(gp, cardio, family_name="Ancien", days_ago=20, overdue=True)
    _send(gp, cardio, family_name="Milieu", days_ago=5)
    _send(gp, cardio, family_name="Recent", days_ago=1)
    browser = signed_in(gp)

    late_first = _page(browser.get(MINE))
    newest = _page(browser.get(MINE, {"sort": "newest"}))

    assert late_first.index("ANCIEN") < late_first.index("MILIEU")
    assert newest.index("RECENT") < newest.index("MILIEU") < newest.index("ANCIEN")
    assert newest.count(">en retard</span>") == 1  # the late one still says so
    assert '<option value="newest" selected>' in newest


@pytest.mark.parametrize("typed", ["beatrice", "BÉATRICE", "Béa", "lefevre-beatrice", "  Lefèvre  "])
def test_a_gp_finds_a_patients_request_by_name_whatever_the_accents_and_case(signed_in, gp, cardio, typed):
    _send(gp, cardio, family_name="Lefèvre", given_names="Béatrice")
    _send(gp, cardio, family_name="Durand", given_names="Louise Marie")

    page = _page(signed_in(gp).get(MINE, {"q": typed}))

    assert "LEFÈVRE" in page and "DURAND" not in page
    assert "1 demande" in page


def test_the_search_finds_the_used_name_too_and_says_when_nothing_matches(signed_in, gp, cardio):
    _send(gp, cardio, family_name="Durand", patient_used_name="Moreau")

    assert "DURAND" in _page(signed_in(gp).get(MINE, {"q": "moreau"}))
    nothing = _page(signed_in(gp).get(MINE, {"q": "Zorglub"}))
    assert "DURAND" not in nothing and "Aucune de vos demandes ne concerne ce patient." in nothing


def test_a_gp_does_not_find_another_gps_patient(signed_in, gp, gp2, cardio):
    _send(gp, cardio, family_name="Lefèvre")

    assert "LEFÈVRE" not in _page(signed_in(gp2).get(MINE, {"q": "lefevre"}))


def test_an_unknown_order_is_refused_in_french(signed_in, gp):
    response = signed_in(gp).get(MINE, {"sort": "alphabet"})

    assert response.status_code == 400 and "Sélectionnez un choix valide" in _page(response)


# --- The inbox --------------------------------------------------------------------------------------------------


def test_the_secretary_filters_her_inbox_by_kind(signed_in, gp, expert, cardio_secretary):
    _send(gp, expert, family_name="Courrier")
    _send(gp, expert, family_name="Avis", kind="teleexpertise", teleexpertise_consent=True)
    browser = signed_in(cardio_secretary)

    letters = _page(browser.get(INBOX, {"kind": "letter"}))
    opinions = _page(browser.get(INBOX, {"kind": "teleexpertise"}, HTTP_HX_REQUEST="true"))

    assert "COURRIER" in letters and "AVIS" not in letters
    assert "AVIS" in opinions and "COURRIER" not in opinions
    assert browser.get(INBOX, {"kind": "fax"}).status_code == 400


def test_the_inbox_shows_the_reasons_first_words_cut_at_a_word(signed_in, gp, cardio, cardio_secretary):
    reason = (
        "Douleur thoracique atypique à l'effort depuis trois semaines, sans irradiation, chez une patiente "
        "hypertendue traitée, ECG de repos normal, demande d'épreuve d'effort"
    )
    _send(gp, cardio, reason=reason)

    page = _page(signed_in(cardio_secretary).get(INBOX))

    shown = html.unescape(re.search(r'<small class="reason-start">([^<]*)</small>', page).group(1))
    assert shown.startswith("Douleur thoracique atypique") and shown.endswith("…")
    assert len(shown) <= 81 and "épreuve d&#x27;effort" not in page
    kept = shown.removesuffix("…")
    assert reason.startswith(kept) and not reason[len(kept)].isalpha()  # cut between two words


def test_the_reason_start_is_cut_at_a_word_and_short_reasons_whole():
    assert reason_start("Essoufflement à l'effort") == "Essoufflement à l'effort"
    assert reason_start("un deux trois quatre", limit=10) == "un deux…"
    assert reason_start("anticonstitutionnellement", limit=10) == "anticonsti…"
    assert reason_start("avis, svp  merci", limit=5) == "avis…"


def test_another_practice_never_reads_the_reason(signed_in, gp, cardio, other_secretary):
    _send(gp, cardio, reason="Motif très confidentiel")

    assert "Motif très confidentiel" not in _page(signed_in(other_secretary).get(INBOX))


def test_the_inbox_offers_recipients_no_draft_filter(signed_in, cardio_secretary):
    browser = signed_in(cardio_secretary)

    page = _page(browser.get(INBOX))

    assert 'value="draft"' not in page and "Brouillon" not in page
    assert browser.get(INBOX, {"status": "draft"}).status_code == 400


@pytest.mark.parametrize(
    ("url", "persona", "query"),
    [
        (INBOX, "cardio_secretary", {"kind": "letter"}),
        (MINE, "gp", {"q": "patient", "sort": "newest"}),
    ],
)
def test_the_filtered_lists_cost_the_same_queries_for_3_or_30_requests(
    request, signed_in, gp, cardio, url, persona, query
):
    browser = signed_in(request.getfixturevalue(persona))

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert browser.get(url, query).status_code == 200
        return len(captured.captured_queries)

    for number in range(3):
        _send(gp, cardio, family_name=f"Patient{number}", overdue=number == 0)
    with_three = queries()
    for number in range(3, 30):
        _send(gp, cardio, family_name=f"Patient{number}")

    assert queries() == with_three <= 14


# --- The request page ---------------------------------------------------------------------------------------------


def test_the_next_action_comes_before_the_folded_secondary_ones(
    signed_in, gp, expert, cardio_secretary, territory, cardio_practice
):
    colleague = PractitionerFactory(first_name="Damien", last_name="Leclerc", territory=territory)
    Activity.objects.create(practitioner=colleague, practice=cardio_practice)  # someone to forward to
    letter = _send(gp, expert)  # who answers tele-expertise: the letter may be converted

    page = _page(signed_in(cardio_secretary).get(detail_url(letter)))

    main = page.index("Prendre en compte</button>")
    for secondary in ("Transférer à un confrère du cabinet", "Convertir en", "Joindre un document", ">Motif<"):
        assert secondary in page and main < page.index(secondary), secondary
    assert re.search(r'<details class="referral-panel referral-more" id="referral-forward"\s*>', page)
    assert re.search(r'<details class="referral-panel referral-more" id="referral-convert"\s*>', page)
    for button in ("Transférer", "Convertir", "Joindre"):
        assert f'<button type="submit" class="secondary">{button}</button>' in page, button


def test_a_refused_action_lists_its_errors_at_the_top_with_links_to_the_fields(signed_in, gp, cardio, cardio_secretary):
    letter = _send(gp, cardio)
    referral_acknowledge(acting_user=cardio_secretary, referral=letter)

    response = signed_in(cardio_secretary).post(_action(letter, "accept"), {"appointment_time": "25:99"})

    page = _page(response)
    assert response.status_code == 400
    start = page.index('class="error-summary" role="alert"')
    banner = page[start : page.index("</ul>", start)]
    assert page.index('class="error-summary"') < page.index("<h1>")
    assert 'href="#id_accept_appointment_date"' in banner and "Indiquez la date du rendez-vous." in banner
    assert 'href="#id_accept_appointment_time"' in banner
    assert 'id="id_accept_appointment_date"' in page  # the field the link leads to, in its open form
    assert re.search(r'<details id="action-accept" open>', page)


def test_an_action_taken_meanwhile_is_refused_at_the_top_linking_to_what_is_left(
    signed_in, gp, cardio, cardio_secretary
):
    letter = _send(gp, cardio)
    page_seen_before = _page(signed_in(cardio_secretary).get(detail_url(letter)))
    referral_acknowledge(acting_user=cardio.user, referral=letter)  # a colleague, meanwhile

    response = signed_in(cardio_secretary).post(_action(letter, "acknowledge"))

    page = _page(response)
    assert 'id="action-acknowledge"' in page_seen_before
    assert response.status_code == 400
    assert 'class="error-summary" role="alert"' in page and 'href="#referral-actions"' in page
    assert 'id="referral-actions"' in page and 'id="action-acknowledge"' not in page


def test_a_page_without_error_has_no_banner(signed_in, gp, cardio):
    assert "error-summary" not in _page(signed_in(gp).get(detail_url(_send(gp, cardio))))


def test_a_message_comes_back_to_the_thread(signed_in, gp, cardio):
    letter = _send(gp, cardio)

    response = signed_in(gp).post(_action(letter, "message"), {"message": "Elle préfère le matin."})

    assert response.status_code == 302 and response["Location"] == detail_url(letter) + "#thread-title"


def test_an_empty_message_is_listed_at_the_top_and_links_to_the_message_field(signed_in, gp, cardio):
    letter = _send(gp, cardio)

    response = signed_in(gp).post(_action(letter, "message"), {"message": "  "})

    page = _page(response)
    assert response.status_code == 400
    assert 'href="#id_message_message"' in page and 'id="id_message_message"' in page


# --- Closing after a written answer -------------------------------------------------------------------------------


@pytest.fixture
def answered(gp, expert, cardiologist):
    question = _send(gp, expert, kind="teleexpertise", teleexpertise_consent=True)
    return referral_answer(acting_user=cardiologist, referral=question, answer="Pas d'indication à une consultation.")


def test_after_a_written_answer_the_expert_closes_without_a_visit_report(signed_in, answered, cardiologist):
    expert_page = signed_in(cardiologist)

    page = _page(expert_page.get(detail_url(answered)))

    assert "Clôturer avec un compte-rendu" not in page
    assert "<summary>Clôturer la demande</summary>" in page
    assert 'name="report"' not in page and 'name="note"' in page
    response = expert_page.post(_action(answered, "close"), {"note": "Avis rendu."})
    assert response.status_code == 302
    answered.refresh_from_db()
    assert (answered.status, answered.closing_report) == ("closed", "")


def test_a_visit_report_on_a_written_answer_is_refused_in_french(signed_in, answered, cardiologist):
    response = signed_in(cardiologist).post(_action(answered, "close"), {"report": "Patiente vue, examen normal."})

    page = _page(response)
    assert response.status_code == 400
    assert "se clôture sans compte-rendu de consultation" in page
    assert 'href="#id_close_report"' in page and 'id="id_close_report"' in page  # shown, with what was typed
    answered.refresh_from_db()
    assert (answered.status, answered.closing_report) == ("answered", "")


def test_the_service_refuses_a_visit_report_on_a_written_answer(answered, cardiologist):
    with pytest.raises(ApplicationError) as refused:
        referral_close(acting_user=cardiologist, referral=answered, report="Patiente vue.")

    assert refused.value.field == "report" and "sans compte-rendu" in refused.value.message
    answered.refresh_from_db()
    assert answered.status == "answered"


def test_after_a_visit_the_close_still_asks_for_the_report(signed_in, gp, cardio, cardio_secretary, cardio_practice):
    letter = _send(gp, cardio)
    referral_accept(
        acting_user=cardio_secretary,
        referral=letter,
        # In three days at 10:00 in Paris: "now + 3 days" is refused after 21:00 as an unusual hour.
        appointment_at=timezone.make_aware(
            datetime.datetime.combine(timezone.localdate() + datetime.timedelta(days=3), datetime.time(10))
        ),
        site=cardio_practice,
    )

    page = _page(signed_in(cardio_secretary).get(detail_url(letter)))

    assert "Clôturer avec un compte-rendu" in page and 'name="report"' in page


def test_the_reminder_to_close_a_written_answer_asks_for_no_visit_report(answered, cardiologist):
    shift = datetime.timedelta(days=31)  # as if the answer had been given a month ago
    Referral.objects.filter(pk=answered.pk).update(sent_at=answered.sent_at - shift, due_at=answered.due_at - shift)
    for event in ReferralEvent.objects.filter(referral=answered):
        ReferralEvent.objects.filter(pk=event.pk).update(at=event.at - shift)

    deadline_reminders_send()

    reminder = OutboundMessage.objects.get(template="referral_close_reminder", recipient=cardiologist.email)
    text = " ".join(message_render(reminder).values())
    assert "Clôturez-la : le médecin adresseur saura qu'elle a abouti." in text
    assert "compte-rendu" not in text

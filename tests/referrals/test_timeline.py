"""A request's history stores what happened (a code and its values) and reads in the reader's language: the GP,
the secretary and the coordinator see French sentences in French, English ones in English; what a user typed (a
reason, a message) is shown as they typed it."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import translation

from directory.models import Activity, Practitioner
from referrals.models import ReferralEvent
from referrals.services import referral_answer, referral_send
from referrals.services.attachments import attachment_add
from referrals.services.deadlines import deadline_reminders_send
from referrals.services.handling import referral_convert, referral_forward, referral_mark_sent_outside
from referrals.timeline import (
    NOTE_CODES,
    amount_label,
    attachment_added_note,
    billing_act_note,
    converted_note,
    event_actor,
    event_label,
    event_note,
    event_summary,
    forwarded_note,
    not_billable_note,
    sent_outside_note,
)
from tests.factories import PracticeFactory, PractitionerFactory
from tests.referrals.conftest import PATIENT, detail_url, pdf_bytes, upload

PARIS = ZoneInfo("Europe/Paris")


def _event(note: dict | None = None, *, action: str = "", typed: str = "", **fields) -> ReferralEvent:
    """An event as the services write it, not saved: rendering reads only its fields."""
    return ReferralEvent(action=action, note=typed, **(note or {}), **fields)


# --- Each code, in French ---------------------------------------------------------------------------------------


def test_a_billable_act_reads_with_its_side_code_amount_and_day():
    note = billing_act_note(side="requester", code="RQD", amount=Decimal("10.00"), act_date=datetime.date(2026, 3, 10))

    assert note == {
        "note_code": "billing_act",
        "note_params": {"side": "requester", "code": "RQD", "amount_cents": 1000, "date": "2026-03-10"},
    }
    assert event_summary(_event(note)) == "Acte facturable (médecin requérant) : RQD, 10,00 €, le 10/03/2026."


@pytest.mark.parametrize(
    ("reason", "values", "sentence"),
    [
        ("no_consent", {}, "consentement préalable du patient à la télé-expertise non recueilli"),
        ("no_expert", {}, "le médecin requis n'est pas identifié (réponse donnée au nom du cabinet)"),
        (
            "same_msp",
            {"site": "MSP du Bourg"},
            "les deux médecins exercent dans la même maison de santé (MSP du Bourg)",
        ),
        ("no_identity", {}, "identité du patient incomplète, le plafond annuel ne peut pas être vérifié"),
        ("cap_reached", {"cap": 4}, "plafond de 4 actes par an atteint pour ce patient"),
        ("no_tariff", {"act_date": datetime.date(2026, 3, 10)}, "aucun tarif en vigueur le 10/03/2026"),
    ],
)
def test_each_reason_an_act_is_not_billable_reads_in_french(reason, values, sentence):
    event = _event(not_billable_note(side="expert", reason=reason, **values))

    assert event_summary(event) == f"Acte non facturable (médecin requis) : {sentence}."


def test_a_forwarded_request_names_both_recipients_and_keeps_what_the_secretary_typed():
    event = _event(forwarded_note(from_name="Chloé Rousseau", to_name="Damien Leclerc"), typed="Son domaine")

    assert event_summary(event) == "Transférée de Chloé Rousseau à Damien Leclerc."
    assert event_note(event) == "Transférée de Chloé Rousseau à Damien Leclerc.\nSon domaine"


def test_a_converted_request_names_both_kinds():
    event = _event(converted_note(from_kind="teleexpertise", to_kind="letter"), typed="Souffle à ausculter")

    assert event_note(event) == "Télé-expertise convertie en Adressage (courrier)\nSouffle à ausculter"


def test_a_request_sent_outside_says_how_and_where():
    assert event_summary(_event(sent_outside_note(via="fax", detail="+33251446161"))) == "Fax : +33251446161"


def test_an_attachment_reads_with_its_name_and_type():
    event = _event(attachment_added_note(name="ECG Durand.pdf", content_type="application/pdf"))

    assert event_summary(event) == "ECG Durand.pdf (PDF)"


def test_every_code_has_its_builder_tested_here():
    # A new code gets its sentence, its French test above and its English msgid in the lead's list.
    assert set(NOTE_CODES) == {
        "billing_act",
        "not_billable",
        "forwarded",
        "converted",
        "sent_outside",
        "attachment_added",
    }


def test_a_typed_note_without_a_code_is_shown_as_typed():
    event = _event(action="declined", typed="Ne prend plus de nouveaux patients.")

    assert (event_summary(event), event_note(event)) == ("", "Ne prend plus de nouveaux patients.")


def test_values_that_do_not_fit_their_code_leave_the_summary_empty_instead_of_breaking_the_page():
    broken = [
        _event({"note_code": "billing_act", "note_params": {"side": "requester"}}),
        _event({"note_code": "billing_act", "note_params": {"side": "nobody", "code": "X", "amount_cents": 1}}),
        _event({"note_code": "not_billable", "note_params": {"side": "expert", "reason": "moon_phase"}}),
        _event({"note_code": "sent_outside", "note_params": {"via": "pigeon", "detail": "x"}}),
        _event({"note_code": "a_code_of_tomorrow", "note_params": {}}),
        _event({"note_code": "converted", "note_params": None}),
    ]

    assert [event_summary(event) for event in broken] == [""] * len(broken)
    assert event_note(_event({"note_code": "forwarded", "note_params": []}, typed="Urgent")) == "Urgent"


def test_the_portals_own_steps_are_signed_by_the_portal_and_a_person_by_the_name_kept():
    assert event_actor(_event(action="billed_expert")) == "Portail (facturation)"
    assert event_actor(_event(action="escalated")) == "Portail (rappel automatique)"
    assert event_actor(_event(action="accepted", actor_label="Chloé Rousseau")) == "Chloé Rousseau"
    assert event_label(_event(action="forwarded")) == "Transférée à un confrère"


# --- In English ---------------------------------------------------------------------------------------------------


def test_an_english_reader_reads_the_reasons_forwarding_and_portal_in_english():
    events = [
        _event(not_billable_note(side="requester", reason="no_consent"), action="not_billable_requester"),
        _event(forwarded_note(from_name="Chloé Rousseau", to_name="Damien Leclerc"), action="forwarded"),
        _event(converted_note(from_kind="teleexpertise", to_kind="letter")),
    ]

    with translation.override("en"):
        assert [event_summary(event) for event in events] == [
            "Non-billable act (requesting doctor): the patient's prior consent to the tele-expertise was not obtained.",
            "Forwarded from Chloé Rousseau to Damien Leclerc.",
            "Tele-expertise converted to Referral (letter)",
        ]
        assert event_actor(events[0]) == "Portal (billing)"
        assert event_label(events[1]) == "Forwarded to a colleague"


def test_an_english_reader_reads_amounts_as_euros_before_the_number():
    note = billing_act_note(side="expert", code="TE2", amount=Decimal("23.00"), act_date=datetime.date(2026, 3, 10))

    with translation.override("en"):
        assert amount_label(1000) == "€10.00"
        assert event_summary(_event(note)).startswith("Billable act (consulted doctor): TE2, €23.00, on ")


def test_an_english_reader_reads_the_day_first_as_every_date_of_the_page():
    note = not_billable_note(side="expert", reason="no_tariff", act_date=datetime.date(2026, 3, 10))

    with translation.override("en"):
        assert event_summary(_event(note)) == "Non-billable act (consulted doctor): no tariff in force on 10/03/2026."


def test_amounts_follow_the_readers_number_format():
    assert amount_label(123456) == "1234,56 €"
    with translation.override("en"):
        assert "1234.56" in amount_label(123456)


def test_an_english_reader_reads_how_a_request_was_sent_outside():
    with translation.override("en"):
        assert event_summary(_event(sent_outside_note(via="fax", detail="+33251446161"))) == "Fax: +33251446161"


# --- What the services store --------------------------------------------------------------------------------------


@pytest.fixture
def cardio(cardiologist):
    entry = Practitioner.objects.get(user=cardiologist)
    entry.answers_teleexpertise = True
    entry.save()
    return entry


@pytest.fixture
def answered_without_consent(gp, cardio, cardiologist):
    question = referral_send(acting_user=gp, kind="teleexpertise", recipient_practitioner=cardio, **PATIENT)
    when = datetime.datetime(2026, 3, 10, 10, tzinfo=PARIS)
    return referral_answer(acting_user=cardiologist, referral=question, answer="Pas d'urgence.", now=when)


@pytest.fixture
def answered_and_billed(gp, cardio, cardiologist):
    question = referral_send(
        acting_user=gp,
        kind="teleexpertise",
        recipient_practitioner=cardio,
        teleexpertise_consent=True,
        **PATIENT,
    )
    when = datetime.datetime(2026, 3, 10, 10, tzinfo=PARIS)
    return referral_answer(acting_user=cardiologist, referral=question, answer="Pas d'urgence.", now=when)


def test_billing_stores_codes_and_cents_and_no_sentence(answered_and_billed):
    events = {event.action: event for event in answered_and_billed.events.all()}

    requester, expert = events["billed_requester"], events["billed_expert"]
    assert (requester.note_code, requester.note_params) == (
        "billing_act",
        {"side": "requester", "code": "RQD", "amount_cents": 1000, "date": "2026-03-10"},
    )
    assert expert.note_params["amount_cents"] == 2300
    assert (requester.note, requester.actor_label, requester.actor) == ("", "", None)


def test_a_side_not_billed_stores_the_rules_code(answered_without_consent):
    event = answered_without_consent.events.get(action="not_billable_requester")

    assert (event.note_code, event.note_params, event.note) == (
        "not_billable",
        {"side": "requester", "reason": "no_consent"},
        "",
    )


def test_forwarding_stores_the_names_as_data_and_the_secretarys_words_apart(
    gp, cardio, cardio_secretary, cardio_practice, territory
):
    letter = referral_send(acting_user=gp, kind="letter", recipient_practitioner=cardio, **PATIENT)
    colleague = PractitionerFactory(first_name="Damien", last_name="Leclerc", territory=territory)
    Activity.objects.create(practitioner=colleague, practice=cardio_practice)

    referral_forward(acting_user=cardio_secretary, referral=letter, to_practitioner=colleague, note=" Son domaine ")

    event = letter.events.get(action="forwarded")
    assert (event.note_code, event.note_params, event.note) == (
        "forwarded",
        {"from": str(cardio), "to": str(colleague)},
        "Son domaine",
    )


def test_converting_sending_outside_and_attaching_store_codes(gp, cardio, cardiologist):
    question = referral_send(acting_user=gp, kind="teleexpertise", recipient_practitioner=cardio, **PATIENT)
    referral_convert(acting_user=cardiologist, referral=question, note="À voir en consultation")
    attachment_add(acting_user=gp, referral=question, uploaded_file=upload("ECG.pdf", pdf_bytes()))

    converted = question.events.get(action="converted")
    attached = question.events.get(action="attachment_added")
    assert (converted.note_code, converted.note_params, converted.note) == (
        "converted",
        {"from": "teleexpertise", "to": "letter"},
        "À voir en consultation",
    )
    assert (attached.note_code, attached.note_params, attached.note) == (
        "attachment_added",
        {"name": "ECG.pdf", "content_type": "application/pdf"},
        "",
    )


def test_sending_outside_stores_the_way_and_the_number(gp, territory):
    unlisted = PractitionerFactory(first_name="Odile", last_name="Noël", territory=territory)
    Activity.objects.create(practitioner=unlisted, practice=PracticeFactory(territory=territory))
    letter = referral_send(acting_user=gp, kind="letter", recipient_practitioner=unlisted, **PATIENT)

    referral_mark_sent_outside(acting_user=gp, referral=letter, via="fax", detail="02 51 44 61 61")

    event = letter.events.get(action="sent_outside")
    assert (event.note_code, event.note_params, event.note) == (
        "sent_outside",
        {"via": "fax", "detail": "+33251446161"},
        "",
    )


def test_a_reminder_is_signed_by_the_portal_when_read_not_when_written(gp, cardio):
    letter = referral_send(acting_user=gp, kind="letter", recipient_practitioner=cardio, **PATIENT)

    deadline_reminders_send(now=letter.due_at + datetime.timedelta(hours=1))

    escalated = letter.events.filter(actor=None).first()
    assert escalated is not None and escalated.actor_label == ""
    assert event_actor(escalated) == "Portail (rappel automatique)"
    with translation.override("en"):
        assert event_actor(escalated) == "Portal (automatic reminder)"


# --- What each reader sees ---------------------------------------------------------------------------------------


def test_the_gp_reads_the_billing_steps_in_french_on_the_request_page(answered_and_billed, gp, signed_in):
    page = signed_in(gp).get(detail_url(answered_and_billed)).content.decode()

    assert "Acte facturable (médecin requérant) : RQD, 10,00 €, le 10/03/2026." in page
    assert "Portail (facturation)" in page


def test_an_english_reader_of_the_request_page_reads_the_history_in_english(answered_without_consent, gp, signed_in):
    page = signed_in(gp).get(detail_url(answered_without_consent), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Non-billable act (requesting doctor): the patient&#x27;s prior consent" in page
    assert "Portal (billing)" in page
    assert "Acte non facturable" not in page


def test_the_billing_partial_gives_the_reason_through_the_timeline(answered_without_consent, gp, signed_in):
    page = signed_in(gp).get(detail_url(answered_without_consent), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    # The timeline's line and the billing section's warning: both in English.
    assert page.count("Non-billable act (requesting doctor): the patient&#x27;s prior consent") == 2


def test_the_coordinator_reads_the_portal_as_actor_and_no_note(answered_without_consent, coordinator, signed_in):
    url = reverse("referrals:coordination_referral_status", args=[answered_without_consent.public_id])

    page = signed_in(coordinator).get(url).content.decode()

    assert "Acte non facturable (requérant) (Portail (facturation))" in page
    assert "consentement préalable" not in page


def test_the_api_gives_each_step_with_its_code_values_and_rendered_note(answered_and_billed, gp, signed_in):
    url = f"/api/v1/referrals/{answered_and_billed.public_id}/events/"

    steps = signed_in(gp).get(url).json()

    billed = next(step for step in steps if step["action"] == "billed_requester")
    assert billed == {
        "at": billed["at"],
        "action": "billed_requester",
        "label": "Acte de télé-expertise facturable (requérant)",
        "actor": "Portail (facturation)",
        "from_status": "answered",
        "to_status": "answered",
        "note": "Acte facturable (médecin requérant) : RQD, 10,00 €, le 10/03/2026.",
        "note_code": "billing_act",
        "note_params": {"side": "requester", "code": "RQD", "amount_cents": 1000, "date": "2026-03-10"},
        "typed_note": "",
    }
    assert [step["action"] for step in steps][:2] == ["sent", "answered"]


def test_the_api_renders_the_note_in_the_callers_language(answered_without_consent, gp, signed_in):
    url = f"/api/v1/referrals/{answered_without_consent.public_id}/events/"

    steps = signed_in(gp).get(url, HTTP_ACCEPT_LANGUAGE="en").json()

    refused = next(step for step in steps if step["action"] == "not_billable_requester")
    assert refused["note"].startswith("Non-billable act (requesting doctor): the patient's prior consent")
    assert refused["note_params"] == {"side": "requester", "reason": "no_consent"}


def test_an_outsider_gets_404_from_the_history_api(answered_and_billed, outsider, signed_in):
    url = f"/api/v1/referrals/{answered_and_billed.public_id}/events/"

    assert signed_in(outsider).get(url).status_code == 404

"""Tele-expertise billing: an answered tele-expertise gives each side its act at the tariff of the answer's day;
the yearly cap per patient, the same MSP site and a missing consent each stop a side's billing, said in the
timeline, never refusing the answer; coordinators keep dated tariffs; each professional lists and exports their
own acts of a month; the requesting GP answers the closing survey."""

import csv
import datetime
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessLog
from accounts.roles import Role
from core.errors import ApplicationError
from directory.models import Activity, Practice, Practitioner
from directory.services import role_grant_create
from referrals.models import BillingRecord, Referral, Tariff
from referrals.services import referral_answer, referral_close, referral_decline, referral_send
from referrals.services.billing import (
    billing_preview,
    patient_key,
    practitioner_is_overseas,
    survey_answer,
    tariff_create,
)
from referrals.timeline import event_note
from referrals.views.billing import billing_context
from tests.factories import CommuneFactory, PracticeFactory, PractitionerFactory, UserFactory
from tests.referrals.conftest import PATIENT

PARIS = ZoneInfo("Europe/Paris")
CONSENTING = {**PATIENT, "teleexpertise_consent": True}


def _at(year, month, day, hour=10):
    return datetime.datetime(year, month, day, hour, tzinfo=PARIS)


@pytest.fixture
def cardio(cardiologist):
    entry = Practitioner.objects.get(user=cardiologist)
    entry.answers_teleexpertise = True
    entry.save()
    return entry


@pytest.fixture
def ask(gp, cardio):
    def ask(sender=gp, **patient):
        # The cap is about the same patient asked about again: the GP confirms each repeat.
        return referral_send(
            acting_user=sender,
            kind="teleexpertise",
            recipient_practitioner=cardio,
            confirm_duplicate=True,
            **{**CONSENTING, **patient},
        )

    return ask


def _answer(question, cardiologist, when):
    return referral_answer(acting_user=cardiologist, referral=question, answer="Pas d'indication urgente.", now=when)


def _billed(question):
    return {
        (record.side, record.code, record.amount, record.practitioner.user.email)
        for record in BillingRecord.objects.filter(referral=question).select_related("practitioner__user")
    }


def _notes(question):
    return [event_note(event) for event in question.events.filter(action__startswith="not_billable")]


# --- Records for both sides at the tariff of the day -----------------------------------------------------------


def test_an_answer_in_2026_bills_rqd_10_for_the_gp_and_te2_23_for_the_expert(ask, cardiologist):
    question = ask()

    _answer(question, cardiologist, _at(2026, 3, 10))

    assert _billed(question) == {
        ("requester", "RQD", Decimal("10.00"), "alice@cpts.test"),
        ("expert", "TE2", Decimal("23.00"), "chloe@cpts.test"),
    }
    assert set(BillingRecord.objects.values_list("act_date", flat=True)) == {datetime.date(2026, 3, 10)}
    assert [event.action for event in question.events.all()] == [
        "sent",
        "answered",
        "billed_requester",
        "billed_expert",
    ]
    assert "TE2, 23,00 €, le 10/03/2026" in event_note(question.events.get(action="billed_expert"))


def test_an_answer_in_2025_bills_te2_at_the_20_euros_of_then(ask, cardiologist):
    question = ask()

    _answer(question, cardiologist, _at(2025, 12, 31, hour=23))  # Paris time: still 2025

    assert _billed(question) == {
        ("requester", "RQD", Decimal("10.00"), "alice@cpts.test"),
        ("expert", "TE2", Decimal("20.00"), "chloe@cpts.test"),
    }


def test_the_patient_key_holds_no_readable_identity_and_ignores_spelling():
    key = patient_key(family_name="Durand", given_names="Louise Marie", birth_date=datetime.date(1958, 3, 14))

    assert len(key) == 64 and "durand" not in key.lower()
    assert key == patient_key(family_name=" DURAND ", given_names="louise-marie", birth_date=datetime.date(1958, 3, 14))
    assert key != patient_key(family_name="Durand", given_names="Louise", birth_date=datetime.date(1958, 3, 14))
    assert patient_key(ins="2 58 03 85 123 456 74", family_name="Durand") == patient_key(ins="258038512345674")


# --- The yearly cap --------------------------------------------------------------------------------------------


def test_the_fifth_act_of_a_year_for_the_same_patient_and_expert_is_not_billed(ask, gp2, cardiologist):
    for day in (5, 6, 7, 8):
        _answer(ask(), cardiologist, _at(2026, 2, day))
    assert BillingRecord.objects.filter(side="expert").count() == 4

    # Another GP asks about the same patient, spelled differently: the expert's cap is reached, not gp2's.
    fifth = ask(sender=gp2, patient_family_name="DURAND", patient_given_names="louise-marie")
    answered = _answer(fifth, cardiologist, _at(2026, 11, 20))

    assert answered.status == Referral.Status.ANSWERED  # the answer itself is never refused
    assert _billed(fifth) == {("requester", "RQD", Decimal("10.00"), "bob@cpts.test")}
    assert _notes(fifth) == [
        "Acte non facturable (médecin requis) : plafond de 4 actes par an atteint pour ce patient."
    ]


@pytest.fixture
def dermatologist(territory, dermato_practice):
    user = UserFactory(email="david@cpts.test", first_name="David", last_name="Roux")
    entry = PractitionerFactory(first_name="David", last_name="Roux", territory=territory, answers_teleexpertise=True)
    Activity.objects.create(practitioner=entry, practice=dermato_practice)
    role_grant_create(user=user, role=Role.PROFESSIONAL, practitioner=entry)
    return user


def test_the_requesters_cap_counts_on_its_own_and_a_new_year_starts_afresh(ask, gp, cardiologist, dermatologist):
    for day in (5, 6, 7, 8):
        _answer(ask(), cardiologist, _at(2026, 2, day))
    to_dermatology = referral_send(
        acting_user=gp,
        kind="teleexpertise",
        recipient_practitioner=Practitioner.objects.get(user=dermatologist),
        **CONSENTING,
    )
    _answer(to_dermatology, dermatologist, _at(2026, 6, 1))
    next_year = ask()
    _answer(next_year, cardiologist, _at(2027, 1, 4))

    assert _billed(to_dermatology) == {("expert", "TE2", Decimal("23.00"), "david@cpts.test")}
    assert _notes(to_dermatology) == [
        "Acte non facturable (médecin requérant) : plafond de 4 actes par an atteint pour ce patient."
    ]
    assert {side for side, *_rest in _billed(next_year)} == {"requester", "expert"}


def test_the_ins_identifies_the_patient_whatever_the_names(ask, cardiologist):
    for day in (5, 6, 7, 8):
        _answer(ask(patient_ins="258038512345674"), cardiologist, _at(2026, 2, day))

    renamed = ask(patient_ins="258038512345674", patient_family_name="Martin-Durand")
    _answer(renamed, cardiologist, _at(2026, 3, 1))

    assert _billed(renamed) == set()


# --- Consent, same MSP site, no tariff -------------------------------------------------------------------------


def test_without_the_patients_consent_no_side_is_billed_and_the_timeline_says_why(ask, cardiologist):
    question = ask(teleexpertise_consent=False)

    _answer(question, cardiologist, _at(2026, 3, 10))

    question.refresh_from_db()
    assert question.status == Referral.Status.ANSWERED and question.answer
    assert not BillingRecord.objects.exists()
    assert _notes(question) == [
        "Acte non facturable (médecin requérant) : consentement préalable du patient à la télé-expertise non "
        "recueilli.",
        "Acte non facturable (médecin requis) : consentement préalable du patient à la télé-expertise non recueilli.",
    ]


def test_two_doctors_of_the_same_msp_site_bill_nothing(ask, cardio, cardiologist, gp_practice):
    Activity.objects.create(practitioner=cardio, practice=gp_practice)  # the cardiologist consults at the MSP
    shared = ask()
    _answer(shared, cardiologist, _at(2026, 3, 10))
    assert _billed(shared) != set()  # sharing a site that is not an MSP does not matter

    Practice.objects.filter(pk=gp_practice.pk).update(is_msp=True)
    same_msp = ask()
    _answer(same_msp, cardiologist, _at(2026, 3, 11))

    assert _billed(same_msp) == set()
    assert all("même maison de santé (Maison de santé des Tilleuls)" in note for note in _notes(same_msp))
    assert len(_notes(same_msp)) == 2


def test_with_no_tariff_in_force_the_answer_goes_through_unbilled(ask, cardiologist):
    question = ask()

    answered = _answer(question, cardiologist, _at(2021, 6, 1))  # before the first tariff (2022-04-01)

    assert answered.status == Referral.Status.ANSWERED
    assert _billed(question) == set()
    assert "aucun tarif en vigueur le 01/06/2021" in _notes(question)[0]


def test_an_overseas_expert_bills_the_overseas_tariff_or_the_mainland_one_while_there_is_none(
    ask, cardiologist, cardio_practice
):
    """Overseas: the commune's INSEE code starts with 97 (the postal code when no commune is known)."""
    reunion = CommuneFactory(insee_code="97411", name="Saint-Denis", postal_codes=["97400"], department="974")
    Practice.objects.filter(pk=cardio_practice.pk).update(commune=reunion, postal_code="")
    before = ask()
    _answer(before, cardiologist, _at(2026, 3, 10))
    Tariff.objects.create(
        side="expert",
        code="TE2",
        label="Télé-expertise outre-mer",
        amount="25.30",
        overseas=True,
        valid_from=datetime.date(2026, 4, 1),
    )
    after = ask()
    _answer(after, cardiologist, _at(2026, 4, 2))

    assert ("expert", "TE2", Decimal("23.00"), "chloe@cpts.test") in _billed(before)
    assert _billed(after) == {
        ("requester", "RQD", Decimal("10.00"), "alice@cpts.test"),  # the GP works on the mainland
        ("expert", "TE2", Decimal("25.30"), "chloe@cpts.test"),
    }


def test_overseas_means_every_site_of_the_practitioner_is_overseas(cardio, cardio_practice):
    assert not practitioner_is_overseas(cardio)
    Activity.objects.create(practitioner=cardio, practice=PracticeFactory(postal_code="97200", city="Fort-de-France"))
    assert not practitioner_is_overseas(cardio)  # a mainland site too: the mainland price, never more than due

    Practice.objects.filter(pk=cardio_practice.pk).update(postal_code="97400")
    assert practitioner_is_overseas(cardio)


def test_a_letter_never_produces_a_billing_record(gp, cardio, cardio_secretary, cardio_practice):
    letter = referral_send(acting_user=gp, kind="letter", recipient_practitioner=cardio, **CONSENTING)
    referral_decline(acting_user=cardio_secretary, referral=letter, reason="Pas de créneau")

    assert not BillingRecord.objects.exists()


# --- What the new-request form warns of ------------------------------------------------------------------------


def test_the_preview_warns_the_gp_before_sending(ask, gp, cardio, cardiologist):
    sender = Practitioner.objects.get(user=gp)
    identity = {
        "patient_family_name": "Durand",
        "patient_given_names": "Louise Marie",
        "patient_birth_date": datetime.date(1958, 3, 14),
    }
    assert billing_preview(sender=sender, recipient_practitioner=cardio, teleexpertise_consent=True, **identity) == []
    assert billing_preview(sender=sender, recipient_practitioner=cardio, **identity) == [
        "Sans le consentement préalable du patient, cette télé-expertise ne sera pas facturable."
    ]

    for day in (5, 6, 7, 8):
        _answer(ask(), cardiologist, _at(2026, 2, day))
    in_2026 = {**identity, "on_date": datetime.date(2026, 2, 10)}
    warnings = billing_preview(sender=sender, recipient_practitioner=cardio, teleexpertise_consent=True, **in_2026)

    assert warnings == [
        "Vous avez déjà 4 télé-expertises facturées pour ce patient en 2026 : celle-ci ne sera pas facturable "
        "pour vous.",
        "Vous avez déjà adressé à ce confrère 4 télé-expertises facturées pour ce patient en 2026 : il ne pourra "
        "pas facturer celle-ci.",
    ]
    in_2027 = {**identity, "on_date": datetime.date(2027, 1, 1)}
    assert billing_preview(sender=sender, recipient_practitioner=cardio, teleexpertise_consent=True, **in_2027) == []
    # To a practice, the expert is not known yet: only the GP's own side is checked.
    assert len(billing_preview(sender=sender, teleexpertise_consent=True, **in_2026)) == 1


def test_the_preview_never_tells_another_gp_whether_the_expert_saw_their_patient(ask, gp, gp2, cardio, cardiologist):
    # Four acts of the expert for this patient, all asked by the first GP.
    for day in (5, 6, 7, 8):
        _answer(ask(), cardiologist, _at(2026, 2, day))
    typed = {
        "patient_family_name": PATIENT["patient_family_name"],
        "patient_given_names": PATIENT["patient_given_names"],
        "patient_birth_date": PATIENT["patient_birth_date"],
        "on_date": datetime.date(2026, 2, 10),
    }

    warnings = billing_preview(
        sender=Practitioner.objects.get(user=gp2),
        recipient_practitioner=cardio,
        teleexpertise_consent=True,
        acting_user=gp2,
        **typed,
    )

    assert warnings == []  # the other GP learns nothing of the first GP's requests
    logged = AccessLog.objects.filter(user=gp2, via="referrals.services.billing.billing_preview")
    assert list(logged.values_list("action", "subject_type")) == [("read", "teleexpertise_cap")]
    # The cap itself still holds when the act is recorded: the expert's fifth act is not billable.
    question = ask(sender=gp2)
    _answer(question, cardiologist, _at(2026, 2, 11))
    assert "plafond de 4 actes par an atteint" in " ".join(_notes(question))


def test_the_new_request_form_does_not_answer_for_another_gp_s_patient(ask, gp2, cardio, cardiologist, signed_in):
    for day in (5, 6, 7, 8):
        _answer(ask(), cardiologist, _at(2026, 2, day))

    response = signed_in(gp2).get(
        reverse("referrals:recipient_notices"),
        {
            "recipient": f"practitioner:{cardio.public_id}",
            "kind": "teleexpertise",
            "teleexpertise_consent": "on",
            "patient_family_name": PATIENT["patient_family_name"],
            "patient_given_names": PATIENT["patient_given_names"],
            "patient_birth_date": PATIENT["patient_birth_date"].isoformat(),
        },
    )

    assert response.status_code == 200
    assert "ne pourra pas facturer" not in response.content.decode()


def test_the_preview_warns_of_the_same_msp_site(gp, cardio, gp_practice):
    Activity.objects.create(practitioner=cardio, practice=gp_practice)
    Practice.objects.filter(pk=gp_practice.pk).update(is_msp=True)

    warnings = billing_preview(
        sender=Practitioner.objects.get(user=gp), recipient_practitioner=cardio, teleexpertise_consent=True
    )

    assert warnings == [
        "Vous exercez tous deux à Maison de santé des Tilleuls : une télé-expertise entre médecins de la même "
        "maison de santé n'est pas facturable."
    ]


# --- Tariffs ---------------------------------------------------------------------------------------------------

TARIFFS_URL = "/demandes/tarifs/"


def _new_tariff(**overrides):
    return {
        "side": "expert",
        "code": "TE2",
        "label": "Télé-expertise (médecin requis)",
        "amount": "25,00",
        "valid_from": (timezone.localdate() + datetime.timedelta(days=10)).isoformat(),
        **overrides,
    }


def test_the_coordinator_sees_the_tariffs_of_each_side_with_their_dates(coordinator, signed_in):
    response = signed_in(coordinator).get(TARIFFS_URL)

    assert response.status_code == 200
    text = response.content.decode()
    assert "Requérant" in text and "Requis (expert)" in text
    assert "du 01/04/2022 au 31/12/2025" in text  # TE2 at 20 € until the 23 € of 2026
    assert "23,00 €" in text and "depuis le 01/01/2026" in text


@pytest.mark.parametrize("persona", ["gp", "cardio_secretary", "observer", "regulator", "outsider"])
def test_only_coordinators_open_or_change_the_tariffs(persona, request, signed_in):
    client = signed_in(request.getfixturevalue(persona))
    tariffs = Tariff.objects.count()

    assert client.get(TARIFFS_URL).status_code == 403
    assert client.post(TARIFFS_URL, _new_tariff()).status_code == 403
    assert Tariff.objects.count() == tariffs


def test_signed_out_visitors_are_sent_to_sign_in(client, db):
    response = client.get(TARIFFS_URL)

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_coordinator_adds_a_dated_tariff_that_applies_from_its_date(ask, coordinator, cardiologist, signed_in):
    response = signed_in(coordinator).post(TARIFFS_URL, _new_tariff(), follow=True)

    assert response.status_code == 200
    assert "Tarif ajouté : TE2 à 25,00 €" in response.content.decode()
    starts = timezone.localdate() + datetime.timedelta(days=10)
    before, after = ask(), ask()
    _answer(
        before,
        cardiologist,
        datetime.datetime.combine(starts, datetime.time(8), tzinfo=PARIS) - datetime.timedelta(days=1),
    )
    _answer(after, cardiologist, datetime.datetime.combine(starts, datetime.time(8), tzinfo=PARIS))
    assert ("expert", "TE2", Decimal("23.00"), "chloe@cpts.test") in _billed(before)
    assert ("expert", "TE2", Decimal("25.00"), "chloe@cpts.test") in _billed(after)
    assert Tariff.objects.get(amount="23.00").valid_from == datetime.date(2026, 1, 1)  # the old row is untouched


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"amount": "-5"}, "amount", "supérieur à zéro"),
        ({"amount": "vingt"}, "amount", "nombre"),
        ({"valid_from": "2026-01-01"}, "valid_from", "aujourd'hui au plus tôt"),
        ({"code": "te 2"}, "code", "lettres majuscules"),
        ({"label": " "}, "label", ""),
    ],
)
def test_bad_tariffs_are_refused_in_french_with_a_400(overrides, field, message, coordinator, signed_in):
    response = signed_in(coordinator).post(TARIFFS_URL, _new_tariff(**overrides))

    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert message in " ".join(response.context["form"].errors[field])
    assert Tariff.objects.count() == 3


def test_a_second_tariff_for_the_same_side_place_and_date_is_refused(coordinator, signed_in):
    client = signed_in(coordinator)
    client.post(TARIFFS_URL, _new_tariff())

    response = client.post(TARIFFS_URL, _new_tariff(amount="26,00"))

    assert response.status_code == 400
    assert "prend déjà effet le" in " ".join(response.context["form"].errors["valid_from"])
    assert Tariff.objects.filter(amount="26.00").count() == 0
    # Overseas is another series: the same date is fine there.
    assert client.post(TARIFFS_URL, _new_tariff(overseas="on", amount="27,50")).status_code == 302


def test_the_service_refuses_whoever_does_not_coordinate(gp):
    with pytest.raises(ApplicationError) as refused:
        tariff_create(acting_user=gp, side="expert", code="TE2", label="x", amount="1", valid_from=timezone.localdate())

    assert refused.value.code == "forbidden"


# --- Mes actes de télé-expertise -------------------------------------------------------------------------------


@pytest.fixture
def acts_of_march(ask, gp2, cardiologist):
    """Two acts in March 2026 and one in April for Alice (requester) and Chloé (expert); one of Bob's in March."""
    _answer(ask(), cardiologist, _at(2026, 3, 3))
    _answer(ask(patient_family_name="Leclerc", patient_given_names="Émile"), cardiologist, _at(2026, 3, 17))
    _answer(ask(), cardiologist, _at(2026, 4, 2))
    _answer(ask(sender=gp2, patient_family_name="Bernard"), cardiologist, _at(2026, 3, 20))


def _read_csv(response):
    content = response.content.decode("utf-8")
    assert content.startswith("\ufeff")
    return list(csv.reader(io.StringIO(content[1:]), delimiter=";"))


def test_the_csv_of_a_month_holds_only_the_users_own_acts_and_reads_back(acts_of_march, gp, signed_in):
    response = signed_in(gp).get("/demandes/actes/2026-03.csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = _read_csv(response)
    assert rows[0] == [
        "Date de l'acte",
        "Code de l'acte",
        "Montant (€)",
        "Côté",
        "Confrère",
        "RPPS ou ADELI du confrère",
        "Demande",
        "Initiales du patient",
    ]
    cardio = Practitioner.objects.get(user__email="chloe@cpts.test")
    assert [row[:6] + row[7:] for row in rows[1:]] == [
        ["03/03/2026", "RQD", "10,00", "Requérant", "Chloé Rousseau", cardio.rpps, "L. D."],
        ["17/03/2026", "RQD", "10,00", "Requérant", "Chloé Rousseau", cardio.rpps, "É. L."],
    ]
    assert {row[6] for row in rows[1:]} <= {
        str(public_id) for public_id in Referral.objects.values_list("public_id", flat=True)
    }
    assert "Durand" not in response.content.decode() and "Louise" not in response.content.decode()
    log = AccessLog.objects.get(subject_type="teleexpertise_acts")
    assert (log.user, log.action, log.subject_id.endswith(":2026-03")) == (gp, "export", True)


def test_the_expert_sees_their_side_of_the_month_with_totals(acts_of_march, cardiologist, signed_in):
    response = signed_in(cardiologist).get("/demandes/actes/", {"mois": "2026-03"})

    assert response.status_code == 200
    text = response.content.decode()
    assert "3 actes, 69,00 €" in text  # three TE2 at 23 € in March, Bob's included: he asked Chloé too
    assert "Requérant :" not in text
    rows = _read_csv(signed_in(cardiologist).get("/demandes/actes/2026-03.csv"))
    assert [row[1:4] for row in rows[1:]] == [["TE2", "23,00", "Requis (expert)"]] * 3


def test_a_gp_without_acts_sees_an_empty_month(gp2, signed_in, db):
    response = signed_in(gp2).get("/demandes/actes/")

    assert response.status_code == 200
    assert "Aucun acte facturable ce mois-ci." in response.content.decode()
    assert len(_read_csv(signed_in(gp2).get("/demandes/actes/2026-03.csv"))) == 1  # the header only


@pytest.mark.parametrize("persona", ["cardio_secretary", "coordinator", "observer", "outsider"])
def test_only_professionals_have_acts(persona, request, signed_in):
    client = signed_in(request.getfixturevalue(persona))

    assert client.get("/demandes/actes/").status_code == 403
    assert client.get("/demandes/actes/2026-03.csv").status_code == 403


def test_a_month_that_does_not_exist_is_refused(gp, signed_in):
    client = signed_in(gp)

    page = client.get("/demandes/actes/", {"mois": "mars"})
    assert page.status_code == 400 and "AAAA-MM" in page.content.decode()
    assert client.get("/demandes/actes/2026-13.csv").status_code == 404


# --- Closing survey --------------------------------------------------------------------------------------------


@pytest.fixture
def answered(ask, cardiologist):
    return _answer(ask(), cardiologist, _at(2026, 3, 10))


def _survey_url(referral):
    return f"/demandes/{referral.public_id}/questionnaire/"


def test_the_requesting_gp_answers_the_survey_once(answered, gp, signed_in):
    client = signed_in(gp)
    page = client.get(_survey_url(answered))
    assert "Cette télé-expertise a-t-elle évité une consultation en présentiel ?" in page.content.decode()

    response = client.post(_survey_url(answered), {"avoided_visit": "oui", "avoided_emergency": "non"})

    assert response.status_code == 302
    answered.refresh_from_db()
    assert (answered.survey_avoided_visit, answered.survey_avoided_emergency) == (True, False)
    assert answered.survey_answered_at is not None
    assert answered.events.filter(action="survey_answered", actor=gp).exists()
    again = client.post(_survey_url(answered), {"avoided_visit": "non", "avoided_emergency": "non"})
    assert again.status_code == 400 and "déjà répondu" in again.content.decode()
    answered.refresh_from_db()
    assert answered.survey_avoided_visit is True


def test_the_survey_by_htmx_comes_back_as_its_answers(answered, gp, signed_in):
    response = signed_in(gp).post(
        _survey_url(answered), {"avoided_visit": "non", "avoided_emergency": "oui"}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    text = response.content.decode()
    assert "<html" not in text and "A évité un passage aux urgences" in text
    assert "<form" not in text


def test_an_incomplete_survey_is_refused_in_french_and_nothing_is_saved(answered, gp, signed_in):
    response = signed_in(gp).post(_survey_url(answered), {"avoided_visit": "oui"})

    assert response.status_code == 400
    assert "Ce champ est obligatoire." in response.content.decode()
    answered.refresh_from_db()
    assert answered.survey_answered_at is None


def test_the_expert_sees_the_request_but_may_not_answer_its_survey(answered, cardiologist, signed_in):
    response = signed_in(cardiologist).post(_survey_url(answered), {"avoided_visit": "oui", "avoided_emergency": "oui"})

    assert response.status_code == 403
    answered.refresh_from_db()
    assert answered.survey_answered_at is None
    with pytest.raises(ApplicationError):
        survey_answer(acting_user=cardiologist, referral=answered, avoided_visit=True, avoided_emergency=True)


@pytest.mark.parametrize("persona", ["gp2", "other_secretary", "observer", "coordinator", "outsider"])
def test_whoever_may_not_see_the_request_gets_404_on_its_survey(persona, answered, request, signed_in):
    client = signed_in(request.getfixturevalue(persona))

    assert client.get(_survey_url(answered)).status_code == 404
    assert client.post(_survey_url(answered), {"avoided_visit": "oui", "avoided_emergency": "oui"}).status_code == 404


def test_the_survey_waits_for_the_answer(ask, gp):
    question = ask()

    with pytest.raises(ApplicationError, match="une fois la réponse"):
        survey_answer(acting_user=gp, referral=question, avoided_visit=True, avoided_emergency=False)


def test_the_survey_stays_open_after_closing(answered, gp, cardiologist):
    referral_close(acting_user=cardiologist, referral=answered)

    survey_answer(acting_user=gp, referral=answered, avoided_visit=False, avoided_emergency=False)

    answered.refresh_from_db()
    assert answered.survey_answered_at is not None and answered.status == Referral.Status.CLOSED


# --- The request page's partials -------------------------------------------------------------------------------


def test_each_side_sees_its_own_act_on_the_request(answered, gp, cardiologist, cardio_secretary, rf):
    def context_for(user):
        request = rf.get("/demandes/")
        request.user = user
        return billing_context(request, answered)

    sender, expert, secretary = context_for(gp), context_for(cardiologist), context_for(cardio_secretary)

    assert (sender["billing_side"], sender["billing_record"].code, sender["billing_amount"]) == (
        "requester",
        "RQD",
        "10,00 €",
    )
    assert sender["survey_form"] is not None
    assert (expert["billing_side"], expert["billing_record"].code, expert["survey_form"]) == ("expert", "TE2", None)
    assert (secretary["billing_side"], secretary["billing_record"]) == ("", None)


def test_the_partial_says_why_no_act_was_recorded(ask, gp, cardiologist, signed_in):
    question = _answer(ask(teleexpertise_consent=False), cardiologist, _at(2026, 3, 10))

    text = signed_in(gp).get(_survey_url(question)).content.decode()

    assert "Facturation" in text
    assert "Acte non facturable (médecin requérant) : consentement préalable" in text
    assert "médecin requis" not in text  # the other side's reason is theirs


def test_the_partial_shows_the_act_with_a_link_to_the_month(answered, cardiologist, signed_in):
    text = signed_in(cardiologist).get(_survey_url(answered)).content.decode()

    assert "Acte facturable : <strong>TE2</strong>, 23,00 €, le 10/03/2026." in text
    assert "/demandes/actes/?mois=2026-03" in text


def test_a_site_named_maison_de_sante_is_not_an_msp_unless_the_directory_says_so(ask, cardio, cardiologist):
    """A site named "Maison de santé" is not an MSP for billing unless the directory marks it as one."""
    shared_site = PracticeFactory(name="Maison de santé du Bourg")
    Activity.objects.create(practitioner=cardio, practice=shared_site)
    Activity.objects.create(practitioner=Practitioner.objects.get(user__email="alice@cpts.test"), practice=shared_site)
    question = ask()

    _answer(question, cardiologist, _at(2026, 3, 10))

    assert len(_billed(question)) == 2

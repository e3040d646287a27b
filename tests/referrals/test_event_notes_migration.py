"""The events written before the timeline stored codes: migration 0007 reads back the French sentences the portal
wrote into their code and values, keeps what the user typed after them, and leaves any other note as it was, as
free text. Read again through ``referrals.timeline``, a converted note says in French exactly what it said."""

import importlib

import pytest
from django.apps import apps

from referrals.models import ReferralEvent
from referrals.services import referral_send
from referrals.timeline import event_actor, event_note
from tests.referrals.conftest import PATIENT

migration = importlib.import_module("referrals.migrations.0007_event_structured_notes")

# Each sentence as the services wrote it before, with the code and values it now reads as.
SENTENCES = [
    (
        "billed_requester",
        "Acte facturable (médecin requérant) : RQD, 10,00 €, le 10/03/2026.",
        ("billing_act", {"side": "requester", "code": "RQD", "amount_cents": 1000, "date": "2026-03-10"}, ""),
    ),
    (
        "billed_expert",
        "Acte facturable (médecin requis) : TE2, 1\u202f234,50 €, le 31/12/2025.",
        ("billing_act", {"side": "expert", "code": "TE2", "amount_cents": 123450, "date": "2025-12-31"}, ""),
    ),
    (
        "not_billable_requester",
        "Acte non facturable (médecin requérant) : consentement préalable du patient à la télé-expertise non "
        "recueilli.",
        ("not_billable", {"side": "requester", "reason": "no_consent"}, ""),
    ),
    (
        "not_billable_expert",
        "Acte non facturable (médecin requis) : le médecin requis n'est pas identifié (réponse donnée au nom du "
        "cabinet).",
        ("not_billable", {"side": "expert", "reason": "no_expert"}, ""),
    ),
    (
        "not_billable_expert",
        "Acte non facturable (médecin requis) : les deux médecins exercent dans la même maison de santé (MSP "
        "(Le Bourg)).",
        ("not_billable", {"side": "expert", "reason": "same_msp", "site": "MSP (Le Bourg)"}, ""),
    ),
    (
        "not_billable_requester",
        "Acte non facturable (médecin requérant) : identité du patient incomplète, le plafond annuel ne peut pas "
        "être vérifié.",
        ("not_billable", {"side": "requester", "reason": "no_identity"}, ""),
    ),
    (
        "not_billable_expert",
        "Acte non facturable (médecin requis) : plafond de 4 actes par an atteint pour ce patient.",
        ("not_billable", {"side": "expert", "reason": "cap_reached", "cap": 4}, ""),
    ),
    (
        "not_billable_requester",
        "Acte non facturable (médecin requérant) : aucun tarif en vigueur le 01/01/2024.",
        ("not_billable", {"side": "requester", "reason": "no_tariff", "date": "2024-01-01"}, ""),
    ),
    (
        "forwarded",
        "Transférée de Chloé Rousseau à Damien Leclerc.\nSon domaine : les valvulopathies.",
        ("forwarded", {"from": "Chloé Rousseau", "to": "Damien Leclerc"}, "Son domaine : les valvulopathies."),
    ),
    (
        "forwarded",
        "Transférée de Parcours accès à la cardiologie à Damien Leclerc.",
        ("forwarded", {"from": "Parcours accès à la cardiologie", "to": "Damien Leclerc"}, ""),
    ),
    (
        "converted",
        "Télé-expertise convertie en Adressage (courrier) : Souffle à ausculter : je le vois.",
        ("converted", {"from": "teleexpertise", "to": "letter"}, "Souffle à ausculter : je le vois."),
    ),
    (
        "sent_outside",
        "Messagerie sécurisée de santé (MSSanté) : odile.noel@medecin.mssante.fr",
        ("sent_outside", {"via": "mssante", "detail": "odile.noel@medecin.mssante.fr"}, ""),
    ),
    (
        "sent_outside",
        "Fax : +33251446161",
        ("sent_outside", {"via": "fax", "detail": "+33251446161"}, ""),
    ),
    (
        "attachment_added",
        "ECG (repos) Durand.pdf (PDF)",
        ("attachment_added", {"name": "ECG (repos) Durand.pdf", "content_type": "application/pdf"}, ""),
    ),
]


@pytest.mark.parametrize(("action", "sentence", "expected"), SENTENCES)
def test_each_sentence_the_portal_wrote_becomes_its_code_and_values(action, sentence, expected):
    assert migration.converted_note(action, sentence) == expected


@pytest.mark.parametrize(("action", "sentence", "expected"), SENTENCES)
def test_a_converted_note_reads_in_french_as_it_was_written(action, sentence, expected):
    code, params, typed = expected
    event = ReferralEvent(action=action, note_code=code, note_params=params, note=typed)

    # "summary : typed" of a change of kind now reads on two lines, summary first.
    assert event_note(event).replace("\n", " : " if action == "converted" else "\n") == sentence.replace(
        "1\u202f234,50", "1234,50"
    )


@pytest.mark.parametrize(
    ("action", "note"),
    [
        ("declined", "Acte facturable (médecin requérant) : RQD, 10,00 €, le 10/03/2026."),  # not its action
        ("billed_requester", "Acte facturable : RQD"),  # a sentence the portal never wrote
        ("billed_requester", "Billable act (requesting doctor): RQD, €10.00, on 03/10/2026."),
        ("not_billable_expert", "Acte non facturable (médecin requis) : la lune était pleine."),
        ("forwarded", "Transférée à Damien Leclerc"),
        ("converted", "Lettre convertie en avis"),
        ("sent_outside", "Pigeon voyageur : le mardi"),
        ("attachment_added", "ECG.docx (DOCX)"),
        ("not_billable_requester", "Acte non facturable (médecin requérant) : aucun tarif en vigueur le 31/02/2026."),
        ("closed", "Patiente vue le 12"),
        ("forwarded", ""),
    ],
)
def test_a_note_it_does_not_recognise_is_left_as_free_text(action, note):
    assert migration.converted_note(action, note) is None


@pytest.fixture
def old_rows(gp, cardiologist):
    """A request whose events hold what the services wrote before: sentences and the portal's French label."""
    from directory.models import Practitioner

    referral = referral_send(
        acting_user=gp, kind="letter", recipient_practitioner=Practitioner.objects.get(user=cardiologist), **PATIENT
    )
    rows = {
        "billed": ReferralEvent.objects.create(
            referral=referral,
            action="billed_requester",
            actor_label="Portail (facturation)",
            note="Acte facturable (médecin requérant) : RQD, 10,00 €, le 10/03/2026.",
        ),
        "reminded": ReferralEvent.objects.create(
            referral=referral, action="escalated", actor_label="Portail (rappel automatique)"
        ),
        "forwarded": ReferralEvent.objects.create(
            referral=referral,
            action="forwarded",
            actor=gp,
            actor_label="Alice Martin",
            note="Transférée de Chloé Rousseau à Damien Leclerc.\nSon domaine",
        ),
        "declined": ReferralEvent.objects.create(
            referral=referral, action="declined", actor=gp, actor_label="Alice Martin", note="Ne prend plus."
        ),
        "unknown": ReferralEvent.objects.create(
            referral=referral, action="sent_outside", actor=gp, actor_label="Alice Martin", note="Par pigeon"
        ),
    }
    return rows


def test_the_migration_converts_the_rows_it_recognises_and_keeps_the_others(old_rows):
    migration.structure_notes(apps, None)

    rows = {name: ReferralEvent.objects.get(pk=event.pk) for name, event in old_rows.items()}
    billed, reminded, forwarded = rows["billed"], rows["reminded"], rows["forwarded"]
    assert (billed.note_code, billed.note_params, billed.note, billed.actor_label) == (
        "billing_act",
        {"side": "requester", "code": "RQD", "amount_cents": 1000, "date": "2026-03-10"},
        "",
        "",
    )
    assert event_actor(billed) == "Portail (facturation)" and event_actor(reminded) == "Portail (rappel automatique)"
    assert (forwarded.note_code, forwarded.note, forwarded.actor_label) == ("forwarded", "Son domaine", "Alice Martin")
    for kept in ("declined", "unknown"):
        assert (rows[kept].note_code, rows[kept].note_params, rows[kept].note) == ("", {}, old_rows[kept].note)
    assert ReferralEvent.objects.get(referral=billed.referral, action="sent").note_code == ""


def test_the_migration_run_twice_changes_nothing_more(old_rows):
    migration.structure_notes(apps, None)
    first = list(ReferralEvent.objects.order_by("pk").values())

    migration.structure_notes(apps, None)

    assert list(ReferralEvent.objects.order_by("pk").values()) == first


def test_going_back_writes_the_sentences_again(old_rows):
    before = {name: event.note for name, event in old_rows.items()}
    migration.structure_notes(apps, None)

    migration.unstructure_notes(apps, None)

    assert {name: ReferralEvent.objects.get(pk=event.pk).note for name, event in old_rows.items()} == before

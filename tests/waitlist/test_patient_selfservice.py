"""The patient changes their sign-up through their link: the commune, the distance and the household's facts at
once (the level follows); a new phone or e-mail only once the code sent to it is typed back; withdrawing ("j'ai
trouvé un médecin") closes the entry with its reason and cancels a proposal in progress. Opening a page changes
nothing; bad input keeps what was typed."""

import datetime
import html

import pytest
from django.utils import timezone

from notifications.models import OutboundMessage
from waitlist.models import Entry, EntryEvent, Pledge, Proposal
from waitlist.services.common import entry_follow_link

pytestmark = pytest.mark.django_db


def page_of(response) -> str:
    return html.unescape(response.content.decode())


def follow_path(entry, suffix=""):
    return "/" + entry_follow_link(entry).split("://", 1)[1].split("/", 1)[1] + suffix


def _form(entry, **changes):
    body = {
        "phone": "06 12 34 56 78" if entry.phone else "",
        "email": entry.email,
        "commune": entry.commune.insee_code,
        "max_distance_km": entry.max_distance_km,
    }
    for member in entry.members.all():
        for fact in ("ald", "pregnancy", "disability", "precarity", "treatment_renewal"):
            if getattr(member, fact):
                body[f"member{member.position}_{fact}"] = "on"
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


def _code_to(address):
    return OutboundMessage.objects.filter(template="verification_code", recipient=address).latest("created_at")


def test_the_update_page_shows_what_is_recorded(client, waiting_entry):
    entry = waiting_entry(
        members=[{"family_name": "Durand", "given_names": "Léo", "birth_date": datetime.date(2020, 1, 1), "sex": "M"}]
    )

    response = client.get(follow_path(entry, "modifier/"))

    page = page_of(response)
    assert response.status_code == 200
    assert 'value="06 12 34 56 78"' in page and "La Roche-sur-Yon" in page
    assert "Pour Jeanne" in page and "Pour Léo" in page and 'name="member1_ald"' in page


def test_commune_distance_and_facts_are_saved_and_the_level_follows(client, waiting_entry, communes):
    entry = waiting_entry()
    assert entry.priority_level == 0

    response = client.post(
        follow_path(entry, "modifier/"),
        _form(entry, commune=communes["mouilleron"].insee_code, max_distance_km="25", member0_ald="on"),
    )

    assert response.status_code == 302 and response["Location"].endswith("?fait=updated")
    entry.refresh_from_db()
    assert (entry.commune, entry.max_distance_km) == (communes["mouilleron"], 25)
    assert entry.members.get().ald is True
    assert entry.priority_level == 1 and entry.priority_reasons == ["ald"]
    event = entry.events.get(kind=EntryEvent.Kind.UPDATED)
    assert event.by_patient and event.details == {"fields": ["commune", "max_distance_km", "facts"]}
    assert "Vos changements sont enregistrés" in page_of(client.get(response["Location"]))


def test_bad_input_is_refused_and_keeps_what_was_typed(client, waiting_entry):
    entry = waiting_entry()

    response = client.post(
        follow_path(entry, "modifier/"), _form(entry, commune="Nulle-Part-sur-Mer", max_distance_km="500")
    )

    page = page_of(response)
    assert response.status_code == 400
    assert "Commune inconnue" in page and "Indiquez au plus 100 km" in page
    assert 'value="Nulle-Part-sur-Mer"' in page and 'value="500"' in page
    entry.refresh_from_db()
    assert entry.max_distance_km == 15


def test_a_commune_outside_every_territory_is_refused(client, waiting_entry):
    from tests.factories import CommuneFactory

    elsewhere = CommuneFactory(insee_code="29019", name="Brest", postal_codes=["29200"])
    entry = waiting_entry()

    response = client.post(follow_path(entry, "modifier/"), _form(entry, commune=elsewhere.insee_code))

    assert response.status_code == 400 and "n'est dans le territoire d'aucune CPTS" in page_of(response)


def test_a_new_phone_is_saved_only_once_its_code_is_typed(client, waiting_entry):
    entry = waiting_entry(phone="+33612345678")
    path = follow_path(entry, "modifier/")

    response = client.post(path, _form(entry, phone="07 81 23 45 67"))

    page = page_of(response)
    assert response.status_code == 200 and "Un code à 6 chiffres a été envoyé par SMS au 07 81 23 45 67" in page
    entry.refresh_from_db()
    assert entry.phone == "+33612345678"  # not yet
    code = _code_to("+33781234567").context["code"]

    wrong = client.post(follow_path(entry, "code/"), {"channel": "phone", "address": "+33781234567", "code": "000000"})
    assert wrong.status_code == 400 and "Ce code n'est pas le bon" in page_of(wrong)
    entry.refresh_from_db()
    assert entry.phone == "+33612345678"

    right = client.post(follow_path(entry, "code/"), {"channel": "phone", "address": "+33781234567", "code": code})

    assert right.status_code == 302 and right["Location"].endswith("?fait=contact")
    entry.refresh_from_db()
    assert entry.phone == "+33781234567" and entry.phone_verified_at is not None


def test_a_code_sent_to_one_address_does_not_prove_another(client, waiting_entry):
    entry = waiting_entry(phone="+33612345678")
    client.post(follow_path(entry, "modifier/"), _form(entry, email="jeanne@exemple.test"))
    code = _code_to("jeanne@exemple.test").context["code"]

    response = client.post(
        follow_path(entry, "code/"), {"channel": "email", "address": "autre@exemple.test", "code": code}
    )

    assert response.status_code == 400
    entry.refresh_from_db()
    assert entry.email == ""


def test_a_contact_may_be_removed_when_another_remains(client, waiting_entry):
    entry = waiting_entry(phone="+33612345678", email="jeanne@exemple.test")

    response = client.post(follow_path(entry, "modifier/"), _form(entry, phone=""))

    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.phone, entry.phone_verified_at, entry.email) == ("", None, "jeanne@exemple.test")


def test_the_last_contact_cannot_be_removed(client, waiting_entry):
    entry = waiting_entry(phone="+33612345678")

    response = client.post(follow_path(entry, "modifier/"), _form(entry, phone=""))

    assert response.status_code == 400 and "Gardez au moins un téléphone" in page_of(response)
    entry.refresh_from_db()
    assert entry.phone == "+33612345678"


def test_opening_the_withdraw_page_changes_nothing(client, waiting_entry):
    entry = waiting_entry()

    response = client.get(follow_path(entry, "retirer/"))

    assert response.status_code == 200 and "J'ai trouvé un médecin traitant" in page_of(response)
    entry.refresh_from_db()
    assert entry.status == Entry.Status.WAITING


def test_i_found_a_gp_withdraws_and_cancels_the_pending_proposal(client, waiting_entry, gp_entry):
    entry = waiting_entry()
    today = timezone.localdate()
    pledge = Pledge.objects.create(
        practitioner=gp_entry,
        waiting_list=entry.waiting_list,
        capacity=5,
        radius_km=10,
        starts_on=today,
        until=today + datetime.timedelta(days=90),
    )
    proposal = Proposal.objects.create(
        pledge=pledge,
        entry=entry,
        batch=pledge.public_id,
        distance_km=1.0,
        priority_level=0,
        household_size=1,
        expires_at=timezone.now() + datetime.timedelta(days=7),
    )
    Entry.objects.filter(pk=entry.pk).update(status=Entry.Status.PROPOSED)

    response = client.post(follow_path(entry, "retirer/"), {"reason": "found_gp"})

    assert response.status_code == 302 and response["Location"].endswith("?fait=withdrawn")
    entry.refresh_from_db()
    assert entry.status == Entry.Status.WITHDRAWN
    assert entry.closed_reason == "J'ai trouvé un médecin traitant" and entry.closed_at is not None
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.CANCELLED
    event = entry.events.get(kind=EntryEvent.Kind.WITHDRAWN)
    assert event.by_patient and event.details == {"reason": "found_gp", "proposals_cancelled": 1}
    page = page_of(client.get(response["Location"]))
    assert "vous avez quitté la liste d'attente" in page and "Effacer mes données" in page
    assert "Modifier mes informations" not in page


def test_withdrawing_needs_a_reason(client, waiting_entry):
    entry = waiting_entry()

    response = client.post(follow_path(entry, "retirer/"), {"reason": "parce que"})

    assert response.status_code == 400
    entry.refresh_from_db()
    assert entry.status == Entry.Status.WAITING


def test_a_withdrawn_entry_can_no_longer_be_updated(client, waiting_entry):
    entry = waiting_entry()
    client.post(follow_path(entry, "retirer/"), {"reason": "moved_away"})

    response = client.post(follow_path(entry, "modifier/"), _form(entry, max_distance_km="30"))

    assert response.status_code == 400 and "Cette inscription est close" in page_of(response)

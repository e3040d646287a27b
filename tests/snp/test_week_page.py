"""The professional's week page: a GP publishes one-off slots and weekly patterns, withdraws a free slot, cancels a
booking and records a visit's outcome; bad input gets a French message and a 400 with nothing saved; a secretary
works the slots of her practice's practitioners only; a regulator cannot open the page."""

import datetime
import re

import pytest
from django.utils import timezone

from accounts.models import AccessLog
from notifications.models import OutboundMessage
from snp.models import Booking, Slot, SlotPattern
from snp.services import booking_create
from tests.snp.conftest import at, patient

pytestmark = pytest.mark.django_db

WEEK = "/soins-non-programmes/semaine/"


def _text(response) -> str:
    """The page as read: tags left out, entities decoded."""
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", response.content.decode()))


def _monday(day: datetime.date) -> str:
    return (day - datetime.timedelta(days=day.isoweekday() - 1)).isoformat()


def _slot_post(site, **changes):
    day = timezone.localdate() + datetime.timedelta(days=2)
    data = {
        "semaine": _monday(day),
        "date": day.isoformat(),
        "time": "11:30",
        "duration_minutes": "20",
        "site": str(site.public_id),
        "kind": "in_practice",
        "audiences": ["sas", "cpts_line"],
        **changes,
    }
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def booking(regulator, slot, commune):
    return booking_create(
        acting_user=regulator, slot=slot, patient=patient(commune), reason_category="pain", contact_consent=True
    )


def _started(slot):
    """The visit's time has come (the slot was published ahead, as the service requires)."""
    now = timezone.now()
    # Half an hour ago, but not before today's midnight: just after midnight on a Monday it would fall last week,
    # off the page.
    midnight = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time()))
    starts_at = max(now - datetime.timedelta(minutes=30), midnight)
    Slot.objects.filter(pk=slot.pk).update(starts_at=starts_at, ends_at=starts_at + datetime.timedelta(minutes=20))


# --- Seeing the week -----------------------------------------------------------------------------------------------


def test_the_gp_sees_her_week_day_by_day_with_each_slot_s_status_kind_and_audiences(
    signed_in, gp, slot, booking, gp_practice
):
    free = Slot.objects.create(
        practitioner=slot.practitioner,
        site=gp_practice,
        territory=gp_practice.territory,
        starts_at=at(1, 15),
        ends_at=at(1, 15, 20),
        audiences=["pharmacists"],
        kind="home_visit",
    )
    response = signed_in(gp).get(WEEK, {"semaine": at(1, 0).date().isoformat()})
    page = response.content.decode()
    assert response.status_code == 200
    assert "11:30 \u2013 11:50" in _text(response) and "15:00 \u2013 15:20" in _text(response)
    assert "DURAND Jeanne" in page  # she manages the slot: the patient is named
    assert "Visite à domicile" in page and "Pharmaciens" in page and "SAS / 15" in page
    assert f'id="slot-{free.public_id}"' in page
    assert AccessLog.objects.filter(user=gp, subject_id=str(booking.public_id), action="read").exists()


def test_the_week_moves_by_seven_days_and_names_its_days_in_french(signed_in, gp):
    response = signed_in(gp).get(WEEK, {"semaine": "2026-12-09"})
    page = response.content.decode()
    assert "Semaine du 7 décembre au 13 décembre 2026" in page
    assert "semaine=2026-11-30" in page and "semaine=2026-12-14" in page
    assert "Lundi 7 décembre" in page and "Dimanche 13 décembre" in page


def test_a_regulator_cannot_open_the_week_page(signed_in, regulator):
    assert signed_in(regulator).get(WEEK).status_code == 403


def test_an_anonymous_visitor_is_sent_to_sign_in(client, db):
    response = client.get(WEEK)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- Publishing ----------------------------------------------------------------------------------------------------


def test_the_gp_publishes_a_one_off_slot_at_her_only_site(signed_in, gp, gp_entry, gp_practice):
    client = signed_in(gp)
    page = client.get(WEEK).content.decode()
    assert f'<option value="{gp_practice.public_id}" selected>' in page  # her only site, preselected
    assert (
        'value="public" id="id_slot_audiences_7"' in page
        and 'value="public" id="id_slot_audiences_7" checked' not in page
    )

    response = client.post("/soins-non-programmes/semaine/publier/", _slot_post(gp_practice), follow=True)

    assert response.status_code == 200
    slot = Slot.objects.get(practitioner=gp_entry)
    assert (slot.audiences, slot.kind, slot.site, slot.ends_at - slot.starts_at) == (
        ["sas", "cpts_line"],
        "in_practice",
        gp_practice,
        datetime.timedelta(minutes=20),
    )
    assert timezone.localtime(slot.starts_at).strftime("%H:%M") == "11:30"
    assert "Créneau publié le" in response.content.decode()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"date": (timezone.localdate() - datetime.timedelta(days=1)).isoformat()},
            "ne peut pas commencer dans le passé",
        ),
        ({"duration_minutes": "3"}, "Un créneau dure entre 5 et 240 minutes."),
        ({"audiences": None}, "Choisissez qui peut réserver ce créneau."),
        ({"time": "25:00"}, "Indiquez une heure (HH:MM)."),
    ],
    ids=["in-the-past", "under-5-minutes", "no-audience", "bad-time"],
)
def test_bad_input_gets_a_french_message_a_400_and_nothing_saved(signed_in, gp, gp_practice, changes, message):
    response = signed_in(gp).post("/soins-non-programmes/semaine/publier/", _slot_post(gp_practice, **changes))
    page = response.content.decode().replace("&#x27;", "'")
    assert response.status_code == 400
    assert message in page
    assert "Rien n'a été enregistré" in page
    assert Slot.objects.count() == 0
    # The form keeps what was typed.
    assert 'value="11:30"' in page or changes.get("time") == "25:00"


def test_an_overlapping_slot_is_refused_and_the_form_keeps_what_was_typed(signed_in, gp, gp_practice, slot):
    local = timezone.localtime(slot.starts_at)
    data = _slot_post(gp_practice, date=local.date().isoformat(), time="11:40", duration_minutes="30")
    response = signed_in(gp).post("/soins-non-programmes/semaine/publier/", data)
    page = response.content.decode()
    assert response.status_code == 400
    assert "chevauche celui du" in page
    assert 'value="11:40"' in page and 'value="30"' in page
    assert Slot.objects.count() == 1


def test_the_gp_creates_a_weekly_pattern_and_its_slots_are_written(signed_in, gp, gp_entry, gp_practice):
    today = timezone.localdate()
    data = {
        "semaine": _monday(today),
        "weekdays": ["1", "2", "3", "4", "5"],
        "times": "11:30, 17h45",
        "duration_minutes": "20",
        "starts_on": today.isoformat(),
        "ends_on": (today + datetime.timedelta(days=13)).isoformat(),
        "site": str(gp_practice.public_id),
        "kind": "in_practice",
        "audiences": ["sas"],
    }
    response = signed_in(gp).post("/soins-non-programmes/semaine/serie/", data, follow=True)
    assert response.status_code == 200
    pattern = SlotPattern.objects.get(practitioner=gp_entry)
    assert [t.strftime("%H:%M") for t in pattern.times] == ["11:30", "17:45"]
    written = Slot.objects.filter(pattern=pattern).count()
    assert written > 0
    assert f"Série créée : {written} créneaux publiés." in response.content.decode()


def test_a_pattern_without_days_or_with_unreadable_times_is_refused_with_nothing_saved(signed_in, gp, gp_practice):
    today = timezone.localdate()
    data = {
        "semaine": _monday(today),
        "times": "11:30",
        "duration_minutes": "20",
        "starts_on": today.isoformat(),
        "ends_on": (today + datetime.timedelta(days=13)).isoformat(),
        "site": str(gp_practice.public_id),
        "kind": "in_practice",
        "audiences": ["sas"],
    }
    client = signed_in(gp)
    response = client.post("/soins-non-programmes/semaine/serie/", data)
    assert response.status_code == 400 and "Choisissez au moins un jour de la semaine." in response.content.decode()
    response = client.post("/soins-non-programmes/semaine/serie/", {**data, "weekdays": ["1"], "times": "midi"})
    assert response.status_code == 400 and "Indiquez les heures ainsi : 11:30, 17:45." in response.content.decode()
    assert SlotPattern.objects.count() == 0 and Slot.objects.count() == 0


# --- One slot ------------------------------------------------------------------------------------------------------


def test_the_gp_withdraws_a_free_slot(signed_in, gp, slot):
    response = signed_in(gp).post(f"/soins-non-programmes/semaine/creneaux/{slot.public_id}/retirer/", follow=True)
    assert response.status_code == 200 and "Créneau retiré." in response.content.decode()
    slot.refresh_from_db()
    assert slot.status == Slot.Status.WITHDRAWN


def test_a_booked_slot_is_not_withdrawn_it_is_cancelled_with_a_reason(signed_in, gp, slot, booking):
    response = signed_in(gp).post(f"/soins-non-programmes/semaine/creneaux/{slot.public_id}/retirer/")
    assert response.status_code == 400
    assert "annulez la réservation en indiquant pourquoi" in response.content.decode()
    slot.refresh_from_db()
    assert slot.status == Slot.Status.BOOKED


def test_the_secretary_cancels_a_booking_and_the_patient_and_the_booker_are_told(
    signed_in, gp_secretary, regulator, slot, booking
):
    client = signed_in(gp_secretary)
    url = f"/soins-non-programmes/semaine/reservations/{booking.public_id}/annuler/"
    refused = client.post(url, {"reason": "  "})
    assert refused.status_code == 400 and "Indiquez pourquoi la réservation est annulée." in refused.content.decode()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED

    response = client.post(url, {"reason": "Médecin appelé en visite urgente"}, follow=True)

    assert response.status_code == 200
    assert "Réservation annulée" in response.content.decode()
    booking.refresh_from_db()
    slot.refresh_from_db()
    assert (booking.status, booking.cancelled_by, slot.status) == ("cancelled", "practice", "withdrawn")
    sent = OutboundMessage.objects.values_list("template", "recipient")
    assert ("snp_booking_cancelled_by_practice", regulator.email) in sent
    assert ("snp_booking_cancelled", "jeanne.durand@example.org") in sent


def test_the_outcome_is_refused_before_the_visit_then_recorded_after(signed_in, gp, slot, booking):
    client = signed_in(gp)
    url = f"/soins-non-programmes/semaine/reservations/{booking.public_id}/resultat/"
    early = client.post(url, {"outcome": "honoured"})
    assert early.status_code == 400
    assert "Le résultat se saisit après l&#x27;heure du rendez-vous." in early.content.decode()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED

    _started(slot)
    page = client.get(WEEK).content.decode()
    assert "Saisir le résultat" in page
    response = client.post(url, {"outcome": "honoured", "note": "Otite : amoxicilline 6 jours."}, follow=True)

    assert response.status_code == 200 and "Résultat de la consultation enregistré." in response.content.decode()
    booking.refresh_from_db()
    assert (booking.status, booking.note_for_gp) == ("honoured", "Otite : amoxicilline 6 jours.")
    assert "Réservé · venu" in response.content.decode()


def test_a_no_show_goes_on_the_recall_list(signed_in, gp, slot, booking):
    _started(slot)
    signed_in(gp).post(
        f"/soins-non-programmes/semaine/reservations/{booking.public_id}/resultat/", {"outcome": "no_show"}
    )
    booking.refresh_from_db()
    assert (booking.status, booking.recall) == ("no_show", "to_do")


# --- Who may act ---------------------------------------------------------------------------------------------------


def test_the_secretary_sees_her_practice_s_practitioner_s_week(signed_in, gp_secretary, slot, booking):
    page = _text(signed_in(gp_secretary).get(WEEK, {"semaine": at(1, 0).date().isoformat()}))
    assert "11:30 \u2013 11:50" in page and "DURAND Jeanne" in page
    assert "Mon agenda privé" not in page  # the feed is the professional's own


def test_a_secretary_of_another_practice_gets_404_on_a_slot_she_does_not_manage(
    signed_in, other_secretary, slot, booking
):
    client = signed_in(other_secretary)
    assert client.post(f"/soins-non-programmes/semaine/creneaux/{slot.public_id}/retirer/").status_code == 404
    cancel = f"/soins-non-programmes/semaine/reservations/{booking.public_id}/annuler/"
    assert client.post(cancel, {"reason": "Pour voir"}).status_code == 404
    outcome = f"/soins-non-programmes/semaine/reservations/{booking.public_id}/resultat/"
    assert client.post(outcome, {"outcome": "honoured"}).status_code == 404
    booking.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED
    page = _text(client.get(WEEK, {"semaine": at(1, 0).date().isoformat()}))
    assert "DURAND" not in page and "11:30 \u2013 11:50" not in page


def test_another_gp_cannot_withdraw_a_slot_she_may_only_book(signed_in, gp2, gp, gp_practice):
    from snp.services import slot_publish

    slot = slot_publish(acting_user=gp, start=at(2, 9), duration_minutes=15, audiences=["gps"])
    assert signed_in(gp2).post(f"/soins-non-programmes/semaine/creneaux/{slot.public_id}/retirer/").status_code == 404
    slot.refresh_from_db()
    assert slot.status == Slot.Status.FREE


def test_a_secretary_cannot_publish_for_a_practitioner_she_does_not_serve(
    signed_in, other_secretary, gp_entry, gp_practice
):
    data = _slot_post(gp_practice, praticien=str(gp_entry.public_id))
    response = signed_in(other_secretary).post("/soins-non-programmes/semaine/publier/", data)
    assert response.status_code == 404
    assert Slot.objects.count() == 0


def test_the_secretary_publishes_for_the_practitioner_of_her_practice(signed_in, gp_secretary, gp_entry, gp_practice):
    data = _slot_post(gp_practice, praticien=str(gp_entry.public_id))
    response = signed_in(gp_secretary).post("/soins-non-programmes/semaine/publier/", data)
    assert response.status_code == 302 and f"praticien={gp_entry.public_id}" in response["Location"]
    assert Slot.objects.get().created_by == gp_secretary


def test_a_secretary_serving_several_practitioners_chooses_whose_week(
    signed_in, gp_secretary, gp_entry, gp_practice, slot
):
    from directory.models import Activity
    from tests.factories import PractitionerFactory

    colleague = PractitionerFactory(first_name="Claire", last_name="Aubert", territory=gp_practice.territory)
    Activity.objects.create(practitioner=colleague, practice=gp_practice)
    client = signed_in(gp_secretary)
    page = client.get(WEEK).content.decode()
    assert "Choisissez le professionnel dont vous gérez les créneaux." in page
    assert f'value="{colleague.public_id}"' in page and f'value="{gp_entry.public_id}"' in page
    week = {"semaine": at(1, 0).date().isoformat(), "praticien": str(gp_entry.public_id)}
    assert "11:30 \u2013 11:50" in _text(client.get(WEEK, week))
    other = client.get(WEEK, {**week, "praticien": str(colleague.public_id)})
    assert "11:30 \u2013 11:50" not in _text(other)


def test_the_week_is_read_in_a_fixed_number_of_queries(signed_in, gp, gp_practice, django_assert_max_num_queries):
    from snp.services import slot_publish

    for hour in range(8, 18):
        slot_publish(acting_user=gp, start=at(1, hour), duration_minutes=30, audiences=["sas"])
    client = signed_in(gp)
    with django_assert_max_num_queries(20):
        response = client.get(WEEK, {"semaine": at(1, 0).date().isoformat()})
    assert response.status_code == 200

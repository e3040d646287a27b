"""The booker's pages: the board lists the free slots the user's audience may book, soonest (or nearest) first,
within a fixed number of queries; the booking form books one for a patient, says in French what is wrong (4xx,
input kept) and offers the next free slots when someone was first (409); a call without a booking is counted;
"Mes réservations" logs each booking it shows."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AccessLog
from accounts.roles import Role
from directory.models import Activity, ContactChannel
from directory.services import role_grant_create
from snp.models import Booking, NurseOnCall, RegulatedCall, Slot
from snp.services import booking_create, slot_publish
from tests.factories import PracticeFactory, PractitionerFactory, SpecialtyFactory, UserFactory, vendee_communes
from tests.snp.conftest import at, patient, profession

pytestmark = pytest.mark.django_db

BOARD = "/soins-non-programmes/creneaux/"


def _book_url(slot):
    return f"{BOARD}{slot.public_id}/reserver/"


def _form(place, **changes):
    values = {
        "family_name": "Durand",
        "given_names": "Jeanne",
        "birth_date": "1950-03-04",
        "sex": "F",
        "phone": "06 12 34 56 78",
        "email": "jeanne.durand@example.org",
        "commune": f"{place.name} — 85000 (INSEE {place.insee_code})",
        "has_gp": "no",
        "gp": "",
        "reason_category": "fever_infection",
        "contact_consent": "on",
        **changes,
    }
    return values


@pytest.fixture
def communes(db):
    return vendee_communes()


@pytest.fixture
def sites(territory, gp_practice, gp2, gp2_practice, communes):
    """Alice's practice in La Roche-sur-Yon, Bob's on the coast at Saint-Jean-de-Monts (about 50 km)."""
    gp_practice.commune = communes["la_roche"]
    gp_practice.save(update_fields=["commune"])
    gp2_practice.commune = communes["saint_jean"]
    gp2_practice.save(update_fields=["commune"])
    return gp_practice, gp2_practice


def _page(response) -> str:
    return response.content.decode()


# --- The board --------------------------------------------------------------------------------------------------


def test_the_regulator_sees_the_free_slots_open_to_the_sas_soonest_first(signed_in, regulator, gp, gp2):
    later = slot_publish(acting_user=gp, start=at(2, 9), duration_minutes=20, audiences=["sas"])
    sooner = slot_publish(acting_user=gp2, start=at(1, 17, 45), duration_minutes=15, audiences=["sas"])
    slot_publish(acting_user=gp, start=at(1, 8), duration_minutes=20, audiences=["pharmacists"])
    response = signed_in(regulator).get(BOARD)
    page = _page(response)
    assert response.status_code == 200
    assert "2 créneaux" in page
    assert page.index(_book_url(sooner)) < page.index(_book_url(later))
    assert "17:45" in page and "15 min" in page and "Bob Benali" in page and "Maison de santé des Tilleuls" in page
    assert response["Vary"] and "HX-Request" in response["Vary"]


def test_a_pharmacist_sees_only_the_slots_open_to_pharmacists(signed_in, pharmacist, gp):
    open_to_them = slot_publish(acting_user=gp, start=at(1, 9), duration_minutes=20, audiences=["pharmacists"])
    sas_only = slot_publish(acting_user=gp, start=at(1, 10), duration_minutes=20, audiences=["sas"])
    page = _page(signed_in(pharmacist).get(BOARD))
    assert _book_url(open_to_them) in page
    assert _book_url(sas_only) not in page
    assert "1 créneau" in page


def test_a_booked_slot_is_not_on_the_board(signed_in, regulator, slot, commune):
    booking_create(
        acting_user=regulator, slot=slot, patient=patient(commune), reason_category="pain", contact_consent=False
    )
    page = _page(signed_in(regulator).get(BOARD))
    assert _book_url(slot) not in page and "0 créneau" in page


def test_the_radius_keeps_the_slots_near_the_commune_with_their_distance(signed_in, regulator, gp, gp2, sites):
    near = slot_publish(acting_user=gp, start=at(1, 10), duration_minutes=20, audiences=["sas"])
    coast = slot_publish(acting_user=gp2, start=at(1, 9), duration_minutes=20, audiences=["sas"])
    client = signed_in(regulator)
    page = _page(client.get(BOARD, {"place": "Mouilleron-le-Captif", "radius_km": "10"}))
    assert _book_url(near) in page and _book_url(coast) not in page
    assert "km" in page and "1 créneau" in page
    wide = _page(client.get(BOARD, {"place": "Mouilleron-le-Captif", "radius_km": "100"}))
    # Near a commune, the nearest first (the coast's slot is sooner but farther).
    assert wide.index(_book_url(near)) < wide.index(_book_url(coast))
    soonest = _page(client.get(BOARD, {"place": "Mouilleron-le-Captif", "radius_km": "100", "sort": "soonest"}))
    assert soonest.index(_book_url(coast)) < soonest.index(_book_url(near))


def test_the_filters_keep_a_day_a_kind_and_a_profession(signed_in, regulator, gp, gp2):
    tomorrow = slot_publish(acting_user=gp, start=at(1, 10), duration_minutes=20, audiences=["sas"])
    in_three_days = slot_publish(acting_user=gp, start=at(3, 10), duration_minutes=20, audiences=["sas"])
    home = slot_publish(acting_user=gp2, start=at(1, 14), duration_minutes=30, audiences=["sas"], kind="home_visit")
    client = signed_in(regulator)
    page = _page(client.get(BOARD, {"when": "tomorrow"}))
    assert _book_url(tomorrow) in page and _book_url(home) in page and _book_url(in_three_days) not in page
    day = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    page = _page(client.get(BOARD, {"when": "date", "day": day}))
    assert _book_url(in_three_days) in page and _book_url(tomorrow) not in page
    page = _page(client.get(BOARD, {"kind": "home_visit"}))
    assert _book_url(home) in page and _book_url(tomorrow) not in page
    nurse_entry = PractitionerFactory(territory=gp2.role_grants.get().practitioner.territory)
    nurse_entry.profession = profession("60", "Infirmier")
    nurse_entry.save()
    page = _page(client.get(BOARD, {"discipline": "s:SM54"}))
    assert _book_url(tomorrow) in page and "Médecine générale" in page


def test_a_refused_filter_is_a_french_400_that_keeps_what_was_typed(signed_in, regulator):
    response = signed_in(regulator).get(BOARD, {"place": "Zzyzx-sur-Mer", "when": "date"})
    page = _page(response)
    assert response.status_code == 400
    assert "Commune introuvable" in page and "Choisissez le jour." in page
    assert 'value="Zzyzx-sur-Mer"' in page


def test_htmx_gets_the_results_region_that_refreshes_itself_every_30_seconds(signed_in, regulator, slot):
    response = signed_in(regulator).get(BOARD, {"kind": "in_practice"}, headers={"HX-Request": "true"})
    page = _page(response)
    assert "<h1" not in page and _book_url(slot) in page
    assert 'hx-trigger="every 30s"' in page and "kind=in_practice" in page
    assert 'hx-swap-oob="innerHTML:#board-count"' in page and "1 créneau" in page


def test_an_observer_or_a_secretary_may_not_open_the_board(signed_in, observer, gp_secretary, client):
    assert signed_in(observer).get(BOARD).status_code == 403
    client.logout()
    assert signed_in(gp_secretary).get(BOARD).status_code == 403


def test_the_nurse_on_call_for_the_commune_is_on_the_board_with_her_number(
    signed_in, regulator, territory, communes, slot
):
    nurse = PractitionerFactory(first_name="Inès", last_name="Roux", territory=territory)
    ContactChannel.objects.create(
        practitioner=nurse, audience="professionals", kind="professional_line", value="+33251000000"
    )
    shift = NurseOnCall.objects.create(
        territory=territory,
        nurse=nurse,
        starts_at=timezone.now() - datetime.timedelta(hours=1),
        ends_at=timezone.now() + datetime.timedelta(hours=5),
    )
    shift.communes.add(communes["la_roche"])
    client = signed_in(regulator)
    page = _page(client.get(BOARD, {"place": "La Roche-sur-Yon — 85000 (INSEE 85191)"}))
    assert "Infirmier d'astreinte à La Roche-sur-Yon" in page
    assert "Inès Roux" in page and 'href="tel:+33251000000"' in page and "02 51 00 00 00" in page
    elsewhere = _page(client.get(BOARD, {"place": "Saint-Jean-de-Monts"}))
    assert "Inès Roux" not in elsewhere


def test_nurses_on_call_covers_the_commune_at_that_time_only(territory, communes):
    from snp.selectors import nurses_on_call

    nurse = PractitionerFactory(territory=territory)
    now = timezone.now()
    shift = NurseOnCall.objects.create(
        territory=territory, nurse=nurse, starts_at=now, ends_at=now + datetime.timedelta(hours=12)
    )
    shift.communes.add(communes["la_roche"], communes["mouilleron"])
    assert list(nurses_on_call(commune=communes["mouilleron"], at=now + datetime.timedelta(hours=1))) == [shift]
    assert list(nurses_on_call(commune=communes["mouilleron"], at=now + datetime.timedelta(hours=13))) == []
    assert list(nurses_on_call(commune=communes["saint_jean"], at=now + datetime.timedelta(hours=1))) == []


def _many_slots(territory, number):
    specialty = SpecialtyFactory()
    for index in range(number):
        site = PracticeFactory(territory=territory)
        entry = PractitionerFactory(territory=territory)
        entry.specialties.add(specialty)
        Activity.objects.create(practitioner=entry, practice=site)
        start = at(1, 8) + datetime.timedelta(minutes=index)
        Slot.objects.create(
            practitioner=entry,
            site=site,
            territory=territory,
            starts_at=start,
            ends_at=start + datetime.timedelta(minutes=20),
            audiences=["sas"],
        )


@pytest.mark.parametrize("query", [{}, {"place": "La Roche-sur-Yon — 85000 (INSEE 85191)", "radius_km": "100"}])
def test_the_board_makes_the_same_few_queries_for_10_or_100_slots(signed_in, regulator, territory, communes, query):
    client = signed_in(regulator)
    _many_slots(territory, 10)
    client.get(BOARD, query)  # sessions and caches warmed up
    with CaptureQueriesContext(connection) as ten:
        assert client.get(BOARD, query).status_code == 200
    _many_slots(territory, 90)
    with CaptureQueriesContext(connection) as hundred:
        response = client.get(BOARD, query)
    assert len(hundred) == len(ten) <= 12, [q["sql"][:120] for q in hundred.captured_queries]
    if not query:
        assert "100 créneaux" in _page(response)


# --- Booking ----------------------------------------------------------------------------------------------------


def test_the_regulator_books_a_slot_and_sees_what_the_patient_receives(signed_in, regulator, slot, commune):
    client = signed_in(regulator)
    form = client.get(_book_url(slot))
    assert form.status_code == 200 and "11:30" in _page(form) and "Réserver" in _page(form)
    response = client.post(_book_url(slot), _form(commune))
    booking = Booking.objects.get(slot=slot)
    assert response.status_code == 302
    assert response["Location"] == f"/soins-non-programmes/reservations/{booking.public_id}/confirmation/"
    assert (booking.patient_family_name, booking.patient_phone, booking.audience) == ("Durand", "+33612345678", "sas")
    page = _page(client.get(response["Location"]))
    assert "Créneau réservé" in page and "06 12 34 56 78" in page and "jeanne.durand@example.org" in page
    assert "/liste-attente/" in page  # no GP: the waiting list is offered
    assert f"/soins-non-programmes/reservations/{booking.public_id}/" in page


def test_a_patient_with_a_gp_of_the_territory_is_booked_with_that_gp_and_no_waiting_list(
    signed_in, regulator, slot, commune, gp2
):
    gp2_entry = gp2.role_grants.get().practitioner
    client = signed_in(regulator)
    assert "BENALI Bob" in _page(client.get(_book_url(slot)))
    response = client.post(_book_url(slot), _form(commune, has_gp="yes", gp=str(gp2_entry.pk)))
    booking = Booking.objects.get(slot=slot)
    assert booking.gp_practitioner == gp2_entry and booking.has_gp is True
    assert "/liste-attente/" not in _page(client.get(response["Location"]))


def test_booking_a_slot_outside_the_audience_is_404(signed_in, pharmacist, regulator, gp, commune):
    sas_only = slot_publish(acting_user=gp, start=at(1, 10), duration_minutes=20, audiences=["sas"])
    client = signed_in(pharmacist)
    assert client.get(_book_url(sas_only)).status_code == 404
    assert client.post(_book_url(sas_only), _form(commune)).status_code == 404
    assert not Booking.objects.exists()


def test_the_gp_may_not_book_her_own_slot_she_only_manages(signed_in, gp, slot, commune):
    assert signed_in(gp).get(_book_url(slot)).status_code == 404


def test_wrong_patient_details_are_french_errors_with_a_4xx_and_the_input_kept(signed_in, regulator, slot, commune):
    client = signed_in(regulator)
    response = client.post(_book_url(slot), _form(commune, phone="12", birth_date="2999-01-01", given_names=""))
    page = _page(response)
    assert response.status_code == 400
    assert "Rien n'a été enregistré" in page
    assert "Ce champ est obligatoire." in page
    assert 'value="Durand"' in page and 'value="12"' in page
    response = client.post(_book_url(slot), _form(commune, phone="12"))
    page = _page(response)
    assert response.status_code == 400
    assert "Ce numéro de téléphone n&#x27;en est pas un" in page and 'value="Durand"' in page
    response = client.post(_book_url(slot), _form(commune, phone="", email="", contact_consent="on"))
    assert response.status_code == 400 and "indiquez son téléphone ou son e-mail" in _page(response)
    response = client.post(_book_url(slot), _form(commune, commune="Zzyzx"))
    assert response.status_code == 400 and "Commune introuvable" in _page(response)
    assert not Booking.objects.exists()


def test_a_slot_just_taken_by_a_colleague_is_a_409_offering_the_next_free_slots_with_the_input_kept(
    signed_in, regulator, territory, gp, gp2, slot, commune
):
    next_one = slot_publish(acting_user=gp2, start=at(1, 14), duration_minutes=20, audiences=["sas"])
    colleague = UserFactory(email="sas2@cpts.test")
    role_grant_create(user=colleague, role=Role.REGULATOR, territory=territory)
    booking_create(
        acting_user=colleague, slot=slot, patient=patient(commune), reason_category="pain", contact_consent=False
    )
    client = signed_in(regulator)
    response = client.post(_book_url(slot), _form(commune, family_name="Lemaire"))
    page = _page(response)
    assert response.status_code == 409
    assert "Ce créneau vient d&#x27;être réservé" in page
    assert f'formaction="{_book_url(next_one)}"' in page
    assert 'value="Lemaire"' in page
    # Choosing the slot offered brings the details there, without booking it yet.
    chosen = client.post(
        _book_url(next_one), {**_form(commune, family_name="Lemaire"), "choose": str(next_one.public_id)}
    )
    assert chosen.status_code == 200 and 'value="Lemaire"' in _page(chosen)
    assert not Booking.objects.filter(slot=next_one).exists()
    booked = client.post(_book_url(next_one), _form(commune, family_name="Lemaire"))
    assert booked.status_code == 302
    assert Booking.objects.get(slot=next_one).patient_family_name == "Lemaire"


# --- Calls without a booking ------------------------------------------------------------------------------------


def test_a_call_without_booking_is_recorded_and_counted(signed_in, regulator, territory, communes):
    client = signed_in(regulator)
    assert "Appel sans réservation" in _page(client.get(BOARD))
    assert client.get("/soins-non-programmes/appels/nouveau/").status_code == 200
    response = client.post(
        "/soins-non-programmes/appels/nouveau/",
        {"outcome": "no_slot", "commune": "Mouilleron-le-Captif", "reason_category": "child"},
    )
    assert response.status_code == 302 and response["Location"] == BOARD
    call = RegulatedCall.objects.get()
    assert (call.outcome, call.commune, call.reason_category, call.territory, call.recorded_by) == (
        "no_slot",
        communes["mouilleron"],
        "child",
        territory,
        regulator,
    )


def test_a_call_without_its_outcome_is_a_french_400(signed_in, regulator):
    response = signed_in(regulator).post("/soins-non-programmes/appels/nouveau/", {"reason_category": "child"})
    assert response.status_code == 400 and "Ce champ est obligatoire." in _page(response)
    assert not RegulatedCall.objects.exists()


def test_only_a_regulation_records_calls(signed_in, pharmacist):
    client = signed_in(pharmacist)
    assert "Appel sans réservation" not in _page(client.get(BOARD))
    assert client.get("/soins-non-programmes/appels/nouveau/").status_code == 403
    assert client.post("/soins-non-programmes/appels/nouveau/", {"outcome": "advice"}).status_code == 403
    assert not RegulatedCall.objects.exists()


# --- Mes réservations -------------------------------------------------------------------------------------------


def test_the_booking_list_shows_the_service_s_bookings_and_logs_each_read(
    signed_in, regulator, pharmacist, gp, slot, commune
):
    booking = booking_create(
        acting_user=regulator, slot=slot, patient=patient(commune), reason_category="pain", contact_consent=False
    )
    AccessLog.objects.all().delete()
    page = _page(signed_in(regulator).get("/soins-non-programmes/reservations/"))
    assert "DURAND" in page and f"/soins-non-programmes/reservations/{booking.public_id}/" in page
    row = AccessLog.objects.get(subject_type="snp_booking")
    assert (row.user, row.action, row.subject_id) == (regulator, "read", str(booking.public_id))


def test_another_booker_s_list_does_not_show_the_booking(signed_in, regulator, pharmacist, slot, commune):
    booking_create(
        acting_user=regulator, slot=slot, patient=patient(commune), reason_category="pain", contact_consent=False
    )
    AccessLog.objects.all().delete()
    page = _page(signed_in(pharmacist).get("/soins-non-programmes/reservations/"))
    assert "DURAND" not in page and "Aucune réservation" in page
    assert not AccessLog.objects.exists()


def test_the_board_opens_on_the_next_7_days_and_a_30_km_radius(signed_in, regulator):
    page = _page(signed_in(regulator).get(BOARD))
    assert '<option value="week" selected>' in page and '<option value="30" selected>' in page


def test_who_books_through_several_audiences_filters_by_audience(signed_in, pharmacist, territory, gp):
    role_grant_create(user=pharmacist, role=Role.REGULATOR, territory=territory)  # also at the CPTS's SAS desk
    sas = slot_publish(acting_user=gp, start=at(1, 9), duration_minutes=20, audiences=["sas"])
    pharmacists = slot_publish(acting_user=gp, start=at(1, 10), duration_minutes=20, audiences=["pharmacists"])
    client = signed_in(pharmacist)
    page = _page(client.get(BOARD))
    assert "Réserver pour" in page and _book_url(sas) in page and _book_url(pharmacists) in page
    page = _page(client.get(BOARD, {"audience": "pharmacists"}))
    assert _book_url(pharmacists) in page and _book_url(sas) not in page
    assert client.get(BOARD, {"audience": "sos"}).status_code == 400


def test_a_pharmacist_s_board_near_a_commune_stays_within_12_queries(signed_in, pharmacist, territory, communes):
    client = signed_in(pharmacist)
    _many_slots(territory, 5)
    query = {"place": "La Roche-sur-Yon — 85000 (INSEE 85191)", "radius_km": "100"}
    client.get(BOARD, query)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(BOARD, query).status_code == 200
    assert len(queries) <= 12, [q["sql"][:120] for q in queries.captured_queries]

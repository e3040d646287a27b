"""The patient's cancellation link: opening it cancels nothing (mail scanners open links), the button does, once;
a reused or broken link says so in French."""

import pytest

from snp.models import Booking, Slot
from snp.services import booking_create, cancel_link
from tests.snp.conftest import patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking(regulator, slot, commune):
    return booking_create(
        acting_user=regulator, slot=slot, patient=patient(commune), reason_category="pain", contact_consent=True
    )


def _path(booking):
    return cancel_link(booking).split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def test_opening_the_link_shows_the_visit_and_cancels_nothing(client, booking):
    response = client.get(_path(booking))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Annuler la consultation" in page and "11:30" in page
    assert "Douleur" not in page and "Durand" not in page
    booking.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED


def test_the_button_cancels_once_and_frees_the_slot(client, booking):
    path = _path(booking)
    response = client.post(path)
    assert response.status_code == 200 and "Consultation annulée" in response.content.decode()
    booking.refresh_from_db()
    assert (booking.status, booking.slot.status) == (Booking.Status.CANCELLED, Slot.Status.FREE)
    again = client.post(path)
    assert again.status_code == 400 and "lien" in again.content.decode().lower()


def test_a_broken_link_is_a_french_400(client, booking):
    response = client.get("/soins-non-programmes/annuler/not-a-token/")
    assert response.status_code == 400
    assert "Ce lien n&#x27;est pas valide" in response.content.decode()


def test_the_patient_s_gp_reads_the_note_once_the_visit_was_honoured_others_get_404(
    client, regulator, gp, gp2, slot, commune, observer
):
    import datetime

    from django.utils import timezone

    from notifications.models import OutboundMessage
    from notifications.services import message_render
    from snp.services import booking_outcome_record

    gp2_entry = gp2.role_grants.get().practitioner
    booking = booking_create(
        acting_user=regulator,
        slot=slot,
        patient=patient(commune, has_gp=True, gp_practitioner=gp2_entry),
        reason_category="pain",
        contact_consent=False,
    )
    path = f"/soins-non-programmes/reservations/{booking.public_id}/"
    client.force_login(gp2)
    assert client.get(path).status_code == 404  # not before the visit was honoured
    Slot.objects.filter(pk=slot.pk).update(
        starts_at=timezone.now() - datetime.timedelta(hours=1), ends_at=timezone.now() - datetime.timedelta(minutes=40)
    )
    booking_outcome_record(acting_user=gp, booking=booking, outcome="honoured", note="Otite, amoxicilline.")
    link = message_render(OutboundMessage.objects.get(template="snp_patient_seen"))["text"]
    assert path in link
    page = client.get(path).content.decode()
    assert "Otite, amoxicilline." in page and "DURAND" in page
    client.force_login(observer)
    assert client.get(path).status_code == 404

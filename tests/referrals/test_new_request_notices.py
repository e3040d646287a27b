"""The recipient's side hears of a new request when it arrives: an urgent one by e-mail at once, to the
practitioner addressed and the secretaries of their practice; the others as each practice chose (an e-mail at each
new request, or the morning digest, the default). The e-mail never names the patient nor says anything clinical.
The choice is made on a small page by the practice's secretaries and practitioners, and by coordinators."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from notifications.models import OutboundMessage
from notifications.tasks import deliver_message
from referrals.models import NewRequestNotices
from referrals.services import referral_send
from referrals.services.handling import referral_forward
from referrals.services.notices import new_request_notices_set
from tests.factories import PractitionerFactory, UserFactory
from tests.referrals.conftest import PATIENT

pytestmark = pytest.mark.django_db

NOTICES_URL = reverse("referrals:new_request_notices")
FORBIDDEN = (PATIENT["patient_family_name"], "Durand", "Louise", PATIENT["reason"], PATIENT["question"], "1958")


def _send(gp, cardiologist, urgency):
    return referral_send(
        acting_user=gp, kind="letter", urgency=urgency, recipient_practitioner=cardiologist.practitioner, **PATIENT
    )


def _arrivals():
    return OutboundMessage.objects.filter(template="referral_new_request").order_by("recipient")


def _deliver_all() -> list:
    """Each outbox row through the real delivery task, as the worker runs it; the e-mails as they left."""
    mail.outbox.clear()
    for row in _arrivals():
        assert deliver_message.apply(args=[row.pk]).get() == "sent"
    return list(mail.outbox)


def test_an_urgent_request_is_emailed_at_once_to_the_practitioner_and_the_practice_secretaries(
    gp, cardiologist, cardio_secretary, other_secretary
):
    referral = _send(gp, cardiologist, "urgent")

    assert [row.recipient for row in _arrivals()] == sorted([cardiologist.email, cardio_secretary.email])
    assert all(row.territory_id == referral.territory_id for row in _arrivals())
    delivered = _deliver_all()
    assert sorted(email.to[0] for email in delivered) == sorted([cardiologist.email, cardio_secretary.email])
    email = delivered[0]
    assert "Demande urgente de Alice Martin" in email.subject
    body = email.body
    due = timezone.localtime(referral.due_at).strftime("%d/%m/%Y %H:%M")
    for expected in ("Adressage", "urgence : Urgent", "Alice Martin", f"/demandes/{referral.public_id}/", due):
        assert expected in body, expected
    for forbidden in FORBIDDEN:
        assert forbidden not in body and forbidden not in email.subject, forbidden


def test_a_routine_request_waits_for_the_morning_digest_by_default(gp, cardiologist, cardio_secretary):
    _send(gp, cardiologist, "routine")

    assert not _arrivals().exists()


def test_a_practice_that_chose_each_request_hears_of_a_routine_one_at_once(
    gp, cardiologist, cardio_secretary, cardio_practice, other_secretary, dermato_practice
):
    new_request_notices_set(acting_user=cardio_secretary, practice=cardio_practice, when="each_request")

    referral = _send(gp, cardiologist, "rapid")

    delivered = _deliver_all()
    assert sorted(email.to[0] for email in delivered) == sorted([cardiologist.email, cardio_secretary.email])
    assert "Nouvelle demande de Alice Martin" in delivered[0].subject
    assert "récapitulatif du matin" in delivered[0].body  # how to turn it off
    assert f"/demandes/{referral.public_id}/" in delivered[0].body
    for forbidden in FORBIDDEN:
        assert forbidden not in delivered[0].body
    # Sent twice (a retried service) it writes no second e-mail.
    from referrals.services.notices import new_request_notices_send

    assert new_request_notices_send(referral=referral) == 2
    assert _arrivals().count() == 2


def test_a_forwarded_request_is_news_to_the_colleague_and_not_to_who_forwarded_it(
    gp, cardiologist, cardio_secretary, cardio_practice, territory
):
    colleague_user = UserFactory(email="gael@cpts.test")
    colleague = PractitionerFactory(first_name="Gaël", last_name="Perrin", territory=territory)
    colleague.activities.create(practice=cardio_practice)
    from accounts.roles import Role
    from directory.services import role_grant_create

    role_grant_create(user=colleague_user, role=Role.PROFESSIONAL, practitioner=colleague)
    referral = _send(gp, cardiologist, "urgent")
    OutboundMessage.objects.all().delete()

    referral_forward(acting_user=cardio_secretary, referral=referral, to_practitioner=colleague)

    rows = list(_arrivals())
    assert [row.recipient for row in rows] == [colleague_user.email]  # the secretary acted: no e-mail to her
    assert "transférée" in " ".join(_deliver_all()[0].subject.split())


def test_the_secretary_chooses_on_the_page_linked_from_the_inbox(signed_in, cardio_secretary, cardio_practice):
    client = signed_in(cardio_secretary)
    assert NOTICES_URL in client.get(reverse("referrals:inbox")).content.decode()

    page = client.get(NOTICES_URL).content.decode()
    assert cardio_practice.name in page
    assert "Dans le récapitulatif du matin" in page and "À chaque nouvelle demande" in page

    response = client.post(NOTICES_URL, {"practice": cardio_practice.public_id, "when": "each_request"})

    assert response.status_code == 302
    assert NewRequestNotices.objects.get(practice=cardio_practice).when == "each_request"
    assert NewRequestNotices.objects.get(practice=cardio_practice).updated_by == cardio_secretary


def test_the_practitioner_of_the_practice_and_the_coordinator_may_choose_too(
    signed_in, cardiologist, coordinator, cardio_practice
):
    assert signed_in(cardiologist).post(NOTICES_URL, {"practice": cardio_practice.public_id, "when": "each_request"})
    assert NewRequestNotices.objects.get(practice=cardio_practice).when == "each_request"
    response = signed_in(coordinator).post(
        NOTICES_URL, {"practice": cardio_practice.public_id, "when": "morning_digest"}
    )
    assert response.status_code == 302
    assert NewRequestNotices.objects.get(practice=cardio_practice).when == "morning_digest"


def test_another_practices_secretary_or_gp_cannot_change_the_choice(
    signed_in, other_secretary, gp, cardio_practice, observer
):
    for user in (other_secretary, gp):
        client = signed_in(user)
        assert cardio_practice.name not in client.get(NOTICES_URL).content.decode()
        response = client.post(NOTICES_URL, {"practice": cardio_practice.public_id, "when": "each_request"})
        assert response.status_code == 404
    assert signed_in(observer).get(NOTICES_URL).status_code == 403
    assert not NewRequestNotices.objects.exists()


def test_an_unknown_choice_is_refused_in_french_on_the_field(signed_in, cardio_secretary, cardio_practice):
    response = signed_in(cardio_secretary).post(NOTICES_URL, {"practice": cardio_practice.public_id, "when": "x"})

    assert response.status_code == 400
    assert "Sélectionnez un choix valide" in response.content.decode()
    assert not NewRequestNotices.objects.exists()


def test_the_coordinator_lists_the_territorys_practices_where_someone_uses_the_portal(
    signed_in, coordinator, cardio_practice, cardio_secretary, gp_practice, gp, territory
):
    from tests.factories import PracticeFactory

    nobody_here = PracticeFactory(name="Cabinet sans compte", territory=territory)
    elsewhere = PracticeFactory(name="Cabinet d'un autre territoire")

    page = signed_in(coordinator).get(NOTICES_URL).content.decode()

    assert cardio_practice.name in page and gp_practice.name in page
    assert nobody_here.name not in page and elsewhere.name not in page
    response = signed_in(coordinator).post(NOTICES_URL, {"practice": elsewhere.public_id, "when": "each_request"})
    assert response.status_code == 404

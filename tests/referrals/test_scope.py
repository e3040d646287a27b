"""Who sees a request: the professional it is addressed to (and whoever replaces them today), the practitioners of
a practice addressed as a pool, a pathway's responders, the secretaries of the practices concerned; nobody else,
not even a colleague of the same health centre. Sending and each action are in the access log as what they are."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessLog
from accounts.roles import Role
from core.errors import ApplicationError
from directory.models import Absence, Activity, Practitioner
from directory.services import role_grant_create
from referrals.permissions import REFERRAL_ACTIONS, referral_actions_for
from referrals.scope import recipient_side
from referrals.selectors import get_referral_for_user, referrals_inbox
from referrals.services import referral_accept, referral_acknowledge, referral_send
from referrals.services.attachments import attachment_add
from referrals.services.handling import message_post
from tests.conftest import enrol_totp
from tests.factories import PracticeFactory, PractitionerFactory, SpecialtyFactory, UserFactory
from tests.referrals.conftest import PATIENT, daytime_in, pdf_bytes, upload


def _professional(email, last_name, practice, territory):
    user = UserFactory(email=email, first_name="Prénom", last_name=last_name)
    entry = PractitionerFactory(first_name="Prénom", last_name=last_name, territory=territory)
    entry.specialties.add(SpecialtyFactory())
    Activity.objects.create(practitioner=entry, practice=practice)
    role_grant_create(user=user, role=Role.PROFESSIONAL, practitioner=entry)
    enrol_totp(user)
    return user


@pytest.fixture
def centre(territory):
    return PracticeFactory(name="Centre de santé du Marais", territory=territory)


@pytest.fixture
def centre_gp(centre, territory):
    return _professional("jules@cpts.test", "Lambert", centre, territory)


@pytest.fixture
def physio(centre, territory):
    return _professional("kevin@cpts.test", "Kiné", centre, territory)


@pytest.fixture
def centre_secretary(centre):
    user = UserFactory(email="lea@cpts.test")
    role_grant_create(user=user, role=Role.SECRETARY, practices=[centre])
    enrol_totp(user)
    return user


@pytest.fixture
def to_physio(gp, physio, centre_gp):
    """A letter addressed by name to the centre's physiotherapist."""
    letter = referral_send(
        acting_user=gp, kind="letter", recipient_practitioner=Practitioner.objects.get(user=physio), **PATIENT
    )
    attachment_add(acting_user=gp, referral=letter, uploaded_file=upload("ordonnance.pdf", pdf_bytes()))
    return letter


def _pages(referral):
    attachment = referral.attachments.get()
    return [
        reverse("referrals:detail", args=[referral.public_id]),
        reverse("referrals:letter", args=[referral.public_id]),
        reverse("referrals:attachment_list", args=[referral.public_id]),
        reverse("referrals:attachment_download", args=[referral.public_id, attachment.public_id]),
        f"/api/v1/referrals/{referral.public_id}/",
        f"/api/v1/referrals/{referral.public_id}/letter.pdf",
        f"/api/v1/referrals/{referral.public_id}/attachments/",
        f"/api/v1/referrals/{referral.public_id}/attachments/{attachment.public_id}/",
        f"/api/v1/referrals/{referral.public_id}/messages/",
    ]


def test_a_colleague_of_the_same_centre_cannot_open_a_request_addressed_to_the_physiotherapist(
    to_physio, centre_gp, signed_in
):
    browser = signed_in(centre_gp)

    for url in _pages(to_physio):
        assert browser.get(url).status_code == 404, url
    thread = reverse("referrals:action", args=[to_physio.public_id, "message"])
    assert browser.post(thread, {"message": "Je regarde"}).status_code == 404
    assert browser.post(reverse("referrals:action", args=[to_physio.public_id, "acknowledge"])).status_code == 404
    assert browser.post(f"/api/v1/referrals/{to_physio.public_id}/acknowledge/").status_code == 404
    assert browser.post(f"/api/v1/referrals/{to_physio.public_id}/messages/", {"body": "Vu"}).status_code == 404
    to_physio.refresh_from_db()
    assert to_physio.status == "sent" and not to_physio.messages.exists()
    assert not AccessLog.objects.filter(user=centre_gp).exists()
    assert to_physio not in referrals_inbox(centre_gp)


def test_a_colleague_of_the_same_centre_is_refused_by_the_services_too(to_physio, centre_gp):
    with pytest.raises(ApplicationError) as refused:
        referral_acknowledge(acting_user=centre_gp, referral=to_physio)
    assert refused.value.code == "not_found"
    with pytest.raises(ApplicationError) as refused:
        message_post(acting_user=centre_gp, referral=to_physio, body="Vu")
    assert refused.value.code == "not_found"
    assert referral_actions_for(centre_gp, to_physio) == []


def test_the_physiotherapist_and_the_centre_s_secretary_see_it(to_physio, physio, centre_secretary, signed_in):
    for user in (physio, centre_secretary):
        assert signed_in(user).get(reverse("referrals:detail", args=[to_physio.public_id])).status_code == 200
        assert to_physio in referrals_inbox(user)


def test_a_request_to_the_centre_as_a_pool_reaches_each_of_its_professionals(gp, centre, centre_gp, physio):
    to_centre = referral_send(acting_user=gp, kind="letter", recipient_practice=centre, **PATIENT)

    assert get_referral_for_user(centre_gp, to_centre.public_id) == to_centre
    assert get_referral_for_user(physio, to_centre.public_id) == to_centre
    assert [action.name for action in referral_actions_for(centre_gp, to_centre)][:2] == ["acknowledge", "request_info"]


def _absence(physio, replacing, *, starts, ends):
    return Absence.objects.create(
        practitioner=Practitioner.objects.get(user=physio),
        replacement=Practitioner.objects.get(user=replacing),
        starts_on=starts,
        ends_on=ends,
    )


def test_the_colleague_replacing_the_physiotherapist_sees_the_request_during_the_absence_only(
    to_physio, physio, gp2, signed_in
):
    today = timezone.localdate()
    absence = _absence(physio, gp2, starts=today - datetime.timedelta(days=1), ends=today + datetime.timedelta(days=3))
    detail = reverse("referrals:detail", args=[to_physio.public_id])

    assert signed_in(gp2).get(detail).status_code == 200
    referral_acknowledge(acting_user=gp2, referral=to_physio)  # the replacement works the request
    assert gp2.email in recipient_side(to_physio).emails()

    Absence.objects.filter(pk=absence.pk).update(ends_on=today - datetime.timedelta(days=1))
    signed_in(gp2)  # a new request: a new actor
    assert signed_in(gp2).get(detail).status_code == 404
    assert get_referral_for_user(gp2, to_physio.public_id) is None
    assert gp2.email not in recipient_side(to_physio).emails()


def test_an_absence_to_come_gives_the_replacement_nothing_yet(to_physio, physio, gp2):
    today = timezone.localdate()
    _absence(physio, gp2, starts=today + datetime.timedelta(days=2), ends=today + datetime.timedelta(days=9))

    assert get_referral_for_user(gp2, to_physio.public_id) is None


def test_the_recipient_side_of_a_named_request_is_the_professional_and_the_practice_s_secretaries(
    to_physio, physio, centre_gp, centre_secretary
):
    emails = recipient_side(to_physio).emails()

    assert physio.email in emails and centre_secretary.email in emails
    assert centre_gp.email not in emails


# --- The access log ---------------------------------------------------------------------------------------------


def test_sending_a_request_is_logged_as_a_creation(gp, cardiologist):
    letter = referral_send(
        acting_user=gp, kind="letter", recipient_practitioner=Practitioner.objects.get(user=cardiologist), **PATIENT
    )

    row = AccessLog.objects.get(user=gp, subject_id=str(letter.public_id))
    assert (row.action, row.subject_type, row.via) == ("create", "referral", "referrals.services.referral_send")


def test_each_action_is_logged_as_a_change_with_its_own_name(gp, cardiologist, cardio_secretary, cardio_practice):
    letter = referral_send(
        acting_user=gp, kind="letter", recipient_practitioner=Practitioner.objects.get(user=cardiologist), **PATIENT
    )
    referral_acknowledge(acting_user=cardio_secretary, referral=letter)
    referral_accept(
        acting_user=cardio_secretary,
        referral=letter,
        appointment_at=daytime_in(3),
        site=cardio_practice,
    )

    rows = AccessLog.objects.filter(user=cardio_secretary, subject_id=str(letter.public_id)).order_by("at", "pk")
    assert list(rows.values_list("action", "via")) == [
        ("update", "referrals.services.referral_acknowledge"),
        ("update", "referrals.services.referral_accept"),
    ]


def test_an_action_from_the_page_is_logged_as_the_read_and_the_change_it_is(gp, cardiologist, signed_in):
    letter = referral_send(
        acting_user=gp, kind="letter", recipient_practitioner=Practitioner.objects.get(user=cardiologist), **PATIENT
    )

    response = signed_in(gp).post(reverse("referrals:action", args=[letter.public_id, "cancel"]), {"note": ""})

    assert response.status_code == 302
    rows = AccessLog.objects.filter(user=gp, subject_id=str(letter.public_id)).order_by("at", "pk")
    assert list(rows.values_list("action", flat=True)) == ["create", "read", "update"]
    assert rows.last().via == "referrals.services.referral_cancel"


def test_the_registry_offers_each_side_its_own_actions(gp, cardiologist, cardio_secretary):
    letter = referral_send(
        acting_user=gp, kind="letter", recipient_practitioner=Practitioner.objects.get(user=cardiologist), **PATIENT
    )

    assert [action.name for action in referral_actions_for(cardio_secretary, letter)] == [
        "acknowledge",
        "request_info",
        "accept",
        "decline",
    ]
    assert [action.name for action in referral_actions_for(gp, letter)] == ["cancel"]
    assert REFERRAL_ACTIONS["close"].inputs == ("note", "report")
    assert {action.side for action in REFERRAL_ACTIONS.values()} == {"recipient", "sender"}


def test_one_action_looks_the_acting_user_s_directory_entry_up_once(gp, cardiologist, signed_in):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    letter = referral_send(
        acting_user=gp, kind="letter", recipient_practitioner=Practitioner.objects.get(user=cardiologist), **PATIENT
    )
    browser = signed_in(gp)

    with CaptureQueriesContext(connection) as captured:
        response = browser.post(reverse("referrals:action", args=[letter.public_id, "cancel"]), {"note": "Doublon"})

    assert response.status_code == 302
    # The entry is read with the rest of the actor's scope, in one statement (``referrals.scope._SCOPE_SQL``).
    scope_lookups = [
        query["sql"] for query in captured.captured_queries if query["sql"].lstrip().startswith("WITH entry AS")
    ]
    entry_lookups = [
        query["sql"]
        for query in captured.captured_queries
        if query["sql"].startswith('SELECT "directory_rolegrant"."id"') and "'professional'" in query["sql"]
    ]
    assert len(scope_lookups) == 1
    assert entry_lookups == []


def test_closing_from_the_page_takes_the_same_note_and_report_as_the_api(
    gp, cardiologist, cardio_secretary, cardio_practice, signed_in
):
    letter = referral_send(
        acting_user=gp, kind="letter", recipient_practitioner=Practitioner.objects.get(user=cardiologist), **PATIENT
    )
    referral_accept(
        acting_user=cardio_secretary,
        referral=letter,
        appointment_at=daytime_in(3),
        site=cardio_practice,
    )
    browser = signed_in(cardio_secretary)
    assert 'name="note"' in browser.get(reverse("referrals:detail", args=[letter.public_id])).content.decode()

    response = browser.post(
        reverse("referrals:action", args=[letter.public_id, "close"]),
        {"report": "Échographie normale.", "note": "Patiente vue le 12"},
    )

    assert response.status_code == 302
    letter.refresh_from_db()
    assert (letter.status, letter.closing_report) == ("closed", "Échographie normale.")
    assert letter.events.get(action="closed").note == "Patiente vue le 12"

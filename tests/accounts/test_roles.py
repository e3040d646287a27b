"""Roles are grants with a scope; a person can hold several; /api/v1/me/ tells what the user holds."""

import pytest
from django.db import IntegrityError

from accounts.roles import Role, reaches_patient_data, roles_of
from core.errors import ApplicationError
from directory import selectors
from directory.models import Practitioner, RoleGrant
from directory.services import role_grant_create
from tests.factories import PractitionerFactory, UserFactory


def test_me_returns_the_user_their_grants_and_their_directory_entry(signed_in, gp):
    response = signed_in(gp).get("/api/v1/me/")

    assert response.status_code == 200
    body = response.json()
    practitioner = Practitioner.objects.get(user=gp)
    assert body["email"] == "alice@cpts.test"
    assert body["practitioner"] == str(practitioner.public_id)
    assert body["mfa_enabled"] is True
    assert [grant["role"] for grant in body["roles"]] == ["professional"]
    assert body["roles"][0]["practitioner"] == str(practitioner.public_id)


def test_me_for_a_secretary_lists_the_practices_of_the_grant(signed_in, cardio_secretary, cardio_practice):
    body = signed_in(cardio_secretary).get("/api/v1/me/").json()

    assert body["practitioner"] is None
    assert body["roles"][0]["role"] == "secretary"
    assert body["roles"][0]["practices"] == [str(cardio_practice.public_id)]


def test_me_requires_authentication(client, db):
    assert client.get("/api/v1/me/").status_code == 401


def test_a_gp_who_coordinates_holds_both_roles(gp, territory):
    role_grant_create(user=gp, role=Role.COORDINATOR, territory=territory)

    assert roles_of(gp) == {Role.PROFESSIONAL, Role.COORDINATOR}
    assert reaches_patient_data(gp)


def test_observer_does_not_reach_patient_data(observer):
    assert roles_of(observer) == {Role.OBSERVER}
    assert not reaches_patient_data(observer)


def test_secretary_serves_only_the_practices_of_their_grant(cardio_secretary, other_secretary, cardio_practice):
    assert list(selectors.practices_served_by(cardio_secretary)) == [cardio_practice]
    assert cardio_practice not in selectors.practices_served_by(other_secretary)


def test_professional_serves_the_practices_where_they_work(cardiologist, cardio_practice, gp):
    assert list(selectors.practices_served_by(cardiologist)) == [cardio_practice]
    assert cardio_practice not in selectors.practices_served_by(gp)


def test_coordinator_scope_is_their_territory(coordinator, territory):
    assert list(selectors.territories_of(coordinator, Role.COORDINATOR)) == [territory]


def test_professional_grant_needs_a_directory_entry(db):
    with pytest.raises(ApplicationError, match="fiche de l'annuaire"):
        role_grant_create(user=UserFactory(), role=Role.PROFESSIONAL)


def test_an_entry_belongs_to_one_account(gp):
    entry = Practitioner.objects.get(user=gp)

    with pytest.raises(ApplicationError, match="déjà rattachée"):
        role_grant_create(user=UserFactory(), role=Role.PROFESSIONAL, practitioner=entry)


def test_secretary_grant_needs_a_practice(db):
    with pytest.raises(ApplicationError, match="au moins un cabinet"):
        role_grant_create(user=UserFactory(), role=Role.SECRETARY)


def test_territorial_roles_need_a_territory(db):
    for role in (Role.COORDINATOR, Role.REGULATOR, Role.OBSERVER):
        with pytest.raises(ApplicationError, match="territoire"):
            role_grant_create(user=UserFactory(), role=role)


def test_the_same_grant_twice_is_refused(coordinator, territory):
    with pytest.raises(ApplicationError, match="déjà ce rôle"):
        role_grant_create(user=coordinator, role=Role.COORDINATOR, territory=territory)


def test_the_database_refuses_a_professional_grant_without_entry_even_outside_the_service(db):
    with pytest.raises(IntegrityError):
        RoleGrant.objects.create(user=UserFactory(), role=Role.PROFESSIONAL)


def test_grant_binds_the_entry_to_the_account(db):
    user, entry = UserFactory(), PractitionerFactory()

    role_grant_create(user=user, role=Role.PROFESSIONAL, practitioner=entry)

    entry.refresh_from_db()
    assert entry.user == user
    assert selectors.practitioner_of(user) == entry

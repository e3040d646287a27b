"""Coordinators open accounts and grant or revoke roles in their own territory, from the portal."""

import re
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from accounts.models import User
from accounts.roles import Role
from core.errors import ApplicationError
from directory.models import RoleGrant, RoleGrantEvent
from directory.selectors import accounts_managed_by, practices_served_by
from directory.services import account_invite, role_grant_create, role_grant_give, role_grant_revoke
from notifications.models import OutboundMessage
from notifications.tasks import deliver_message
from tests.conftest import enrol_totp
from tests.factories import PracticeFactory, PractitionerFactory, TerritoryFactory, UserFactory

NEW_PASSWORD = "Tilleul-Bocage-2025!"


@pytest.fixture
def other_territory(db):
    return TerritoryFactory(name="CPTS du Marais", slug="marais")


@pytest.fixture
def other_practice(other_territory):
    return PracticeFactory(name="Cabinet des Salines", territory=other_territory)


@pytest.fixture
def other_coordinator(other_territory):
    user = UserFactory(email="olga@cpts.test", first_name="Olga", last_name="Marchand")
    role_grant_create(user=user, role=Role.COORDINATOR, territory=other_territory)
    enrol_totp(user)
    return user


def invite(client, **overrides):
    data = {"first_name": "Gisèle", "last_name": "Bernard", "email": "gisele@cpts.test", **overrides}
    return client.post(reverse("directory:account_invite"), data)


def detail_url(account):
    return reverse("directory:account_detail", args=[account.public_id])


def revoke_url(grant):
    return reverse("directory:role_grant_revoke", args=[grant.user.public_id, grant.public_id])


# Inviting


def test_coordinator_invites_a_secretary_who_chooses_a_password_and_signs_in(client, coordinator):
    client.force_login(coordinator)
    response = invite(client)

    account = User.objects.get(email="gisele@cpts.test")
    assert response.status_code == 302
    assert response["Location"] == detail_url(account)
    assert (account.first_name, account.last_name) == ("Gisèle", "Bernard")
    assert not account.has_usable_password()
    assert EmailAddress.objects.get(user=account).verified
    assert not RoleGrant.objects.filter(user=account).exists()
    page = client.get(response["Location"]).content.decode()
    assert "gisele@cpts.test va recevoir un lien pour choisir son mot de passe" in page

    row = OutboundMessage.objects.get(idempotency_key=f"account-invitation:{account.public_id}")
    assert row.template == "account_invitation"
    assert row.recipient == "gisele@cpts.test"
    assert "/accounts/password/reset/key/" in row.context["set_password_url"]
    assert row.context["invited_by"] == "Fanny Durand"

    assert deliver_message.apply(args=[row.pk]).get() == "sent"
    (email,) = mail.outbox
    assert email.to == ["gisele@cpts.test"]
    assert email.subject == "[CPTS] Votre compte sur le portail de la CPTS"
    assert "Fanny Durand vous a ouvert un compte sur le portail de la CPTS (CPTS du Bocage)" in email.body
    html = email.alternatives[0][0]
    assert "Choisir mon mot de passe" in html
    link = re.search(r"https?://\S+/accounts/password/reset/key/\S+/", email.body).group(0)
    assert link in html

    # She follows the link, chooses her password, and signs in with it.
    client.logout()
    response = client.get(urlsplit(link).path, follow=True)
    assert response.status_code == 200
    form_path = response.redirect_chain[-1][0]
    response = client.post(form_path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.check_password(NEW_PASSWORD)

    response = client.post(reverse("account_login"), {"login": "gisele@cpts.test", "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(account.pk)

    # The link served once.
    client.logout()
    response = client.get(urlsplit(link).path, follow=True)
    assert "invalide" in response.content.decode().lower()


def test_inviting_an_address_already_used_is_refused_in_french(client, coordinator, gp):
    client.force_login(coordinator)
    response = invite(client, email="ALICE@cpts.test")

    assert response.status_code == 400
    assert "Un compte existe déjà avec cette adresse e-mail." in response.content.decode()
    assert User.objects.filter(email__iexact="alice@cpts.test").count() == 1
    assert not OutboundMessage.objects.filter(template="account_invitation").exists()


def test_inviting_without_a_valid_address_or_name_is_refused_in_french(client, coordinator):
    client.force_login(coordinator)
    response = invite(client, email="pas-une-adresse", last_name="")

    assert response.status_code == 400
    page = response.content.decode()
    assert "Saisissez une adresse e-mail valide." in page
    assert "Ce champ est obligatoire." in page


def test_only_coordinators_may_invite_through_the_service(gp, observer):
    for user in (gp, observer):
        with pytest.raises(ApplicationError, match="Réservé à la coordination"):
            account_invite(acting_user=user, email="x@cpts.test", first_name="X", last_name="Y")
    assert not User.objects.filter(email="x@cpts.test").exists()


# Granting and revoking


def test_coordinator_grants_the_secretary_role_on_a_practice_of_their_territory(
    client, coordinator, outsider, cardio_practice, dermato_practice
):
    client.force_login(coordinator)
    response = client.post(detail_url(outsider), {"role": Role.SECRETARY, "practices": [cardio_practice.pk]})

    assert response.status_code == 302
    grant = RoleGrant.objects.get(user=outsider)
    assert grant.role == Role.SECRETARY
    assert grant.granted_by == coordinator
    assert list(practices_served_by(outsider)) == [cardio_practice]
    page = client.get(detail_url(outsider)).content.decode()
    assert "Rôle « Secrétariat » attribué à Ivan Leroy." in page
    assert "Cabinet de cardiologie du Centre" in page


def test_coordinator_grants_a_territorial_role(client, coordinator, outsider, territory):
    client.force_login(coordinator)
    response = client.post(detail_url(outsider), {"role": Role.OBSERVER, "territory": territory.pk})

    assert response.status_code == 302
    assert RoleGrant.objects.get(user=outsider).territory == territory


def test_a_regulator_s_grant_names_its_service(client, coordinator, outsider, territory):
    client.force_login(coordinator)
    page = client.get(detail_url(outsider), {"role": Role.REGULATOR}).content.decode()
    assert "Service de régulation" in page and "SOS Médecins" in page
    refused = client.post(detail_url(outsider), {"role": Role.REGULATOR, "territory": territory.pk})
    assert refused.status_code == 400
    assert "Choisissez le service de régulation." in refused.content.decode()
    assert not RoleGrant.objects.filter(user=outsider).exists()

    response = client.post(detail_url(outsider), {"role": Role.REGULATOR, "territory": territory.pk, "service": "sos"})
    assert response.status_code == 302
    grant = RoleGrant.objects.get(user=outsider)
    assert (grant.territory, grant.service) == (territory, "sos")


def test_coordinator_links_a_professional_to_their_directory_entry(client, coordinator, outsider, territory):
    entry = PractitionerFactory(territory=territory, first_name="Jean", last_name="Morel")
    client.force_login(coordinator)
    response = client.post(detail_url(outsider), {"role": Role.PROFESSIONAL, "practitioner": entry.pk})

    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.user == outsider


def test_professional_role_without_a_directory_entry_is_refused_in_french(client, coordinator, outsider):
    client.force_login(coordinator)
    response = client.post(detail_url(outsider), {"role": Role.PROFESSIONAL})

    assert response.status_code == 400
    assert "Choisissez la fiche de l&#x27;annuaire de ce professionnel." in response.content.decode()
    assert not RoleGrant.objects.filter(user=outsider).exists()


def test_secretary_role_without_a_practice_is_refused_in_french(client, coordinator, outsider):
    client.force_login(coordinator)
    response = client.post(detail_url(outsider), {"role": Role.SECRETARY})

    assert response.status_code == 400
    assert "Choisissez au moins un cabinet pour un rôle de secrétariat." in response.content.decode()


def test_unknown_role_and_duplicate_role_are_refused_in_french(client, coordinator, cardio_secretary, dermato_practice):
    client.force_login(coordinator)
    response = client.post(detail_url(cardio_secretary), {"role": "admin"})
    assert response.status_code == 400
    assert "Sélectionnez un choix valide." in response.content.decode()

    response = client.post(detail_url(cardio_secretary), {"role": Role.SECRETARY, "practices": [dermato_practice.pk]})
    assert response.status_code == 400
    assert "Ce compte a déjà ce rôle." in response.content.decode()


def test_coordinator_revokes_a_role_after_confirming(client, coordinator, cardio_secretary, cardio_practice):
    grant = RoleGrant.objects.get(user=cardio_secretary)
    client.force_login(coordinator)

    confirmation = client.get(revoke_url(grant))
    assert confirmation.status_code == 200
    assert "Retirer le rôle « Secrétariat » à Denise Moreau ?" in confirmation.content.decode()
    assert RoleGrant.objects.filter(pk=grant.pk).exists()  # asking is not revoking

    response = client.post(revoke_url(grant))
    assert response.status_code == 302
    assert not RoleGrant.objects.filter(pk=grant.pk).exists()
    assert list(practices_served_by(cardio_secretary)) == []
    assert "Rôle « Secrétariat » retiré à Denise Moreau." in client.get(detail_url(cardio_secretary)).content.decode()


def test_revoking_a_professional_role_frees_the_directory_entry(coordinator, gp):
    grant = RoleGrant.objects.get(user=gp, role=Role.PROFESSIONAL)
    entry = grant.practitioner

    role_grant_revoke(acting_user=coordinator, grant_public_id=grant.public_id)

    entry.refresh_from_db()
    assert entry.user is None


def test_coordinator_cannot_revoke_their_own_coordination(client, coordinator):
    grant = RoleGrant.objects.get(user=coordinator)
    client.force_login(coordinator)

    response = client.post(revoke_url(grant), follow=True)

    assert RoleGrant.objects.filter(pk=grant.pk).exists()
    assert "Vous ne pouvez pas retirer votre propre rôle de coordination" in response.content.decode()


# Scope: another territory


def test_coordinator_of_another_territory_gets_404_on_accounts_and_grants_here(
    client, other_coordinator, cardio_secretary, gp
):
    grant = RoleGrant.objects.get(user=cardio_secretary)
    client.force_login(other_coordinator)

    assert client.get(detail_url(cardio_secretary)).status_code == 404
    assert client.post(detail_url(cardio_secretary), {"role": Role.OBSERVER}).status_code == 404
    assert client.get(revoke_url(grant)).status_code == 404
    assert client.post(revoke_url(grant)).status_code == 404
    assert RoleGrant.objects.filter(pk=grant.pk).exists()
    listed = client.get(reverse("directory:account_list")).content.decode()
    assert "denise@cpts.test" not in listed
    assert "alice@cpts.test" not in listed


def test_coordinator_cannot_grant_on_a_practice_or_territory_of_another_territory(
    client, coordinator, outsider, other_practice, other_territory
):
    client.force_login(coordinator)

    response = client.post(detail_url(outsider), {"role": Role.SECRETARY, "practices": [other_practice.pk]})
    assert response.status_code == 400
    response = client.post(detail_url(outsider), {"role": Role.OBSERVER, "territory": other_territory.pk})
    assert response.status_code == 400
    assert not RoleGrant.objects.filter(user=outsider).exists()


def test_the_service_checks_the_scope_too(coordinator, outsider, other_practice, other_territory):
    with pytest.raises(ApplicationError, match="Ce cabinet ne relève pas de votre territoire"):
        role_grant_give(acting_user=coordinator, account=outsider, role=Role.SECRETARY, practices=[other_practice])
    with pytest.raises(ApplicationError, match="Vous ne coordonnez pas ce territoire"):
        role_grant_give(acting_user=coordinator, account=outsider, role=Role.OBSERVER, territory=other_territory)
    entry = PractitionerFactory(territory=other_territory)
    with pytest.raises(ApplicationError, match="Cette fiche de l'annuaire ne relève pas de votre territoire"):
        role_grant_give(acting_user=coordinator, account=outsider, role=Role.PROFESSIONAL, practitioner=entry)
    assert not RoleGrant.objects.filter(user=outsider).exists()


def test_other_coordinator_cannot_revoke_here_through_the_service(other_coordinator, cardio_secretary):
    grant = RoleGrant.objects.get(user=cardio_secretary)
    with pytest.raises(ApplicationError) as error:
        role_grant_revoke(acting_user=other_coordinator, grant_public_id=grant.public_id)
    assert error.value.code == "not_found"
    assert RoleGrant.objects.filter(pk=grant.pk).exists()


# Who may open the pages


@pytest.mark.parametrize("persona", ["gp", "cardio_secretary", "observer", "regulator", "outsider"])
def test_only_coordinators_open_the_account_pages(request, client, persona, coordinator, other_secretary):
    user = request.getfixturevalue(persona)
    grant = RoleGrant.objects.get(user=other_secretary)
    client.force_login(user)

    for method, url in [
        ("get", reverse("directory:account_list")),
        ("get", reverse("directory:account_invite")),
        ("post", reverse("directory:account_invite")),
        ("get", detail_url(other_secretary)),
        ("post", detail_url(other_secretary)),
        ("get", revoke_url(grant)),
        ("post", revoke_url(grant)),
    ]:
        assert getattr(client, method)(url).status_code == 403, (method, url)
    assert RoleGrant.objects.filter(pk=grant.pk).exists()


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get(reverse("directory:account_list"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_menu_shows_accounts_and_roles_to_coordinators_only(client, coordinator, gp):
    client.force_login(coordinator)
    assert "Comptes et rôles" in client.get("/").content.decode()
    client.force_login(gp)
    assert "Comptes et rôles" not in client.get("/").content.decode()


# The list


def test_list_shows_accounts_of_the_territory_and_those_without_a_role(
    client, coordinator, cardio_secretary, outsider, other_coordinator
):
    client.force_login(coordinator)
    response = client.get(reverse("directory:account_list"))

    assert response.status_code == 200
    emails = [account.email for account in response.context["page"]]
    assert "denise@cpts.test" in emails
    assert "ivan@cpts.test" in emails  # no role yet
    assert "olga@cpts.test" not in emails  # coordinates another territory


def test_list_searches_by_name_or_address(client, coordinator, cardio_secretary, other_secretary):
    client.force_login(coordinator)

    by_name = client.get(reverse("directory:account_list"), {"q": "moreau"})
    by_address = client.get(reverse("directory:account_list"), {"q": "eve@"})

    assert [a.email for a in by_name.context["page"]] == ["denise@cpts.test"]
    assert [a.email for a in by_address.context["page"]] == ["eve@cpts.test"]


def test_htmx_search_gets_the_results_only(client, coordinator, cardio_secretary):
    client.force_login(coordinator)
    response = client.get(reverse("directory:account_list"), {"q": "denise"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert "HX-Request" in response["Vary"]
    page = response.content.decode()
    assert "denise@cpts.test" in page
    assert "<html" not in page


def test_list_queries_do_not_grow_with_the_accounts(
    client, coordinator, territory, cardio_practice, django_assert_max_num_queries
):
    for number in range(20):
        user = UserFactory(email=f"secretaire{number}@cpts.test")
        role_grant_create(user=user, role=Role.SECRETARY, practices=[cardio_practice])
        observer = UserFactory(email=f"observateur{number}@cpts.test")
        role_grant_create(user=observer, role=Role.OBSERVER, territory=territory)
    client.force_login(coordinator)

    # Session, user, roles, territories, count, accounts, grants, practices: the same for 4 or 400 accounts.
    with django_assert_max_num_queries(9):
        response = client.get(reverse("directory:account_list"))
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 41


def test_selector_prefetches_grants_and_their_scope(coordinator, cardio_secretary, gp, django_assert_num_queries):
    accounts_managed_by(coordinator).count()  # memoises the coordinator's territories
    with django_assert_num_queries(3):  # accounts, grants (with territory and entry), practices of the grants
        accounts = list(accounts_managed_by(coordinator))
        for account in accounts:
            for grant in account.role_grants.all():
                str(grant.territory), str(grant.practitioner), [p.name for p in grant.practices.all()]
    assert {account.email for account in accounts} >= {"denise@cpts.test", "alice@cpts.test", "fanny@cpts.test"}


def test_role_changes_are_kept_in_a_history_after_the_grant_is_gone(client, coordinator, outsider, cardio_practice):
    client.force_login(coordinator)
    client.post(detail_url(outsider), {"role": Role.SECRETARY, "practices": [cardio_practice.pk]})
    grant = RoleGrant.objects.get(user=outsider)
    client.post(revoke_url(grant))

    events = list(RoleGrantEvent.objects.filter(user=outsider).order_by("at", "id"))

    assert [(event.action, event.role, event.scope, event.actor) for event in events] == [
        ("granted", Role.SECRETARY, "Cabinet de cardiologie du Centre", coordinator),
        ("revoked", Role.SECRETARY, "Cabinet de cardiologie du Centre", coordinator),
    ]
    page = client.get(detail_url(outsider)).content.decode()
    assert "Historique des rôles" in page
    assert "Retiré : <strong>Secrétariat</strong> (Cabinet de cardiologie du Centre), par fanny@cpts.test" in page


def test_history_of_another_territory_is_not_shown(client, other_coordinator, cardio_secretary):
    # Denise's grant belongs to the Bocage territory: the other territory's coordinator reads none of it.
    assert RoleGrantEvent.objects.filter(user=cardio_secretary).exists()

    from directory.selectors import role_grant_history

    assert list(role_grant_history(other_coordinator, cardio_secretary)) == []

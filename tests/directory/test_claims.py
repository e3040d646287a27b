"""A professional claims their directory entry: RPPS, e-mail proven by a link, then a coordinator's approval opens
(or links) their account. Refusals: a wrong RPPS, an entry already linked, too many attempts, a coordinator of
another territory, an expired or tampered link."""

import re
import time
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import User
from accounts.roles import Role
from core.errors import ApplicationError
from core.identifiers import with_luhn_check_digit
from directory.models import EntryClaim, EntryRevision, Practitioner, RoleGrant
from directory.services import role_grant_create
from directory.services.upkeep import claim_approve, claim_link_url, claim_reject, claim_start, claim_verify
from directory.views.upkeep import CLAIM_ATTEMPTS_PER_HOUR
from notifications.models import OutboundMessage
from notifications.tasks import deliver_message
from tests.conftest import enrol_totp
from tests.factories import PractitionerFactory, TerritoryFactory, UserFactory

RPPS = with_luhn_check_digit("8100000001")
OTHER_VALID_RPPS = with_luhn_check_digit("8100000002")
WRONG_KEY_RPPS = RPPS[:-1] + str((int(RPPS[-1]) + 1) % 10)


@pytest.fixture
def entry(territory):
    """Dr Jeanne Morel's entry, brought by the national import, that no account manages yet."""
    return PractitionerFactory(rpps=RPPS, first_name="Jeanne", last_name="Morel", territory=territory)


@pytest.fixture
def other_coordinator(db):
    user = UserFactory(email="olga@cpts.test", first_name="Olga", last_name="Marchand")
    role_grant_create(user=user, role=Role.COORDINATOR, territory=TerritoryFactory(name="CPTS du Marais"))
    enrol_totp(user)
    return user


def start_url(practitioner):
    return reverse("directory:claim_start", kwargs={"practitioner_id": practitioner.public_id})


def decide_url(claim):
    return reverse("directory:claim_decide", kwargs={"claim_id": claim.public_id})


def post_claim(client, practitioner, **overrides):
    data = {"rpps": RPPS, "email": "jeanne.morel@exemple.fr", "message": "Je suis bien Jeanne Morel.", **overrides}
    return client.post(start_url(practitioner), data)


def verified_claim(practitioner, email="jeanne.morel@exemple.fr", user=None) -> EntryClaim:
    claim = claim_start(practitioner=practitioner, rpps=practitioner.rpps, email=email, user=user)
    token = urlsplit(claim_link_url(claim)).path.rstrip("/").rsplit("/", 1)[1]
    return claim_verify(token=token)


def deliver(row: OutboundMessage):
    assert deliver_message.apply(args=[row.pk]).get() == "sent"
    return mail.outbox[-1]


# --- The whole journey ------------------------------------------------------------------------------------------


def test_a_professional_claims_their_entry_and_a_coordinator_approves_it(client, entry, coordinator):
    # She types her RPPS on the public page and lands on her entry's claim form.
    response = client.get(reverse("directory:claim_lookup"), {"rpps": f" {RPPS[:5]} {RPPS[5:]} "})
    assert response.status_code == 302
    assert response["Location"] == f"{start_url(entry)}?rpps={RPPS}"
    page = client.get(response["Location"]).content.decode()
    assert "Gérer la fiche de Jeanne Morel" in page
    assert f'value="{RPPS}"' in page

    response = post_claim(client, entry)
    assert response.status_code == 302
    assert response["Location"] == reverse("directory:claim_sent")
    assert (
        "Un lien vient d&#x27;être envoyé à jeanne.morel@exemple.fr"
        in client.get(response["Location"]).content.decode()
    )
    claim = EntryClaim.objects.get(practitioner=entry)
    assert claim.status == EntryClaim.Status.AWAITING_EMAIL
    assert (claim.email, claim.message, claim.user) == ("jeanne.morel@exemple.fr", "Je suis bien Jeanne Morel.", None)

    # The link arrives by e-mail, through the outbox.
    row = OutboundMessage.objects.get(template="directory_claim_verification")
    assert row.recipient == "jeanne.morel@exemple.fr"
    email = deliver(row)
    assert email.subject == "[CPTS] Vérifiez votre adresse pour gérer votre fiche de l'annuaire"
    assert "Vous avez demandé à gérer la fiche de Jeanne Morel" in email.body
    link = re.search(r"https?://\S+/annuaire/gerer-ma-fiche/verifier/\S+/", email.body).group(0)
    assert link in email.alternatives[0][0]

    # Opening it shows a button and proves nothing yet (a mail scanner opens every link).
    page = client.get(urlsplit(link).path)
    assert page.status_code == 200
    assert "Confirmer mon adresse" in page.content.decode()
    claim.refresh_from_db()
    assert claim.status == EntryClaim.Status.AWAITING_EMAIL
    assert not OutboundMessage.objects.filter(template="directory_claim_pending").exists()

    # Pressing the button proves the address and tells the coordinators of the territory.
    page = client.post(urlsplit(link).path)
    assert page.status_code == 200
    assert "l'adresse jeanne.morel@exemple.fr est vérifiée" in page.content.decode()
    claim.refresh_from_db()
    assert claim.status == EntryClaim.Status.AWAITING_APPROVAL
    assert claim.email_verified_at is not None
    notice = OutboundMessage.objects.get(template="directory_claim_pending")
    assert notice.recipient == coordinator.email
    notice_mail = deliver(notice)
    assert notice_mail.subject == "[CPTS] Demande de rattachement à valider : Jeanne Morel"
    assert "Je suis bien Jeanne Morel." in notice_mail.body
    assert decide_url(claim) in notice_mail.body
    # Pressing it again changes nothing and tells nobody twice.
    assert client.post(urlsplit(link).path).status_code == 200
    assert OutboundMessage.objects.filter(template="directory_claim_pending").count() == 1

    # The coordinator finds it in their queue and approves it.
    client.force_login(coordinator)
    queue = client.get(reverse("directory:claim_queue")).content.decode()
    assert "Jeanne Morel" in queue
    assert decide_url(claim) in queue
    decide_page = client.get(decide_url(claim)).content.decode()
    assert "jeanne.morel@exemple.fr" in decide_page
    assert "Aucun compte à cette adresse : un compte sera ouvert pour jeanne.morel@exemple.fr" in decide_page
    response = client.post(decide_url(claim), {"decision": "approve"})
    assert response.status_code == 302

    claim.refresh_from_db()
    entry.refresh_from_db()
    account = User.objects.get(email="jeanne.morel@exemple.fr")
    assert claim.status == EntryClaim.Status.APPROVED
    assert (claim.decided_by, claim.user) == (coordinator, account)
    assert entry.user == account
    assert not account.has_usable_password()
    assert RoleGrant.objects.filter(user=account, role=Role.PROFESSIONAL, practitioner=entry).exists()
    revision = EntryRevision.objects.get(practitioner=entry, action=EntryRevision.Action.CLAIMED)
    assert (revision.actor, revision.after) == (coordinator, {"user": "jeanne.morel@exemple.fr"})
    assert revision.territory == entry.territory

    # She is told, with a link to choose her password.
    welcome = deliver(OutboundMessage.objects.get(template="directory_claim_approved"))
    assert welcome.to == ["jeanne.morel@exemple.fr"]
    assert "Fanny Durand a accepté votre demande : vous gérez désormais la fiche de Jeanne Morel" in welcome.body
    assert "/accounts/password/reset/key/" in welcome.body


def test_approving_links_the_account_that_already_has_the_address(entry, coordinator):
    existing = UserFactory(email="jeanne.morel@exemple.fr")
    claim = verified_claim(entry, email="Jeanne.Morel@exemple.fr")

    claim_approve(acting_user=coordinator, claim=claim)

    entry.refresh_from_db()
    assert entry.user == existing
    assert User.objects.filter(email__iexact="jeanne.morel@exemple.fr").count() == 1
    context = OutboundMessage.objects.get(template="directory_claim_approved").context
    assert context["set_password_url"] == ""
    assert context["login_url"].endswith(reverse("account_login"))


def test_a_signed_in_claimant_gets_their_own_account_linked(client, entry, coordinator):
    person = UserFactory(email="dr.morel@exemple.fr")
    client.force_login(person)
    assert 'value="dr.morel@exemple.fr"' in client.get(start_url(entry)).content.decode()
    post_claim(client, entry, email="dr.morel@exemple.fr")
    claim = EntryClaim.objects.get(practitioner=entry)
    assert claim.user == person

    token = urlsplit(claim_link_url(claim)).path.rstrip("/").rsplit("/", 1)[1]
    claim_approve(acting_user=coordinator, claim=claim_verify(token=token))

    entry.refresh_from_db()
    assert entry.user == person


def test_asking_again_resends_the_link_of_the_same_claim(client, entry):
    post_claim(client, entry)
    post_claim(client, entry, message="Deuxième essai")

    claim = EntryClaim.objects.get(practitioner=entry)
    assert claim.message == "Deuxième essai"
    # One link per hour at most: a refreshed page does not flood the mailbox.
    assert OutboundMessage.objects.filter(template="directory_claim_verification").count() == 1


# --- Refusals ---------------------------------------------------------------------------------------------------


def test_a_wrong_rpps_key_is_refused_in_french_and_keeps_what_was_typed(client, entry):
    response = post_claim(client, entry, rpps=WRONG_KEY_RPPS)

    assert response.status_code == 400
    page = response.content.decode()
    assert f"Numéro RPPS invalide : 11 chiffres dont une clé de contrôle (« {WRONG_KEY_RPPS} »)." in page
    assert 'value="jeanne.morel@exemple.fr"' in page
    assert "Je suis bien Jeanne Morel." in page
    assert not EntryClaim.objects.exists()
    assert not OutboundMessage.objects.exists()


def test_the_rpps_of_someone_else_is_refused(client, entry):
    response = post_claim(client, entry, rpps=OTHER_VALID_RPPS)

    assert response.status_code == 400
    assert "Ce numéro RPPS n&#x27;est pas celui de cette fiche." in response.content.decode()
    assert not EntryClaim.objects.exists()


def test_a_malformed_address_is_refused_in_french(client, entry):
    response = post_claim(client, entry, email="jeanne.morel@")

    assert response.status_code == 400
    assert "Saisissez une adresse e-mail valide." in response.content.decode()
    assert not EntryClaim.objects.exists()


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (WRONG_KEY_RPPS, "Numéro RPPS invalide : la clé de contrôle ne correspond pas."),
        ("12345", "Un numéro RPPS compte 11 chiffres"),
        (OTHER_VALID_RPPS, "Aucune fiche de l&#x27;annuaire ne porte ce numéro."),
    ],
)
def test_looking_up_a_wrong_or_unknown_rpps_answers_in_french(client, entry, typed, message):
    response = client.get(reverse("directory:claim_lookup"), {"rpps": typed})

    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert f'value="{typed}"' in page


def test_an_entry_already_linked_to_an_account_cannot_be_claimed(client, gp):
    linked = Practitioner.objects.get(user=gp)

    page = client.get(start_url(linked))
    assert page.status_code == 200
    assert "Cette fiche est déjà rattachée à un compte." in page.content.decode()
    assert '<form method="post"' not in page.content.decode()

    response = post_claim(client, linked, rpps=linked.rpps)
    assert response.status_code == 400
    assert not EntryClaim.objects.exists()
    with pytest.raises(ApplicationError, match="déjà rattachée à un compte"):
        claim_start(practitioner=linked, rpps=linked.rpps, email="autre@exemple.fr")


def test_an_account_that_manages_an_entry_cannot_claim_another(client, gp, entry):
    client.force_login(gp)
    response = post_claim(client, entry, email=gp.email)

    assert response.status_code == 400
    assert "Votre compte gère déjà une fiche de l&#x27;annuaire" in response.content.decode()
    assert not EntryClaim.objects.exists()


def test_anonymous_claim_attempts_are_limited_per_address(client, entry):
    for _attempt in range(CLAIM_ATTEMPTS_PER_HOUR):
        assert post_claim(client, entry, rpps=WRONG_KEY_RPPS).status_code == 400

    response = post_claim(client, entry)
    assert response.status_code == 429
    assert "Trop de demandes depuis votre connexion" in response.content.decode()
    assert not EntryClaim.objects.exists()
    lookup = client.get(reverse("directory:claim_lookup"), {"rpps": RPPS})
    assert lookup.status_code == 429

    # Another address is not held back by this one.
    response = client.post(
        start_url(entry),
        {"rpps": RPPS, "email": "jeanne.morel@exemple.fr", "message": ""},
        REMOTE_ADDR="192.0.2.44",
    )
    assert response.status_code == 302
    assert EntryClaim.objects.count() == 1


def test_a_tampered_link_is_refused_in_french(client, entry):
    claim = claim_start(practitioner=entry, rpps=RPPS, email="jeanne.morel@exemple.fr")
    path = urlsplit(claim_link_url(claim)).path

    response = client.get(path[:-8] + "AAAAAAA/")

    assert response.status_code == 400
    assert "Ce lien n&#x27;est pas valide. Vérifiez qu&#x27;il a été copié en entier." in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == EntryClaim.Status.AWAITING_EMAIL


def test_an_expired_link_is_refused_in_french(client, entry, monkeypatch):
    claim = claim_start(practitioner=entry, rpps=RPPS, email="jeanne.morel@exemple.fr")
    real_time = time.time
    with monkeypatch.context() as patch:
        patch.setattr(time, "time", lambda: real_time() - 8 * 24 * 3600)  # signed eight days ago
        path = urlsplit(claim_link_url(claim)).path

    response = client.get(path)

    assert response.status_code == 400
    assert "Ce lien a expiré." in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == EntryClaim.Status.AWAITING_EMAIL


def test_a_coordinator_of_another_territory_can_neither_see_nor_decide(client, entry, other_coordinator):
    claim = verified_claim(entry)
    client.force_login(other_coordinator)

    assert "Jeanne Morel" not in client.get(reverse("directory:claim_queue")).content.decode()
    assert client.get(decide_url(claim)).status_code == 404
    assert client.post(decide_url(claim), {"decision": "approve"}).status_code == 404
    with pytest.raises(ApplicationError) as refused:
        claim_approve(acting_user=other_coordinator, claim=claim)
    assert refused.value.code == "not_found"

    claim.refresh_from_db()
    entry.refresh_from_db()
    assert claim.status == EntryClaim.Status.AWAITING_APPROVAL
    assert entry.user is None
    assert not OutboundMessage.objects.filter(recipient=other_coordinator.email).exists()


@pytest.mark.parametrize("persona", ["gp", "cardio_secretary", "outsider", "regulator"])
def test_only_coordinators_reach_the_claim_queue(client, entry, persona, request):
    claim = verified_claim(entry)
    client.force_login(request.getfixturevalue(persona))

    assert client.get(reverse("directory:claim_queue")).status_code == 403
    assert client.post(decide_url(claim), {"decision": "approve"}).status_code == 403
    claim.refresh_from_db()
    assert claim.status == EntryClaim.Status.AWAITING_APPROVAL


def test_anonymous_visitors_are_sent_to_sign_in_for_the_queue(client, entry):
    claim = verified_claim(entry)
    response = client.post(decide_url(claim), {"decision": "approve"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_coordinator_rejects_a_claim_with_a_reason_the_claimant_receives(client, entry, coordinator):
    claim = verified_claim(entry)
    client.force_login(coordinator)

    response = client.post(decide_url(claim), {"decision": "reject", "reason": "  "})
    assert response.status_code == 400
    assert "Dites pourquoi vous refusez : la personne recevra ce motif." in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == EntryClaim.Status.AWAITING_APPROVAL

    reason = "Cette adresse n'est pas celle que nous connaissons pour le Dr Morel."
    response = client.post(decide_url(claim), {"decision": "reject", "reason": reason})
    assert response.status_code == 302
    claim.refresh_from_db()
    entry.refresh_from_db()
    assert (claim.status, claim.decision_note, claim.decided_by) == (EntryClaim.Status.REJECTED, reason, coordinator)
    assert entry.user is None
    assert not User.objects.filter(email="jeanne.morel@exemple.fr").exists()
    revision = EntryRevision.objects.get(practitioner=entry, object_type="entry_claim")
    assert (revision.action, revision.actor) == (EntryRevision.Action.UPDATED, coordinator)
    assert revision.after == {"status": "rejected", "decision_note": reason}

    refusal = deliver(OutboundMessage.objects.get(template="directory_claim_rejected"))
    assert refusal.to == ["jeanne.morel@exemple.fr"]
    assert f"Motif : {reason}" in refusal.body


def test_a_claim_is_decided_once_and_only_after_its_address_is_proven(entry, coordinator):
    unverified = claim_start(practitioner=entry, rpps=RPPS, email="jeanne.morel@exemple.fr")
    with pytest.raises(ApplicationError, match="n'a pas encore été vérifiée"):
        claim_approve(acting_user=coordinator, claim=unverified)

    claim = verified_claim(entry)
    claim_reject(acting_user=coordinator, claim=claim, reason="Inconnue au cabinet.")
    with pytest.raises(ApplicationError, match="déjà été traitée"):
        claim_approve(acting_user=coordinator, claim=claim)
    entry.refresh_from_db()
    assert entry.user is None


def test_approving_one_claim_closes_the_other_claims_on_the_entry(entry, coordinator):
    first = verified_claim(entry, email="jeanne.morel@exemple.fr")
    second = verified_claim(entry, email="usurpateur@exemple.fr")

    claim_approve(acting_user=coordinator, claim=first)

    second.refresh_from_db()
    assert second.status == EntryClaim.Status.REJECTED
    assert second.decision_note == "La fiche a été rattachée à un autre compte."
    assert OutboundMessage.objects.filter(
        template="directory_claim_rejected", recipient="usurpateur@exemple.fr"
    ).exists()


# --- Claims are for the proven address, never for whoever typed it ----------------------------------------------


def test_a_secretary_of_another_practice_claiming_a_professionals_address_gets_no_role(
    client, entry, coordinator, other_secretary
):
    client.force_login(other_secretary)
    post_claim(client, entry, email="jeanne.morel@exemple.fr")
    claim = EntryClaim.objects.get(practitioner=entry)
    assert claim.user is None

    token = urlsplit(claim_link_url(claim)).path.rstrip("/").rsplit("/", 1)[1]
    claim_approve(acting_user=coordinator, claim=claim_verify(token=token))

    entry.refresh_from_db()
    account = User.objects.get(email="jeanne.morel@exemple.fr")
    assert entry.user == account != other_secretary
    assert not RoleGrant.objects.filter(user=other_secretary, role=Role.PROFESSIONAL).exists()
    approved = OutboundMessage.objects.get(template="directory_claim_approved")
    assert approved.recipient == "jeanne.morel@exemple.fr"
    assert approved.context["set_password_url"]  # a new account, opened like an invitation


def test_an_older_claim_recorded_with_another_account_still_goes_to_the_address(entry, coordinator, other_secretary):
    claim = verified_claim(entry, email="jeanne.morel@exemple.fr")
    EntryClaim.objects.filter(pk=claim.pk).update(user=other_secretary)
    claim.refresh_from_db()

    claim_approve(acting_user=coordinator, claim=claim)

    entry.refresh_from_db()
    assert entry.user.email == "jeanne.morel@exemple.fr"
    assert not RoleGrant.objects.filter(user=other_secretary, role=Role.PROFESSIONAL).exists()


def test_opening_the_verification_link_never_verifies_the_address(client, entry, coordinator):
    post_claim(client, entry)
    claim = EntryClaim.objects.get(practitioner=entry)
    path = urlsplit(claim_link_url(claim)).path

    for _ in range(3):
        assert client.get(path).status_code == 200
    client.head(path)

    claim.refresh_from_db()
    assert claim.status == EntryClaim.Status.AWAITING_EMAIL
    assert not OutboundMessage.objects.filter(template="directory_claim_pending").exists()


def test_the_coordinator_sees_the_existing_account_that_will_get_the_entry(client, entry, coordinator):
    UserFactory(email="jeanne.morel@exemple.fr", first_name="Jeanne", last_name="Morel")
    claim = verified_claim(entry)
    client.force_login(coordinator)

    page = client.get(decide_url(claim)).content.decode()

    assert "Compte qui recevra la gestion de la fiche" in page
    assert "Jeanne Morel (jeanne.morel@exemple.fr) — compte existant à l'adresse vérifiée" in page
    assert "Accepter donne la gestion de cette fiche au compte jeanne.morel@exemple.fr, et à lui seul." in page

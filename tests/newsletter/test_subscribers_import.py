"""The coordination's side: importing the subscribers of another tool (the command and the page, with the report
of rejected lines), the subscribers list (counts by edition and state, search, constant queries), and who may
open them (a coordinator of another territory 404, a GP 403); the professionals' accounts receive the
professional edition by default and leave it from their account page."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.roles import Role
from directory.services import role_grant_create
from newsletter.models import Subscriber
from newsletter.services import subscriptions as services
from notifications.models import OutboundMessage
from tests.conftest import enrol_totp
from tests.factories import TerritoryFactory, UserFactory
from tests.newsletter.subscribers_helpers import page_text

SUBSCRIBERS = "/lettre/coordination/abonnes/"
IMPORT = "/lettre/coordination/abonnes/import/"


def write(tmp_path, text: str, *, bom=False) -> str:
    path = tmp_path / "abonnes.csv"
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return str(path)


def run(path, *args) -> str:
    out = io.StringIO()
    call_command("import_subscribers", path, *args, stdout=out)
    return out.getvalue()


# --- The command ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "bom"),
    [
        ("email,consented_at,name\nLea@Exemple.fr,2024-03-01,Léa Roux\nmax@exemple.fr,,\n", False),
        ("email;consented_at;name\nLea@Exemple.fr;2024-03-01;Léa Roux\nmax@exemple.fr;;\n", True),
        ("name,email,consented_at\nLéa Roux,Lea@Exemple.fr,2024-03-01\n,max@exemple.fr,\n", True),
    ],
    ids=["comma", "semicolon-bom", "columns-in-another-order-bom"],
)
def test_the_command_imports_comma_or_semicolon_with_or_without_bom(tmp_path, territory, text, bom):
    out = run(write(tmp_path, text, bom=bom), "--edition", "public", "--consent-source", "Mailchimp")

    assert "1 abonnés importés confirmés, 1 non confirmés" in out
    lea = Subscriber.objects.get(email="lea@exemple.fr")
    assert lea.name == "Léa Roux" and lea.editions == ["public"] and lea.source == "import"
    assert timezone.localtime(lea.confirmed_at).date().isoformat() == "2024-03-01" and lea.receives
    consent = lea.consents.get()
    assert consent.action == "confirmed" and consent.how == "import : Mailchimp" and consent.at == lea.confirmed_at
    max_ = Subscriber.objects.get(email="max@exemple.fr")
    assert max_.confirmed_at is None and not max_.receives
    assert not OutboundMessage.objects.filter(recipient="lea@exemple.fr").exists()
    assert OutboundMessage.objects.get(recipient="max@exemple.fr").template == "newsletter_confirm"


def test_the_unconfirmed_import_confirms_through_the_mailed_link(tmp_path, territory, client):
    from tests.newsletter.subscribers_helpers import confirmation_path

    run(write(tmp_path, "email,consented_at\nmax@exemple.fr,\n"), "--edition", "public", "--consent-source", "X")

    client.post(confirmation_path("max@exemple.fr"))

    assert Subscriber.objects.get(email="max@exemple.fr").receives


def test_the_report_names_each_rejected_line_with_its_reason_and_imports_the_rest(tmp_path, territory):
    existing = services.subscription_request(territory=territory, email="deja@exemple.fr", editions=["public"])
    text = (
        "email,consented_at\n"
        "bonne@exemple.fr,2024-01-02\n"  # 2
        "pas-une-adresse,2024-01-02\n"  # 3
        "BONNE@exemple.fr,2024-01-03\n"  # 4: a duplicate of line 2
        "DEJA@exemple.fr,2024-01-02\n"  # 5: already subscribed
        "date@exemple.fr,02/01/2024\n"  # 6: not an ISO date
        "futur@exemple.fr,2999-01-01\n"  # 7: in the future
        "autre@exemple.fr,2024-05-06T10:00:00\n"  # 8
    )

    out = run(write(tmp_path, text), "--edition", "professional", "--consent-source", "Sarbacane")

    assert "2 abonnés importés confirmés, 0 non confirmés" in out and "5 lignes refusées" in out
    assert "ligne 3 (pas-une-adresse) : Cette adresse e-mail n'est pas valide" in out
    assert "ligne 4 (BONNE@exemple.fr) : Adresse déjà présente plus haut dans le fichier." in out
    assert "ligne 5 (deja@exemple.fr) : Adresse déjà abonnée à la lettre." in out
    assert "ligne 6 (date@exemple.fr) : Date de consentement invalide « 02/01/2024 »" in out
    assert "ligne 7 (futur@exemple.fr)" in out
    assert set(Subscriber.objects.values_list("email", flat=True)) == {
        existing.email,
        "bonne@exemple.fr",
        "autre@exemple.fr",
    }
    assert Subscriber.objects.get(email="bonne@exemple.fr").editions == ["professional"]


def test_a_file_without_the_columns_or_not_utf8_is_refused_in_french(tmp_path, territory):
    with pytest.raises(CommandError, match="« email » et « consented_at »"):
        run(write(tmp_path, "adresse,date\na@exemple.fr,2024-01-01\n"), "--edition", "public", "--consent-source", "X")
    path = tmp_path / "latin1.csv"
    path.write_bytes("email,consented_at,name\na@exemple.fr,2024-01-01,Hélène\n".encode("latin-1"))
    with pytest.raises(CommandError, match="UTF-8"):
        run(str(path), "--edition", "public", "--consent-source", "X")
    assert not Subscriber.objects.exists()


def test_the_command_imports_into_the_territory_named(tmp_path, territory):
    other = TerritoryFactory(name="CPTS du Marais", slug="marais")

    run(write(tmp_path, "email,consented_at\na@exemple.fr,2024-01-01\n"), "--edition", "public",
        "--consent-source", "X", "--territory", "marais")  # fmt: skip

    assert Subscriber.objects.get().territory == other
    with pytest.raises(CommandError, match="n'existe pas"):
        run(write(tmp_path, "email,consented_at\n"), "--edition", "public", "--consent-source", "X",
            "--territory", "nulle-part")  # fmt: skip


# --- The coordinator's pages ------------------------------------------------------------------------------------


def upload(text: str, *, bom=False):
    return SimpleUploadedFile("abonnes.csv", ("\ufeff" if bom else "").encode() + text.encode(), "text/csv")


def test_the_coordinator_imports_a_file_and_reads_the_report(signed_in, coordinator, territory):
    client = signed_in(coordinator)
    text = "email;consented_at;name\na@exemple.fr;2024-01-01;Anne\nb@exemple.fr;;\nmauvaise;2024-01-01;\n"

    page = client.get(IMPORT)
    response = client.post(IMPORT, {"file": upload(text, bom=True), "edition": "public", "consent_source": "Brevo"})

    assert page.status_code == 200
    assert response.status_code == 200
    text = page_text(response)
    assert "1 abonnés importés confirmés, 1 non confirmés" in text and "1 lignes refusées" in text
    assert "mauvaise" in text and "n'est pas valide" in text
    assert Subscriber.objects.count() == 2


def test_the_import_page_refuses_a_file_without_the_columns_with_400(signed_in, coordinator, territory):
    client = signed_in(coordinator)

    response = client.post(IMPORT, {"file": upload("a,b\n1,2\n"), "edition": "public", "consent_source": "X"})
    missing = client.post(IMPORT, {"edition": "public", "consent_source": "X"})

    assert response.status_code == 400 and "« email » et « consented_at »" in page_text(response)
    assert missing.status_code == 400 and not Subscriber.objects.exists()


def _mixed_subscribers(territory, count=3):
    for index in range(count):
        row = services.subscription_request(territory=territory, email=f"p{index}@exemple.fr", editions=["public"])
        services.subscription_confirm(subscriber=row)
        services.subscription_request(territory=territory, email=f"u{index}@exemple.fr", editions=["public"])
        gone = services.subscription_request(territory=territory, email=f"g{index}@exemple.fr", editions=["public"])
        services.subscription_unsubscribe(subscriber=services.subscription_confirm(subscriber=gone))
    bounced = Subscriber.objects.get(email="p0@exemple.fr")
    bounced.hard_bounced_at = timezone.now()
    bounced.save()


def test_the_subscribers_list_counts_by_edition_and_state_and_searches(signed_in, coordinator, territory):
    _mixed_subscribers(territory)
    client = signed_in(coordinator)

    page = client.get(SUBSCRIBERS)
    searched = client.get(SUBSCRIBERS, {"q": "u1@", "etat": "unconfirmed"})

    assert page.status_code == 200
    counts = page.context["counts"]
    assert counts["receiving_public"] == 2 and counts["receiving_professional"] == 0
    assert counts["unconfirmed"] == 3 and counts["unsubscribed"] == 3 and counts["bounced"] == 1
    assert [row.email for row in searched.context["rows"]] == ["u1@exemple.fr"]


def test_the_subscribers_list_runs_a_constant_number_of_queries(
    signed_in, coordinator, territory, django_assert_max_num_queries
):
    client = signed_in(coordinator)
    _mixed_subscribers(territory, count=1)
    client.get(SUBSCRIBERS)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(SUBSCRIBERS)
    _mixed_subscribers_more(territory)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(SUBSCRIBERS)


def test_the_subscribers_list_pages_through_every_row(signed_in, coordinator, territory):
    Subscriber.objects.bulk_create(
        Subscriber(territory=territory, email=f"a{index:03}@exemple.fr", editions=["public"], source="form")
        for index in range(120)
    )
    client = signed_in(coordinator)
    third = client.get(SUBSCRIBERS, {"page": 3})
    assert [row.email for row in third.context["rows"]] == [f"a{index:03}@exemple.fr" for index in range(100, 120)]
    assert "Page 3 sur 3" in third.content.decode()


def _mixed_subscribers_more(territory):
    for index in range(20):
        services.subscription_request(territory=territory, email=f"more{index}@exemple.fr", editions=["public"])


def test_a_coordinator_of_another_territory_gets_404_a_gp_403(signed_in, territory, gp):
    other = TerritoryFactory(name="CPTS du Marais", slug="marais")
    elsewhere = UserFactory(email="olga@cpts.test")
    role_grant_create(user=elsewhere, role=Role.COORDINATOR, territory=other)
    enrol_totp(elsewhere)

    client = signed_in(elsewhere)
    assert client.get(SUBSCRIBERS, {"territoire": territory.slug}).status_code == 404
    assert client.get(IMPORT, {"territoire": territory.slug}).status_code == 404
    assert client.get(SUBSCRIBERS).context["territory"] == other
    gp_client = signed_in(gp)
    assert gp_client.get(SUBSCRIBERS).status_code == 403
    assert gp_client.post(IMPORT, {"edition": "public", "consent_source": "X"}).status_code == 403


def test_an_anonymous_visitor_is_sent_to_sign_in(client, territory):
    assert client.get(SUBSCRIBERS).status_code == 302
    assert client.get(IMPORT).status_code == 302


# --- The professionals' accounts --------------------------------------------------------------------------------


def test_a_professional_account_receives_the_professional_edition_by_default(gp, territory):
    services.account_subscription_ensure(user=gp)
    services.account_subscription_ensure(user=gp)

    row = Subscriber.objects.get()
    assert row.email == gp.email and row.user == gp and row.editions == ["professional"]
    assert row.source == "account" and row.receives
    assert row.consents.get().how == "compte"
    assert services.professional_accounts_subscribe() == 1


def test_the_professional_leaves_the_edition_from_the_account_page_and_it_is_not_forced_back(signed_in, gp, territory):
    services.account_subscription_ensure(user=gp)
    client = signed_in(gp)
    profile = client.get("/compte/")
    assert "/lettre/compte/" in page_text(profile)

    page = client.get("/lettre/compte/")
    assert "Ne plus la recevoir" in page_text(page)
    client.post("/lettre/compte/", {"receive": "0"})

    row = Subscriber.objects.get()
    assert not row.receives and row.editions == []
    services.account_subscription_ensure(user=gp)
    assert not Subscriber.objects.get().receives
    client.post("/lettre/compte/", {"receive": "1"})
    assert Subscriber.objects.get().editions == ["professional"] and Subscriber.objects.get().receives


def test_a_professional_may_choose_the_professional_edition_on_the_page(signed_in, gp, territory, monkeypatch):
    from newsletter import protection

    monkeypatch.setattr(protection, "MIN_FILL_SECONDS", 0)
    client = signed_in(gp)
    page = client.get("/lettre/abonnement/")
    data = {"form_started": page.context["started"], "email": "cabinet@exemple.fr", "editions": ["professional"]}

    assert client.post("/lettre/abonnement/", data).status_code == 302
    assert Subscriber.objects.get().editions == ["professional"]


def test_an_account_without_a_professional_role_is_offered_the_public_edition(signed_in, outsider):
    page = signed_in(outsider).get("/lettre/compte/")

    assert page.status_code == 200 and "édition grand public" in page_text(page)
    assert not Subscriber.objects.exists()


def test_the_daily_task_subscribes_the_professional_accounts(gp, territory):
    from newsletter.tasks import subscribe_professional_accounts

    assert subscribe_professional_accounts() == 1
    assert Subscriber.objects.get().user == gp


def test_a_coordinator_of_two_territories_switches_between_them(signed_in, coordinator, territory):
    other = TerritoryFactory(name="CPTS du Marais", slug="marais")
    role_grant_create(user=coordinator, role=Role.COORDINATOR, territory=other)
    services.subscription_request(territory=other, email="m@exemple.fr", editions=["public"])
    client = signed_in(coordinator)

    page = client.get(SUBSCRIBERS, {"territoire": "marais"})

    assert page.context["territory"] == other and "CPTS du Bocage" in page_text(page)
    assert [row.email for row in page.context["rows"]] == ["m@exemple.fr"]


def test_the_import_page_refuses_a_file_too_large_in_french(signed_in, coordinator, territory, monkeypatch):
    from newsletter import subscriber_forms

    monkeypatch.setattr(subscriber_forms, "MAX_IMPORT_BYTES", 10)
    response = signed_in(coordinator).post(
        IMPORT, {"file": upload("email,consented_at\na@exemple.fr,\n"), "edition": "public", "consent_source": "X"}
    )

    assert response.status_code == 400 and "Le fichier dépasse" in page_text(response)
    assert not Subscriber.objects.exists()

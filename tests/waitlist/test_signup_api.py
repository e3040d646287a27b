"""POST /api/v1/waitlist/signups/ (anonymous) → 201 {id, status: "unverified"}, then …/{id}/verify/ {code} → 200
{status: "waiting"}; French 400s on the field at fault; throttled per address with the page's budget."""

import pytest

from notifications.models import OutboundMessage
from waitlist.models import Entry

URL = "/api/v1/waitlist/signups/"


def body(**changes) -> dict:
    values = {
        "family_name": "Durand",
        "given_names": "Jeanne",
        "birth_date": "1950-03-04",
        "sex": "F",
        "commune": "85191",
        "phone": "06 12 34 56 78",
        "situation": "never_had",
        "ald": True,
        "pregnancy": False,
        "disability": False,
        "precarity": True,
        "treatment_renewal": False,
        "max_distance_km": 20,
        "consent": True,
        "household": [{"family_name": "Durand", "given_names": "Léo", "birth_date": "2020-01-02", "sex": "M"}],
    }
    values.update(changes)
    return values


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


def test_an_anonymous_caller_signs_up_and_verifies_with_the_code(client, waiting_list):
    created = post(client, URL, body())

    assert created.status_code == 201
    entry = Entry.objects.get()
    assert created.json() == {"id": str(entry.public_id), "status": "unverified"}
    assert entry.household_size == 2 and entry.max_distance_km == 20
    assert list(entry.members.values_list("precarity", flat=True)) == [True, False]
    code = OutboundMessage.objects.get(template="verification_code").context["code"]

    verified = post(client, f"{URL}{entry.public_id}/verify/", {"code": code})

    assert verified.status_code == 200
    assert verified.json() == {"status": "waiting"}
    assert Entry.objects.get().status == Entry.Status.WAITING


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"birth_date": "2999-01-01"}, "birth_date", "dans le futur"),
        ({"birth_date": "1899-01-01"}, "birth_date", "avant 1900"),
        ({"commune": "99999"}, "commune", "Commune inconnue"),
        ({"phone": ""}, "phone", "téléphone portable ou une adresse e-mail"),
        ({"phone": "0000"}, "phone", "n'en est pas un"),
        ({"consent": False}, "consent", "consentement"),
        ({"max_distance_km": 0}, "max_distance_km", "entre 1 et 100"),
        ({"max_distance_km": 500}, "max_distance_km", "entre 1 et 100"),
        ({"sex": "Q"}, "sex", ""),
        (
            {"household": [{"family_name": "A", "given_names": "B", "birth_date": "2999-01-01", "sex": "M"}]},
            "household[0].birth_date",
            "dans le futur",
        ),
        ({"household": [{"family_name": "A", "given_names": "B", "sex": "M"}]}, "household[0].birth_date", ""),
        (
            {"household": [{"family_name": "A", "given_names": "B", "birth_date": "2001-01-01", "sex": "M"}] * 12},
            "household",
            "au plus 12",
        ),
    ],
)
def test_bad_input_is_a_french_400_on_its_field(client, waiting_list, changes, field, message):
    response = post(client, URL, body(**changes))

    assert response.status_code == 400
    assert response.json()["field"] == field
    assert message in response.json()["detail"]
    assert not Entry.objects.exists()


def test_a_wrong_code_is_a_400_on_the_code_and_an_unknown_signup_a_404(client, waiting_list):
    entry_id = post(client, URL, body()).json()["id"]
    code = OutboundMessage.objects.get(template="verification_code").context["code"]

    wrong = post(client, f"{URL}{entry_id}/verify/", {"code": "000000" if code != "000000" else "111111"})
    unknown = post(client, f"{URL}00000000-0000-0000-0000-000000000000/verify/", {"code": code})

    assert wrong.status_code == 400 and wrong.json()["field"] == "code"
    assert "pas le bon" in wrong.json()["detail"]
    assert unknown.status_code == 404


def test_signups_are_throttled_per_address_with_the_pages_budget(client, waiting_list, settings):
    settings.WAITLIST_SIGNUP_RATE = "2/hour"
    assert post(client, URL, body(phone="06 11 11 11 11")).status_code == 201
    page = client.get("/liste-attente/")  # reading the page costs nothing
    assert page.status_code == 200

    assert post(client, URL, body(phone="06 22 22 22 22")).status_code == 201
    refused = post(client, URL, body(phone="06 33 33 33 33"))

    assert refused.status_code == 429
    assert "Retry-After" in refused
    assert Entry.objects.count() == 2


def test_no_throttle_when_the_rate_is_off(client, waiting_list, settings):
    settings.WAITLIST_SIGNUP_RATE = None

    answers = {post(client, URL, body(phone=f"06 12 34 56 {n:02d}")).status_code for n in range(25)}

    assert answers == {201}

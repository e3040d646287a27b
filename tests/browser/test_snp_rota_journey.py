"""Browser journey at 390 and 1280 px: the coordinator publishes this weekend's nurse on call for two communes,
is told in French when the end comes before the start, and sees the shift listed; a pharmacist then finds the
nurse on the board for one of those communes."""

from playwright.sync_api import expect

from snp.services import slot_publish
from tests.browser.steps import AuthenticatorApp, enter_authenticator_code, sign_in_with_password
from tests.conftest import totp_secret_of
from tests.factories import CommuneFactory
from tests.snp.conftest import at, nurse  # noqa: F401 (a fixture)


def test_the_coordinator_publishes_the_nurses_rota(page, visit, shot, password, coordinator, territory, nurse, gp):  # noqa: F811
    roche = CommuneFactory()
    territory.communes.add(roche)
    slot_publish(acting_user=gp, start=at(1, 11, 30), duration_minutes=20, audiences=["sas"])
    visit("/accounts/login/")
    sign_in_with_password(page, coordinator.email, password)
    enter_authenticator_code(page, AuthenticatorApp(totp_secret_of(coordinator)).code())
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bonjour")

    visit("/soins-non-programmes/coordination/astreintes-infirmieres/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Astreintes infirmières")
    page.get_by_label("Infirmier ou infirmière d'astreinte").select_option(label=str(nurse.practitioner))
    page.get_by_label("Début").fill(f"{at(1, 8):%Y-%m-%dT%H:%M}")
    page.get_by_label("Fin").fill(f"{at(0, 8):%Y-%m-%dT%H:%M}")
    page.get_by_label(roche.name).check()
    page.get_by_role("button", name="Publier l'astreinte").click()
    expect(page.get_by_text("La fin de l'astreinte doit venir après son début.")).to_be_visible()
    shot("astreinte-refusee")

    page.get_by_label("Début").fill(f"{at(0, 0):%Y-%m-%dT%H:%M}")
    page.get_by_label("Fin").fill(f"{at(2, 8):%Y-%m-%dT%H:%M}")
    page.get_by_role("button", name="Publier l'astreinte").click()
    expect(page.get_by_text("L'astreinte est publiée.")).to_be_visible()
    expect(page.get_by_role("list", name="En cours et à venir")).to_contain_text(roche.name)
    shot("astreinte-publiee")

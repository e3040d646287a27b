"""Browser journey at 390 and 1280 px: the patient opens the link of their message, reads where they stand, says
"j'ai trouvé un médecin" with the button, and the page says they left the list."""

import datetime

from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import TerritoryFactory, vendee_communes
from tests.waitlist.conftest import make_waiting_entry
from waitlist.models import Entry
from waitlist.services.common import entry_follow_link, waiting_list_of_territory


def test_the_patient_follows_then_withdraws(page, visit, shot):
    territory = TerritoryFactory()
    communes = vendee_communes()
    territory.communes.add(*communes.values())
    entry = make_waiting_entry(
        waiting_list_of_territory(territory),
        communes["la_roche"],
        waiting_since=timezone.now() - datetime.timedelta(days=75),
        members=[{"family_name": "Durand", "given_names": "Léo", "birth_date": datetime.date(2019, 6, 1), "sex": "M"}],
        ald=True,
    )
    path = "/" + entry_follow_link(entry).split("://", 1)[1].split("/", 1)[1]

    visit(path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Suivi de mon inscription")
    expect(page.get_by_text("Vous êtes sur la liste d'attente depuis le")).to_be_visible()
    shot("status")
    page.get_by_role("button", name="J'ai trouvé un médecin / quitter la liste").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Quitter la liste d'attente")
    expect(page.get_by_label("J'ai trouvé un médecin traitant")).to_be_checked()
    shot("withdraw")
    page.get_by_role("button", name="Quitter la liste").click()
    expect(page.get_by_role("status")).to_contain_text("vous avez quitté la liste d'attente")
    shot("withdrawn")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    entry.refresh_from_db()
    assert entry.status == Entry.Status.WITHDRAWN

"""Steps shared by the browser journeys: what a person does, in the portal's French wording."""

import re
import time
from dataclasses import dataclass, field

import pyotp
from playwright.sync_api import expect


@dataclass
class AuthenticatorApp:
    """The user's phone: the codes of a TOTP secret, as an authenticator app shows them.

    allauth accepts the code of the current 30-second window only (``MFA_TOTP_TOLERANCE`` is 0) and refuses a
    code that was already used to sign in. Enrolment checks its code without spending it, so a journey that
    enrols then signs in never waits; ``code()`` only sleeps when the current code was spent already, or is
    about to expire.
    """

    secret: str
    spent: set[str] = field(default_factory=set)
    margin: float = 2.0  # seconds the code must stay valid: typing, submitting, the server checking it

    def code(self, *, spends: bool = True) -> str:
        totp = pyotp.TOTP(self.secret)
        while True:
            now = time.time()
            remaining = totp.interval - now % totp.interval
            code = totp.at(now)
            if remaining >= self.margin and code not in self.spent:
                break
            time.sleep(remaining + 0.05)  # wait for the next window: allauth accepts no other code
        if spends:
            self.spent.add(code)
        return code


def sign_in_with_password(page, email: str, password: str) -> None:
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()


def enter_authenticator_code(page, code: str) -> None:
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    page.get_by_label("Code de l'application d'authentification").fill(code)
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()


def open_menu(page):
    """The menu's entries: the bar at desktop widths, the "Menu" disclosure (opened) on a phone."""
    bar = page.locator("ul.main-menu-bar")
    if bar.is_visible():
        return bar
    menu = page.locator("details.main-menu")
    if menu.get_attribute("open") is None:
        menu.locator("summary").click()
    return menu


def open_menu_entry(page, name: str) -> None:
    open_menu(page).get_by_role("link", name=name).click()


def sign_out(page) -> None:
    open_menu(page).get_by_role("button", name="Se déconnecter").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))

"""The demo accounts, shown on the login page in demo mode: kept apart from the demo data so that the context
processor, which runs on every page, reads a few lines rather than the whole demo territory."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

DEMO_PASSWORD = "cpts-demo-2026"  # noqa: S105 - public on purpose: shown on the login page in demo mode only
DEMO_DOMAIN = "demo.cpts.test"


@dataclass(frozen=True)
class DemoAccount:
    local_part: str
    first_name: str
    last_name: str
    label: str

    @property
    def email(self) -> str:
        return f"{self.local_part}@{DEMO_DOMAIN}"


DEMO_ACCOUNTS = [
    DemoAccount("coordinateur", "Sophie", "Durand", _("Coordination de la CPTS")),
    DemoAccount("generaliste", "Claire", "Martin", _("Médecin généraliste")),
    DemoAccount("generaliste2", "Karim", "Benali", _("Médecin généraliste (autre cabinet)")),
    DemoAccount("cardiologue", "Hélène", "Rousseau", _("Cardiologue")),
    DemoAccount("dermatologue", "Paul", "Lefèvre", _("Dermatologue")),
    DemoAccount("secretaire.cardio", "Julie", "Moreau", _("Secrétariat du cabinet de cardiologie")),
    DemoAccount("secretaire.autre", "Nadia", "Girard", _("Secrétariat d'un autre cabinet (dermatologie)")),
    DemoAccount("regulateur", "Marc", "Fontaine", _("Régulation (SAS, 15)")),
    DemoAccount("pharmacien", "Thomas", "Guillot", _("Pharmacien (officine des Halles)")),
    DemoAccount("observateur", "Anne", "Petit", _("Observation (ARS)")),
]

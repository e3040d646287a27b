"""The demo territory: a fictional CPTS with the accounts every role needs (``manage.py seed_demo``).

Every name, number and address here is invented: phone numbers come from the ranges ARCEP keeps for fiction
(02 61 91 xx xx), MSSanté addresses from a demo domain, links from a ``.test`` domain. The practices stand in real
communes around La Roche-sur-Yon, so that searching "cardio" near "La Roche" works as it would for a real CPTS.
The referrals and other apps add their own demo data as they are built.
"""

import datetime
import random
import re
import unicodedata
from dataclasses import dataclass, field
from importlib import import_module

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from accounts.services import user_create
from core.identifiers import with_luhn_check_digit
from cpts_portal.demo_accounts import DEMO_ACCOUNTS, DEMO_PASSWORD, DemoAccount
from directory.contact_values import normalised_channel_value
from directory.models import (
    Absence,
    AccessibilityTag,
    Activity,
    Audience,
    ChangeEvent,
    Commune,
    ContactChannel,
    DigitalTool,
    Practice,
    Practitioner,
    PractitionerTool,
    Profession,
    RoleGrant,
    Specialty,
    Territory,
    ToolUse,
)
from directory.scale import FIRST_NAMES, LAST_NAMES
from directory.selectors import communes_within
from directory.services import role_grant_create
from newsletter.demo import seed_newsletter_demo
from referrals.demo import DemoPeople, seed_referrals_demo
from snp.demo import SnpDemoPeople, seed_snp_demo
from waitlist.demo import WaitlistDemoPeople, seed_waitlist_demo

# The demo CPTS covers the communes around La Roche-sur-Yon (INSEE 85191), as a real CPTS covers a bassin de vie.
DEMO_CENTRE_INSEE = "85191"
DEMO_RADIUS_KM = 25


SPECIALTIES = {
    "SM54": "Médecine générale",
    "SM04": "Cardiologie et maladies vasculaires",
    "SM15": "Dermatologie et vénéréologie",
}

# key -> (name, address, INSEE code of a real commune of the territory, position of the (invented) address)
PRACTICES = {
    "tilleuls": ("Maison de santé des Tilleuls", "12 rue des Tilleuls", "85155", (46.7231, -1.4562)),
    "port": ("Cabinet médical du Port", "3 quai du Port", "85300", (46.6689, -1.5160)),
    "cardio": ("Cabinet de cardiologie du Centre", "8 place du Marché", "85191", (46.6705, -1.4260)),
    "dermato": ("Centre dermatologique des Halles", "21 rue des Halles", "85089", (46.7140, -1.3135)),
}

# local part -> (first name, last name, rpps body (10 digits), specialty code, practice key)
PRACTITIONERS = {
    "generaliste": ("Claire", "Martin", "1000000001", "SM54", "tilleuls"),
    "generaliste2": ("Karim", "Benali", "1000000002", "SM54", "port"),
    "cardiologue": ("Hélène", "Rousseau", "1000000003", "SM04", "cardio"),
    "dermatologue": ("Paul", "Lefèvre", "1000000004", "SM15", "dermato"),
}

# local part -> the channel colleagues should use first (invented numbers and addresses).
PROFESSIONAL_CHANNELS = {
    "generaliste": (ContactChannel.Kind.PROFESSIONAL_LINE, "+33251000001", "8h-9h et 13h-14h en semaine"),
    "generaliste2": (ContactChannel.Kind.PROFESSIONAL_LINE, "+33251000002", "12h-14h en semaine"),
    "cardiologue": (ContactChannel.Kind.PROFESSIONAL_LINE, "+33251000003", "9h-12h en semaine"),
    "dermatologue": (ContactChannel.Kind.MSSANTE, "paul.lefevre@demo-bocage.mssante.fr", ""),
}


def _account(account: DemoAccount) -> User:
    user = User.objects.filter(email=account.email).first()
    if user is None:
        user = user_create(
            email=account.email,
            password=DEMO_PASSWORD,
            first_name=account.first_name,
            last_name=account.last_name,
            email_verified=True,
        )
    else:  # a demo visitor may have changed it: the login page must stay true
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def _grant(user: User, role: str, **scope) -> None:
    existing = RoleGrant.objects.filter(user=user, role=role)
    if "territory" in scope and role not in (Role.PROFESSIONAL, Role.SECRETARY):
        existing = existing.filter(territory=scope["territory"])
    if not existing.exists():
        role_grant_create(user=user, role=role, **scope)


# --- The territory's other professionals ---------------------------------------------------------------------

# Communes of the demo territory where practices stand: INSEE code -> (name, postal code, town hall position), as
# in the commune reference. Kept here so that a database emptied by a test flush still gets placed practices.
DEMO_COMMUNES = {
    "85191": ("La Roche-sur-Yon", "85000", 46.67111, -1.4293),
    "85003": ("Aizenay", "85190", 46.7386, -1.60872),
    "85178": ("Le Poiré-sur-Vie", "85170", 46.76812, -1.50918),
    "85008": ("Aubigny-Les Clouzeaux", "85430", 46.6304, -1.50967),
    "85084": ("Essarts-en-Bocage", "85140", 46.7744, -1.23051),
    "85019": ("Bellevigny", "85170", 46.8052, -1.45032),
    "85152": ("Les Achards", "85150", 46.6175, -1.65889),
    "85089": ("La Ferrière", "85280", 46.7135, -1.31272),
    "85155": ("Mouilleron-le-Captif", "85000", 46.7219, -1.45386),
    "85300": ("Venansault", "85190", 46.68529, -1.51401),
    "85081": ("Dompierre-sur-Yon", "85170", 46.7374, -1.38517),
    "85213": ("Rives de l'Yon", "85310", 46.58368, -1.36592),
    "85046": ("La Chaize-le-Vicomte", "85310", 46.67043, -1.29962),
    "85160": ("Nesmy", "85310", 46.593, -1.40235),
    "85118": ("Landeronde", "85150", 46.659, -1.57244),
    "85016": ("Beaulieu-sous-la-Roche", "85190", 46.67663, -1.61047),
}

# role -> (profession code (RPPS nomenclature), specialty code or "")
ROLES = {
    "gp": ("10", "SM54"),
    "cardio": ("10", "SM04"),
    "dermato": ("10", "SM15"),
    "rhumato": ("10", "SM48"),
    "gastro": ("10", "SM24"),
    "endocrino": ("10", "SM62"),
    "nephro": ("10", "SM30"),
    "gyneco": ("10", "SM20"),
    "gyneco_med": ("10", "SM19"),
    "ortho": ("10", "SM08"),
    "pediatre": ("10", "SM40"),
    "biologist": ("10", "SM03"),
    "radiologist": ("10", "SM44"),
    "nurse": ("60", ""),
    "pharmacist": ("21", ""),
    "physio": ("70", ""),
    "midwife": ("50", ""),
}
SPECIALISTS = {"cardio", "dermato", "rhumato", "gastro", "endocrino", "nephro", "gyneco", "gyneco_med", "ortho"}
SPECIALISTS |= {"pediatre", "radiologist"}

# Practices added around the four of the demo accounts: key, name, kind (sets hours and channels), address,
# INSEE code, and who works there. Keys of PRACTICES add staff to those.
SITES: list[tuple[str, str, str, str, str, dict[str, int]]] = [
    ("tilleuls", "", "msp", "", "", {"gp": 3, "nurse": 2, "physio": 1}),
    ("port", "", "gp", "", "", {"gp": 1}),
    ("cardio", "", "specialist", "", "", {"cardio": 2}),
    ("dermato", "", "specialist", "", "", {"dermato": 1}),
    (
        "msp-aizenay",
        "Maison de santé du Pays d'Aizenay",
        "msp",
        "5 rue de la Gare",
        "85003",
        {"gp": 5, "nurse": 3, "physio": 2, "midwife": 1},
    ),
    ("msp-poire", "Pôle santé du Poiré", "msp", "14 rue de Lattre", "85178", {"gp": 4, "nurse": 3, "physio": 2}),
    (
        "msp-essarts",
        "Maison de santé des Essarts",
        "msp",
        "2 rue du Stade",
        "85084",
        {"gp": 4, "nurse": 2, "physio": 1},
    ),
    (
        "msp-achards",
        "Maison de santé des Achards",
        "msp",
        "9 avenue Georges Clemenceau",
        "85152",
        {"gp": 3, "nurse": 2},
    ),
    ("msp-bellevigny", "Maison de santé de Bellevigny", "msp", "1 place de l'Église", "85019", {"gp": 3, "nurse": 2}),
    (
        "msp-yon",
        "Maison de santé Rives de l'Yon",
        "msp",
        "6 rue du Moulin",
        "85213",
        {"gp": 3, "nurse": 2, "physio": 1},
    ),
    ("cabinet-gare", "Cabinet médical de la Gare", "gp", "31 boulevard Louis Blanc", "85191", {"gp": 3}),
    ("cabinet-bourg", "Cabinet médical du Bourg-sous-la-Roche", "gp", "4 rue du Bourg", "85191", {"gp": 2}),
    ("cabinet-pyramides", "Cabinet médical des Pyramides", "gp", "18 rue des Pyramides", "85191", {"gp": 2}),
    ("cabinet-clouzeaux", "Cabinet médical des Clouzeaux", "gp", "3 rue de la Poste", "85008", {"gp": 2}),
    ("cabinet-ferriere", "Cabinet médical de La Ferrière", "gp", "11 rue Nationale", "85089", {"gp": 2}),
    ("cabinet-dompierre", "Cabinet médical de Dompierre", "gp", "7 rue des Écoles", "85081", {"gp": 2}),
    ("cabinet-nesmy", "Cabinet médical de Nesmy", "gp", "2 place de la Mairie", "85160", {"gp": 1}),
    ("cabinet-chaize", "Cabinet médical de La Chaize", "gp", "15 rue du Centre", "85046", {"gp": 2}),
    ("cabinet-landeronde", "Cabinet médical de Landeronde", "gp", "1 rue des Lilas", "85118", {"gp": 1}),
    (
        "clinique",
        "Clinique du Val d'Yon (fictive)",
        "clinic",
        "60 boulevard des Belges",
        "85191",
        {"cardio": 2, "gastro": 2, "ortho": 3, "nephro": 2},
    ),
    ("dermato-roche", "Cabinet de dermatologie Clemenceau", "specialist", "22 rue Clemenceau", "85191", {"dermato": 2}),
    ("rhumato", "Cabinet de rhumatologie de l'Yon", "specialist", "5 rue Paul Doumer", "85191", {"rhumato": 3}),
    ("gastro", "Cabinet d'hépato-gastro-entérologie", "specialist", "40 rue Joffre", "85191", {"gastro": 2}),
    ("endocrino", "Cabinet d'endocrinologie et diabétologie", "specialist", "9 rue Molière", "85191", {"endocrino": 2}),
    (
        "gyneco",
        "Cabinet de gynécologie du Marché",
        "specialist",
        "3 place du Marché",
        "85191",
        {"gyneco": 2, "gyneco_med": 1},
    ),
    ("pediatrie", "Cabinet de pédiatrie des Oudairies", "specialist", "12 rue des Oudairies", "85191", {"pediatre": 2}),
    ("lab-yon", "Laboratoire de biologie médicale de l'Yon", "lab", "27 boulevard d'Italie", "85191", {"biologist": 3}),
    ("lab-aizenay", "Laboratoire de l'Yon, site d'Aizenay", "lab", "8 rue du Marché", "85003", {"biologist": 1}),
    ("ide-bourg", "Cabinet infirmier du Bourg", "nurses", "6 rue du Bourg", "85191", {"nurse": 3}),
    ("ide-saint-andre", "Cabinet infirmier Saint-André", "nurses", "19 rue Saint-André", "85191", {"nurse": 3}),
    ("ide-nesmy", "Cabinet infirmier de Nesmy", "nurses", "4 rue de la Poste", "85160", {"nurse": 2}),
    ("ide-venansault", "Cabinet infirmier de Venansault", "nurses", "10 rue Nationale", "85300", {"nurse": 2}),
    ("ide-dompierre", "Cabinet infirmier de Dompierre", "nurses", "2 rue du Stade", "85081", {"nurse": 2}),
    ("ide-ferriere", "Cabinet infirmier de La Ferrière", "nurses", "8 place de l'Église", "85089", {"nurse": 3}),
    ("kine-sports", "Cabinet de kinésithérapie des Sports", "physio", "1 rue du Stade", "85191", {"physio": 3}),
    ("kine-napoleon", "Cabinet de kinésithérapie Napoléon", "physio", "52 rue Napoléon", "85191", {"physio": 2}),
    ("kine-chaize", "Cabinet de kinésithérapie de La Chaize", "physio", "5 rue du Centre", "85046", {"physio": 2}),
    (
        "kine-mouilleron",
        "Cabinet de kinésithérapie de Mouilleron",
        "physio",
        "3 rue de l'Étang",
        "85155",
        {"physio": 2},
    ),
    ("kine-achards", "Cabinet de kinésithérapie des Achards", "physio", "12 rue de la Mairie", "85152", {"physio": 2}),
    ("kine-nesmy", "Espace kiné de l'Yon", "physio", "6 rue de la Vallée", "85160", {"physio": 2}),
    ("sage-femme", "Cabinet de sage-femme des Halles", "midwife", "7 rue des Halles", "85191", {"midwife": 1}),
    ("ph-napoleon", "Pharmacie de la Place Napoléon", "pharmacy", "2 place Napoléon", "85191", {"pharmacist": 3}),
    ("ph-halles", "Pharmacie des Halles", "pharmacy", "15 rue des Halles", "85191", {"pharmacist": 2}),
    ("ph-bourg", "Pharmacie du Bourg", "pharmacy", "1 rue du Bourg", "85191", {"pharmacist": 2}),
    ("ph-aizenay", "Pharmacie d'Aizenay", "pharmacy", "20 rue de la Gare", "85003", {"pharmacist": 2}),
    ("ph-poire", "Pharmacie du Poiré", "pharmacy", "1 place du Marché", "85178", {"pharmacist": 2}),
    ("ph-essarts", "Pharmacie des Essarts", "pharmacy", "3 rue Nationale", "85084", {"pharmacist": 2}),
    ("ph-mouilleron", "Pharmacie de Mouilleron", "pharmacy", "2 rue de la Poste", "85155", {"pharmacist": 1}),
    ("ph-venansault", "Pharmacie de Venansault", "pharmacy", "5 place de l'Église", "85300", {"pharmacist": 1}),
    ("ph-ferriere", "Pharmacie de La Ferrière", "pharmacy", "9 rue du Centre", "85089", {"pharmacist": 1}),
    ("ph-clouzeaux", "Pharmacie des Clouzeaux", "pharmacy", "4 rue de la Mairie", "85008", {"pharmacist": 1}),
    ("ph-dompierre", "Pharmacie de Dompierre", "pharmacy", "6 place de la Mairie", "85081", {"pharmacist": 1}),
    # Added last, so that the draws of the names above stay what they were in databases seeded before.
    (
        "imagerie-yon",
        "Centre d'imagerie médicale de l'Yon",
        "specialist",
        "14 boulevard Aristide Briand",
        "85191",
        {"radiologist": 3},
    ),
    # The CPTS's own premises: GPs of several practices take turns there for non-scheduled care.
    ("cpts-locaux", "Locaux de la CPTS (soins non programmés)", "cpts", "1 rue de la Simbrandière", "85191", {}),
]
# A biologist of the Yon laboratory also works at its Aizenay site: (practice key, role, index) -> other practice.
SECOND_SITES = {
    ("lab-yon", "biologist", 0): "lab-aizenay",
    ("clinique", "cardio", 0): "cardio",
    # The GPs who take turns at the CPTS's premises for non-scheduled care.
    ("cabinet-gare", "gp", 0): "cpts-locaux",
    ("cabinet-pyramides", "gp", 0): "cpts-locaux",
    ("msp-poire", "gp", 1): "cpts-locaux",
    ("msp-bellevigny", "gp", 0): "cpts-locaux",
}

# kind -> (opening hours, secretariat hours, accessibility)
SITE_HOURS = {
    "msp": ("Lundi-vendredi 8h-19h30, samedi 8h-12h", "Lundi-vendredi 8h-12h30 et 14h-19h", ["wheelchair", "lift"]),
    "gp": ("Lundi-vendredi 8h30-19h", "Lundi-vendredi 8h30-12h et 14h-18h", ["ground_floor"]),
    "specialist": ("Lundi-vendredi 9h-18h", "Lundi-vendredi 9h-12h30 et 14h-17h", ["wheelchair"]),
    "clinic": ("Tous les jours, 24h/24", "Lundi-vendredi 8h-18h", ["wheelchair", "lift", "disabled_parking"]),
    "lab": ("Lundi-vendredi 7h30-18h30, samedi 8h-12h", "", ["wheelchair", "disabled_parking"]),
    "nurses": ("Soins à domicile 7j/7 ; au cabinet 7h-8h30 en semaine, sans rendez-vous", "", ["ground_floor"]),
    "pharmacy": ("Lundi-samedi 8h45-19h30", "", ["wheelchair", "ground_floor"]),
    "physio": ("Lundi-vendredi 8h-20h", "", ["ground_floor", "disabled_parking"]),
    "midwife": ("Lundi-vendredi 9h-18h", "", ["ground_floor"]),
    "cpts": ("Samedi 8h-12h, sur orientation du 15 ou de la ligne de la CPTS", "", ["wheelchair", "ground_floor"]),
}
PRO_LINE_HOURS = ["8h-9h en semaine", "12h30-13h30 en semaine", "8h-9h et 13h-14h en semaine"]
TAGS_OF_ROLE = {
    "gp": ["home_visits", "children", "without_appointment", "elderly", "ecg", "small_surgery", "gynaecology"],
    "cardio": ["ecg", "ultrasound", "emergency_slots"],
    "dermato": ["small_surgery", "teleconsultation", "children"],
    "rhumato": ["ultrasound", "sports_medicine"],
    "gastro": ["emergency_slots"],
    "gyneco": ["gynaecology", "ultrasound"],
    "gyneco_med": ["gynaecology"],
    "ortho": ["sports_medicine", "emergency_slots"],
    "pediatre": ["children", "emergency_slots"],
    "nurse": ["home_visits", "palliative_care", "elderly"],
    "physio": ["home_visits", "sports_medicine", "elderly"],
    "midwife": ["gynaecology", "home_visits"],
}
NOTES_OF_ROLE = {
    "gp": "Suivi des patients diabétiques en lien avec l'infirmière Asalée de la maison de santé.",
    "cardio": "Holter et épreuve d'effort sur place ; avis rapide pour les confrères sur la ligne dédiée.",
    "dermato": "Photos de lésions via la télé-expertise de préférence à un courrier.",
    "rhumato": "Infiltrations échoguidées.",
    "nurse": "Tournées sur la commune et les communes voisines, y compris le week-end.",
    "pharmacist": "Vaccination, entretiens pharmaceutiques, préparation des doses à administrer.",
    "physio": "Rééducation post-opératoire et à domicile.",
}
# Tobacco cessation has no specialty in the RPPS nomenclature (it is a university diploma): these practitioners
# say so in their notes. (practice key, role, index) -> note.
TABACOLOGY = {
    ("tilleuls", "gp", 0): "Consultations de tabacologie (DIU de tabacologie) : sevrage, substituts nicotiniques.",
    ("msp-poire", "nurse", 0): "Infirmière tabacologue (DU de tabacologie) : aide au sevrage tabagique, sur RDV.",
}
# Who is away this week and next: (practice key, role, index), first day counted from this week's Monday, number
# of days, replacement (practice key, role, index) or None, note.
ABSENCES = [
    (("msp-aizenay", "gp", 0), 0, 5, ("msp-aizenay", "gp", 1), "Congés"),
    (("clinique", "cardio", 1), 7, 5, ("clinique", "cardio", 0), "Congrès de cardiologie"),
    (("ph-napoleon", "pharmacist", 0), 2, 6, ("ph-napoleon", "pharmacist", 1), "Congés"),
    (("ide-bourg", "nurse", 0), 7, 7, ("ide-bourg", "nurse", 1), "Congés ; tournée assurée par sa collègue"),
    (("cabinet-nesmy", "gp", 0), 3, 8, ("cabinet-landeronde", "gp", 0), "Formation"),
    (("dermato-roche", "dermato", 0), 8, 3, None, "Congrès"),
    (("lab-yon", "biologist", 1), 0, 4, ("lab-yon", "biologist", 2), "Congés"),
]
# What happened lately: (practice key, role, index), kind, days ago, note.
# (entry, kind, months before the current one, day of that month, note): the newsletter's draft of this month and
# of the last one find events whatever the day the demo is loaded (a current month's event is on its 1st).
CHANGES = [
    (("msp-essarts", "gp", 3), ChangeEvent.Kind.ARRIVAL, 0, 1, "Installation à la maison de santé des Essarts."),
    (("cabinet-gare", "gp", 2), ChangeEvent.Kind.ARRIVAL, 1, 12, "Nouvelle collaboratrice au cabinet de la Gare."),
    (("kine-sports", "physio", 2), ChangeEvent.Kind.ARRIVAL, 2, 20, ""),
    (("msp-essarts", "gp", 3), ChangeEvent.Kind.NEW_CPTS_MEMBER, 0, 1, ""),
    (("rhumato", "rhumato", 2), ChangeEvent.Kind.NEW_CPTS_MEMBER, 1, 5, ""),
    (("cabinet-pyramides", "gp", 1), ChangeEvent.Kind.DEPARTURE, 0, 1, "Quitte le territoire ; patientèle reprise."),
    (
        ("cabinet-bourg", "gp", 1),
        ChangeEvent.Kind.RETIREMENT,
        1,
        28,
        "Départ en retraite ; pas de successeur à ce jour.",
    ),
    (("kine-chaize", "physio", 0), ChangeEvent.Kind.MOVED_PRACTICE, 1, 18, "Nouveau cabinet rue du Centre."),
]
DEMO_MSSANTE_DOMAIN = "demo-bocage.mssante.fr"
DEMO_LINKS = "https://rdv.demo-bocage.test"
DEMO_RPPS_START = 1000100000  # bodies of the entries below; the demo accounts' entries use 1000000001…
BOOKING_TOOLS = ["doctolib", "doctolib", "maiia", "keldoc"]


@dataclass
class _Entry:
    """One practitioner of the plan, with what to create for them."""

    ref: tuple[str, str, int]  # (practice key, role, index)
    rpps: str
    first_name: str
    last_name: str
    role: str
    practices: list[str]
    fields: dict
    channels: list[dict] = field(default_factory=list)
    tools: list[tuple[str, list[str], str]] = field(default_factory=list)


def _ascii(text: str) -> str:
    """ "Hélène Le Goff" -> "helene-le-goff" (for the invented addresses and links)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")


class _Phones:
    """Numbers of the range ARCEP keeps for fiction in the west (02 61 91 xx xx), one after the other."""

    def __init__(self):
        self.next = 0

    def __call__(self) -> str:
        self.next += 1
        return f"+3326191{self.next:04d}"


def _site_channels(key: str, kind: str, name: str, phone: _Phones) -> list[dict]:
    """The channels of a practice: its public line, and for the medical ones a line and a fax for colleagues."""
    opening, secretariat, _access = SITE_HOURS[kind]
    slug = _ascii(name)
    public_kind = ContactChannel.Kind.SECRETARY if kind in ("msp", "gp", "specialist", "clinic") else "phone"
    channels = [{"audience": Audience.PUBLIC, "kind": public_kind, "value": phone(), "hours": secretariat or opening}]
    channels[0]["preferred"] = True
    if kind in ("specialist", "clinic", "pharmacy", "lab"):
        note = {
            "pharmacy": "Pour les prescripteurs : questions sur une ordonnance",
            "lab": "Résultats urgents et avis biologique",
        }.get(kind, "Ligne réservée aux confrères")
        channels.append(
            {
                "audience": Audience.PROFESSIONALS,
                "kind": ContactChannel.Kind.PROFESSIONAL_LINE,
                "value": phone(),
                "hours": "8h-9h en semaine" if kind != "lab" else "7h30-19h en semaine",
                "note": note,
                "preferred": True,
            }
        )
    if kind in ("msp", "specialist", "clinic", "pharmacy", "lab"):
        channels.append({"audience": Audience.PROFESSIONALS, "kind": ContactChannel.Kind.FAX, "value": phone()})
    if kind in ("lab", "pharmacy", "msp"):
        channels.append(
            {
                "audience": Audience.PROFESSIONALS,
                "kind": ContactChannel.Kind.MSSANTE,
                "value": f"{slug[:40]}@{DEMO_MSSANTE_DOMAIN}",
            }
        )
    if kind == "lab":
        channels.append(
            {
                "audience": Audience.PHARMACISTS_AND_LABS,
                "kind": ContactChannel.Kind.PROFESSIONAL_LINE,
                "value": phone(),
                "hours": "7h30-19h en semaine, 8h-12h le samedi",
                "note": "Entre laboratoires et pharmacies : prélèvements, transmissions",
                "preferred": True,
            }
        )
    if kind in ("msp", "clinic"):
        channels.append(
            {"audience": Audience.PUBLIC, "kind": ContactChannel.Kind.WEBSITE, "value": f"{DEMO_LINKS}/{key}"}
        )
    return channels


def _entry_channels_and_tools(entry: _Entry, rng: random.Random, phone: _Phones) -> None:
    """What a practitioner publishes: an MSSanté address, a line for colleagues, a booking link… and the tools."""
    role, slug = entry.role, _ascii(f"{entry.first_name} {entry.last_name}")
    physician = ROLES[role][0] == "10"
    mssante = f"{slug.replace('-', '.')}@{DEMO_MSSANTE_DOMAIN}"
    has_mssante = physician or role == "midwife" or rng.random() < 0.5
    has_pro_line = (role == "gp" and rng.random() < 0.5) or (role in SPECIALISTS and rng.random() < 0.5)
    books_online = (role == "gp" and rng.random() < 0.6) or (role in SPECIALISTS | {"physio", "midwife"})
    books_online = books_online and rng.random() < 0.8
    if has_pro_line:
        entry.channels.append(
            {
                "audience": Audience.PROFESSIONALS,
                "kind": ContactChannel.Kind.PROFESSIONAL_LINE,
                "value": phone(),
                "hours": rng.choice(PRO_LINE_HOURS),
                "preferred": True,
            }
        )
    if has_mssante:
        entry.channels.append(
            {
                "audience": Audience.PROFESSIONALS,
                "kind": ContactChannel.Kind.MSSANTE,
                "value": mssante,
                "note": "Pour les courriers d'adressage" if physician else "",
                "preferred": not has_pro_line,
            }
        )
        entry.tools.append(("mssante", [ToolUse.REFERRALS, ToolUse.RESULTS], mssante))
    if books_online:
        link = f"{DEMO_LINKS}/{slug}"
        entry.channels.append(
            {"audience": Audience.PUBLIC, "kind": ContactChannel.Kind.BOOKING_LINK, "value": link, "preferred": True}
        )
        entry.tools.append((rng.choice(BOOKING_TOOLS), [ToolUse.APPOINTMENTS], link))
    if role == "gp" and rng.random() < 0.3:
        entry.channels.append(
            {
                "audience": Audience.PHARMACISTS_AND_LABS,
                "kind": ContactChannel.Kind.PROFESSIONAL_LINE,
                "value": phone(),
                "hours": "8h-18h en semaine",
                "note": "Résultats urgents, questions sur une ordonnance",
                "preferred": True,
            }
        )
    if role == "gp" and rng.random() < 0.2:
        entry.channels.append(
            {
                "audience": Audience.REGULATORS,
                "kind": ContactChannel.Kind.PROFESSIONAL_LINE,
                "value": phone(),
                "hours": "8h-20h en semaine",
                "note": "Ligne directe pour le SAS et le 15",
                "preferred": True,
            }
        )
    if entry.fields["answers_teleexpertise"]:
        tool = "omnidoc" if role == "dermato" or rng.random() < 0.7 else "rofim"
        entry.tools.append((tool, [ToolUse.TELEEXPERTISE], f"{DEMO_LINKS}/{tool}/{slug}"))
    elif role == "gp" and rng.random() < 0.4:  # asks for tele-expertise
        entry.tools.append(("omnidoc", [ToolUse.TELEEXPERTISE], ""))
    if role in ("gp", "pharmacist", "nurse") and rng.random() < 0.4:
        entry.tools.append(("mon-espace-sante", [ToolUse.RESULTS], ""))
    if role in ("gp", "nurse") and entry.practices[0].startswith(("msp", "tilleuls")) and rng.random() < 0.5:
        entry.tools.append(("paaco-globule", [ToolUse.REFERRALS], ""))
    if role == "gp" and rng.random() < 0.25:
        entry.tools.append(("viatrajectoire", [ToolUse.REFERRALS], ""))


def _directory_plan(now: datetime.datetime) -> tuple[list[_Entry], dict[str, list[dict]]]:
    """The demo's practitioners and the practices' channels: the same on every run (a seeded draw)."""
    rng = random.Random("cpts-demo-bocage")
    phone = _Phones()
    taken = {(first_name, last_name) for first_name, last_name, *_rest in PRACTITIONERS.values()}
    site_channels: dict[str, list[dict]] = {}
    entries: list[_Entry] = []
    for key, name, kind, _address, _insee, staff in SITES:
        site_channels[key] = _site_channels(key, kind, name or PRACTICES[key][0], phone)
        for role, count in staff.items():
            for index in range(count):
                ref = (key, role, index)
                while (first_name := rng.choice(FIRST_NAMES), last_name := rng.choice(LAST_NAMES)) in taken:
                    pass
                taken.add((first_name, last_name))
                body = str(DEMO_RPPS_START + len(entries) + 1)
                specialist = role in SPECIALISTS
                stale = len(entries) % 12 == 5
                confirmed_days = rng.randint(400, 700) if stale else rng.randint(3, 300)
                roll = rng.random()
                languages = (
                    ["en"] if roll < 0.2 else ["en", "es"] if roll < 0.25 else ["ar"] if roll < 0.28 else []
                ) + (["de"] if rng.random() < 0.03 else [])
                tags = TAGS_OF_ROLE.get(role, [])
                fields = {
                    "civility": "Dr" if ROLES[role][0] == "10" else "",
                    "languages": languages,
                    "accepting_new_patients": rng.choice([True, False, False, None]) if role == "gp" else None,
                    "answers_teleexpertise": role == "dermato" or (specialist and rng.random() < 0.6),
                    "practice_tags": sorted(rng.sample(tags, k=min(len(tags), rng.randint(0, 3)))),
                    "practice_notes": TABACOLOGY.get(ref)
                    or (NOTES_OF_ROLE.get(role, "") if rng.random() < 0.25 else ""),
                    "cpts_member_since": (
                        datetime.date(rng.randint(2021, 2025), rng.randint(1, 12), 1) if rng.random() < 0.45 else None
                    ),
                    "last_confirmed_at": now - datetime.timedelta(days=confirmed_days),
                }
                practices = [key] + ([SECOND_SITES[ref]] if ref in SECOND_SITES else [])
                entry = _Entry(ref, with_luhn_check_digit(body), first_name, last_name, role, practices, fields)
                _entry_channels_and_tools(entry, rng, phone)
                entries.append(entry)
    for entry in entries:
        joined = [
            _day_of_month_before(now.date(), months_before, day)
            for ref, kind, months_before, day, _note in CHANGES
            if ref == entry.ref and kind == "new_cpts_member"
        ]
        if joined:
            entry.fields["cpts_member_since"] = joined[0]
    return entries, site_channels


def _day_of_month_before(today: datetime.date, months_before: int, day: int) -> datetime.date:
    """``day`` of the month ``months_before`` months before today's (every month has a 28th)."""
    month_index = today.year * 12 + today.month - 1 - months_before
    return datetime.date(month_index // 12, month_index % 12 + 1, min(day, 28))


def _reference_rows() -> tuple[dict[str, Profession], dict[str, Specialty], dict[str, DigitalTool]]:
    """Professions, specialties and tools the demo uses; those a test flush emptied are put back."""
    loaded = import_module("directory.migrations.0005_load_professions_and_specialties")
    biology = import_module("directory.migrations.0010_medical_biology")
    radiology = import_module("directory.migrations.0015_radiology")
    tools = import_module("directory.migrations.0007_seed_digital_tools").TOOLS
    professions = {profession.code: profession for profession in Profession.objects.all()}
    for code in {profession for profession, _specialty in ROLES.values()} - set(professions):
        label, synonyms = loaded.PROFESSIONS[code]
        professions[code] = Profession.objects.create(code=code, label=label, synonyms=synonyms)
    specialties = {specialty.code: specialty for specialty in Specialty.objects.all()}
    wanted = {specialty for _profession, specialty in ROLES.values() if specialty} | set(SPECIALTIES)
    for code in wanted - set(specialties):
        label, synonyms = {**loaded.SPECIALTIES, **biology.SPECIALTIES, **radiology.SPECIALTIES}[code]
        specialties[code] = Specialty.objects.create(
            code=code, label=label, synonyms=synonyms, profession=professions["10"]
        )
    catalogue = {tool.slug: tool for tool in DigitalTool.objects.all()}
    for slug in set(tools) - set(catalogue):
        name, category = tools[slug]
        catalogue[slug] = DigitalTool.objects.create(slug=slug, name=name, category=category)
    return professions, specialties, catalogue


def _position(insee_code: str, rng: random.Random) -> tuple[float, float]:
    """A few hundred metres from the town hall."""
    _name, _postal_code, latitude, longitude = DEMO_COMMUNES[insee_code]
    return round(latitude + rng.uniform(-0.006, 0.006), 5), round(longitude + rng.uniform(-0.009, 0.009), 5)


def _seed_directory(territory: Territory, practices: dict[str, Practice]) -> None:
    """Creates what is missing of the plan: practices, entries, their specialties, activities, channels, tools,
    absences and change events. What exists is left as it is (a demo visitor may have edited it)."""
    now, today = timezone.now(), timezone.localdate()
    professions, specialties, tools = _reference_rows()
    entries, site_channels = _directory_plan(now)

    # Practices.
    rng = random.Random("cpts-demo-bocage-places")
    communes = Commune.objects.in_bulk(list(DEMO_COMMUNES))
    known = {practice.name: practice for practice in Practice.objects.filter(territory=territory)}
    new = []
    for key, name, kind, address, insee_code, _staff in SITES:
        if key in practices:  # a practice of the demo accounts: given hours once, never overwritten
            opening, secretariat, accessibility = SITE_HOURS[kind]
            Practice.objects.filter(pk=practices[key].pk, opening_hours="").update(
                opening_hours=opening, secretariat_hours=secretariat, accessibility=accessibility
            )
            Practice.objects.filter(pk=practices[key].pk).update(is_msp=kind == "msp")
            continue
        latitude, longitude = _position(insee_code, rng)
        if name in known:
            practices[key] = known[name]
            continue
        opening, secretariat, accessibility = SITE_HOURS[kind]
        commune_name, postal_code, _lat, _lon = DEMO_COMMUNES[insee_code]
        practices[key] = Practice(
            name=name,
            territory=territory,
            address=address,
            postal_code=postal_code,
            city=commune_name,
            commune=communes.get(insee_code),
            latitude=latitude,
            longitude=longitude,
            opening_hours=opening,
            secretariat_hours=secretariat,
            accessibility=[AccessibilityTag(tag).value for tag in accessibility],
            is_msp=kind == "msp",
        )
        new.append(practices[key])
    Practice.objects.bulk_create(new)

    # Entries.
    existing = {p.rpps: p for p in Practitioner.objects.filter(rpps__in=[entry.rpps for entry in entries])}
    new = []
    for entry in entries:
        if entry.rpps in existing:
            continue
        profession_code, _specialty = ROLES[entry.role]
        existing[entry.rpps] = Practitioner(
            rpps=entry.rpps,
            first_name=entry.first_name,
            last_name=entry.last_name,
            profession=professions[profession_code],
            territory=territory,
            **entry.fields,
        )
        new.append(existing[entry.rpps])
    for practitioner in new:
        practitioner.full_clean(
            exclude=["user", "territory", "profession"], validate_unique=False, validate_constraints=False
        )
    Practitioner.objects.bulk_create(new)
    by_ref = {entry.ref: existing[entry.rpps] for entry in entries}

    Practitioner.specialties.through.objects.bulk_create(
        [
            Practitioner.specialties.through(
                practitioner=existing[entry.rpps], specialty=specialties[ROLES[entry.role][1]]
            )
            for entry in entries
            if ROLES[entry.role][1]
        ],
        ignore_conflicts=True,
    )
    Activity.objects.bulk_create(
        [
            Activity(practitioner=existing[entry.rpps], practice=practices[key])
            for entry in entries
            for key in entry.practices
        ],
        ignore_conflicts=True,
    )

    # Channels: those of the practices, then those of each practitioner; created when missing.
    wanted = [(None, practices[key], channel) for key, channels in site_channels.items() for channel in channels]
    wanted += [(existing[entry.rpps], None, channel) for entry in entries for channel in entry.channels]
    owners = [practice.pk for practice in practices.values()]
    present = set(
        ContactChannel.objects.filter(practice__in=owners, practitioner=None).values_list(
            "practitioner_id", "practice_id", "audience", "kind", "value"
        )
    ) | set(
        ContactChannel.objects.filter(practitioner__in=[p.pk for p in existing.values()]).values_list(
            "practitioner_id", "practice_id", "audience", "kind", "value"
        )
    )
    new = []
    for practitioner, practice, channel in wanted:
        value = normalised_channel_value(channel["kind"], channel["value"])
        key = (
            practitioner.pk if practitioner else None,
            practice.pk if practice else None,
            channel["audience"],
            channel["kind"],
            value,
        )
        if key not in present:
            new.append(ContactChannel(practitioner=practitioner, practice=practice, **{**channel, "value": value}))
    # A visitor may have made another channel the preferred one: that one stays first (the conflict is skipped).
    ContactChannel.objects.bulk_create(new, ignore_conflicts=True)

    PractitionerTool.objects.bulk_create(
        [
            PractitionerTool(practitioner=existing[entry.rpps], tool=tools[slug], uses=uses, handle_or_link=handle)
            for entry in entries
            for slug, uses, handle in entry.tools
        ],
        ignore_conflicts=True,
    )

    # Absences this week and next, for whoever has none ending this week or later (so a rerun adds none, even late
    # in the week, when an absence of its first days is over).
    monday = today - datetime.timedelta(days=today.weekday())
    away = set(
        Absence.objects.filter(
            practitioner__in=[by_ref[ref].pk for ref, *_rest in ABSENCES], ends_on__gte=monday
        ).values_list("practitioner_id", flat=True)
    )
    Absence.objects.bulk_create(
        [
            Absence(
                practitioner=by_ref[ref],
                starts_on=monday + datetime.timedelta(days=first_day),
                ends_on=monday + datetime.timedelta(days=first_day + days - 1),
                replacement=by_ref[replacement] if replacement else None,
                note=note,
            )
            for ref, first_day, days, replacement, note in ABSENCES
            if by_ref[ref].pk not in away
        ]
    )

    happened = set(
        ChangeEvent.objects.filter(practitioner__in=[by_ref[ref].pk for ref, *_rest in CHANGES]).values_list(
            "practitioner_id", "kind"
        )
    )
    ChangeEvent.objects.bulk_create(
        [
            ChangeEvent(
                practitioner=by_ref[ref],
                kind=kind,
                happened_on=_day_of_month_before(today, months_before, day),
                territory=territory,
                note=note,
            )
            for ref, kind, months_before, day, note in CHANGES
            if (by_ref[ref].pk, kind) not in happened
        ]
    )
    # A new establishment this month (as the national import announces them): the newsletter says it opens.
    opened = practices["msp-essarts"]
    ChangeEvent.objects.get_or_create(
        practice=opened,
        kind=ChangeEvent.Kind.NEW_PRACTICE,
        defaults={"happened_on": _day_of_month_before(today, 0, 1), "territory": territory},
    )


# The demo accounts' own entries: how they work beyond their first channel.
ACCOUNT_TOOLS = {
    "generaliste": [("mssante", [ToolUse.REFERRALS, ToolUse.RESULTS]), ("omnidoc", [ToolUse.TELEEXPERTISE])],
    "generaliste2": [("mssante", [ToolUse.REFERRALS]), ("doctolib", [ToolUse.APPOINTMENTS])],
    "cardiologue": [("mssante", [ToolUse.REFERRALS]), ("omnidoc", [ToolUse.TELEEXPERTISE])],
    "dermatologue": [("mssante", [ToolUse.REFERRALS]), ("omnidoc", [ToolUse.TELEEXPERTISE])],
}


# The demo pharmacist's own entry, at one of the territory's pharmacies (they book SNP slots open to pharmacists).
PHARMACIST_RPPS_BODY = "1000000005"
PHARMACY = "Pharmacie des Halles"


def _pharmacist_entry(user: User, territory: Territory, pharmacist: Profession) -> None:
    entry, _created = Practitioner.objects.get_or_create(
        rpps=with_luhn_check_digit(PHARMACIST_RPPS_BODY),
        defaults={
            "first_name": user.first_name,
            "last_name": user.last_name,
            "territory": territory,
            "profession": pharmacist,
            "cpts_member_since": datetime.date(2023, 6, 1),
            "last_confirmed_at": timezone.now(),
        },
    )
    pharmacy = Practice.objects.filter(territory=territory, name=PHARMACY).first()
    if pharmacy is not None:
        Activity.objects.get_or_create(practitioner=entry, practice=pharmacy)
    ContactChannel.objects.get_or_create(
        practitioner=entry,
        practice=None,
        audience=Audience.PROFESSIONALS,
        preferred=True,
        defaults={"kind": ContactChannel.Kind.PROFESSIONAL_LINE, "value": "+33251000005", "hours": "9h-19h"},
    )
    _grant(user, Role.PROFESSIONAL, practitioner=entry, territory=territory)


@transaction.atomic
def seed_demo() -> dict[str, int]:
    """Creates or completes the demo territory; running it again changes nothing."""
    territory, _created = Territory.objects.get_or_create(
        slug="demo-bocage", defaults={"name": "CPTS du Bocage (démonstration)"}
    )
    # add() is idempotent; a database emptied by a test flush has no communes, and the demo then has none.
    territory.communes.add(*communes_within(insee_code=DEMO_CENTRE_INSEE, radius_km=DEMO_RADIUS_KM))
    professions, specialties, tools = _reference_rows()
    practices = {}
    for key, (name, address, insee_code, (latitude, longitude)) in PRACTICES.items():
        practice, _created = Practice.objects.get_or_create(name=name, territory=territory)
        # A database emptied by a test flush has no communes: the practice then keeps its position only.
        commune = Commune.objects.filter(insee_code=insee_code).first()
        place = {
            "address": address,
            "postal_code": commune.postal_codes[0] if commune else "",
            "city": commune.name if commune else "",
            "commune": commune,
            "latitude": latitude,
            "longitude": longitude,
        }
        if any(getattr(practice, name) != value for name, value in place.items()):
            for name, value in place.items():
                setattr(practice, name, value)
            practice.save(update_fields=[*place, "updated_at"])
        practices[key] = practice
    users = {account.local_part: _account(account) for account in DEMO_ACCOUNTS}
    for local_part, (first_name, last_name, rpps_body, specialty, practice) in PRACTITIONERS.items():
        practitioner, _created = Practitioner.objects.get_or_create(
            rpps=with_luhn_check_digit(rpps_body),
            defaults={
                "first_name": first_name,
                "last_name": last_name,
                "territory": territory,
                "civility": "Dr",
                "profession": professions["10"],
                "answers_teleexpertise": specialty != "SM54",
                "cpts_member_since": datetime.date(2022, 1, 1),
                "last_confirmed_at": timezone.now(),
            },
        )
        if practitioner.profession_id is None:  # entries of demo databases seeded before professions existed
            practitioner.profession = professions["10"]
            practitioner.save(update_fields=["profession", "updated_at"])
        practitioner.specialties.add(specialties[specialty])
        Activity.objects.get_or_create(practitioner=practitioner, practice=practices[practice])
        _grant(users[local_part], Role.PROFESSIONAL, practitioner=practitioner, territory=territory)
        kind, value, hours = PROFESSIONAL_CHANNELS[local_part]
        ContactChannel.objects.get_or_create(
            practitioner=practitioner,
            practice=None,
            audience=Audience.PROFESSIONALS,
            preferred=True,
            defaults={"kind": kind, "value": value, "hours": hours},
        )
        PractitionerTool.objects.bulk_create(
            [
                PractitionerTool(practitioner=practitioner, tool=tools[slug], uses=uses)
                for slug, uses in ACCOUNT_TOOLS[local_part]
            ],
            ignore_conflicts=True,
        )
    _grant(users["secretaire.cardio"], Role.SECRETARY, practices=[practices["cardio"]], territory=territory)
    _grant(users["secretaire.autre"], Role.SECRETARY, practices=[practices["dermato"]], territory=territory)
    _grant(users["coordinateur"], Role.COORDINATOR, territory=territory)
    _grant(users["regulateur"], Role.REGULATOR, territory=territory)
    _grant(users["observateur"], Role.OBSERVER, territory=territory)
    _seed_directory(territory, practices)
    _pharmacist_entry(users["pharmacien"], territory, professions["21"])
    entries = {local_part: users[local_part].practitioner for local_part in PRACTITIONERS}
    referrals = seed_referrals_demo(
        territory,
        DemoPeople(
            gp=users["generaliste"],
            gp2=users["generaliste2"],
            cardiologist=users["cardiologue"],
            dermatologist=users["dermatologue"],
            cardio_secretary=users["secretaire.cardio"],
            cardio_practice=practices["cardio"],
            dermato_practice=practices["dermato"],
            cardiologist_entry=entries["cardiologue"],
            dermatologist_entry=entries["dermatologue"],
        ),
    )
    slots = seed_snp_demo(
        territory,
        SnpDemoPeople(
            gp=users["generaliste"],
            gp2=users["generaliste2"],
            regulator=users["regulateur"],
            pharmacist=users["pharmacien"],
            coordinator=users["coordinateur"],
        ),
    )
    waitlist_entries = seed_waitlist_demo(
        territory,
        WaitlistDemoPeople(gp=users["generaliste"], gp2=users["generaliste2"], coordinator=users["coordinateur"]),
    )
    subscribers = seed_newsletter_demo(territory, users["coordinateur"])
    return {
        "referrals": referrals,
        "snp_slots": slots,
        "waitlist_entries": waitlist_entries,
        "newsletter_subscribers": subscribers,
        "accounts": len(users),
        "practitioners": Practitioner.objects.filter(territory=territory).count(),
        "practices": Practice.objects.filter(territory=territory).count(),
        "communes": territory.communes.count(),
    }

"""Synthetic but well-formed extracts of the Annuaire Santé file "PS_LibreAcces_Personne_activite".

For tests and benchmarks of ``import_rpps``: the 56 columns and the trailing ``|`` of the real file, one line per
activity, persons repeating over several lines (consecutive, as in the national file), RPPS numbers with their
Luhn key, a few persons still identified by ADELI (type 0), a realistic mix of professions and of the
savoir-faire of physicians (a few outside the portal's reference list), sites shared by several persons,
structure phone numbers (overseas ones with their own prefixes), departments sometimes left empty as in the real
file. Everything is fictitious; communes are real (``directory/data/communes-fr.csv.gz``), weighted by
population unless the caller names them.

Written for speed (a million lines in about ten seconds): one random draw per choice, per-person and per-site
fragments formatted once per line, written in large chunks. The import never relies on any of this.
"""

import bisect
import csv
import gzip
import random
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

from directory.rpps_import import COLUMNS

COMMUNES_FILE = Path(__file__).resolve().parent / "data" / "communes-fr.csv.gz"

HEADER = "|".join(COLUMNS) + "|\n"


def format_line(values: dict[int, str]) -> str:
    """One line of the extract from ``{column number (1-56): value}``; missing columns are empty."""
    return "|".join(values.get(number, "") for number in range(1, 57)) + "|\n"


def activity_line(
    *,
    rpps: str | None = None,
    adeli: str | None = None,
    last_name: str = "MARTIN",
    first_name: str = "Alice",
    civility: str = "DR",
    profession: str = "10",
    savoir_faire: str = "SM54",
    structure_id: str = "",
    site_name: str = "",
    street: str = "",
    postal_code: str = "",
    commune: str = "",
    commune_name: str = "",
    phone: str = "",
    department: str = "",
    siret: str = "",
    finess: str = "",
) -> str:
    """A single hand-made line, for tests that need precise content (an RPPS, a site, a commune…)."""
    id_type, identifier = ("8", rpps) if rpps is not None else ("0", adeli or "")
    profession_label, _weight, _civility = _PROFESSIONS.get(profession, (profession, 0, ""))
    return format_line(
        {
            1: id_type,
            2: identifier,
            3: id_type + identifier,
            4: civility,
            5: _CIVILITY_LABELS.get(civility, ""),
            6: "MME",
            7: "Madame",
            8: last_name,
            9: first_name,
            10: profession,
            11: profession_label,
            12: "C",
            13: "Civil",
            14: "S" if savoir_faire else "",
            15: "Spécialité ordinale" if savoir_faire else "",
            16: savoir_faire,
            17: _SAVOIR_FAIRE_LABELS.get(savoir_faire, savoir_faire),
            18: "L",
            19: "Libéral",
            20: siret,
            21: siret[:9],
            22: finess,
            24: structure_id,
            25: site_name,
            33: street,
            36: postal_code,
            37: commune,
            38: commune_name,
            39: "99000" if commune else "",
            40: "France" if commune else "",
            41: phone,
            45: department,
        }
    )


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_CIVILITY_LABELS = {"DR": "Docteur", "PR": "Professeur", "M": "Monsieur", "MME": "Madame"}

# Profession code -> (label, share of persons in thousandths, civility of practice); shares close to the
# national file's, rounded.
_PROFESSIONS = {
    "10": ("Médecin", 230, "DR"),
    "60": ("Infirmier", 300, ""),
    "21": ("Pharmacien", 80, "DR"),
    "70": ("Masseur-kinésithérapeute", 110, ""),
    "40": ("Chirurgien-dentiste", 50, "DR"),
    "50": ("Sage-femme", 30, ""),
    "80": ("Pédicure-podologue", 20, ""),
    "91": ("Orthophoniste", 40, ""),
    "92": ("Orthoptiste", 10, ""),
    "94": ("Ergothérapeute", 20, ""),
    "95": ("Diététicien", 15, ""),
    "96": ("Psychomotricien", 15, ""),
    "28": ("Opticien-lunetier", 30, ""),
    "26": ("Audioprothésiste", 10, ""),
    "99": ("Profession inconnue du portail", 5, ""),  # a code the reference data does not have
}
# Professions whose persons are often still identified by ADELI in the national file.
_ADELI_PROFESSIONS = frozenset({"91", "92", "94", "95", "96", "26", "28"})

# Savoir-faire of physicians -> share in thousandths. SM01 and SM44 are real codes the portal's reference list
# does not carry: the import skips and counts them.
_SAVOIR_FAIRE = {
    "SM54": 380,
    "SM53": 90,
    "SM26": 60,
    "SM04": 45,
    "SM73": 10,
    "SM15": 35,
    "SM48": 25,
    "SM24": 30,
    "SM16": 15,
    "SM30": 10,
    "SM19": 20,
    "SM20": 30,
    "SM08": 35,
    "SM40": 45,
    "SM42": 60,
    "SM38": 45,
    "SM34": 25,
    "SM41": 20,
    "SM32": 20,
    "SM01": 10,
    "SM44": 10,
}
_SAVOIR_FAIRE_LABELS = {
    "SM54": "Médecine générale (SM)",
    "SM53": "Spécialiste en Médecine Générale (SM)",
    "SM26": "Qualifié en Médecine Générale (SM)",
    "SM04": "Cardiologie et maladies vasculaires (SM)",
    "SM73": "Médecine cardiovasculaire (SM)",
    "SM15": "Dermatologie et vénéréologie (SM)",
    "SM48": "Rhumatologie (SM)",
    "SM24": "Gastro-entérologie et hépatologie (SM)",
    "SM16": "Endocrinologie et métabolisme (SM)",
    "SM30": "Néphrologie (SM)",
    "SM19": "Gynécologie médicale (SM)",
    "SM20": "Gynécologie-obstétrique (SM)",
    "SM08": "Chirurgie orthopédique et traumatologie (SM)",
    "SM40": "Pédiatrie (SM)",
    "SM42": "Psychiatrie (SM)",
    "SM38": "Ophtalmologie (SM)",
    "SM34": "O.R.L et chirurgie cervico faciale (SM)",
    "SM41": "Pneumologie (SM)",
    "SM32": "Neurologie (SM)",
    "SM01": "Anatomie et cytologie pathologiques (SM)",
    "SM44": "Radio-diagnostic (SM)",
}

_LAST_NAMES = _words(
    "MARTIN BERNARD THOMAS PETIT ROBERT RICHARD DURAND DUBOIS MOREAU LAURENT SIMON MICHEL LEFEBVRE LEROY "
    "ROUX DAVID BERTRAND MOREL FOURNIER GIRARD BONNET DUPONT LAMBERT FONTAINE ROUSSEAU VINCENT MULLER "
    "LEFEVRE FAURE ANDRE MERCIER BLANC GUERIN BOYER GARNIER CHEVALIER FRANCOIS LEGRAND GAUTHIER GARCIA "
    "PERRIN ROBIN CLEMENT MORIN NICOLAS HENRY ROUSSEL MATHIEU GAUTIER MASSON MARCHAND DUVAL DENIS DUMONT "
    "MARIE LEMAIRE NOEL MEYER DUFOUR MEUNIER BRUN BLANCHARD GIRAUD JOLY RIVIERE LUCAS BRUNET GAILLARD "
    "BARBIER ARNAUD MARTINEZ GERARD ROCHE RENARD SCHMITT ROY LEROUX COLIN VIDAL CARON PICARD ROGER FABRE "
    "AUBERT LEMOINE RENAUD DUMAS LACROIX OLIVIER PHILIPPE BOURGEOIS PIERRE BENOIT REY LECLERC PAYET "
    "ROLLAND LECLERCQ GUILLAUME LECOMTE LOPEZ JEAN DUPUY GUILLOT HUBERT BERGER CARPENTIER SANCHEZ DUPUIS "
    "MOULIN LOUIS DESCHAMPS HUET VASSEUR PEREZ BOUCHER FLEURY ROYER KLEIN JACQUET ADAM PARIS POIRIER "
    "MARTY AUBRY GUYOT CARRE CHARLES RENAULT CHARPENTIER MENARD MAILLARD BARON BERTIN BAILLY HERVE "
    "SCHNEIDER FERNANDEZ LEGALL COLLET LEGER BOUVIER JULIEN PREVOST MILLET PERROT DANIEL COUSIN "
    "GERMAIN BRETON BESSON LANGLOIS REMY LEGOFF PELLETIER LEVEQUE PERRIER LEBLANC BARRE LEBRUN MARCHAL "
    "WEBER MALLET HAMON BOULANGER JACOB MONNIER MICHAUD RODRIGUEZ GUICHARD GILLET ETIENNE GRONDIN POULAIN "
    "TESSIER CHEVALLIER COLLIN CHAUVIN DASILVA BOUCHET GAY LEMAITRE BENARD MARECHAL HUMBERT REYNAUD "
    "ANTOINE HOARAU PERRET BARTHELEMY CORDIER PICHON LEJEUNE GILBERT LAMY DELAUNAY PASQUIER CARLIER "
    "LAPORTE BENALI NGUYEN DIALLO HADDAD TRAORE KOUASSI BENSAID"
)
_FIRST_NAMES = _words(
    "Marie Jean Pierre Michel Philippe Nathalie Isabelle Sylvie Catherine Françoise Alain Patrick Nicolas "
    "Christophe Stéphane Sandrine Valérie Christine Céline Julie Aurélie Sophie Camille Léa Manon Emma "
    "Chloé Inès Sarah Lucas Hugo Louis Thomas Antoine Maxime Julien Alexandre Mathieu Élodie Émilie Anne "
    "Hélène Laurent Frédéric Olivier Éric David Sébastien Vincent Caroline Audrey Karima Mehdi Yasmine "
    "Amadou Fatou Thi Minh Jérôme Bénédicte Agnès Gaëlle Maëlle Noémie Loïc Gaël Cédric Hervé Joël"
)
_STREETS = (
    ("R", "Rue", "DE LA REPUBLIQUE"),
    ("R", "Rue", "DU GENERAL DE GAULLE"),
    ("R", "Rue", "DES LILAS"),
    ("R", "Rue", "PASTEUR"),
    ("R", "Rue", "VICTOR HUGO"),
    ("R", "Rue", "DE L'EGLISE"),
    ("AV", "Avenue", "JEAN JAURES"),
    ("AV", "Avenue", "DE LA GARE"),
    ("BD", "Boulevard", "DES ETATS-UNIS"),
    ("BD", "Boulevard", "ARISTIDE BRIAND"),
    ("PL", "Place", "DU MARCHE"),
    ("PL", "Place", "NAPOLEON"),
    ("CHE", "Chemin", "DES VIGNES"),
    ("IMP", "Impasse", "DES TILLEULS"),
    ("ALL", "Allée", "DES PINS"),
)
# Kind of site for each profession: (site names, activity sector code, sector label).
_SITE_KINDS = {
    "medical": (("CABINET MEDICAL", "MAISON DE SANTE", "CENTRE MEDICAL", "CABINET DU DOCTEUR"), "SA07"),
    "dental": (("CABINET DENTAIRE", "CENTRE DENTAIRE"), "SA07"),
    "nursing": (("CABINET INFIRMIER", "CABINET DE SOINS INFIRMIERS"), "SA07"),
    "pharmacy": (("PHARMACIE", "PHARMACIE DU CENTRE", "GRANDE PHARMACIE"), "SA33"),
    "physio": (("CABINET DE KINESITHERAPIE", "CENTRE DE REEDUCATION"), "SA07"),
    "hospital": (("CENTRE HOSPITALIER", "CLINIQUE", "POLYCLINIQUE"), "SA01"),
    "other": (("CABINET", "CABINET PARAMEDICAL", "CENTRE DE SANTE"), "SA07"),
}
_SITE_KIND_OF_PROFESSION = {
    "10": "medical",
    "50": "medical",
    "40": "dental",
    "60": "nursing",
    "21": "pharmacy",
    "70": "physio",
}
_SECTOR_LABELS = {"SA07": "Cabinet individuel", "SA33": "Pharmacie d'officine", "SA01": "Etablissement public"}
# Overseas departments dial their own prefixes (a Réunion number is 0262…, its E.164 +262262…).
_OVERSEAS_PHONE_PREFIXES = {"971": "0590", "972": "0596", "973": "0594", "974": "0262", "976": "0269"}
_METROPOLITAN_PREFIX_OF_REGION_DIGIT = "0102030405"


@dataclass(frozen=True)
class _Commune:
    code: str
    name: str
    postal_code: str
    department: str

    @property
    def upper_name(self) -> str:
        return self.name.upper()


def _load_communes(codes: Sequence[str] | None) -> tuple[list[_Commune], list[int]]:
    """The communes to place sites in, and cumulative weights (population, or equal weights when named)."""
    known: dict[str, tuple[str, str, str, int]] = {}
    with gzip.open(COMMUNES_FILE, "rt", encoding="utf-8", newline="") as file:
        for row in csv.DictReader(file):
            if codes is None or row["insee_code"] in codes:
                known[row["insee_code"]] = (
                    row["name"],
                    row["postal_codes"].split()[0] if row["postal_codes"] else "",
                    row["department"],
                    int(row["population"] or 0),
                )
    if codes is None:
        communes = [_Commune(code, name, postal, dept) for code, (name, postal, dept, _pop) in known.items()]
        weights = [max(pop, 1) for (_name, _postal, _dept, pop) in known.values()]
    else:
        # A code the reference data lacks is written as given: that is how tests make an unknown commune.
        communes = []
        for code in codes:
            name, postal, dept, _pop = known.get(code, (f"COMMUNE {code}", code[:2] + "000", "", 0))
            communes.append(_Commune(code, name, postal, dept))
        weights = [1] * len(communes)
    return communes, list(accumulate(weights))


_DOUBLED_DIGIT = {str(digit): (2 * digit if digit < 5 else 2 * digit - 9) for digit in range(10)}


def _with_luhn_key(body: str) -> str:
    """``body`` and its Luhn check digit, computed directly (the lib's helper tries the ten digits: too slow for
    a million lines). The check digit is not doubled, so the body's last digit is, and every other one leftwards."""
    doubled = sum(map(_DOUBLED_DIGIT.__getitem__, body[-1::-2]))
    kept = sum(map(int, body[-2::-2]))
    return body + str(-(doubled + kept) % 10)


def _department_label(code: str) -> str:
    return f"Département {code}" if code else ""


def write_extract(
    path: str | Path,
    *,
    lines: int,
    seed: int = 0,
    communes: list[str] | None = None,
    first_person: int = 0,
    adeli_share: float = 0.06,
    without_site_share: float = 0.01,
    empty_department_share: float = 0.3,
) -> dict:
    """Writes a header and ``lines`` activity lines to ``path``; returns ``{"lines", "persons"}``.

    The same arguments write the same file. Persons are numbered from ``first_person`` (their RPPS derives from
    that number and ``seed``), so two files can share persons. About ``adeli_share`` of the persons are
    identified by ADELI (drawn among the professions still registered there), ``without_site_share`` of the
    activities have no site, and ``empty_department_share`` of the sites leave the department column empty. Sites
    are drawn among ``lines / 10`` structures of each kind (medical, nursing, pharmacy…), so most are shared.
    """
    rng = random.Random(seed)
    random_float = rng.random
    commune_list, cumulative = _load_communes(communes)
    total_weight = cumulative[-1]
    profession_codes = list(_PROFESSIONS)
    profession_cumulative = list(accumulate(value[1] for value in _PROFESSIONS.values()))
    savoir_faire_codes = list(_SAVOIR_FAIRE)
    savoir_faire_cumulative = list(accumulate(_SAVOIR_FAIRE.values()))
    kinds = list(_SITE_KINDS)
    # Structure numbers of each kind live in their own range; the sizes keep about 2.5 lines per site.
    sites_per_kind = max(lines // 10, 1)
    adeli_professions_share = sum(_PROFESSIONS[code][1] for code in _ADELI_PROFESSIONS) / profession_cumulative[-1]
    adeli_probability = min(1.0, adeli_share / adeli_professions_share)
    site_offset = {kind: 100_000_000 * (index + 1) + seed * 10_000_000 for index, kind in enumerate(kinds)}
    rpps_prefix = f"1{seed % 100:02d}"

    def site_fields(kind: str, number: int) -> str:
        """Columns 20 to 47 of a site: derived from its number only, so every line of a site says the same."""
        mixed = (number * 2654435761) & 0xFFFFFFFF
        commune = commune_list[bisect.bisect_right(cumulative, mixed * total_weight >> 32) % len(commune_list)]
        names, sector = _SITE_KINDS[kind]
        street_code, street_type, street_name = _STREETS[mixed % len(_STREETS)]
        site_name = f"{names[mixed % len(names)]} {street_name}" if mixed % 3 else names[mixed % len(names)]
        department = commune.department
        prefix = _OVERSEAS_PHONE_PREFIXES.get(department)
        if prefix is None:
            prefix = _METROPOLITAN_PREFIX_OF_REGION_DIGIT[(mixed % 5) * 2 : (mixed % 5) * 2 + 2]
            phone = f"{prefix}{mixed % 100_000_000:08d}"
        else:
            phone = f"{prefix}{mixed % 1_000_000:06d}"
        if mixed % 7 == 0:
            phone = ""
        siret = _with_luhn_key(f"{(mixed * 7919) % 10**13:013d}") if mixed % 4 == 0 else ""
        finess = ""
        if kind == "hospital" and department.isdigit() and len(department) == 2:
            finess = _with_luhn_key(f"{department}{mixed % 1_000_000:06d}")
        shown_department = "" if (mixed % 1000) < empty_department_share * 1000 else department
        # Columns 20 to 50: SIRET, SIREN, FINESS site, FINESS EJ, structure id, raison sociale, enseigne, two
        # address complements, number, repetition index, street type code and label, street, distribution,
        # cedex office, postal code, commune code and name, country code and name, phone, phone 2, fax, e-mail,
        # department code and label, former structure id, registration authority, activity sector code and label.
        return (
            f"{siret}|{siret[:9]}|{finess}||R{number:014d}|{site_name}|||{'BATIMENT B' if mixed % 11 == 0 else ''}|"
            f"{mixed % 120 + 1}|{'B' if mixed % 13 == 0 else ''}|{street_code}|{street_type}|{street_name}||"
            f"{commune.postal_code} {commune.upper_name}|{commune.postal_code}|{commune.code}|{commune.name}|"
            f"99000|France|{phone}||||{shown_department}|{_department_label(shown_department)}|||"
            f"{sector}|{_SECTOR_LABELS[sector]}"
        )

    empty_site = "|" * 30  # columns 20 to 50, all empty: an activity without a site
    persons = 0
    written = 0
    chunk: list[str] = []
    with open(path, "w", encoding="utf-8", newline="\n") as file:
        file.write(HEADER)
        person = first_person
        while written < lines:
            draw = random_float()
            profession = profession_codes[
                bisect.bisect_right(profession_cumulative, draw * profession_cumulative[-1]) % len(profession_codes)
            ]
            label, _share, civility = _PROFESSIONS[profession]
            is_adeli = profession in _ADELI_PROFESSIONS and random_float() < adeli_probability
            if is_adeli:
                department_digits = f"{(person % 95) + 1:02d}"
                identifier = f"{department_digits}{int(profession) % 100:02d}{(person + seed * 7919) % 100_000:05d}"
                id_type = "0"
            else:
                identifier = _with_luhn_key(f"{rpps_prefix}{person:07d}")
                id_type = "8"
            woman = random_float() < 0.6
            last_name = _LAST_NAMES[int(random_float() * len(_LAST_NAMES))]
            first_name = _FIRST_NAMES[int(random_float() * len(_FIRST_NAMES))]
            if profession == "10":
                savoir_faire = savoir_faire_codes[
                    bisect.bisect_right(savoir_faire_cumulative, random_float() * savoir_faire_cumulative[-1])
                    % len(savoir_faire_codes)
                ]
                savoir_faire_part = f"S|Spécialité ordinale|{savoir_faire}|{_SAVOIR_FAIRE_LABELS[savoir_faire]}"
            else:
                savoir_faire_part = "|||"
            salaried = random_float() < 0.25
            mode = "S|Salarié" if salaried else "L|Libéral"
            person_part = (
                f"{id_type}|{identifier}|{id_type}{identifier}|{civility}|{_CIVILITY_LABELS.get(civility, '')}|"
                f"{'MME|Madame' if woman else 'M|Monsieur'}|{last_name}|{first_name}|{profession}|{label}|"
                f"C|Civil|{savoir_faire_part}|{mode}"
            )
            tail = f"|{'A' if profession == '21' else ''}|{'Section A' if profession == '21' else ''}|FON-01|"
            tail += "Fonction non définie|GENR01|Activité standard de soin ou de pharmacien|\n"
            draw = random_float()
            activity_count = 1 if draw < 0.55 else 2 if draw < 0.85 else 3
            kind = "hospital" if salaried else _SITE_KIND_OF_PROFESSION.get(profession, "other")
            for _activity in range(min(activity_count, lines - written)):
                if random_float() < without_site_share:
                    site = empty_site
                else:
                    number = site_offset[kind] + int(random_float() * sites_per_kind)
                    site = site_fields(kind, number)
                chunk.append(f"{person_part}|{site}{tail}")
                written += 1
            persons += 1
            person += 1
            if len(chunk) >= 20_000:
                file.writelines(chunk)
                chunk.clear()
        file.writelines(chunk)
    return {"lines": written, "persons": persons}

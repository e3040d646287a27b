"""Specialties of the RPPS nomenclature (TRE_R38) that name one discipline under successive training regimes.

The nomenclature keeps every qualification a physician can hold, so one discipline has several codes: a GP
qualified by the Order before the 2004 reform holds SM26, one with the DES of general medicine SM53 or SM54;
the DES created in 2017 added « Médecine cardiovasculaire » (SM73) beside « Cardiologie et maladies
vasculaires » (SM04) and « Endocrinologie, diabétologie, nutrition » (SM62) beside « Endocrinologie et
métabolisme » (SM16); ENT has SM34 and SM39. They are not duplicates: the Annuaire Santé gives each person the
code of their own qualification, the RPPS import links specialties by that code (an unknown code is skipped),
and the FHIR export publishes it, so merging them would lose data at the next import. Lists that show them side
by side (the dashboard's filter) group them under the discipline's name and show each one's code.
"""

import unicodedata

from django.utils.translation import gettext_lazy as _

# code -> the discipline it belongs to, for the codes that share one.
FAMILIES = {
    "SM54": _("Médecine générale"),
    "SM53": _("Médecine générale"),
    "SM26": _("Médecine générale"),
    "SM04": _("Cardiologie"),
    "SM73": _("Cardiologie"),
    "SM16": _("Endocrinologie"),
    "SM62": _("Endocrinologie"),
    "SM34": _("ORL"),
    "SM39": _("ORL"),
}


def specialty_family(code: str) -> str | None:
    """The discipline shared with other codes, or None for a specialty that is alone in its discipline."""
    family = FAMILIES.get(code)
    return str(family) if family is not None else None


def specialty_choice_label(specialty) -> str:
    """The label with its code, « Médecine générale (SM54) »: two options never read the same."""
    return f"{specialty.label} ({specialty.code})"


def grouped_specialty_choices(specialties) -> list:
    """Choices for a select, sorted by label: a specialty alone in its discipline as one option, the codes of a
    shared discipline as an ``<optgroup>`` named after it, placed where that name sorts (a discipline with one
    code in the list is one option too)."""
    entries: list[tuple[str, object]] = []
    groups: dict[str, list] = {}
    for specialty in specialties:
        family = specialty_family(specialty.code)
        option = (specialty.pk, specialty_choice_label(specialty))
        if family is None:
            entries.append((specialty.label, option))
        else:
            if family not in groups:
                groups[family] = []
                entries.append((family, (family, groups[family])))
            groups[family].append(option)
    for options in groups.values():
        options.sort(key=lambda option: _sort_key(option[1]))
    entries.sort(key=lambda entry: _sort_key(entry[0]))
    return [_alone_if_single(choice) for _key, choice in entries]


def _alone_if_single(choice):
    _value, label = choice
    return label[0] if isinstance(label, list) and len(label) == 1 else choice


def _sort_key(text: str) -> str:
    """French order: accents and case do not count (« Écho » between « Dermato » and « Gastro »)."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()

"""Checks of French health identifiers, shared by every app that receives one.

RPPS: 11 digits, Luhn check digit. ADELI: 9 characters. NIR/INS: 15 characters, key = 97 - (number mod 97),
with Corsica's 2A/2B department codes replaced by 19/18 for the computation. SIRET (an establishment): 14 digits,
Luhn check digit, except La Poste's offices (SIREN 356 000 000, head office 356 000 000 00048 aside), whose 14
digits add up to a multiple of 5.
FINESS (a health or social establishment): 9 characters, the department (2 characters, 2A/2B for Corsica) then
6 digits and a Luhn check digit over the first 8.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_DIGITS = re.compile(r"^\d+$")
_NIR = re.compile(r"^[12378]\d{2}(0[1-9]|1[0-2]|[2-9]\d)(\d{2}|2A|2B)\d{6}\d{2}$")


def luhn_is_valid(number: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def rpps_is_valid(value: str) -> bool:
    return len(value) == 11 and bool(_DIGITS.match(value)) and luhn_is_valid(value)


def validate_rpps(value: str) -> None:
    if not rpps_is_valid(value or ""):
        raise ValidationError(
            _("Numéro RPPS invalide : 11 chiffres dont une clé de contrôle (« %(value)s »)."),
            code="invalid_rpps",
            params={"value": value},
        )


_ADELI = re.compile(r"^\d[\dAB]\d{7}$")


def adeli_is_valid(value: str) -> bool:
    """ADELI (the register that preceded RPPS for some professions): the department then 7 digits."""
    return bool(_ADELI.match(value or ""))


def validate_adeli(value: str) -> None:
    if not adeli_is_valid(value):
        raise ValidationError(
            _("Numéro ADELI invalide : 9 caractères, le département puis 7 chiffres (« %(value)s »)."),
            code="invalid_adeli",
            params={"value": value},
        )


def nir_key(body: str) -> int:
    """The 2-digit key of a 13-character NIR body (Corsica handled)."""
    department = body[5:7].upper()
    digits = body[:5] + {"2A": "19", "2B": "18"}.get(department, department) + body[7:]
    return 97 - (int(digits) % 97)


def nir_is_valid(value: str) -> bool:
    cleaned = re.sub(r"\s", "", value or "").upper()
    if not _NIR.match(cleaned):
        return False
    return nir_key(cleaned[:13]) == int(cleaned[13:])


def validate_nir(value: str) -> None:
    if not nir_is_valid(value):
        raise ValidationError(
            _("Matricule INS / NIR invalide : 15 caractères dont une clé de contrôle."), code="invalid_nir"
        )


def with_luhn_check_digit(body: str) -> str:
    """Appends the Luhn check digit to a string of digits (fictitious RPPS numbers for demo and tests)."""
    for digit in "0123456789":
        if luhn_is_valid(body + digit):
            return body + digit
    raise AssertionError("unreachable: one digit always completes a Luhn number")


_SIRET = re.compile(r"^\d{14}$")
_FINESS = re.compile(r"^(\d{2}|2A|2B)\d{7}$")
# La Poste registered all its offices under one SIREN, more than the NIC's check digit can number: INSEE checks
# those SIRET with the sum of their digits instead. The head office keeps an ordinary Luhn key.
_LA_POSTE_SIREN = "356000000"
_LA_POSTE_HEAD_OFFICE = "35600000000048"


def _without_spaces(value: str) -> str:
    return re.sub(r"\s", "", value or "").upper()


def siret_is_valid(value: str) -> bool:
    cleaned = _without_spaces(value)
    if not _SIRET.match(cleaned):
        return False
    if cleaned.startswith(_LA_POSTE_SIREN) and cleaned != _LA_POSTE_HEAD_OFFICE:
        return sum(int(digit) for digit in cleaned) % 5 == 0
    return luhn_is_valid(cleaned)


def validate_siret(value: str) -> None:
    if not siret_is_valid(value):
        raise ValidationError(
            _("Numéro SIRET invalide : 14 chiffres dont une clé de contrôle (« %(value)s »)."),
            code="invalid_siret",
            params={"value": value},
        )


def finess_is_valid(value: str) -> bool:
    """9 characters; the last is the Luhn check digit of the first 8.

    Corsica (2A, 2B): the format is checked, not the key. How the ANS computes the key over a department with a
    letter is not published where we could verify it (the NIR's 19/18 substitution is not documented for FINESS),
    and refusing a real Corsican establishment would be worse than accepting a mistyped one.
    """
    cleaned = _without_spaces(value)
    if not _FINESS.match(cleaned):
        return False
    if cleaned[:2] in ("2A", "2B"):
        return True
    return luhn_is_valid(cleaned)


def validate_finess(value: str) -> None:
    if not finess_is_valid(value):
        raise ValidationError(
            _("Numéro FINESS invalide : 9 caractères dont une clé de contrôle (« %(value)s »)."),
            code="invalid_finess",
            params={"value": value},
        )

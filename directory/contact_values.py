"""Parses and normalises what a contact channel holds, by kind: phone numbers, MSSanté and e-mail addresses, links.

Raises ``ValidationError`` with a French message; ``ContactChannel.clean()`` calls it, so the services (through
``full_clean()``) and the admin store the same normalised value.
"""

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.utils.translation import gettext as _

from directory.models import ContactChannel

Kind = ContactChannel.Kind

PHONE_KINDS = frozenset({Kind.PHONE, Kind.PROFESSIONAL_LINE, Kind.SECRETARY, Kind.FAX})
LINK_KINDS = frozenset({Kind.BOOKING_LINK, Kind.WEBSITE})
# The national secure health messaging space: every operator's domain ends with it (medecin.mssante.fr,
# ch-xxx.mssante.fr, pharmacien.mssante.fr…).
MSSANTE_DOMAIN = "mssante.fr"

_validate_url = URLValidator(schemes=["https", "http"])


# National numbers of the overseas departments and collectivities (0262 Réunion, 0590 Guadeloupe…) are not in
# metropolitan France's plan: typed without +262/+590, they are read in each of these regions in turn.
_OVERSEAS_REGIONS = ("RE", "YT", "GP", "MQ", "GF", "BL", "MF", "PM")


def _parsed(value: str, region: str):
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def phone_number_e164(value: str) -> str:
    """A French (overseas included) or international number in E.164 ("02 51 44 61 61" -> "+33251446161",
    "0262 21 21 21" -> "+262262212121"); refused when invalid."""
    number = _parsed(value, "FR")
    for region in _OVERSEAS_REGIONS:
        if number is not None:
            break
        number = _parsed(value, region)
    if number is None:
        raise ValidationError(
            _("Numéro de téléphone invalide : « %(value)s ».") % {"value": value}, code="invalid_phone"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# Country codes of France and its overseas departments and territories, for a patient's number (SMS, calls).
FRENCH_COUNTRY_CODES = ("+33", "+262", "+269", "+508", "+590", "+594", "+596", "+687", "+689")


def french_phone_e164(value: str) -> str:
    """``phone_number_e164`` for a number that must be French (a patient's: SMS and calls); a foreign or invalid
    one is refused with the same ValidationError."""
    number = phone_number_e164(value)
    if not number.startswith(FRENCH_COUNTRY_CODES):
        raise ValidationError(
            _("Numéro de téléphone invalide : « %(value)s ».") % {"value": value}, code="invalid_phone"
        )
    return number


def mssante_address(value: str) -> str:
    """An e-mail address of the MSSanté space (its domain ends with mssante.fr), lower-cased."""
    address = value.strip().lower()
    try:
        validate_email(address)
    except ValidationError:
        raise ValidationError(
            _("Adresse MSSanté invalide : « %(value)s ».") % {"value": value}, code="invalid_mssante"
        ) from None
    domain = address.rpartition("@")[2]
    if domain != MSSANTE_DOMAIN and not domain.endswith("." + MSSANTE_DOMAIN):
        raise ValidationError(
            _("« %(value)s » n'est pas une adresse MSSanté : son domaine doit se terminer par mssante.fr.")
            % {"value": value},
            code="invalid_mssante",
        )
    return address


def normalised_channel_value(kind: str, value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError(_("Indiquez la coordonnée."), code="required")
    if kind in PHONE_KINDS:
        return phone_number_e164(value)
    if kind == Kind.MSSANTE:
        return mssante_address(value)
    if kind == Kind.EMAIL:
        try:
            validate_email(value)
        except ValidationError:
            raise ValidationError(
                _("Adresse e-mail invalide : « %(value)s ».") % {"value": value}, code="invalid_email"
            ) from None
        return value
    if kind in LINK_KINDS:
        try:
            _validate_url(value)
        except ValidationError:
            raise ValidationError(
                _("Lien invalide : « %(value)s » (une adresse web commençant par https://).") % {"value": value},
                code="invalid_url",
            ) from None
        return value
    raise ValidationError(_("Type de moyen de contact inconnu."), code="invalid_kind")


def display_value(kind: str, value: str) -> str:
    """How a stored value reads on a page: phone numbers in the French national format ("02 51 00 00 00")."""
    if kind in PHONE_KINDS:
        try:
            number = phonenumbers.parse(value, "FR")
        except phonenumbers.NumberParseException:
            return value
        region = phonenumbers.region_code_for_number(number)
        style = (
            phonenumbers.PhoneNumberFormat.NATIONAL if region == "FR" else phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
        return phonenumbers.format_number(number, style)
    return value

"""Amounts typed in euros ("23,00", "23.5"): parsed once, refused in French on the field ``amount``."""

from decimal import Decimal, InvalidOperation

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from core.errors import ApplicationError

MAX_EUROS = Decimal("100000")


def euros_checked(amount, *, example: Decimal = Decimal("23.00")) -> Decimal:
    """A positive amount in euros and cents, under 100,000; ``example`` is shown in the reader's format."""
    try:
        value = Decimal(str(amount).replace(",", ".").strip())
    except InvalidOperation:
        raise ApplicationError(
            _("Le montant doit être un nombre, par exemple %(example)s.") % {"example": number_format(example, 2)},
            field="amount",
        ) from None
    if not value.is_finite() or value <= 0:
        raise ApplicationError(_("Le montant doit être supérieur à zéro."), field="amount")
    if value >= MAX_EUROS or value != value.quantize(Decimal("0.01")):
        raise ApplicationError(_("Le montant s'écrit en euros et centimes, au plus 99 999,99."), field="amount")
    return value

"""Who may do what with the newsletter: named predicates for ``permission_required``, the API and the menu."""

from accounts.models import User
from directory.permissions import coordinated_territory_ids


def can_manage_newsletter(user: User) -> bool:
    """A coordinator of a territory: its issues, its subscribers, their import (the issue's or subscriber's own
    territory is checked by the selectors: another territory's answers 404)."""
    return bool(coordinated_territory_ids(user))


# The issues' pages and API ask under this name.
can_edit_newsletter = can_manage_newsletter

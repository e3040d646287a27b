"""Who may do what with the newsletter: named predicates for the pages, the API and the menu."""

from directory.permissions import coordinated_territory_ids


def can_edit_newsletter(user) -> bool:
    """A coordinator of some territory writes its issues (the issue's own territory is checked by the
    selectors: another territory's issue is 404)."""
    return bool(coordinated_territory_ids(user))

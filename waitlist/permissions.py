"""Who may open which waiting-list page: named predicates for ``permission_required``, the API and the menu.
Which entries a user reaches is decided by ``waitlist.scope`` and the selectors."""

from accounts.models import User
from accounts.roles import Role, has_role
from waitlist.scope import waitlist_actor_for


def can_pledge(user: User) -> bool:
    """A GP with a directory entry in a territory that keeps a waiting list: pledges, draws, answers."""
    actor = waitlist_actor_for(user)
    return actor.is_gp and actor.gp_list_id is not None


def can_coordinate_waitlist(user: User) -> bool:
    """A coordinator of a territory that keeps a list: entries, rules, duplicates, handovers, exports."""
    return waitlist_actor_for(user).coordinates


def can_see_waitlist_statistics(user: User) -> bool:
    """Coordinators and observers (ARS, CPAM): aggregates only; observers never see an entry."""
    return waitlist_actor_for(user).sees_statistics


def can_see_accepting_gps(user: User) -> bool:
    """Professionals (pharmacists, midwives, nurses first) and coordinators: which GPs take new patients, with
    no patient data."""
    return has_role(user, Role.PROFESSIONAL) or waitlist_actor_for(user).coordinates


def can_upload_handover_patients(user: User) -> bool:
    """The coordination, and the professionals and secretaries of a departing GP's practice: the CSV of the
    patients of a handover plan (``waitlist.selectors.coordination.handover_plans_uploadable_by`` says which)."""
    return waitlist_actor_for(user).coordinates or has_role(user, Role.PROFESSIONAL, Role.SECRETARY)


# The menu's predicates: asked on every page, so they read the memoised roles only (no query of their own); the
# pages themselves check the scope above.
def shows_waitlist_coordination(user: User) -> bool:
    return has_role(user, Role.COORDINATOR)


def shows_waitlist_statistics(user: User) -> bool:
    return has_role(user, Role.COORDINATOR, Role.OBSERVER)


def shows_waitlist_for_professionals(user: User) -> bool:
    """« Liste d'attente »: a GP's pledges, for other professionals the GPs who accept new patients."""
    return has_role(user, Role.PROFESSIONAL)

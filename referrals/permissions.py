"""Who may do what in the referrals: named predicates for the views' ``permission_required`` and the menu (roles
are memoised for the request, so most of these cost no query), and the registry of the actions on one request
(``REFERRAL_ACTIONS``, ``referral_actions_for``) that drives both the request page and the API. Which requests a
user sees is decided by ``referrals.scope`` and the selectors; each action's rules live in ``referrals.rules``."""

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module

from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import Role, has_role
from directory.models import Practice
from directory.permissions import coordinated_territory_ids
from referrals.models import Referral
from referrals.rules import ACTION_SIDES, RECIPIENT, SENDER, action_refusal
from referrals.scope import Actor, actor_for

# Aggregated figures, never a patient: the territory's coordinators and its observers (ARS, CPAM).
DASHBOARD_ROLES = (Role.COORDINATOR, Role.OBSERVER)


def can_send_referrals(user: User) -> bool:
    """A professional acting for their directory entry writes requests (``referral_send`` checks the entry)."""
    return has_role(user, Role.PROFESSIONAL)


def can_work_referral_inbox(user: User) -> bool:
    """Professionals and secretaries have a referral inbox (empty until a request reaches them)."""
    return has_role(user, Role.PROFESSIONAL, Role.SECRETARY)


def can_list_teleexpertise_acts(user: User) -> bool:
    """Every professional: each sees only their own acts (a professional without acts sees an empty month)."""
    return has_role(user, Role.PROFESSIONAL)


def can_manage_tariffs(user: User) -> bool:
    """Coordinators keep the tariff table (national prices: any coordinator, as for the directory's exports)."""
    return bool(coordinated_territory_ids(user))


def can_see_dashboard(user: User) -> bool:
    """Coordinators and observers of a territory (both roles always have one): the figures are aggregated,
    never a patient."""
    return has_role(user, *DASHBOARD_ROLES)


def can_follow_overdue_referrals(user: User) -> bool:
    """Coordinators of at least one territory follow its late requests (status and delays only)."""
    return bool(coordinated_territory_ids(user))


def can_choose_new_request_notices(user: User) -> bool:
    """Who opens the page where a practice chooses how it hears of new requests: its secretaries and
    practitioners (each for their own practices) and the coordinators (for their territory's practices)."""
    return has_role(user, Role.PROFESSIONAL, Role.SECRETARY) or bool(coordinated_territory_ids(user))


def can_set_new_request_notices(user: User | Actor, practice: Practice) -> bool:
    """A practice's choice of new-request notices is made by its secretaries, the practitioners who work there
    and the coordinators of its territory."""
    actor = actor_for(user)
    if practice.pk in actor.practice_ids:
        return True
    return practice.territory_id is not None and practice.territory_id in coordinated_territory_ids(actor.user)


# --- The actions on one request -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferralAction:
    """One action a user may take on a request, for the page's buttons and the API's operations alike.

    ``name`` is the page's action value and, with dashes, the API's path segment; ``inputs`` are the keyword
    inputs of the service beyond ``acting_user`` and ``referral``, the same from the page and from the API;
    ``perform(acting_user=, referral=, **inputs)`` is the service call, which checks every rule itself."""

    name: str
    label: str
    side: str
    inputs: tuple[str, ...]
    perform: Callable[..., Referral]


def _service(module: str, name: str) -> Callable[..., Referral]:
    """The service ``module.name``, imported when first called: the services import this module (tariffs)."""

    def perform(**kwargs) -> Referral:
        return getattr(import_module(module), name)(**kwargs)

    perform.__name__ = perform.__qualname__ = name
    perform.__doc__ = f"Calls ``{module}.{name}``."
    return perform


_SERVICES = "referrals.services"
_HANDLING = "referrals.services.handling"

# Every action on a request, in the order the page shows them.
REFERRAL_ACTIONS: dict[str, ReferralAction] = {
    action.name: action
    for action in (
        ReferralAction(
            "acknowledge", _("Prendre en compte"), RECIPIENT, (), _service(_SERVICES, "referral_acknowledge")
        ),
        ReferralAction(
            "request_info",
            _("Demander des précisions"),
            RECIPIENT,
            ("message",),
            _service(_SERVICES, "referral_request_info"),
        ),
        ReferralAction(
            "accept",
            _("Accepter et donner un rendez-vous"),
            RECIPIENT,
            ("appointment_at", "site", "instructions", "confirm_unusual_hour"),
            _service(_SERVICES, "referral_accept"),
        ),
        ReferralAction(
            "answer", _("Répondre par écrit"), RECIPIENT, ("answer",), _service(_SERVICES, "referral_answer")
        ),
        ReferralAction(
            "decline",
            _("Refuser"),
            RECIPIENT,
            ("reason", "suggested_practitioner"),
            _service(_SERVICES, "referral_decline"),
        ),
        ReferralAction(
            "close",
            _("Clôturer la demande (avec le compte-rendu de la consultation quand le patient a été vu)"),
            RECIPIENT,
            ("note", "report"),
            _service(_SERVICES, "referral_close"),
        ),
        ReferralAction(
            "forward",
            _("Transférer à un confrère"),
            RECIPIENT,
            ("to_practitioner", "note"),
            _service(_HANDLING, "referral_forward"),
        ),
        ReferralAction(
            "convert", _("Changer le type de demande"), RECIPIENT, ("note",), _service(_HANDLING, "referral_convert")
        ),
        ReferralAction(
            "provide_info",
            _("Répondre à la question posée"),
            SENDER,
            ("message",),
            _service(_SERVICES, "referral_provide_info"),
        ),
        ReferralAction("cancel", _("Annuler la demande"), SENDER, ("note",), _service(_SERVICES, "referral_cancel")),
        ReferralAction(
            "sent_outside",
            _("Envoyée hors du portail"),
            SENDER,
            ("via", "detail"),
            _service(_HANDLING, "referral_mark_sent_outside"),
        ),
        ReferralAction(
            "outside_status",
            _("Réponse du destinataire hors du portail"),
            SENDER,
            ("status", "appointment_at", "note"),
            _service(_HANDLING, "referral_outside_update"),
        ),
    )
}
assert all(action.side == ACTION_SIDES[name] for name, action in REFERRAL_ACTIONS.items())


def referral_actions_for(actor: User | Actor, referral: Referral) -> list[ReferralAction]:
    """The actions this actor may take on this request now (side, status, kind, role), in the order the page
    shows them: the same rule functions the services check (``referrals.rules``)."""
    actor = actor_for(actor)
    return [action for action in REFERRAL_ACTIONS.values() if action_refusal(action.name, actor, referral) is None]

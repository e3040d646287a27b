"""The rules of the actions on a request, each written once: which side takes it, from which statuses, for which
kind. The services check them before they change anything (they are the authority), and
``referrals.permissions.referral_actions_for`` asks the same functions which actions to offer.

A refusal is an ``ApplicationError``: ``code="forbidden"`` when the user sees the request but the action is the
other side's (403), ``code="not_found"`` when they do not see it at all (404), ``"invalid_transition"`` when the
request's status or kind does not allow it now (400).
"""

from django.utils.translation import gettext as _

from core.errors import ApplicationError
from core.pages import FORBIDDEN, NOT_FOUND
from referrals.models import Referral
from referrals.scope import Actor
from referrals.selectors import forward_candidates, recipient_uses_portal

Status = Referral.Status
SENDER, RECIPIENT = "sender", "recipient"

# From which statuses each transition may be made, and to which status it leads.
TRANSITIONS = {
    "acknowledge": ({Status.SENT}, Status.ACKNOWLEDGED),
    "request_info": ({Status.SENT, Status.ACKNOWLEDGED}, Status.NEEDS_INFO),
    "provide_info": ({Status.NEEDS_INFO}, Status.SENT),
    "accept": ({Status.SENT, Status.ACKNOWLEDGED}, Status.ACCEPTED),
    "decline": ({Status.SENT, Status.ACKNOWLEDGED, Status.NEEDS_INFO}, Status.DECLINED),
    "answer": ({Status.SENT, Status.ACKNOWLEDGED}, Status.ANSWERED),
    "close": ({Status.ACCEPTED, Status.ANSWERED, Status.DECLINED}, Status.CLOSED),
    "cancel": ({Status.DRAFT, Status.SENT, Status.ACKNOWLEDGED, Status.NEEDS_INFO}, Status.CANCELLED),
}
# Nobody writes on, forwards, converts or joins a document to a request that is over.
CLOSED_STATUSES = (Status.CLOSED, Status.CANCELLED)
# A colleague takes over a request nobody has answered yet (while the GP is asked for more, the question waits).
FORWARDABLE_STATUSES = (Status.SENT, Status.ACKNOWLEDGED)
CONVERTIBLE_STATUSES = (Status.SENT, Status.ACKNOWLEDGED, Status.NEEDS_INFO)
# What the GP records once the recipient answered outside the portal, and from which statuses.
OUTSIDE_UPDATES = {
    Status.ACCEPTED: (Status.SENT, Status.ACKNOWLEDGED, Status.ACCEPTED),
    Status.DECLINED: (Status.SENT, Status.ACKNOWLEDGED, Status.ACCEPTED),
    Status.CLOSED: (Status.SENT, Status.ACKNOWLEDGED, Status.ACCEPTED, Status.DECLINED),
}
OUTSIDE_UPDATABLE_STATUSES = frozenset(status for statuses in OUTSIDE_UPDATES.values() for status in statuses)
# Where the GP marks a request as sent outside the portal: once sent, before anyone answered.
MARKABLE_STATUSES = (Status.SENT,)

# Whose action each is.
ACTION_SIDES = {
    "acknowledge": RECIPIENT,
    "request_info": RECIPIENT,
    "accept": RECIPIENT,
    "answer": RECIPIENT,
    "decline": RECIPIENT,
    "close": RECIPIENT,
    "forward": RECIPIENT,
    "convert": RECIPIENT,
    "provide_info": SENDER,
    "cancel": SENDER,
    "sent_outside": SENDER,
    "outside_status": SENDER,
}


def status_refusal(referral: Referral) -> ApplicationError:
    return ApplicationError(
        _("Impossible depuis le statut « %(status)s ».") % {"status": referral.get_status_display()},
        code="invalid_transition",
    )


def party_refusal(actor: Actor, referral: Referral) -> ApplicationError | None:
    """Neither the sender nor on the recipient's side: the request does not exist for them."""
    if actor.is_party(referral):
        return None
    return ApplicationError(_("Cette demande n'existe pas ou ne vous est pas accessible."), code=NOT_FOUND)


def side_refusal(side: str, actor: Actor, referral: Referral) -> ApplicationError | None:
    """Not on ``side`` of the request: 404 for whoever does not see it, 403 for its other side."""
    refusal = party_refusal(actor, referral)
    if refusal is not None:
        return refusal
    if side == RECIPIENT and not actor.is_recipient_side(referral):
        return ApplicationError(_("Seul le destinataire de la demande peut faire cela."), code=FORBIDDEN)
    if side == SENDER and not actor.is_sender(referral):
        return ApplicationError(_("Seul l'expéditeur de la demande peut faire cela."), code=FORBIDDEN)
    return None


def teleexpertise_expert(referral: Referral, actor: Actor):
    """Who would answer the request as a tele-expertise: the practitioner addressed, the one who took it, or
    the practitioner converting it."""
    return referral.recipient_practitioner or referral.handled_by or actor.entry


def _convert_refusal(referral: Referral, actor: Actor) -> ApplicationError | None:
    if referral.status not in CONVERTIBLE_STATUSES:
        return status_refusal(referral)
    if referral.kind == Referral.Kind.TELEEXPERTISE:
        return None
    expert = teleexpertise_expert(referral, actor)
    if expert is None:
        return ApplicationError(
            _(
                "Seul un professionnel qui répond aux demandes de télé-expertise peut recevoir celle-ci : "
                "transférez-la d'abord à ce confrère."
            ),
            code="invalid_transition",
        )
    if not expert.answers_teleexpertise:
        return ApplicationError(
            _("%(name)s ne répond pas aux demandes de télé-expertise.") % {"name": expert},
            code="invalid_transition",
        )
    return None


def state_refusal(name: str, referral: Referral, actor: Actor) -> ApplicationError | None:
    """What in the request's status or kind keeps ``name`` from being taken now, or None."""
    if name in TRANSITIONS:
        if name == "accept" and referral.kind != Referral.Kind.LETTER:
            return ApplicationError(
                _("Une télé-expertise reçoit une réponse écrite, pas un rendez-vous."), code="invalid_transition"
            )
        if name == "answer" and referral.kind != Referral.Kind.TELEEXPERTISE:
            return ApplicationError(
                _("Un adressage reçoit un rendez-vous ; seule une télé-expertise reçoit une réponse."),
                code="invalid_transition",
            )
        if referral.status not in TRANSITIONS[name][0]:
            return status_refusal(referral)
        return None
    if name == "forward":
        if referral.status not in FORWARDABLE_STATUSES:
            return status_refusal(referral)
        if not forward_candidates(referral, actor.user).exists():
            return ApplicationError(
                _("Aucun confrère des cabinets du destinataire ne peut reprendre cette demande."),
                code="invalid_transition",
            )
        return None
    if name == "convert":
        return _convert_refusal(referral, actor)
    if name == "sent_outside":
        if referral.status not in MARKABLE_STATUSES:
            return status_refusal(referral)
        if recipient_uses_portal(referral):
            return ApplicationError(
                _("Le destinataire utilise le portail : la demande lui est déjà parvenue ici."), field="via"
            )
        return None
    if name == "outside_status":
        if not referral.sent_outside_via:
            return ApplicationError(
                _("Cette demande suit son cours dans le portail : c'est le destinataire qui met à jour son statut."),
                field="status",
            )
        if referral.status not in OUTSIDE_UPDATABLE_STATUSES:
            return status_refusal(referral)
        return None
    raise KeyError(name)


def check_side(name: str, actor: Actor, referral: Referral) -> None:
    """Raises unless the actor is on the side of the request whose action ``name`` is."""
    refusal = side_refusal(ACTION_SIDES[name], actor, referral)
    if refusal is not None:
        raise refusal


def check_state(name: str, referral: Referral, actor: Actor) -> None:
    """Raises unless the request's status and kind allow ``name`` now (call it on the locked row)."""
    refusal = state_refusal(name, referral, actor)
    if refusal is not None:
        raise refusal


def action_refusal(name: str, actor: Actor, referral: Referral) -> ApplicationError | None:
    """Why ``actor`` may not take ``name`` on the request now, or None when they may."""
    return side_refusal(ACTION_SIDES[name], actor, referral) or state_refusal(name, referral, actor)


def message_refusal(actor: Actor, referral: Referral) -> ApplicationError | None:
    """The thread: the sender and the recipient's side write in it until the request is over."""
    refusal = party_refusal(actor, referral)
    if refusal is not None:
        return refusal
    if referral.status in CLOSED_STATUSES:
        return ApplicationError(
            _("Cette demande est « %(status)s » : on n'y écrit plus.") % {"status": referral.get_status_display()},
            code="invalid_transition",
        )
    return None

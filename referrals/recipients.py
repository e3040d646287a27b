"""What the GP learns about a recipient before sending (read-only): who receives and answers the request on the
portal (the practitioner, their replacement, the secretaries of their practices: counts, not names), an absence
that overlaps the time the request has to be answered in (the urgency's target delay, or the pathway's), the
measured first response, what to address instead when the chosen one is away or does not answer on the portal
(a pathway covering the specialty, a colleague of the same practice who answers, the practice as a pool), and,
when nobody on the recipient's side uses the portal, the outside channel to send the letter through.

The facts come from the directory (``directory.selectors.portal_use``) and from the request's recipient's side as
``referrals.scope.recipient_side`` defines it, asked for the request that would be sent.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from directory.models import Absence, ContactChannel, Practice, Practitioner, ResponseStatistic, RoleGrant
from directory.selectors import MIN_REQUESTS_FOR_RESPONSE_FIGURES, audience_of
from directory.selectors.api import absences_for_audience
from directory.selectors.portal_use import (
    answering_grants,
    practices_portal_use,
    practitioners_answering,
    secretaries_of,
)
from referrals.models import DEFAULT_TARGET_DELAYS, Pathway, Referral, Urgency
from referrals.scope import recipient_side
from referrals.selectors import outside_channels_for, pathways_open_to, recipient_choice

# At most this many colleagues are offered instead of the one chosen.
COLLEAGUES_OFFERED = 3


def due_date_for(urgency: str, *, pathway: Pathway | None = None, now: datetime.datetime | None = None):
    """The day by which a request sent now should get its first answer (as ``referral_send`` sets ``due_at``)."""
    now = now or timezone.now()
    try:
        delay = DEFAULT_TARGET_DELAYS[Urgency(urgency)]
    except ValueError:
        delay = DEFAULT_TARGET_DELAYS[Urgency.ROUTINE]
    if pathway is not None and pathway.target_delay:
        delay = pathway.target_delay
    return timezone.localdate(now + delay)


def absence_before(
    practitioner: Practitioner, viewer: User, *, due_on: datetime.date, today: datetime.date | None = None
) -> Absence | None:
    """The practitioner's first absence overlapping today to ``due_on`` (with its replacement), as the viewer's
    audience sees the directory: an absence that starts next week matters to a request due in 30 days."""
    today = today or timezone.localdate()
    absences = absences_for_audience(practitioner, audience_of(viewer), today=today)
    return next((absence for absence in absences if absence.starts_on <= due_on), None)


@dataclass(frozen=True)
class Alternative:
    """A recipient to address instead, as the form's choice (``recipient_choice``), and why it is offered."""

    value: str
    label: str
    reason: str


@dataclass
class RecipientReach:
    """Who would find the request in the portal, and what the GP should know before sending it."""

    due_on: datetime.date
    answers: bool = False  # the practitioner addressed answers on the portal themselves
    secretaries: int = 0  # active secretary accounts receiving it
    colleagues: int = 0  # other practitioners answering it (a practice's, a pathway's, today's replacement)
    absence: Absence | None = None
    measured: ResponseStatistic | None = None
    alternatives: list[Alternative] = field(default_factory=list)
    outside_channel: ContactChannel | None = None

    @property
    def uses_portal(self) -> bool:
        return self.answers or self.secretaries > 0 or self.colleagues > 0

    @property
    def absence_starts_later(self) -> bool:
        return self.absence is not None and self.absence.starts_on > timezone.localdate()


def recipient_label(recipient: Practitioner | Practice | Pathway) -> str:
    """How the pages name a recipient: the practitioner, the practice, or the pathway."""
    if isinstance(recipient, Practitioner):
        return f"{recipient.first_name} {recipient.last_name}"
    if isinstance(recipient, Practice):
        return recipient.name
    return _("Parcours « %(name)s »") % {"name": recipient.name}


def _unsent(recipient: Practitioner | Practice | Pathway) -> Referral:
    """The request as it would be addressed: what ``recipient_side`` and ``outside_channels_for`` read."""
    kind = recipient._meta.model_name
    if kind == "practitioner":
        return Referral(recipient_practitioner=recipient)
    if kind == "practice":
        return Referral(recipient_practice=recipient)
    return Referral(pathway=recipient)


def _pathways_covering(sender: Practitioner | None, specialty_ids: list[int]) -> list[Pathway]:
    """The open pathways of the sender's territory whose responders practise one of these specialties, and whose
    responders use the portal."""
    if not specialty_ids:
        return []
    covering = (
        pathways_open_to(sender)
        .filter(
            Q(responder_practitioners__specialties__in=specialty_ids)
            | Q(responder_practices__activities__practitioner__specialties__in=specialty_ids)
        )
        .distinct()
        .order_by("name")
    )
    found = []
    for pathway in covering:
        side = recipient_side(_unsent(pathway))
        if practitioners_answering(side.practitioner_ids) or secretaries_of(side.practice_ids):
            found.append(pathway)
    return found


def _colleagues_answering(
    recipient: Practitioner, practice_ids: list[int], specialty_ids: list[int], *, kind: str, sender, due_on
) -> list[Practitioner]:
    """Practitioners of the recipient's practices who share a specialty with them, answer on the portal and are
    not away before ``due_on``."""
    if not (practice_ids and specialty_ids):
        return []
    today = timezone.localdate()
    colleagues = (
        Practitioner.objects.filter(activities__practice__in=practice_ids, specialties__in=specialty_ids)
        .filter(Exists(RoleGrant.objects.filter(answering_grants(), practitioner=OuterRef("pk"))))
        .exclude(pk=recipient.pk)
        .exclude(Exists(Absence.objects.filter(practitioner=OuterRef("pk"), ends_on__gte=today, starts_on__lte=due_on)))
    )
    if sender is not None:
        colleagues = colleagues.exclude(pk=sender.pk)
    if kind == Referral.Kind.TELEEXPERTISE:
        colleagues = colleagues.filter(answers_teleexpertise=True)
    return list(colleagues.distinct().order_by("last_name", "first_name", "pk")[:COLLEAGUES_OFFERED])


def recipient_reach(
    viewer: User,
    recipient: Practitioner | Practice | Pathway,
    *,
    sender: Practitioner | None,
    urgency: str = "",
    kind: str = "",
) -> RecipientReach:
    """What the form shows about ``recipient`` before the request goes: who receives and answers it on the
    portal, an absence before its due date, the measured first response, what to address instead when the
    practitioner is away or does not answer themselves, and the outside channel when nobody uses the portal."""
    pathway = recipient if isinstance(recipient, Pathway) else None
    reach = RecipientReach(due_on=due_date_for(urgency, pathway=pathway))
    unsent = _unsent(recipient)
    side = recipient_side(unsent)
    answering = practitioners_answering(side.practitioner_ids)
    reach.secretaries = secretaries_of(side.practice_ids) if side.practice_ids else 0
    if isinstance(recipient, Practitioner):
        reach.answers = recipient.pk in answering
        reach.colleagues = len(answering - {recipient.pk})  # today's replacement
        reach.absence = absence_before(recipient, viewer, due_on=reach.due_on)
        reach.measured = ResponseStatistic.objects.filter(
            practitioner=recipient, requests__gte=MIN_REQUESTS_FOR_RESPONSE_FIGURES
        ).first()
        if reach.absence is not None or not reach.answers:
            reach.alternatives = _alternatives(
                recipient, sender=sender, kind=kind, due_on=reach.due_on, answers=reach.answers
            )
    else:
        reach.colleagues = len(answering)
    if not reach.uses_portal:
        channels = outside_channels_for(unsent, viewer)
        reach.outside_channel = channels[0] if channels else None
    return reach


def _alternatives(recipient: Practitioner, *, sender, kind: str, due_on, answers: bool) -> list[Alternative]:
    """Who to address instead of an absent practitioner or one who does not answer on the portal: the pathways
    covering their specialty, their colleagues who answer, the practice as a pool when someone there answers."""
    specialty_ids = [specialty.pk for specialty in recipient.specialties.all()]
    practice_ids = [activity.practice_id for activity in recipient.activities.all()]
    offered = [
        Alternative(
            value=recipient_choice(pathway),
            label=_("Parcours « %(name)s »") % {"name": pathway.name},
            reason=_("Parcours prioritaire du territoire : ses répondants reçoivent la demande sur le portail."),
        )
        for pathway in _pathways_covering(sender, specialty_ids)
    ]
    colleagues = _colleagues_answering(recipient, practice_ids, specialty_ids, kind=kind, sender=sender, due_on=due_on)
    offered += [
        Alternative(
            value=recipient_choice(colleague),
            label=f"{colleague.first_name} {colleague.last_name}",
            reason=_("Même cabinet, même spécialité ; répond sur le portail."),
        )
        for colleague in colleagues
    ]
    practices = {activity.practice_id: activity.practice for activity in recipient.activities.all()}
    for practice_id, use in practices_portal_use(practice_ids).items():
        if use.colleagues - (1 if answers else 0) > 0:
            offered.append(
                Alternative(
                    value=recipient_choice(practices[practice_id]),
                    label=practices[practice_id].name,
                    reason=_("Le cabinet : le premier de ses praticiens disponibles prend la demande."),
                )
            )
    return offered

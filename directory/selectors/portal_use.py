"""Who receives and answers requests on the portal for a directory entry, read from the directory's own data: a
practitioner answers when an active account holds the professional role on their entry; a practice receives when
an active account holds the secretary role on it (or one of its practitioners answers). Counts, never names: a
secretary's name is not public. Also an entry's next absence within a window (the absences the audience sees).

The directory shows these facts in its search results; the referrals read them before a request is sent
(``referrals.recipients``), through these functions: the directory does not import the referrals.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.roles import Role
from directory.models import Absence, Activity, Practice, Practitioner, RoleGrant
from directory.selectors.entries import AUDIENCES_SEEING_ABSENCES

# Without a due date to compare with, the directory looks this far ahead for an absence: the longest default
# target delay of a request (a routine one, 30 days).
ABSENCE_WINDOW_DAYS = 30


@dataclass(frozen=True)
class PortalUse:
    """Who would find a request addressed to an entry in the portal."""

    own_account: bool  # the practitioner answers on the portal themselves
    secretaries: int  # active secretary accounts of the practices they work at
    colleagues: int = 0  # for a practice: its practitioners who answer on the portal

    @property
    def receives(self) -> bool:
        return self.own_account or self.secretaries > 0 or self.colleagues > 0


@dataclass(frozen=True)
class AbsenceDates:
    starts_on: datetime.date
    ends_on: datetime.date


def answering_grants() -> Q:
    """The grants through which an account answers an entry's requests on the portal."""
    return Q(role=Role.PROFESSIONAL, user__is_active=True)


def secretary_grants() -> Q:
    """The grants through which an account receives a practice's requests on the portal."""
    return Q(role=Role.SECRETARY, user__is_active=True)


def practitioners_answering(practitioner_ids) -> set[int]:
    """Those of ``practitioner_ids`` who answer on the portal (one query)."""
    return set(
        RoleGrant.objects.filter(answering_grants(), practitioner__in=list(practitioner_ids)).values_list(
            "practitioner_id", flat=True
        )
    )


def secretaries_of(practice_ids) -> int:
    """How many active secretary accounts receive the requests of these practices (one query)."""
    return (
        RoleGrant.objects.filter(secretary_grants(), practices__in=list(practice_ids)).values("user").distinct().count()
    )


def practices_portal_use(practice_ids) -> dict[int, PortalUse]:
    """For each practice: its active secretaries and its practitioners who answer on the portal (one query)."""
    ids = list(practice_ids)
    if not ids:
        return {}
    secretaries = (
        RoleGrant.objects.filter(secretary_grants(), practices=OuterRef("pk"))
        .order_by()
        .values("role")
        .annotate(n=Count("user", distinct=True))
        .values("n")
    )
    colleagues = (
        Activity.objects.filter(practice=OuterRef("pk"))
        .filter(Exists(RoleGrant.objects.filter(answering_grants(), practitioner=OuterRef("practitioner"))))
        .order_by()
        .values("practice")
        .annotate(n=Count("practitioner", distinct=True))
        .values("n")
    )
    rows = (
        Practice.objects.filter(pk__in=ids)
        .annotate(
            secretary_count=Coalesce(Subquery(secretaries, output_field=IntegerField()), 0),
            colleague_count=Coalesce(Subquery(colleagues, output_field=IntegerField()), 0),
        )
        .values_list("pk", "secretary_count", "colleague_count")
    )
    return {pk: PortalUse(own_account=False, secretaries=s, colleagues=c) for pk, s, c in rows}


def portal_use_annotate(
    practitioners: list[Practitioner],
    *,
    audience: str,
    window_days: int = ABSENCE_WINDOW_DAYS,
    today: datetime.date | None = None,
) -> None:
    """Sets on each practitioner ``portal_use`` (a ``PortalUse``) and ``next_absence`` (``AbsenceDates`` of the
    first absence overlapping today to ``window_days`` ahead, or None), in one query whatever their number. The
    public is told neither (both None): who has an account and when a colleague is away are for the
    professionals, as the directory's absences are."""
    for practitioner in practitioners:
        practitioner.portal_use = None
        practitioner.next_absence = None
    if not practitioners or audience not in AUDIENCES_SEEING_ABSENCES:
        return
    today = today or timezone.localdate()
    until = today + datetime.timedelta(days=window_days)
    secretaries = (
        RoleGrant.objects.filter(secretary_grants(), practices__activities__practitioner=OuterRef("pk"))
        .order_by()
        .values("role")
        .annotate(n=Count("user", distinct=True))
        .values("n")
    )
    absences = Absence.objects.filter(practitioner=OuterRef("pk"), ends_on__gte=today, starts_on__lte=until).order_by(
        "starts_on", "id"
    )
    rows = (
        Practitioner.objects.filter(pk__in=[practitioner.pk for practitioner in practitioners])
        .annotate(
            answers=Exists(RoleGrant.objects.filter(answering_grants(), practitioner=OuterRef("pk"))),
            secretary_count=Coalesce(Subquery(secretaries, output_field=IntegerField()), 0),
            absence_starts=Subquery(absences.values("starts_on")[:1]),
            absence_ends=Subquery(absences.values("ends_on")[:1]),
        )
        .values_list("pk", "answers", "secretary_count", "absence_starts", "absence_ends")
    )
    facts = {pk: (answers, count, starts, ends) for pk, answers, count, starts, ends in rows}
    for practitioner in practitioners:
        answers, count, starts, ends = facts.get(practitioner.pk, (False, 0, None, None))
        practitioner.portal_use = PortalUse(own_account=answers, secretaries=count)
        practitioner.next_absence = AbsenceDates(starts, ends) if starts else None

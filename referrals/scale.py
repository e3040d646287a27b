"""Synthetic requests at national scale, for the benchmarks (``manage.py seed_scale --referrals N``).

Requests go between the practitioners already in the database (``directory.scale`` makes them): one practitioner
sends, another practitioner, or one of the practices where they work, receives. Statuses, urgencies and dates
follow a plausible mix over the last two years, so that most requests are closed, some are open, and some of the
open ones are overdue. Rows go in with PostgreSQL ``COPY`` in one transaction; patients are invented; the data is
the same for a given seed, public ids aside. No timeline events are written for them (the lists and scans
measured do not read events).
"""

import datetime
import random
import time
import uuid
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from directory.models import Activity
from directory.scale import FIRST_NAMES, LAST_NAMES, copy_rows, copy_text
from referrals.models import DEFAULT_TARGET_DELAYS, Referral, Urgency

Status = Referral.Status

# (share in %, status): most requests of two years are over; a fifth are open.
STATUS_MIX = [
    (48, Status.CLOSED),
    (10, Status.ACCEPTED),
    (5, Status.DECLINED),
    (5, Status.ANSWERED),
    (12, Status.SENT),
    (10, Status.ACKNOWLEDGED),
    (3, Status.NEEDS_INFO),
    (5, Status.CANCELLED),
    (2, Status.DRAFT),
]
URGENCY_MIX = [(10, Urgency.URGENT), (30, Urgency.RAPID), (60, Urgency.ROUTINE)]
REASONS = ["Douleur thoracique d'effort", "Bilan de palpitations", "Lésion cutanée suspecte", "Suivi HTA résistante"]
SPAN_DAYS = 730
COLUMNS = [
    "public_id",
    "created_at",
    "updated_at",
    "kind",
    "status",
    "urgency",
    "sender_id",
    "recipient_practitioner_id",
    "recipient_practice_id",
    "territory_id",
    "patient_family_name",
    "patient_given_names",
    "patient_birth_date",
    "patient_sex",
    "reason",
    "sent_at",
    "due_at",
    "first_response_at",
    "closed_at",
]


@dataclass
class ReferralScaleReport:
    referrals: int = 0
    seconds: float = 0.0


def _weighted(rng: random.Random, mix):
    return rng.choices([value for _share, value in mix], weights=[share for share, _value in mix])[0]


@transaction.atomic
def seed_referrals(*, count: int, seed: int = 1) -> ReferralScaleReport:
    """Writes ``count`` synthetic requests between the stored practitioners, then ANALYZEs the table."""
    if count < 1:
        raise ApplicationError(_("Le nombre de demandes doit être au moins 1."), field="referrals")
    # Who works where (a sample is enough: a few hundred thousand links give every shape of recipient).
    links = list(Activity.objects.values_list("practitioner_id", "practice_id", "practitioner__territory_id")[:500_000])
    if len({practitioner for practitioner, *_rest in links}) < 2:
        raise ApplicationError(
            _("Il faut d'abord des professionnels (seed_scale --practitioners N)."), field="referrals"
        )
    rng = random.Random(seed)
    now = timezone.now()
    started = time.perf_counter()

    def rows():
        for _index in range(count):
            sender, _sender_practice, territory = rng.choice(links)
            recipient, practice, recipient_territory = rng.choice(links)
            while recipient == sender:
                recipient, practice, recipient_territory = rng.choice(links)
            to_practice = rng.random() < 0.35
            status = _weighted(rng, STATUS_MIX)
            urgency = _weighted(rng, URGENCY_MIX)
            sent_at = now - datetime.timedelta(seconds=rng.randrange(SPAN_DAYS * 86_400))
            due_at = sent_at + DEFAULT_TARGET_DELAYS[urgency]
            answered = status not in (Status.SENT, Status.DRAFT, Status.CANCELLED)
            first_response = sent_at + (due_at - sent_at) * rng.uniform(0.05, 1.3) if answered else None
            closed = status in (Status.CLOSED, Status.CANCELLED)
            yield "\t".join(
                copy_text(value)
                for value in (
                    uuid.uuid4(),  # public ids are random: a second run never collides with the first
                    sent_at,
                    first_response or sent_at,
                    Referral.Kind.TELEEXPERTISE if rng.random() < 0.2 else Referral.Kind.LETTER,
                    status,
                    urgency,
                    sender,
                    None if to_practice else recipient,
                    practice if to_practice else None,
                    territory or recipient_territory,
                    rng.choice(LAST_NAMES).upper(),
                    rng.choice(FIRST_NAMES),
                    datetime.date(1930, 1, 1) + datetime.timedelta(days=rng.randrange(33_000)),
                    rng.choice("FM"),
                    rng.choice(REASONS),
                    None if status == Status.DRAFT else sent_at,
                    None if status == Status.DRAFT else due_at,
                    first_response,
                    (first_response or sent_at) + datetime.timedelta(days=rng.randrange(1, 60)) if closed else None,
                )
            )

    report = ReferralScaleReport(referrals=copy_rows(Referral, COLUMNS, rows()))
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(Referral._meta.db_table)}")
    report.seconds = time.perf_counter() - started
    return report

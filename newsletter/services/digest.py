"""The weekly "what changed in the directory" digest, for the professionals who ask for it (their account page).

Every Monday morning (Celery beat), each territory with at least one digest subscriber gets an issue of kind
``digest`` for the week that just ended (Monday to Sunday), filled from the directory's change events of that week
with the professional wording, and sent on the newsletter's machinery (deliveries, the outbox in batches, the
resume after a crash). A week without a change sends nothing. The digest is one per territory and week (the
issues' unique constraint), so a second run of the job sends nothing twice.
"""

import datetime

from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from directory.models import Territory
from directory.selectors.changes import change_events_between
from newsletter.models import DIGEST, Edition, Issue, Item
from newsletter.services.issues import SECTION_OF_KIND, event_item_text
from newsletter.services.sending import recipients_of, start_sending


def week_start(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def digest_open(*, territory: Territory, monday: datetime.date) -> Issue | None:
    """The digest of the week starting ``monday``, filled from that week's events; None if nothing changed. An
    existing digest of that week is returned as it is."""
    monday = week_start(monday)
    existing = Issue.objects.filter(territory=territory, month=monday, edition=DIGEST).first()
    if existing is not None:
        return existing
    events = [
        event
        for event in change_events_between(territory=territory, start=monday, end=monday + datetime.timedelta(days=7))
        if event.kind in SECTION_OF_KIND
    ]
    if not events:
        return None
    with override("fr"):
        title = _("%(territory)s — l'annuaire, semaine du %(day)s") % {
            "territory": territory.name,
            "day": formats.date_format(monday, "j F Y"),
        }
        editorial = _(
            "Les arrivées, départs, changements de cabinet et nouveaux membres de la CPTS enregistrés dans "
            "l'annuaire du lundi %(start)s au dimanche %(end)s."
        ) % {
            "start": formats.date_format(monday, "j F"),
            "end": formats.date_format(monday + datetime.timedelta(days=6), "j F Y"),
        }
        try:
            with transaction.atomic():
                issue = Issue.objects.create(
                    territory=territory, month=monday, edition=DIGEST, title=title, editorial=editorial
                )
                Item.objects.bulk_create(
                    Item(
                        issue=issue,
                        section=SECTION_OF_KIND[event.kind],
                        position=index * 10,
                        title=title_and_body[0],
                        body=title_and_body[1],
                        source_event=event,
                    )
                    for index, (event, title_and_body) in enumerate(
                        (event, event_item_text(event, edition=Edition.PROFESSIONAL)) for event in events
                    )
                )
        except IntegrityError:  # the job ran twice at once: the other run's digest stands
            return Issue.objects.get(territory=territory, month=monday, edition=DIGEST)
    return issue


def weekly_digests_send(*, today: datetime.date | None = None) -> dict[str, int]:
    """Opens and sends last week's digest of every territory that has digest subscribers. Returns how many
    digests left and how many territories had nothing to say."""
    today = today or timezone.localdate()
    monday = week_start(today) - datetime.timedelta(days=7)
    sent = quiet = 0
    for territory in Territory.objects.filter(
        newsletter_subscribers__editions__contains=[DIGEST], newsletter_subscribers__confirmed_at__isnull=False
    ).distinct():
        issue = digest_open(territory=territory, monday=monday)
        if issue is None:
            quiet += 1
            continue
        with transaction.atomic():
            issue = Issue.objects.select_for_update().get(pk=issue.pk)
            if issue.status != Issue.Status.DRAFT or not recipients_of(issue).exists():
                continue
            start_sending(issue)
            sent += 1
    return {"sent": sent, "quiet": quiet}

"""Opening an issue of a month and edition, filled from the directory's change events of that month and the
month's figures of the other apps; editing, ordering and leaving out its items.

A second ``issue_open`` of the same territory, month and edition is a French 409 naming the existing draft
(``details["issue"]``): the coordinator goes to it instead. ``issue_open_both`` opens the professional and the
public edition from one call; each is filled from the directory, and a written item (news, event) is added to
both with ``also_in_other_edition=True``. ``issue_fill`` can be run again: an event already in the issue adds
nothing (``newsletter_item_one_per_source_event``), and the figures block is written once.
"""

import datetime

from django.apps import apps
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import ApplicationError
from core.pages import CONFLICT, FORBIDDEN, NOT_FOUND
from directory.models import ChangeEvent, Territory
from directory.permissions import coordinated_territory_ids
from directory.selectors.changes import change_events_of_month
from newsletter.models import Edition, Issue, Item, Section, StoredImage

SECTION_OF_KIND = {
    ChangeEvent.Kind.ARRIVAL: Section.ARRIVALS,
    ChangeEvent.Kind.DEPARTURE: Section.DEPARTURES,
    ChangeEvent.Kind.RETIREMENT: Section.DEPARTURES,
    ChangeEvent.Kind.MOVED_PRACTICE: Section.MOVES,
    ChangeEvent.Kind.NEW_CPTS_MEMBER: Section.NEW_MEMBERS,
    ChangeEvent.Kind.NEW_PRACTICE: Section.NEW_PLACES,
}
SECTION_ORDER = list(Section.values)
MEDICAL_PROFESSION_CODES = {"10", "40"}  # médecin, chirurgien-dentiste: « Dr »


def parse_month(value: str) -> datetime.date:
    """``"YYYY-MM"`` as the first day of that month, or a French 400 on ``month``."""
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        return datetime.date(year, month, 1)
    except (ValueError, TypeError):
        raise ApplicationError(_("Mois illisible : écrivez-le AAAA-MM, par exemple 2026-12."), field="month") from None


def check_edition(edition: str) -> str:
    if edition not in Edition.values:
        raise ApplicationError(
            _("Édition inconnue : « professional » (professionnels) ou « public » (grand public)."), field="edition"
        )
    return edition


def _coordinated_territory(acting_user, territory: Territory | None) -> Territory:
    ids = coordinated_territory_ids(acting_user)
    if not ids:
        raise ApplicationError(_("Seul un coordinateur de la CPTS écrit la lettre."), code=FORBIDDEN)
    if territory is None:
        if len(ids) > 1:
            raise ApplicationError(_("Choisissez le territoire de la lettre."), field="territory")
        return Territory.objects.get(pk=next(iter(ids)))
    if territory.pk not in ids:
        raise ApplicationError(_("Territoire introuvable."), code=NOT_FOUND, field="territory")
    return territory


def check_coordinates(acting_user, issue: Issue) -> None:
    """The acting user coordinates the issue's territory: else a 403 (not a coordinator) or a 404 (another
    territory's issue, as if it did not exist)."""
    ids = coordinated_territory_ids(acting_user)
    if not ids:
        raise ApplicationError(_("Seul un coordinateur de la CPTS envoie la lettre."), code=FORBIDDEN)
    if issue.territory_id not in ids:
        raise ApplicationError(_("Ce numéro n'existe pas."), code=NOT_FOUND)


def practitioner_label(practitioner) -> str:
    profession = practitioner.profession
    if profession is not None and profession.code in MEDICAL_PROFESSION_CODES:
        return f"Dr {practitioner.first_name} {practitioner.last_name}"
    name = f"{practitioner.first_name} {practitioner.last_name}"
    return f"{name}, {profession.label.lower()}" if profession is not None else name


def _practice_name(practitioner) -> str:
    activities = list(practitioner.activities.all())
    return activities[0].practice.name if activities else ""


# Each kind's sentence, with the practice the directory knows and without one.
_EVENT_TEXTS = {
    ChangeEvent.Kind.ARRIVAL: (
        gettext_lazy("%(who)s rejoint le cabinet %(practice)s le %(day)s."),
        gettext_lazy("%(who)s s'installe sur le territoire le %(day)s."),
    ),
    ChangeEvent.Kind.DEPARTURE: (
        gettext_lazy("%(who)s quitte le cabinet %(practice)s le %(day)s."),
        gettext_lazy("%(who)s quitte le territoire le %(day)s."),
    ),
    ChangeEvent.Kind.RETIREMENT: (
        gettext_lazy("%(who)s prend sa retraite et quitte le cabinet %(practice)s le %(day)s."),
        gettext_lazy("%(who)s prend sa retraite le %(day)s."),
    ),
    ChangeEvent.Kind.MOVED_PRACTICE: (
        gettext_lazy("%(who)s exerce désormais au cabinet %(practice)s depuis le %(day)s."),
        gettext_lazy("%(who)s change de cabinet le %(day)s."),
    ),
    ChangeEvent.Kind.NEW_CPTS_MEMBER: (
        gettext_lazy("%(who)s rejoint la CPTS le %(day)s."),
        gettext_lazy("%(who)s rejoint la CPTS le %(day)s."),
    ),
}


def event_item_text(event: ChangeEvent, *, edition: str) -> tuple[str, str]:
    """The title and the body of an event's item. Facts of the directory only: the public edition never says
    more than who, where and when (the event's note, written for colleagues, stays in the professional one)."""
    day = formats.date_format(event.happened_on, "j F Y")
    if event.practitioner_id is None:  # a new establishment: the place, never a person
        place = event.practice
        where = ", ".join(part for part in (place.address, place.city) if part)
        text = (
            _("%(name)s ouvre ses portes (%(where)s) : dans l'annuaire depuis le %(day)s.")
            if where
            else _("%(name)s ouvre ses portes : dans l'annuaire depuis le %(day)s.")
        )
        return place.name, text % {"name": place.name, "where": where, "day": day}
    who = practitioner_label(event.practitioner)
    practice = _practice_name(event.practitioner)
    with_practice, without_practice = _EVENT_TEXTS[event.kind]
    text = with_practice if practice else without_practice
    body = str(text) % {"who": who, "practice": practice, "day": day}
    if event.successor_id is not None:  # known to the coordination: the patients are told who takes over
        body += " " + _("%(successor)s prend la suite.") % {"successor": practitioner_label(event.successor)}
    if edition == Edition.PROFESSIONAL and event.note:
        body += "\n\n" + event.note
    return who, body


def _next_position(issue: Issue) -> int:
    return (issue.items.aggregate(top=Max("position"))["top"] or 0) + 10


def _figures_markdown(*, acting_user, issue: Issue) -> str:
    """The month's figures of the apps that are there, read through their own selectors; an app absent (or
    without figures) leaves its lines out, and no app at all leaves the block out."""
    territory_ids = [issue.territory_id]
    lines: list[str] = []
    month_label = formats.date_format(issue.month, "F Y")
    if apps.is_installed("referrals"):
        from referrals.dashboard import referral_dashboard

        last_day = (issue.month + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
        dashboard = referral_dashboard(acting_user, territory=issue.territory, today=last_day)
        rows = [row for row in dashboard.rows if row.month == issue.month and row.specialty]
        if rows:
            lines.append("**" + _("Demandes d'avis et délais par spécialité") + "**\n")
            lines.append("| " + _("Spécialité") + " | " + _("Demandes") + " | " + _("Délai de rendez-vous") + " |")
            lines.append("| --- | ---: | ---: |")
            for row in rows[:12]:
                lines.append(f"| {row.specialty} | {row.sent} | {row.appointment_days} |")
            lines.append("")
    if apps.is_installed("snp"):
        from snp.selectors import month_figures

        snp = month_figures(territory_ids=territory_ids, month=issue.month)
        if snp["slots_offered"]:
            lines.append(
                "- "
                + _("Soins non programmés : %(offered)s créneaux proposés, %(booked)s réservés.")
                % {"offered": snp["slots_offered"], "booked": snp["slots_booked"]}
            )
    if apps.is_installed("waitlist"):
        from waitlist.statistics import shown_count, waitlist_monthly_figures

        waiting = waitlist_monthly_figures(territory_ids=territory_ids, month=issue.month)
        if waiting["signed_up"] or waiting["matched"] or waiting["waiting"]:

            def shown(value: int) -> str:
                if issue.edition == Edition.PUBLIC and shown_count(value).suppressed:
                    return _("moins de 10")
                return str(value)

            lines.append(
                "- "
                + _(
                    "Patients sans médecin traitant : %(signed_up)s inscriptions, %(matched)s patients ont trouvé un "
                    "médecin, %(waiting)s en attente à la fin du mois."
                )
                % {
                    "signed_up": shown(waiting["signed_up"]),
                    "matched": shown(waiting["matched"]),
                    "waiting": shown(waiting["waiting"]),
                }
            )
    if not lines:
        return ""
    return (_("En %(month)s sur le territoire :") % {"month": month_label}) + "\n\n" + "\n".join(lines)


@transaction.atomic
def issue_fill(*, acting_user, issue: Issue) -> int:
    """Adds the month's change events not yet in the issue and, once, the figures block. Returns how many items
    were added; a second fill adds nothing."""
    issue = Issue.objects.select_for_update().get(pk=issue.pk)
    known = set(issue.items.exclude(source_event=None).values_list("source_event_id", flat=True))
    position = _next_position(issue)
    new_items = []
    for event in change_events_of_month(territory=issue.territory, month=issue.month):
        if event.pk in known or event.kind not in SECTION_OF_KIND:
            continue
        title, body = event_item_text(event, edition=issue.edition)
        new_items.append(
            Item(
                issue=issue,
                section=SECTION_OF_KIND[event.kind],
                position=position,
                title=title,
                body=body,
                source_event=event,
            )
        )
        position += 10
    if not issue.items.filter(section=Section.FIGURES).exists():
        figures = _figures_markdown(acting_user=acting_user, issue=issue)
        if figures:
            new_items.append(
                Item(
                    issue=issue,
                    section=Section.FIGURES,
                    position=position,
                    title=_("Les chiffres du mois"),
                    body=figures,
                )
            )
    # The unique constraint backs the check above against a fill running at the same time.
    Item.objects.bulk_create(new_items, ignore_conflicts=True)
    return len(new_items)


def _default_title(territory: Territory, month: datetime.date, edition: str) -> str:
    return _("%(territory)s — la lettre de %(month)s") % {
        "territory": territory.name,
        "month": formats.date_format(month, "F Y"),
    }


@transaction.atomic
def issue_open(*, acting_user, month: datetime.date, edition: str, territory: Territory | None = None) -> Issue:
    """Opens the draft of that month and edition, filled from the directory. A second open is a 409 naming the
    existing issue."""
    territory = _coordinated_territory(acting_user, territory)
    check_edition(edition)
    month = month.replace(day=1)
    existing = Issue.objects.filter(territory=territory, month=month, edition=edition).first()
    if existing is not None:
        raise ApplicationError(
            _("Ce numéro existe déjà (%(edition)s, %(month)s) : ouvrez-le pour le modifier.")
            % {"edition": existing.get_edition_display(), "month": formats.date_format(month, "F Y")},
            code=CONFLICT,
            details={"issue": str(existing.public_id)},
        )
    try:
        with transaction.atomic():
            issue = Issue.objects.create(
                territory=territory,
                month=month,
                edition=edition,
                title=_default_title(territory, month, edition),
                created_by=acting_user,
            )
    except IntegrityError:
        raise ApplicationError(_("Ce numéro vient d'être ouvert par quelqu'un d'autre."), code=CONFLICT) from None
    issue_fill(acting_user=acting_user, issue=issue)
    return issue


@transaction.atomic
def issue_open_both(*, acting_user, month: datetime.date, territory: Territory | None = None) -> list[Issue]:
    """The professional and the public edition of the month from one draft: both opened and filled (the public
    one with the public wording); a written item is then added to both (``also_in_other_edition``)."""
    return [
        issue_open(acting_user=acting_user, month=month, edition=edition, territory=territory)
        for edition in (Edition.PROFESSIONAL, Edition.PUBLIC)
    ]


def _check_draft(issue: Issue) -> None:
    if issue.status != Issue.Status.DRAFT:
        raise ApplicationError(_("Ce numéro n'est plus un brouillon : il ne se modifie plus."), code=CONFLICT)


@transaction.atomic
def issue_update(*, acting_user, issue: Issue, title: str, editorial: str) -> Issue:
    _check_draft(issue)
    issue.title = title.strip() or issue.title
    issue.editorial = editorial
    issue.save(update_fields=["title", "editorial", "updated_at"])
    return issue


def sibling_issue(issue: Issue) -> Issue | None:
    """The other edition of the same month and territory, if opened."""
    return (
        Issue.objects.filter(territory_id=issue.territory_id, month=issue.month, status=Issue.Status.DRAFT)
        .exclude(pk=issue.pk)
        .first()
    )


@transaction.atomic
def item_create(
    *,
    acting_user,
    issue: Issue,
    section: str,
    title: str,
    body: str = "",
    event_starts_at=None,
    event_place: str = "",
    registration_url: str = "",
    also_in_other_edition: bool = False,
) -> Item:
    _check_draft(issue)
    if section not in Section.values:
        raise ApplicationError(_("Rubrique inconnue."), field="section")
    if not title.strip():
        raise ApplicationError(_("Donnez un titre."), field="title")
    fields = {
        "section": section,
        "title": title.strip(),
        "body": body,
        "event_starts_at": event_starts_at,
        "event_place": event_place,
        "registration_url": registration_url,
    }
    item = Item(issue=issue, position=_next_position(issue), **fields)
    item.full_clean()
    item.save()
    if also_in_other_edition:
        other = sibling_issue(issue)
        if other is not None:
            Item.objects.create(issue=other, position=_next_position(other), **fields)
    return item


@transaction.atomic
def item_update(
    *,
    acting_user,
    item: Item,
    title: str,
    body: str,
    included: bool,
    event_starts_at=None,
    event_place: str = "",
    registration_url: str = "",
) -> Item:
    _check_draft(item.issue)
    if not title.strip():
        raise ApplicationError(_("Donnez un titre."), field="title")
    item.title = title.strip()
    item.body = body
    item.included = included
    item.event_starts_at = event_starts_at
    item.event_place = event_place
    item.registration_url = registration_url
    item.full_clean(exclude=["issue", "image", "source_event"])
    item.save(update_fields=["title", "body", "included", "event_starts_at", "event_place", "registration_url"])
    return item


@transaction.atomic
def item_include(*, acting_user, item: Item, included: bool) -> Item:
    _check_draft(item.issue)
    item.included = included
    item.save(update_fields=["included"])
    return item


@transaction.atomic
def item_move(*, acting_user, item: Item, direction: str) -> Item:
    """Swaps the item with its neighbour in its section (``"up"`` or ``"down"``); positions are renumbered."""
    _check_draft(item.issue)
    if direction not in ("up", "down"):
        raise ApplicationError(_("Sens inconnu."), field="direction")
    siblings = list(
        Item.objects.select_for_update().filter(issue_id=item.issue_id, section=item.section).order_by("position", "id")
    )
    index = next(i for i, other in enumerate(siblings) if other.pk == item.pk)
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(siblings):
        siblings[index], siblings[target] = siblings[target], siblings[index]
    for position, other in enumerate(siblings):
        other.position = (position + 1) * 10
    Item.objects.bulk_update(siblings, ["position"])
    return next(other for other in siblings if other.pk == item.pk)


@transaction.atomic
def item_attach_image(*, acting_user, item: Item, image: StoredImage) -> Item:
    _check_draft(item.issue)
    item.image = image
    item.save(update_fields=["image"])
    return item

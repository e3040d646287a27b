"""Reads of issues: the coordinator's (their territories' issues, another territory's is 404) and the public
archive's (sent public issues only: the professional edition and the drafts are never there)."""

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from core.pages import NOT_FOUND
from directory.models import RoleGrant
from directory.permissions import coordinated_territory_ids
from newsletter.models import Edition, Issue, Item, Section


def issues_for_coordinator(user) -> QuerySet[Issue]:
    return (
        Issue.objects.filter(territory_id__in=coordinated_territory_ids(user))
        .select_related("territory")
        .annotate(item_count=Count("items", filter=Q(items__included=True)))
        .order_by("-month", "edition")
    )


def with_items(issues: QuerySet[Issue]) -> QuerySet[Issue]:
    return issues.prefetch_related(
        Prefetch("items", queryset=Item.objects.select_related("image").order_by("position", "id"))
    )


def issue_for_coordinator(user, public_id) -> Issue:
    issue = with_items(Issue.objects.filter(territory_id__in=coordinated_territory_ids(user), public_id=public_id))
    found = issue.select_related("territory").first()
    if found is None:
        raise ApplicationError(_("Numéro introuvable."), code=NOT_FOUND)
    return found


def items_in_letter_order(issue: Issue) -> list[Item]:
    """The issue's items as the letter shows them: by section, then by position (from the prefetch)."""
    order = {key: index for index, key in enumerate(Section.values)}
    return sorted(issue.items.all(), key=lambda item: (order[item.section], item.position, item.pk))


def item_for_coordinator(user, issue: Issue, item_id: int) -> Item:
    item = Item.objects.filter(issue=issue, pk=item_id).select_related("issue").first()
    if item is None:
        raise ApplicationError(_("Élément introuvable."), code=NOT_FOUND)
    return item


def public_archive() -> QuerySet[Issue]:
    """Sent issues of the public edition, newest first: what anyone may read."""
    return (
        Issue.objects.filter(edition=Edition.PUBLIC, status=Issue.Status.SENT)
        .select_related("territory")
        .order_by("-month", "-sent_at")
    )


def public_issue(public_id) -> Issue:
    found = with_items(public_archive().filter(public_id=public_id)).first()
    if found is None:
        raise ApplicationError(_("Numéro introuvable."), code=NOT_FOUND)
    return found


def issue_for_rendering(issue_id: int) -> Issue:
    """An issue with its items and territory, for the outbox's rendering of one of its messages (a worker, no
    user: the message row names the issue)."""
    return with_items(Issue.objects.filter(pk=issue_id)).select_related("territory").get()


def professional_territory_ids(user) -> set[int]:
    """The territories whose professional edition the user may read on the site: where they work (their entry,
    a secretary's practices) or hold a territorial role."""
    if not getattr(user, "is_authenticated", False):
        return set()
    grants = RoleGrant.objects.filter(user=user)
    ids = set(grants.exclude(territory=None).values_list("territory_id", flat=True))
    ids |= set(grants.exclude(practitioner=None).values_list("practitioner__territory_id", flat=True))
    ids |= set(grants.values_list("practices__territory_id", flat=True))
    ids.discard(None)
    return ids


def professional_archive(user) -> QuerySet[Issue]:
    """Sent issues of the professional edition of the user's territories, newest first."""
    return (
        Issue.objects.filter(
            edition=Edition.PROFESSIONAL, status=Issue.Status.SENT, territory_id__in=professional_territory_ids(user)
        )
        .select_related("territory")
        .order_by("-month", "-sent_at")
    )


def professional_issue(user, public_id) -> Issue:
    found = with_items(professional_archive(user).filter(public_id=public_id)).first()
    if found is None:
        raise ApplicationError(_("Numéro introuvable."), code=NOT_FOUND)
    return found

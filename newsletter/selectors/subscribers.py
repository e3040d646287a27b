"""The coordinator's reads of the subscribers: counts by edition and state, a searched page of the list, and
the account page's state. Scoped to the territories the user coordinates."""

from django.db.models import Count, Q, QuerySet

from directory.models import Territory
from directory.permissions import coordinated_territory_ids
from newsletter.models import Edition, Subscriber

PAGE_SIZE = 50


def newsletter_territories_of(user) -> QuerySet[Territory]:
    return Territory.objects.filter(pk__in=coordinated_territory_ids(user)).order_by("name")


def newsletter_territory_for_user(user, slug: str | None) -> Territory | None:
    """The territory a coordinator works on: the named one if they coordinate it (else None: a 404), else their
    first one."""
    territories = newsletter_territories_of(user)
    if slug:
        return territories.filter(slug=slug).first()
    return territories.first()


def _erased() -> Q:
    return Q(email__startswith="efface-", email__endswith="@invalid")


def subscriber_counts(territory: Territory) -> dict:
    """One query: per edition the receiving subscribers, and the states (unconfirmed, unsubscribed, bounced)."""
    receiving = Q(confirmed_at__isnull=False, unsubscribed_at__isnull=True, hard_bounced_at__isnull=True)
    aggregates = {"total": Count("pk", filter=~_erased())}
    for edition in Edition.values:
        aggregates[f"receiving_{edition}"] = Count("pk", filter=receiving & Q(editions__contains=[edition]))
    aggregates["confirmed"] = Count("pk", filter=receiving)
    aggregates["unconfirmed"] = Count(
        "pk", filter=Q(confirmed_at__isnull=True, unsubscribed_at__isnull=True) & ~_erased()
    )
    aggregates["unsubscribed"] = Count("pk", filter=Q(unsubscribed_at__isnull=False))
    aggregates["bounced"] = Count("pk", filter=Q(hard_bounced_at__isnull=False))
    return Subscriber.objects.filter(territory=territory).aggregate(**aggregates)


STATES = ("confirmed", "unconfirmed", "unsubscribed", "bounced")


def subscribers_search(territory: Territory, *, query: str = "", edition: str = "", state: str = "") -> QuerySet:
    rows = Subscriber.objects.filter(territory=territory).exclude(_erased()).order_by("email")
    if query:
        rows = rows.filter(Q(email__icontains=query) | Q(name__icontains=query))
    if edition in Edition.values:
        rows = rows.filter(editions__contains=[edition])
    if state == "confirmed":
        rows = rows.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True, hard_bounced_at__isnull=True)
    elif state == "unconfirmed":
        rows = rows.filter(confirmed_at__isnull=True, unsubscribed_at__isnull=True)
    elif state == "unsubscribed":
        rows = rows.filter(unsubscribed_at__isnull=False)
    elif state == "bounced":
        rows = rows.filter(hard_bounced_at__isnull=False)
    return rows


def account_subscriptions(user) -> list[Subscriber]:
    """The subscriber rows of an account (the account page's toggle)."""
    return list(Subscriber.objects.filter(user=user).select_related("territory").order_by("territory__name"))

"""The territory's change events, completed by the coordination: who takes over a departure or a retirement."""

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from directory.models import ChangeEvent, EntryRevision, Practitioner
from directory.permissions import coordinated_territory_ids
from directory.selectors.changes import SUCCESSION_KINDS
from directory.services.revisions import revision_record


@transaction.atomic
def change_event_successor_set(*, acting_user, event: ChangeEvent, successor: Practitioner | None) -> ChangeEvent:
    """Names (or clears, with None) who takes over a departure or a retirement. Coordinators of the event's
    territory only; the successor is another entry of that territory."""
    if event.territory_id not in coordinated_territory_ids(acting_user):
        raise ApplicationError(_("Ce changement n'existe pas."), code="not_found")
    event = ChangeEvent.objects.select_for_update(of=("self",)).select_related("practitioner").get(pk=event.pk)
    if event.kind not in SUCCESSION_KINDS:
        raise ApplicationError(_("Seuls un départ ou une retraite ont une suite."), field="successor")
    if successor is not None and (
        successor.pk == event.practitioner_id or successor.territory_id != event.territory_id
    ):
        raise ApplicationError(
            _("Choisissez un autre professionnel du territoire pour prendre la suite."), field="successor"
        )
    before = {"successor": str(event.successor) if event.successor_id else ""}
    event.successor = successor
    event.save(update_fields=["successor"])
    revision_record(
        actor=acting_user,
        action=EntryRevision.Action.UPDATED,
        object_type="practitioner",
        object_label=f"{event.practitioner} — {event.get_kind_display()}",
        practitioner=event.practitioner,
        before=before,
        after={"successor": str(successor) if successor else ""},
    )
    return event

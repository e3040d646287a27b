"""The change record of the directory: every write service calls ``revision_record`` in its transaction, so the
coordinator's feed says who changed what, when, and what it was before."""

import datetime
import decimal
import uuid
from collections.abc import Iterable

from django.db import models

from accounts.models import User
from directory.models import EntryRevision, Practice, Practitioner, Territory


def _json_value(value):
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | decimal.Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_json_value(item) for item in value]
    return value


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict:
    """The named fields of ``instance`` as JSON values (a foreign key as its label), for ``before``/``after``."""
    values = {}
    for name in fields:
        field = instance._meta.get_field(name)
        if field.many_to_many:
            values[name] = sorted(str(item) for item in getattr(instance, name).all()) if instance.pk else []
        else:
            values[name] = _json_value(getattr(instance, name))
    return values


def _territory_of(practitioner: Practitioner | None, practice: Practice | None) -> Territory | None:
    if practitioner is not None and practitioner.territory_id:
        return practitioner.territory
    if practice is not None and practice.territory_id:
        return practice.territory
    if practitioner is not None and practitioner.pk:
        first_practice = practitioner.practices.exclude(territory=None).select_related("territory").first()
        return first_practice.territory if first_practice else None
    return None


def revision_record(
    *,
    actor: User | None,
    action: str,
    object_type: str,
    object_label: str = "",
    practitioner: Practitioner | None = None,
    practice: Practice | None = None,
    before: dict | None = None,
    after: dict | None = None,
    actor_label: str = "",
) -> EntryRevision | None:
    """Writes one revision; an update that changed nothing writes none. Only the fields that differ are kept."""
    before = dict(before or {})
    after = dict(after or {})
    if action == EntryRevision.Action.UPDATED:
        changed = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
        if not changed:
            return None
        before = {key: value for key, value in before.items() if key in changed}
        after = {key: value for key, value in after.items() if key in changed}
    if not actor_label and actor is not None:
        actor_label = actor.get_full_name() or actor.email
    return EntryRevision.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        actor_label=actor_label[:255],
        action=action,
        practitioner=practitioner,
        practice=practice,
        territory=_territory_of(practitioner, practice),
        object_type=object_type,
        object_label=object_label[:255],
        before=before,
        after=after,
    )

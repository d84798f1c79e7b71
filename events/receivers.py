"""Signal receivers for tracked models: they run inside the saving transaction.

Connected once for every sender (`connect()`, from `EventsConfig.ready()`); each looks its
sender up in the registry, so a model tracked by any app is covered without importing it."""

from django.db.models import signals

from core.jobs.leases import job_status_changed
from events.registry import jsonable, tracking_for_model
from events.services import record_change, record_event

_OLD_VALUES = "_events_old_values"


def _values(tracking, instance, names: set[str] | None = None) -> dict:
    return {
        f.name: jsonable(getattr(instance, f.attname))
        for f in tracking.tracked_fields()
        if names is None or f.name in names or f.attname in names
    }


def _pre_save(sender, instance, raw=False, update_fields=None, **kwargs) -> None:

    tracking = tracking_for_model(sender)
    if raw or tracking is None or instance._state.adding:
        return
    fields = [
        f
        for f in tracking.tracked_fields()
        if update_fields is None or f.name in update_fields or f.attname in update_fields
    ]
    row = sender._base_manager.filter(pk=instance.pk).values(*(f.attname for f in fields)).first()
    old = {f.name: jsonable(row[f.attname]) for f in fields} if row is not None else None
    setattr(instance, _OLD_VALUES, old)


def _post_save(sender, instance, created=False, raw=False, update_fields=None, **kwargs) -> None:

    tracking = tracking_for_model(sender)
    if raw or tracking is None:
        return
    old = instance.__dict__.pop(_OLD_VALUES, None)
    if created or old is None:
        changes = {name: [None, value] for name, value in _values(tracking, instance).items()}
        record_change(tracking, instance, "create", changes)
        return
    new = _values(tracking, instance, set(old))
    changes = {name: [old[name], value] for name, value in new.items() if old[name] != value}
    if changes:
        record_change(tracking, instance, "update", changes)


def _post_delete(sender, instance, origin=None, **kwargs) -> None:

    tracking = tracking_for_model(sender)
    if tracking is None or getattr(origin, "deletes_audit_trail", False):
        return  # the whole organization, and its audit trail with it, is going away
    changes = {name: [value, None] for name, value in _values(tracking, instance).items()}
    record_change(tracking, instance, "destroy", changes)


_M2M_BEFORE = "_events_m2m_before"


def _related_ids(instance, name: str) -> list[str]:
    return sorted(str(pk) for pk in getattr(instance, name).values_list("pk", flat=True))


def _m2m_changed(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    """Forward many-to-many edits (`member.teams.add(team)`) are updates of `instance`.

    Edits made from the other side (`team.members.add(member)`) are not recorded.
    """

    tracking = tracking_for_model(type(instance))
    if reverse or tracking is None:
        return
    field = next(f for f in type(instance)._meta.many_to_many if f.remote_field.through is sender)
    if field.name in tracking.exclude:
        return
    if action.startswith("pre_"):
        before = sorted(
            str(pk) for pk in getattr(instance, field.name).values_list("pk", flat=True)
        )
        instance.__dict__.setdefault(_M2M_BEFORE, {})[field.name] = before
        return
    before = instance.__dict__.get(_M2M_BEFORE, {}).pop(field.name, None)
    if before is None:
        return
    after = _related_ids(instance, field.name)
    if before != after:
        record_change(tracking, instance, "update", {field.name: [before, after]})


def _job_status_changed(sender, job, topic: str, old: str, new: str, **kwargs) -> None:
    record_event(job, topic, changes={"status": [old, new]})


def connect() -> None:
    signals.pre_save.connect(_pre_save, dispatch_uid="events-pre-save")
    signals.post_save.connect(_post_save, dispatch_uid="events-post-save")
    signals.post_delete.connect(_post_delete, dispatch_uid="events-post-delete")
    signals.m2m_changed.connect(_m2m_changed, dispatch_uid="events-m2m-changed")
    job_status_changed.connect(_job_status_changed, dispatch_uid="events-job-status")

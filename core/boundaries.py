"""The tenancy boundary of every write, kept below every door (API, admin, shell, commands).

Two rules, enforced at the model layer so no surface can walk past them:

- a row's organization (and mode, for a data row) is fixed once it exists;
- every foreign key and many-to-many between tenant-owned rows joins rows of one organization,
  and of one mode when both rows have one (a data row may name an account-level member of its
  organization from either mode).

Relations are found from `_meta` (any relation whose both ends have an `organization` foreign
key), so a new model is covered without being listed here. `TenantModel` / `OrganizationModel`
call `check_save` from `save()` and `clean()`, `TenantQuerySet` from its bulk writes, and a
`m2m_changed` receiver (connected in `ApiConfig.ready`) guards many-to-many adds. What is
written behind the ORM's back anyway (raw SQL, `QuerySet.update()` of a foreign key, rows of an
auto-created through table written directly: Django sends them no signal), `manage.py
check_tenancy` finds.
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connection, models
from django.db.models.signals import m2m_changed

# Where an instance keeps the owner and link values last read from or written to the database.
_STORED = "_tenancy_stored"
_MISSING = object()


class TenancyBoundaryError(ValidationError):
    """A write that would cross organizations or modes; the message says which field and why."""


def is_tenant_owned(model: type[models.Model]) -> bool:
    """Whether rows of `model` belong to one organization (data or account-level rows)."""
    try:
        field = model._meta.get_field("organization")
    except FieldDoesNotExist:
        return False
    return field.many_to_one and field.concrete


def has_mode(model: type[models.Model]) -> bool:
    """Whether rows of `model` are data rows of one mode (a `TenantModel`), not account-level."""
    try:
        model._meta.get_field("mode")
    except FieldDoesNotExist:
        return False
    return is_tenant_owned(model)


@dataclass(frozen=True)
class Link:
    """A foreign key or many-to-many from one tenant-owned model to another."""

    field: models.Field
    same_mode: bool

    @property
    def model(self) -> type[models.Model]:
        return self.field.model

    @property
    def target(self) -> type[models.Model]:
        return self.field.related_model


def _link(field: models.Field) -> Link:
    return Link(field, same_mode=has_mode(field.model) and has_mode(field.related_model))


@cache
def foreign_keys(model: type[models.Model]) -> tuple[Link, ...]:
    if not is_tenant_owned(model):
        return ()
    return tuple(
        _link(field)
        for field in model._meta.concrete_fields
        if field.is_relation
        and field.name != "organization"
        and is_tenant_owned(field.related_model)
    )


@cache
def many_to_many(model: type[models.Model]) -> tuple[Link, ...]:
    if not is_tenant_owned(model):
        return ()
    return tuple(
        _link(field)
        for field in model._meta.local_many_to_many
        if is_tenant_owned(field.related_model)
    )


@cache
def _owner_fields(model: type[models.Model]) -> tuple[models.Field, ...]:
    if not is_tenant_owned(model):  # e.g. a version's files: owned through their version
        return ()
    names = ("organization", "mode") if has_mode(model) else ("organization",)
    return tuple(model._meta.get_field(name) for name in names)


@cache
def _tracked(model: type[models.Model]) -> tuple[models.Field, ...]:
    return _owner_fields(model) + tuple(link.field for link in foreign_keys(model))


def _describe(model: type[models.Model], pk, organization_id, mode=None) -> str:
    where = f"organization {organization_id}" + (f", mode {mode}" if mode is not None else "")
    return f"{model._meta.label} {pk} ({where})"


def _uuid_of(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _crossing(link: Link, source: tuple, target: tuple) -> str | None:
    """What the link between owners `source` and `target` ((organization, mode)) crosses."""
    if source[0] is None:  # an unfinished form: the missing organization is its own error
        return None
    if _uuid_of(source[0]) != _uuid_of(target[0]):
        return "organizations"
    if link.same_mode and source[1] and source[1] != target[1]:
        return "modes"
    return None


def _link_error(link: Link, source, source_owner, target_pk, target_owner, crosses) -> str:
    mode = link.same_mode
    return (
        f"{link.field.name}: {_describe(link.model, source.pk, *source_owner[: 1 + mode])} "
        f"cannot link {_describe(link.target, target_pk, *target_owner[: 1 + mode])}: "
        f"the link crosses {crosses}; a relation joins rows of one organization"
        + (" and mode." if mode else ".")
    )


# -- what was stored ---------------------------------------------------------------------------


def remember(instance: models.Model, fields: Iterable[str] | None = None) -> None:
    """Note the owner and link values the database holds for `instance` (after a load, a
    refresh or a save of `fields`, attnames or names; all when None)."""
    wanted = None if fields is None else set(fields)
    stored = dict(instance.__dict__.get(_STORED, {}))  # a copy: copies of an instance share it
    for field in _tracked(type(instance)):
        if wanted is not None and field.name not in wanted and field.attname not in wanted:
            continue
        if field.attname in instance.__dict__:
            stored[field.attname] = instance.__dict__[field.attname]
    instance.__dict__[_STORED] = stored


def _stored_value(instance: models.Model, field: models.Field):
    stored = instance.__dict__.get(_STORED, {})
    if field.attname in stored:
        return stored[field.attname]
    # Assigned over a deferred, never loaded value: ask the database.
    return (
        type(instance)
        ._base_manager.filter(pk=instance.pk)
        .values_list(field.attname, flat=True)
        .first()
    )


def _written(field: models.Field, fields: set[str] | None) -> bool:
    return fields is None or field.name in fields or field.attname in fields


# -- the checks --------------------------------------------------------------------------------


def owner_errors(instance: models.Model, fields: set[str] | None = None) -> dict[str, list[str]]:
    """A saved row whose organization or mode was changed in memory."""
    if instance._state.adding:
        return {}
    errors: dict[str, list[str]] = {}
    for field in _owner_fields(type(instance)):
        if field.attname not in instance.__dict__ or not _written(field, fields):
            continue  # deferred and untouched, or not written by this save
        before = _stored_value(instance, field)
        now = instance.__dict__[field.attname]
        if before is not None and field.to_python(now) != field.to_python(before):
            errors[field.name] = [
                f"{field.name}: {type(instance)._meta.label} {instance.pk} belongs to "
                f"{field.name} {before}; a row's organization and mode cannot change "
                f"(asked: {now})."
            ]
    return errors


def link_errors(
    objs: Iterable[models.Model], fields: set[str] | None = None
) -> dict[str, list[str]]:
    """Foreign keys of `objs` (rows of one model) that point at another tenant's row.

    A related object cached on the instance is read from memory; a link set by id only is
    looked up with one `values_list()` query per field; a link unchanged since it was loaded
    is not checked again.
    """
    errors: dict[str, list[str]] = defaultdict(list)
    lookups: dict[Link, list[tuple[models.Model, object]]] = defaultdict(list)
    for obj in objs:
        stored = obj.__dict__.get(_STORED, {})
        for link in foreign_keys(type(obj)):
            field = link.field
            value = obj.__dict__.get(field.attname)
            if value is None or not _written(field, fields):
                continue
            if not obj._state.adding and stored.get(field.attname, _MISSING) == value:
                continue
            target = field.get_cached_value(obj, default=None)
            if target is not None and "organization_id" in target.__dict__:
                owner = (target.organization_id, getattr(target, "mode", None))
                _add_link_error(errors, link, obj, value, owner)
            else:
                lookups[link].append((obj, value))
    for link, pending in lookups.items():
        to = link.field.target_field.attname
        columns = [to, "organization_id"] + (["mode"] if link.same_mode else [])
        owners = {
            link.field.target_field.to_python(row[0]): (row[1], row[2] if link.same_mode else None)
            for row in link.target._base_manager.filter(
                **{f"{to}__in": {value for _, value in pending}}
            ).values_list(*columns)
        }
        for obj, value in pending:
            owner = owners.get(link.field.target_field.to_python(value))
            if owner is not None:  # a missing row is the foreign key constraint's to refuse
                _add_link_error(errors, link, obj, value, owner)
    return dict(errors)


def _add_link_error(errors, link: Link, obj, target_pk, target_owner) -> None:
    source_owner = (obj.organization_id, getattr(obj, "mode", None))
    crosses = _crossing(link, source_owner, target_owner)
    if crosses:
        errors[link.field.name].append(
            _link_error(link, obj, source_owner, target_pk, target_owner, crosses)
        )


def check_save(objs: Iterable[models.Model], fields: Iterable[str] | None = None) -> None:
    """Refuse writing `objs` (of one model) when it changes an owner or crosses a tenant."""
    objs = list(objs)
    wanted = None if fields is None else set(fields)
    errors: dict[str, list[str]] = defaultdict(list)
    for obj in objs:
        for name, messages in owner_errors(obj, wanted).items():
            errors[name].extend(messages)
    for name, messages in link_errors(objs, wanted).items():
        errors[name].extend(messages)
    if errors:
        raise TenancyBoundaryError(dict(errors))


def check_clean(instance: models.Model) -> None:
    """`Model.clean()`'s part: the same refusal, as form-wide errors (the form may not show
    the field concerned, e.g. a read-only organization)."""
    try:
        check_save([instance])
    except TenancyBoundaryError as error:
        raise TenancyBoundaryError(error.messages) from None


def check_many_to_many(instance: models.Model, name: str, targets: Iterable[models.Model]) -> None:
    """Refuse, before anything is written, setting the many-to-many `name` of `instance` to
    `targets` (instances): what a form's `clean()` can call to show the error on the form,
    since the `m2m_changed` guard runs only once the row itself is saved."""
    link = next(link for link in many_to_many(type(instance)) if link.field.name == name)
    source_owner = (instance.organization_id, getattr(instance, "mode", None))
    messages = []
    for target in targets:
        target_owner = (target.organization_id, getattr(target, "mode", None))
        crosses = _crossing(link, source_owner, target_owner)
        if crosses:
            messages.append(
                _link_error(link, instance, source_owner, target.pk, target_owner, crosses)
            )
    if messages:
        raise TenancyBoundaryError({name: messages})


def check_update(queryset: models.QuerySet, values: dict) -> None:
    """`QuerySet.update()` cannot move rows to another organization or mode."""
    model = queryset.model
    for field in _owner_fields(model):
        if field.name in values or field.attname in values:
            raise TenancyBoundaryError(
                {
                    field.name: [
                        f"{field.name}: rows of {model._meta.label} cannot change their "
                        "organization or mode."
                    ]
                }
            )


def _many_to_many_added(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    """Refuse adding rows of another tenant to a many-to-many, from either side."""
    if action != "pre_add" or not pk_set:
        return
    link = _through_links()[sender]
    same_mode = link.same_mode
    owner = {"organization_id": instance.organization_id}
    if same_mode:
        owner["mode"] = instance.mode
    columns = ["pk", "organization_id"] + (["mode"] if same_mode else [])
    crossing = list(
        model._base_manager.filter(pk__in=pk_set).exclude(**owner).values_list(*columns)[:10]
    )
    if not crossing:
        return
    source_owner = (instance.organization_id, getattr(instance, "mode", None))
    messages = []
    for pk, *target_owner in crossing:
        target_owner = (target_owner[0], target_owner[1] if same_mode else None)
        crosses = _crossing(link, source_owner, target_owner)
        if reverse:  # `skill.plugins.add(plugin)`: the link is the plugin's `skills`
            messages.append(
                _link_error(link, _Row(pk), target_owner, instance.pk, source_owner, crosses)
            )
        else:
            messages.append(_link_error(link, instance, source_owner, pk, target_owner, crosses))
    raise TenancyBoundaryError({link.field.name: messages})


@dataclass(frozen=True)
class _Row:
    pk: object


@cache
def _through_links() -> dict[type[models.Model], Link]:
    return {
        link.field.remote_field.through: link
        for model in apps.get_models()
        for link in many_to_many(model)
    }


def connect() -> None:
    """Guard every many-to-many between tenant-owned models (from `ApiConfig.ready`)."""
    for through in _through_links():
        uid = f"tenancy-{through._meta.label}"
        m2m_changed.connect(_many_to_many_added, sender=through, dispatch_uid=uid)


# -- stored data -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    relation: str
    source: str
    target: str
    crosses: str

    def __str__(self) -> str:
        return f"{self.relation}: {self.source} -> {self.target} crosses {self.crosses}"


def _find(link: Link, sql: str) -> Iterator[Finding]:
    source, target = link.model, link.target
    with connection.cursor() as cursor:
        cursor.execute(sql)
        while rows := cursor.fetchmany(1000):
            for source_pk, target_pk, source_org, target_org, *modes in rows:
                source_mode, target_mode = modes if modes else (None, None)
                source_owner = (_uuid(source, "organization", source_org), source_mode)
                target_owner = (_uuid(target, "organization", target_org), target_mode)
                yield Finding(
                    f"{source._meta.label}.{link.field.name}",
                    _describe(
                        source, source._meta.pk.to_python(source_pk), *_owned(link, source_owner)
                    ),
                    _describe(
                        target, target._meta.pk.to_python(target_pk), *_owned(link, target_owner)
                    ),
                    _crossing(link, source_owner, target_owner) or "?",
                )


def _uuid(model, name, value):
    return model._meta.get_field(name).target_field.to_python(value)


def _owned(link: Link, owner: tuple) -> tuple:
    return owner if link.same_mode else owner[:1]


def _crossing_sql(link: Link, joins: str) -> str:
    """The rows of a relation whose two ends (`a`, `b`, joined by `joins`) differ in owner."""
    q = connection.ops.quote_name
    a, b = link.model._meta, link.target._meta
    columns = [f"a.{q(a.pk.column)}", f"b.{q(b.pk.column)}"]
    conditions = []
    for name in ("organization", "mode") if link.same_mode else ("organization",):
        a_column = f"a.{q(a.get_field(name).column)}"
        b_column = f"b.{q(b.get_field(name).column)}"
        columns.append(a_column)
        columns.append(b_column)
        conditions.append(f"{a_column} <> {b_column}")
    return f"SELECT {', '.join(columns)} FROM {joins} WHERE {' OR '.join(conditions)}"


def stored_crossings() -> Iterator[Finding]:
    """Every stored foreign key and many-to-many row that joins two tenants: one SQL join per
    relation, streamed, so a big table is read once and never loaded into memory."""
    q = connection.ops.quote_name
    for model in apps.get_models():
        if model._meta.proxy:
            continue
        source = model._meta
        for link in foreign_keys(model):
            joins = (
                f"{q(source.db_table)} a JOIN {q(link.target._meta.db_table)} b "
                f"ON b.{q(link.field.target_field.column)} = a.{q(link.field.column)}"
            )
            yield from _find(link, _crossing_sql(link, joins))
        for link in many_to_many(model):
            through = link.field.remote_field.through._meta
            source_column = through.get_field(link.field.m2m_field_name()).column
            target_column = through.get_field(link.field.m2m_reverse_field_name()).column
            target = link.target._meta
            joins = (
                f"{q(through.db_table)} t "
                f"JOIN {q(source.db_table)} a ON a.{q(source.pk.column)} = t.{q(source_column)} "
                f"JOIN {q(target.db_table)} b ON b.{q(target.pk.column)} = t.{q(target_column)}"
            )
            yield from _find(link, _crossing_sql(link, joins))

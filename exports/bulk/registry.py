"""The registry of exportable resource types: adding a type is one declaration.

    exportable("teams", viewset=TeamViewSet)

derives everything from the viewset: the model, the attributes (the serializer's model fields,
with their `source`), the includable relationships (the serializer's relationship fields; the
target type is the included serializer's `resource_name`, or the exportable declared for the
related model) and the FilterSet (the viewset's `filterset_class`, the same one the list endpoint
uses, so export `filters` and list filters are one vocabulary). Any part can be given
explicitly instead: `attributes={"name": "name", "owner_email": "owner__email"}`,
`relationships={"teams": "teams"}` (model relation names), `filterset=...`, `model=...`,
`ordering=(...)`, `exclude=(...)` (attributes never exported) and `private=(...)` (extra
attributes dropped by `dry_data`).

Declarations live in `exports/exportables.py`, imported by `ExportsConfig.ready()`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.module_loading import import_string
from rest_framework import relations
from rest_framework import serializers as drf_serializers
from rest_framework.settings import api_settings

from api.filters import ResourceFilterSet
from api.serializers import META_FIELDS

_registry: dict[str, Exportable] = {}


@dataclass
class Relationship:
    name: str
    target_model: type[models.Model]
    many: bool
    # to-one through a column of the parent (`organization_id`): the related rows are fetched by
    # primary key; otherwise by `child_lookup__in=<parent ids>` from the related side.
    parent_key: str | None = None
    child_lookup: str | None = None
    target_type: str | None = None

    def target(self) -> Exportable:
        if self.target_type is not None:
            return get(self.target_type)
        for candidate in _registry.values():
            if candidate.model is self.target_model:
                return candidate
        raise KeyError(f"No exportable type for {self.target_model.__name__}.")


@dataclass
class Exportable:
    type_name: str
    model: type[models.Model]
    attributes: dict[str, str]
    relationships: dict[str, Relationship]
    filterset: type[ResourceFilterSet] | None = None
    # Oldest first: the tenant's list index (`-created_at, id`, core.models.list_index) read
    # backwards, so the export streams from the index with no sort before its first row.
    ordering: tuple[str, ...] = ("created_at", "-id")
    private: frozenset[str] = field(default_factory=frozenset)

    def queryset(self, tenant) -> models.QuerySet:
        """The rows of this type one tenant (organization and mode) may export."""
        return self.model._default_manager.all().for_tenant(tenant)

    def dry_attributes(self) -> list[str]:
        """Attributes kept by `dry_data`: no timestamps, no organization data, no private ones."""
        kept = []
        for name, path in self.attributes.items():
            model_field = _model_field(self.model, path)
            timestamp = isinstance(model_field, models.DateTimeField)
            organization = path.split("__")[0] in ("organization", "organization_id")
            if not (timestamp or organization or name in self.private or name == "id"):
                kept.append(name)
        return kept

    def includable(self, dry: bool = False) -> dict[str, Relationship]:
        relationships = {}
        for name, relationship in self.relationships.items():
            try:
                target = relationship.target()
            except KeyError:
                continue
            if dry and target.type_name == "organizations":
                continue
            relationships[name] = relationship
        return relationships


def _model_field(model, path: str):
    current = model
    model_field = None
    for part in path.split("__"):
        model_field = current._meta.pk if part == "pk" else current._meta.get_field(part)
        if model_field.is_relation and model_field.related_model is not None:
            current = model_field.related_model
    return model_field


def _relationship(model, name: str, source: str, target_type: str | None) -> Relationship:
    model_field = model._meta.get_field(source)
    target_model = model_field.related_model
    if model_field.concrete and (model_field.many_to_one or model_field.one_to_one):
        return Relationship(
            name, target_model, False, parent_key=model_field.attname, target_type=target_type
        )
    if model_field.concrete and model_field.many_to_many:
        lookup = model_field.related_query_name()
        return Relationship(name, target_model, True, child_lookup=lookup, target_type=target_type)
    # reverse relations: the related model holds the forward field
    return Relationship(
        name,
        target_model,
        not model_field.one_to_one,
        child_lookup=model_field.field.name,
        target_type=target_type,
    )


def _resource_name(serializer) -> str | None:
    if isinstance(serializer, str):
        serializer = import_string(serializer)
    return getattr(getattr(serializer, "Meta", None), "resource_name", None)


def _from_serializer(model, serializer_class) -> tuple[dict[str, str], dict[str, Relationship]]:
    attributes: dict[str, str] = {"id": "pk"}
    relationships: dict[str, Relationship] = {}
    declared = serializer_class._declared_fields
    included = getattr(serializer_class, "included_serializers", {})
    for name in serializer_class.Meta.fields:
        if name in (api_settings.URL_FIELD_NAME, *META_FIELDS):
            continue
        serializer_field = declared.get(name)
        source = getattr(serializer_field, "source", None) or name
        if isinstance(serializer_field, (relations.RelatedField, relations.ManyRelatedField)):
            # A relationship without a model relation (the audit trail, a computed
            # current_version) needs an explicit declaration to be includable.
            with contextlib.suppress(FieldDoesNotExist):
                relationships[name] = _relationship(
                    model, name, source, _resource_name(included.get(name))
                )
            continue
        if isinstance(serializer_field, drf_serializers.SerializerMethodField) or source == "*":
            continue
        path = source.replace(".", "__")
        try:
            model_field = _model_field(model, path)
        except Exception:
            continue  # a property or method: not exportable without an explicit declaration
        if model_field.is_relation:
            relationships[name] = _relationship(
                model, name, path, _resource_name(included.get(name))
            )
        else:
            attributes[name] = path
    return attributes, relationships


def exportable(
    type_name: str,
    viewset: Any = None,
    *,
    model: type[models.Model] | None = None,
    serializer: Any = None,
    attributes: Mapping[str, str] | Iterable[str] | None = None,
    relationships: Mapping[str, str] | None = None,
    filterset: type[ResourceFilterSet] | None = None,
    ordering: tuple[str, ...] | None = None,
    exclude: Iterable[str] = (),
    private: Iterable[str] = (),
) -> Exportable:
    """Declare `type_name` exportable; see the module docstring."""
    if viewset is not None:
        model = model or viewset.queryset.model
        serializer = serializer or viewset.serializer_class
        filterset = filterset or getattr(viewset, "filterset_class", None)
    if model is None:
        raise ValueError(f"exportable({type_name!r}) needs a viewset or a model.")
    derived_attributes, derived_relationships = (
        _from_serializer(model, serializer) if serializer is not None else ({"id": "pk"}, {})
    )
    if attributes is not None:
        if not isinstance(attributes, Mapping):
            attributes = {name: name for name in attributes}
        derived_attributes = {"id": "pk", **attributes}
    if relationships is not None:
        derived_relationships = {
            name: _relationship(model, name, source, None) for name, source in relationships.items()
        }
    for name in exclude:
        derived_attributes.pop(name, None)
        derived_relationships.pop(name, None)
    declaration = Exportable(
        type_name=type_name,
        model=model,
        attributes=derived_attributes,
        relationships=derived_relationships,
        filterset=filterset,
        ordering=ordering or Exportable.ordering,
        private=frozenset(private),
    )
    _registry[type_name] = declaration
    return declaration


def get(type_name: str) -> Exportable:
    return _registry[type_name]


def exportable_types() -> list[str]:
    return sorted(_registry)

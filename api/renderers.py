import contextlib

import orjson
from rest_framework import renderers
from rest_framework.settings import api_settings
from rest_framework_json_api.relations import (
    ManySerializerMethodResourceRelatedField,
    ResourceRelatedField,
    SkipDataMixin,
)
from rest_framework_json_api.renderers import JSONRenderer
from rest_framework_json_api.settings import json_api_settings
from rest_framework_json_api.utils import is_relationship_field

from api.serializers import (
    LinksOnlyRelatedField,
    PrefetchedManyRelatedField,
    RelationshipLinksMixin,
)

# Datetimes and dataclasses go through DRF's encoder (`Z` for UTC, as the stdlib path writes).
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


class OrjsonRenderer(renderers.JSONRenderer):
    """DRF's compact JSON, byte for byte, encoded by orjson (several times faster on big pages).

    What orjson cannot write as the stdlib does (indentation, ASCII-only output, integers beyond
    64 bits, non-string keys) goes to DRF's own renderer. Known difference: a small float is
    written `1e-7` or `0.00001` rather than `1e-07` or `1e-05` (the same number).
    """

    use_orjson = True  # False: DRF's stdlib path (the reference the tests compare against)

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        indent = self.get_indent(accepted_media_type, renderer_context or {})
        if self.use_orjson and indent is None and self.compact and not self.ensure_ascii:
            try:
                rendered = orjson.dumps(
                    data, default=self.encoder_class().default, option=_ORJSON_OPTIONS
                )
            except TypeError:  # orjson.JSONEncodeError; the stdlib path says what is wrong
                pass
            else:
                # As DRF does: JSON that is also a strict JavaScript subset.
                return rendered.replace(b"\xe2\x80\xa8", b"\\u2028").replace(
                    b"\xe2\x80\xa9", b"\\u2029"
                )
        return super().render(data, accepted_media_type, renderer_context)


# A response's members the library's renderer does not write, set by a paginator that applies
# a profile: `{"profile": [uri, ...], "item_cursors": [cursor per item]}`.
DOCUMENT_EXTRAS = "_profile_extras"


class _ProfileMembers(OrjsonRenderer):
    """Writes the document the library built, adding a profile's members: `jsonapi.profile`
    (JSON:API 1.1) and each primary item's `meta.page.cursor` (the cursor pagination profile)."""

    extras: dict | None = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        extras = self.extras
        if extras and isinstance(data, dict) and isinstance(data.get("data"), list):
            data["jsonapi"] = {"version": "1.1", "profile": extras["profile"]}
            for item, cursor in zip(data["data"], extras["item_cursors"], strict=False):
                item.setdefault("meta", {})["page"] = {"cursor": cursor}
        return super().render(data, accepted_media_type, renderer_context)


class JsonApiRenderer(JSONRenderer, _ProfileMembers):
    media_type = "application/vnd.api+json"
    format = "vnd.api+json"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, dict):
            self.extras = data.pop(DOCUMENT_EXTRAS, None)
        return super().render(data, accepted_media_type, renderer_context)

    @classmethod
    def extract_relation_instance(cls, field, resource_instance):
        if isinstance(field, PrefetchedManyRelatedField):
            # An included relation is needed even where its linkage was skipped as too costly.
            return getattr(resource_instance, field.source).all()
        return super().extract_relation_instance(field, resource_instance)

    @classmethod
    def extract_included(cls, fields, resource, resource_instance, included_resources, cache):
        # A path named twice (`include=a,a`) would otherwise be walked again one level down,
        # where the name may mean another relationship.
        unique = list(dict.fromkeys(included_resources))
        if resource_instance:
            # A to-one already included (the same creator on every row) is skipped by the
            # library only after it has fetched the related object again: skip it first.
            unique = [
                path
                for path in unique
                if not _included_already(fields, resource, path.split(".")[0], cache)
            ]
            if not unique:
                return None
        return super().extract_included(fields, resource, resource_instance, unique, cache)

    @classmethod
    def extract_attributes(cls, fields, resource):
        if json_api_settings.FORMAT_FIELD_NAMES:
            return super().extract_attributes(fields, resource)
        # The library's selection, with the attribute names worked out once per field set.
        names = _attribute_names(fields)
        return {name: value for name, value in resource.items() if name in names}

    @classmethod
    def extract_relationships(cls, fields, resource, resource_instance):
        if resource_instance is None:
            return super().extract_relationships(fields, resource, resource_instance)
        relationships, others = {}, {}
        for name, field in fields.items():
            kind = _relationship_kind(field)
            if kind is None:
                continue
            if kind is _LINKS or (kind is _MANY and name not in resource):
                # Links need only the id: the library would build each relation's queryset
                # first (and for a to-many list row without linkage, drop it again).
                relation = getattr(field, "child_relation", field)
                links = relation.get_links(resource_instance, relation.related_link_lookup_field)
                relationships[name] = {"links": links}
            elif kind is _TO_ONE:
                # The library's own steps for a to-one, without its per-field type lookups.
                links = field.get_links(resource_instance, field.related_link_lookup_field)
                relation = {"links": links} if links else {}
                relation["data"] = resource.get(name)
                relationships[name] = relation
            else:
                others[name] = field
        if others:
            relationships.update(super().extract_relationships(others, resource, resource_instance))
            for name, field in others.items():
                capped = _relationship_kind(field) is _MANY and field.linkage_meta is not None
                if capped and name in relationships:
                    # Capped linkage: the count is the relationship's, not the data's.
                    relationships[name]["meta"] = dict(field.linkage_meta)
            # The declared order, as the library writes it.
            return {name: relationships[name] for name in fields if name in relationships}
        return relationships


_LINKS, _TO_ONE, _MANY, _OTHER = "links", "to-one", "many", "other"


def _relationship_kind(field) -> str | None:
    """How `extract_relationships` renders a field, worked out once per field object: the
    library re-derives it (and the related type) for every field of every row."""
    try:
        return field._relationship_kind
    except AttributeError:
        pass
    relation = getattr(field, "child_relation", field)
    if (
        field.field_name == api_settings.URL_FIELD_NAME
        or field.write_only
        or not is_relationship_field(field)
    ):
        kind = None
    elif isinstance(relation, LinksOnlyRelatedField):
        kind = _LINKS
    elif isinstance(field, PrefetchedManyRelatedField):
        kind = _MANY
    elif isinstance(field, RelationshipLinksMixin) and not isinstance(
        field, (SkipDataMixin, ManySerializerMethodResourceRelatedField)
    ):
        kind = _TO_ONE
    else:
        kind = _OTHER
    field._relationship_kind = kind
    return kind


def _included_already(fields, resource, name: str, cache) -> bool:
    """Whether the library would skip including `name` of this row as a to-one it has."""
    field = fields.get(name)
    if not isinstance(field, ResourceRelatedField) or "child_relation" in field._kwargs:
        return False
    linkage = resource.get(name)
    return bool(linkage) and linkage["id"] in cache.get(linkage["type"], ())


def _attribute_names(fields) -> frozenset[str]:
    """The names `extract_attributes` keeps: not `id`, not a relationship. Kept on the
    serializer's field dict, which every row of a list shares."""
    cached = getattr(fields, "_attribute_names", None)
    if cached is not None and cached[0] == len(fields):
        return cached[1]
    names = frozenset(
        name for name, field in fields.items() if name != "id" and not is_relationship_field(field)
    )
    # Not on a plain dict (a sparse fieldset's selection, made per row).
    with contextlib.suppress(AttributeError):
        fields._attribute_names = (len(fields), names)
    return names

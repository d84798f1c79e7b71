import orjson
from rest_framework import renderers
from rest_framework_json_api.renderers import JSONRenderer

from api.serializers import LinksOnlyRelatedField, PrefetchedManyRelatedField

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


class JsonApiRenderer(JSONRenderer, OrjsonRenderer):
    media_type = "application/vnd.api+json"
    format = "vnd.api+json"

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
        return super().extract_included(fields, resource, resource_instance, unique, cache)

    @classmethod
    def extract_relationships(cls, fields, resource, resource_instance):
        links_only = {
            name: getattr(field, "child_relation", field)
            for name, field in fields.items()
            if isinstance(getattr(field, "child_relation", field), LinksOnlyRelatedField)
            # A to-many relationship without linkage on this row (a list row, not included):
            # the library would build its related manager and queryset just to drop them.
            or (isinstance(field, PrefetchedManyRelatedField) and name not in resource)
        }
        others = {name: field for name, field in fields.items() if name not in links_only}
        relationships = super().extract_relationships(others, resource, resource_instance)
        if resource_instance is None:
            return relationships
        # Links need only the id: the library would build each relation's queryset first.
        for name, relation in links_only.items():
            relationships[name] = {
                "links": relation.get_links(resource_instance, relation.related_link_lookup_field)
            }
        for name, field in fields.items():
            if not isinstance(field, PrefetchedManyRelatedField):
                continue
            if name not in resource:
                # Not prefetched: links only, rather than a misleading `data: null`.
                relationships.get(name, {}).pop("data", None)
                relationships.get(name, {}).pop("meta", None)
            elif field.linkage_meta is not None and name in relationships:
                # Capped linkage: the count is the relationship's, not the data's.
                relationships[name]["meta"] = dict(field.linkage_meta)
        # The declared order, as the library writes it.
        return {name: relationships[name] for name in fields if name in relationships}

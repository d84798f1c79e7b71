from rest_framework_json_api.renderers import JSONRenderer

from api.serializers import PrefetchedManyRelatedField


class JsonApiRenderer(JSONRenderer):
    media_type = "application/vnd.api+json"
    format = "vnd.api+json"

    @classmethod
    def extract_relation_instance(cls, field, resource_instance):
        if isinstance(field, PrefetchedManyRelatedField):
            # An included relation is needed even where its linkage was skipped as too costly.
            return getattr(resource_instance, field.source).all()
        return super().extract_relation_instance(field, resource_instance)

    @classmethod
    def extract_relationships(cls, fields, resource, resource_instance):
        relationships = super().extract_relationships(fields, resource, resource_instance)
        for name, field in fields.items():
            if isinstance(field, PrefetchedManyRelatedField) and name not in resource:
                # Not prefetched: links only, rather than a misleading `data: null`.
                relationships.get(name, {}).pop("data", None)
                relationships.get(name, {}).pop("meta", None)
        return relationships

"""Base serializer: every resource object gets `links.self` and the contract's `meta`."""

from rest_framework import serializers
from rest_framework_json_api import relations
from rest_framework_json_api import serializers as jsonapi

META_FIELDS = ("mode", "organization_id", "trace_id")

_resource_serializers: dict[str, type["ResourceSerializer"]] = {}


def resource_serializer(type_name: str) -> type["ResourceSerializer"] | None:
    return _resource_serializers.get(type_name)


def to_one(type_name: str, **kwargs) -> relations.ResourceRelatedField:
    """A to-one relationship with `data`, `links.self` and `links.related`."""
    kwargs.setdefault("read_only", True)
    return relations.ResourceRelatedField(
        self_link_view_name=f"{type_name}-relationships",
        related_link_view_name=f"{type_name}-related",
        **kwargs,
    )


def to_many(type_name: str, **kwargs) -> relations.ResourceRelatedField:
    """A to-many relationship with `data` (prefetch it in the view), `links.self`/`related`."""
    kwargs.setdefault("read_only", True)
    return relations.ResourceRelatedField(
        many=True,
        self_link_view_name=f"{type_name}-relationships",
        related_link_view_name=f"{type_name}-related",
        **kwargs,
    )


class ResourceSerializer(jsonapi.ModelSerializer):
    """Subclasses set `Meta.resource_name`; they are registered under it for `fields[type]`."""

    mode = serializers.SerializerMethodField()
    organization_id = serializers.SerializerMethodField()
    trace_id = serializers.SerializerMethodField()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        meta = cls.Meta
        resource_name = getattr(meta, "resource_name", None)
        if resource_name is None:
            return
        meta.meta_fields = META_FIELDS
        if "url" not in cls._declared_fields:
            cls._declared_fields["url"] = serializers.HyperlinkedIdentityField(
                view_name=f"{resource_name}-detail"
            )
        meta.fields = ("url", *meta.fields, *META_FIELDS)
        _resource_serializers[resource_name] = cls

    @property
    def _readable_fields(self):
        # Sparse fieldsets trim attributes and relationships, never the contract's `meta`.
        selected = list(super()._readable_fields)
        names = {field.field_name for field in selected}
        extra = [
            field
            for name, field in self.fields.items()
            if name in META_FIELDS and name not in names
        ]
        return selected + extra

    def get_mode(self, instance) -> str | None:
        key = getattr(self.context.get("request"), "auth", None)
        return getattr(key, "mode", None)

    def get_organization_id(self, instance) -> str:
        return str(getattr(instance, "organization_id", None) or instance.pk)

    def get_trace_id(self, instance) -> str | None:
        return getattr(self.context.get("request"), "request_id", None)

    def get_fields(self):
        """Writable relationships only see the requesting organization's resources."""
        fields = super().get_fields()
        key = getattr(self.context.get("request"), "auth", None)
        organization = getattr(key, "organization", None)
        if organization is None:
            return fields
        for field in fields.values():
            relation = getattr(field, "child_relation", field)
            queryset = getattr(relation, "queryset", None)
            if queryset is not None and hasattr(queryset, "for_organization"):
                relation.queryset = queryset.for_organization(organization)
        return fields

"""Base serializer: every resource object gets `links.self` and the contract's `meta`."""

import datetime
import uuid
from functools import lru_cache
from urllib.parse import quote

from django.conf import settings
from django.db import models
from django.urls import get_script_prefix, get_urlconf, reverse
from rest_framework import serializers
from rest_framework.fields import ISO_8601, SkipField
from rest_framework.relations import Hyperlink, ManyRelatedField, RelatedField
from rest_framework.settings import api_settings
from rest_framework_json_api import relations
from rest_framework_json_api import serializers as jsonapi
from rest_framework_json_api.utils import format_link_segment

from api.conf import api_conf
from core.values import contains_nul

META_FIELDS = ("mode", "organization_id", "trace_id")
# The words of DRF's own check on plain strings (ProhibitNullCharactersValidator).
NUL_MESSAGE = "Null characters are not allowed."

_resource_serializers: dict[str, type["ResourceSerializer"]] = {}


def resource_serializer(type_name: str) -> type["ResourceSerializer"] | None:
    return _resource_serializers.get(type_name)


# A placeholder that satisfies the `pk` of the URL patterns of `api.routing`, replaced by the
# real value. `related_field` is part of the template's key: each relationship has its pattern.
_PK_PLACEHOLDER = "00000000-0000-4000-8000-00000000beef"


@lru_cache(maxsize=1024)
def _url_template(
    script_prefix: str, urlconf: str, view_name: str, related_field: str | None
) -> str:
    kwargs = {"pk": _PK_PLACEHOLDER}
    if related_field is not None:
        kwargs["related_field"] = related_field
    return reverse(view_name, urlconf=urlconf, kwargs=kwargs)


def resource_url(view_name: str, kwargs: dict, request=None) -> str:
    """`reverse()` for resource links, memoised per view: list pages make thousands of links."""
    if "pk" not in kwargs or not set(kwargs) <= {"pk", "related_field"}:
        url = reverse(view_name, kwargs=kwargs)
    else:
        urlconf = get_urlconf() or settings.ROOT_URLCONF  # keyed by it: tests switch URLconfs
        url = _url_template(get_script_prefix(), urlconf, view_name, kwargs.get("related_field"))
        url = url.replace(_PK_PLACEHOLDER, quote(str(kwargs["pk"]), safe=""))
    if request is None:
        return url
    try:
        origin = request._resource_url_origin
    except AttributeError:  # host validation is costly, so resolve the origin once a request
        origin = request._resource_url_origin = request.build_absolute_uri("/")[:-1]
    return origin + url


def relationship_fields(serializer_class) -> dict:
    """The relationships a resource serializer declares with links, by name: each gets its
    relationship and related endpoints."""
    return {
        name: field
        for name, field in serializer_class._declared_fields.items()
        if isinstance(field, (RelatedField, ManyRelatedField))
        and not isinstance(field, serializers.HyperlinkedIdentityField)
        and getattr(getattr(field, "child_relation", field), "self_link_view_name", None)
    }


def pk_segment(pk) -> str:
    """A primary key as a URL path segment, quoted as `resource_url` quotes it."""
    return str(pk) if isinstance(pk, uuid.UUID) else quote(str(pk), safe="")


def instance_pk_segment(instance: models.Model) -> str:
    """`pk_segment` of an instance's pk, worked out once: a list row writes it in every link."""
    pk = instance.pk
    cached = instance.__dict__.get("_pk_segment")
    if cached is None or cached[0] is not pk:
        cached = instance.__dict__["_pk_segment"] = (pk, pk_segment(pk))
    return cached[1]


def _split_template(url: str) -> tuple[str, str]:
    prefix, _, suffix = url.partition(_PK_PLACEHOLDER)
    return prefix, suffix


class SelfLinkField(serializers.HyperlinkedIdentityField):
    def get_url(self, obj, view_name, request, format):
        return resource_url(view_name, {"pk": obj.pk}, request)

    def to_representation(self, value):
        # Links are plain strings in JSON: the library's `Hyperlink` (read only by the
        # browsable API, not installed) costs a Python constructor per link.
        request = self.context.get("request")
        if request is None:
            return super().to_representation(value)
        cached = getattr(self, "_template", None)
        if cached is None or cached[0] is not request:
            url = resource_url(self.view_name, {"pk": _PK_PLACEHOLDER}, request)
            cached = self._template = (request, *_split_template(url))
        return f"{cached[1]}{instance_pk_segment(value)}{cached[2]}"


class RelationshipLinksMixin:
    """Memoised links and resource type: the library recomputes both for every row."""

    def get_url(self, name, view_name, kwargs, request):
        if not view_name:
            return None
        return Hyperlink(resource_url(view_name, kwargs, request), name)

    def _link_templates(self, request) -> list[tuple[str, str, str]]:
        """(`self`/`related`, the absolute URL before and after the pk), once per field and
        request."""
        cached = getattr(self, "_templates", None)
        if cached is not None and cached[0] is request:
            return cached[1]
        field_name = self.field_name or self.parent.field_name
        kwargs = {"pk": _PK_PLACEHOLDER, "related_field": format_link_segment(field_name)}
        templates = [
            (name, *_split_template(resource_url(view_name, kwargs, request)))
            for name, view_name in (
                ("self", self.self_link_view_name),
                ("related", self.related_link_view_name),
            )
            if view_name
        ]
        self._templates = (request, templates)
        return templates

    def get_links(self, obj=None, lookup_field="pk"):
        if obj is None or lookup_field != "pk" or self.related_link_url_kwarg != "pk":
            return super().get_links(obj, lookup_field)
        pk = instance_pk_segment(obj)
        # Plain strings, as in SelfLinkField.
        return {
            name: f"{prefix}{pk}{suffix}"
            for name, prefix, suffix in self._link_templates(self.context.get("request"))
        }

    def get_resource_type_from_included_serializer(self):
        try:
            return self._included_type
        except AttributeError:
            self._included_type = super().get_resource_type_from_included_serializer()
            return self._included_type


class ToOneRelatedField(RelationshipLinksMixin, relations.ResourceRelatedField):
    pass


class LinksOnlyRelatedField(RelationshipLinksMixin, relations.HyperlinkedRelatedField):
    """A relationship rendered with links only: no linkage, no query (e.g. the audit trail).

    It names its related model, since no model field describes such relationships.
    """

    def __init__(self, *args, model=None, **kwargs):
        self.model = model
        super().__init__(*args, **kwargs)


def links_only(type_name: str, model, **kwargs) -> LinksOnlyRelatedField:
    """A to-many relationship rendered with `links.self`/`links.related` only."""
    return LinksOnlyRelatedField(
        many=True,
        model=model,
        read_only=True,
        self_link_view_name=f"{type_name}-relationships",
        related_link_view_name=f"{type_name}-related",
        **kwargs,
    )


class PrefetchedManyRelatedField(ManyRelatedField):
    """Renders linkage `data` only when it is cheap and bounded.

    Prefetched (included): complete. The answer's one resource: at most
    `SKILLPORT["MAX_RELATIONSHIP_LINKAGE"]` entries, `linkage_meta` telling the renderer the
    full count and that the data is capped. List rows: none (links only).
    """

    linkage_meta: dict | None = None

    def get_attribute(self, instance):
        self.linkage_meta = None
        prefetched = self.source in getattr(instance, "_prefetched_objects_cache", {})
        if prefetched:
            return super().get_attribute(instance)
        # One query for the one resource of a detail/create answer is cheap; per row it is not.
        if not getattr(self.parent, "primary_resource", False):
            raise SkipField
        related = super().get_attribute(instance)
        if isinstance(related, list):  # an unsaved instance has no relations yet
            return related
        cap = api_conf.MAX_RELATIONSHIP_LINKAGE
        rows = list(related[: cap + 1])
        if len(rows) <= cap:
            return rows
        self.linkage_meta = {"count": related.count(), "capped": True}
        return rows[:cap]


class ToManyRelatedField(RelationshipLinksMixin, relations.ResourceRelatedField):
    @classmethod
    def many_init(cls, *args, **kwargs):
        field = super().many_init(*args, **kwargs)
        field.__class__ = PrefetchedManyRelatedField
        return field


def to_one(type_name: str, **kwargs) -> ToOneRelatedField:
    """A to-one relationship with `data`, `links.self` and `links.related`."""
    kwargs.setdefault("read_only", True)
    return ToOneRelatedField(
        self_link_view_name=f"{type_name}-relationships",
        related_link_view_name=f"{type_name}-related",
        **kwargs,
    )


def to_many(type_name: str, **kwargs) -> ToManyRelatedField:
    """A to-many relationship: links always, `data` when prefetched (included or declared)."""
    kwargs.setdefault("read_only", True)
    return ToManyRelatedField(
        many=True,
        self_link_view_name=f"{type_name}-relationships",
        related_link_view_name=f"{type_name}-related",
        **kwargs,
    )


_ZERO = datetime.timedelta(0)


class DateTimeField(serializers.DateTimeField):
    """DRF's datetime output, with a short cut for what lists hold: UTC values written in UTC.

    The library converts every value to the current time zone (a context-local lookup) before
    writing it; a value already at offset zero, written in a UTC zone, reads the same.
    """

    def _writes_utc_iso(self) -> bool:
        try:
            return self._utc_iso
        except AttributeError:
            zone = self.timezone if hasattr(self, "timezone") else self.default_timezone()
            output_format = getattr(self, "format", api_settings.DATETIME_FORMAT)
            self._utc_iso = (
                isinstance(output_format, str)
                and output_format.lower() == ISO_8601
                and (zone is datetime.UTC or getattr(zone, "key", None) == "UTC")
            )
            return self._utc_iso

    def to_representation(self, value):
        if (
            isinstance(value, datetime.datetime)
            and value.utcoffset() == _ZERO
            and self._writes_utc_iso()
        ):
            return value.replace(tzinfo=None).isoformat() + "Z"
        return super().to_representation(value)


class ResourceSerializer(jsonapi.ModelSerializer):
    """Subclasses set `Meta.resource_name`; they are registered under it for `fields[type]`."""

    serializer_field_mapping = {
        **jsonapi.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: DateTimeField,
    }

    mode = serializers.SerializerMethodField()
    organization_id = serializers.SerializerMethodField()
    trace_id = serializers.SerializerMethodField()

    # A serializer validates and renders; the view's service writes (api.views.ResourceViewSet),
    # so ModelSerializer's own writes are closed here.
    def create(self, validated_data: dict):
        raise NotImplementedError("Writes go through the viewset's create_service.")

    def update(self, instance, validated_data: dict):
        raise NotImplementedError("Writes go through the viewset's update_service.")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        meta = cls.Meta
        resource_name = getattr(meta, "resource_name", None)
        if resource_name is None:
            return
        meta.meta_fields = META_FIELDS
        if not hasattr(meta.model, "JSONAPIMeta"):
            # DRF-JSONAPI names a model's type from JSONAPIMeta (relationship linkage, related).
            meta.model.JSONAPIMeta = type("JSONAPIMeta", (), {"resource_name": resource_name})
        # The self link's field is named by URL_FIELD_NAME ("self"), leaving `url` free for
        # attributes such as file_links.url.
        link_field = api_settings.URL_FIELD_NAME
        if link_field not in cls._declared_fields:
            cls._declared_fields[link_field] = SelfLinkField(view_name=f"{resource_name}-detail")
        meta.fields = (link_field, *meta.fields, *META_FIELDS)
        _resource_serializers[resource_name] = cls

    def to_internal_value(self, data):
        # Values stored in JSON columns (metadata, filters, keywords, ...): DRF checks plain
        # strings for NUL characters, not the strings inside these, and PostgreSQL's jsonb
        # refuses them (a 500). Other structured attributes (a version's `files`) are checked
        # where they are used, with their own pointers.
        validated = super().to_internal_value(data)
        json_columns = {
            field.name
            for field in self.Meta.model._meta.get_fields()
            if isinstance(field, models.JSONField)
        }
        errors = {
            name: [serializers.ErrorDetail(NUL_MESSAGE, code="null_characters_not_allowed")]
            for name, value in validated.items()
            if name in json_columns and contains_nul(value)
        }
        if errors:
            raise serializers.ValidationError(errors)
        return validated

    @property
    def _readable_fields(self):
        # Once per serializer: a list's child is asked again for every row.
        try:
            return self._readable_fields_cache
        except AttributeError:
            pass
        # Sparse fieldsets trim attributes and relationships, never the contract's `meta`.
        selected = list(super()._readable_fields)
        names = {field.field_name for field in selected}
        extra = [
            field
            for name, field in self.fields.items()
            if name in META_FIELDS and name not in names
        ]
        self._readable_fields_cache = selected + extra
        return self._readable_fields_cache

    def get_mode(self, instance) -> str | None:
        # The row's own mode; account-level rows (organizations, members, teams) are shared by
        # both modes and are shown in the mode of the key that reads them.
        mode = getattr(instance, "mode", None)
        if mode is None:
            mode = getattr(getattr(self.context.get("request"), "auth", None), "mode", None)
        return mode

    def get_organization_id(self, instance) -> str:
        return str(getattr(instance, "organization_id", None) or instance.pk)

    def get_trace_id(self, instance) -> str | None:
        return getattr(self.context.get("request"), "request_id", None)

    def get_fields(self):
        """Writable relationships only see the requesting tenant's resources (else 'not found')."""
        fields = super().get_fields()
        key = getattr(self.context.get("request"), "auth", None)
        tenant = getattr(key, "tenant", None)
        if tenant is None:
            return fields
        for field in fields.values():
            relation = getattr(field, "child_relation", field)
            queryset = getattr(relation, "queryset", None)
            if queryset is not None and hasattr(queryset, "for_tenant"):
                relation.queryset = queryset.for_tenant(tenant)
        return fields

"""JSON:API serializers for events, versions, event stores, webhooks and their delivery log,
and `audited`, which gives any tracked resource its `events`/`versions`/`event_stores` links."""

from collections import OrderedDict

from django.urls import NoReverseMatch, reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_json_api import relations
from rest_framework_json_api.serializers import LazySerializersDict

from api.filters import include_paths
from api.serializers import ResourceSerializer, links_only, resource_serializer, to_one
from events.models import Event, EventCallback, EventStore, Version, Webhook
from events.registry import AuditQuerySetDescriptor, is_topic, known_topics
from events.security import UnsafeCallbackUrl, check_callback_url

AUDIT_RELATIONSHIPS = {
    "events": (Event, "events.serializers.EventSerializer"),
    "event_stores": (EventStore, "events.serializers.EventStoreSerializer"),
    "versions": (Version, "events.serializers.VersionSerializer"),
}


def audited(serializer_class: type[ResourceSerializer]) -> type[ResourceSerializer]:
    """Class decorator: add `events`, `versions` (or `audit_versions` when the model has its own
    `versions`) and `event_stores` relationships, with self/related links, to a serializer of
    a model registered with `events.registry.track`."""
    type_name = serializer_class.Meta.resource_name
    resource_model = serializer_class.Meta.model
    own_versions = "versions" in resource_model.__dict__ and not isinstance(
        resource_model.__dict__["versions"], AuditQuerySetDescriptor
    )
    versions_name = "audit_versions" if own_versions else "versions"
    names = {"events": "events", versions_name: "versions", "event_stores": "event_stores"}
    existing = getattr(serializer_class, "related_serializers", None) or {}
    related = dict(getattr(existing, "serializers", existing))  # keep dotted paths lazy
    for field_name, kind in names.items():
        model, serializer_path = AUDIT_RELATIONSHIPS[kind]
        serializer_class._declared_fields[field_name] = links_only(type_name, model)
        related[field_name] = serializer_path
    serializer_class.related_serializers = LazySerializersDict(serializer_class, related)
    meta = serializer_class.Meta
    meta.fields = (*meta.fields, *(n for n in names if n not in meta.fields))
    return serializer_class


@extend_schema_field({"type": "string"})  # the linkage is written by api.schema
class SubjectField(relations.ResourceRelatedField):
    """The resource an event is about: `{type, id}` and a related link to that resource."""

    # Any resource type: `model` only satisfies the library (the OpenAPI document reads this).
    polymorphic = True

    def __init__(self, **kwargs):
        kwargs.update(read_only=True, source="*", model=EventStore)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return OrderedDict((("type", value.resource_type), ("id", value.resource_id)))

    def get_links(self, obj=None, lookup_field="pk"):
        if obj is None:
            return {}
        try:
            url = reverse(f"{obj.resource_type}-detail", kwargs={"pk": obj.resource_id})
        except NoReverseMatch:
            return {}
        request = self.context.get("request")
        return {"related": request.build_absolute_uri(url) if request else url}


class EventStoreSerializer(ResourceSerializer):
    subject = SubjectField()

    class Meta:
        model = EventStore
        resource_name = "event_stores"
        fields = (
            "resource_type",
            "resource_id",
            "event",
            "name",
            "changes",
            "who",
            "created_at",
            "subject",
        )


class VersionSerializer(ResourceSerializer):
    subject = SubjectField()
    event_store = to_one("versions")

    included_serializers = {"event_store": EventStoreSerializer}

    class Meta:
        model = Version
        resource_name = "versions"
        fields = (
            "resource_type",
            "resource_id",
            "event",
            "changes",
            "who",
            "created_at",
            "subject",
            "event_store",
        )


class EventSerializer(ResourceSerializer):
    subject = SubjectField()
    event_store = to_one("events")
    event_callbacks = links_only("events", EventCallback)

    included_serializers = {"event_store": EventStoreSerializer}
    related_serializers = {"event_callbacks": "events.serializers.EventCallbackSerializer"}

    class Meta:
        model = Event
        resource_name = "events"
        fields = ("name", "created_at", "subject", "event_store", "event_callbacks")


class EventCallbackSerializer(ResourceSerializer):
    webhook = to_one("event_callbacks")
    event = to_one("event_callbacks")

    included_serializers = {
        "webhook": "events.serializers.WebhookSerializer",
        "event": EventSerializer,
    }

    class Meta:
        model = EventCallback
        resource_name = "event_callbacks"
        fields = (
            "callback_url",
            "payload",
            "response_code",
            "response_message",
            "created_at",
            "webhook",
            "event",
        )


@audited
class WebhookSerializer(ResourceSerializer):
    topic = serializers.CharField(max_length=128)
    include_resources = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False
    )
    shared_secret = serializers.CharField(read_only=True)
    circuit_state = serializers.ChoiceField(
        choices=Webhook.CircuitState.choices,
        required=False,
        help_text="PATCH 'closed' to reset an open circuit (or 'open' to pause deliveries).",
    )
    event_callbacks = links_only("webhooks", EventCallback)

    related_serializers = {"event_callbacks": EventCallbackSerializer}

    class Meta:
        model = Webhook
        resource_name = "webhooks"
        fields = (
            "name",
            "topic",
            "callback_url",
            "include_resources",
            "shared_secret",
            "circuit_state",
            "circuit_failure_count",
            "created_at",
            "updated_at",
            "event_callbacks",
        )
        read_only_fields = ("circuit_failure_count",)

    def get_fields(self):
        fields = super().get_fields()
        view = self.context.get("view")
        if getattr(view, "action", None) != "create":
            fields.pop("shared_secret")  # shown once, in the answer to the POST
        return fields

    def validate_topic(self, value: str) -> str:
        if not is_topic(value):
            raise serializers.ValidationError(
                f"'{value}' is not a known topic; known topics: {', '.join(known_topics())}."
            )
        return value

    def validate_callback_url(self, value: str) -> str:
        try:
            check_callback_url(value)
        except UnsafeCallbackUrl as error:
            raise serializers.ValidationError(str(error)) from None
        return value

    def validate(self, attrs: dict) -> dict:
        topic = attrs.get("topic", getattr(self.instance, "topic", None))
        includes = attrs.get("include_resources", getattr(self.instance, "include_resources", []))
        type_serializer = resource_serializer(topic.split(".", 1)[0]) if topic else None
        known = include_paths(type_serializer) if type_serializer else set()
        unknown = [path for path in includes or () if path not in known]
        if unknown:
            raise serializers.ValidationError(
                {"include_resources": f"Not includable from '{topic}': {', '.join(unknown)}."}
            )
        return attrs

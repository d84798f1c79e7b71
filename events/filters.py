from api.filters import ResourceFilterSet
from events.models import Event, EventCallback, EventStore, Version, Webhook


class EventFilterSet(ResourceFilterSet):
    attributes = ["id", "name", "resource_type", "resource_id", "created_at"]

    class Meta:
        model = Event
        fields = []


class VersionFilterSet(ResourceFilterSet):
    attributes = ["id", "resource_type", "resource_id", "event", "created_at"]

    class Meta:
        model = Version
        fields = []


class EventStoreFilterSet(ResourceFilterSet):
    attributes = ["id", "resource_type", "resource_id", "event", "name", "created_at"]

    class Meta:
        model = EventStore
        fields = []


class WebhookFilterSet(ResourceFilterSet):
    attributes = [
        "id",
        "name",
        "topic",
        "callback_url",
        "circuit_state",
        "circuit_failure_count",
        "created_at",
        "updated_at",
    ]

    class Meta:
        model = Webhook
        fields = []


class EventCallbackFilterSet(ResourceFilterSet):
    attributes = ["id", "callback_url", "response_code", "created_at", "webhook", "event"]

    class Meta:
        model = EventCallback
        fields = []

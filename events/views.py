from api.views import ReadOnlyResourceViewSet, ResourceViewSet
from events import filters, serializers, services
from events.models import Event, EventCallback, EventStore, Version, Webhook

AUDIT_SORT = ("id", "created_at", "resource_type", "resource_id")


class EventViewSet(ReadOnlyResourceViewSet):
    queryset = Event.objects.all()
    serializer_class = serializers.EventSerializer
    filterset_class = filters.EventFilterSet
    ordering_fields = (*AUDIT_SORT, "name")


class VersionViewSet(ReadOnlyResourceViewSet):
    queryset = Version.objects.all()
    serializer_class = serializers.VersionSerializer
    filterset_class = filters.VersionFilterSet
    ordering_fields = (*AUDIT_SORT, "event")


class EventStoreViewSet(ReadOnlyResourceViewSet):
    queryset = EventStore.objects.all()
    serializer_class = serializers.EventStoreSerializer
    filterset_class = filters.EventStoreFilterSet
    ordering_fields = (*AUDIT_SORT, "event", "name")


class WebhookViewSet(ResourceViewSet):
    queryset = Webhook.objects.all()
    serializer_class = serializers.WebhookSerializer
    filterset_class = filters.WebhookFilterSet
    ordering_fields = (
        "id",
        "name",
        "topic",
        "circuit_state",
        "circuit_failure_count",
        "created_at",
        "updated_at",
    )

    def create_service(self, data: dict) -> Webhook:
        return services.create_webhook(tenant=self.tenant, **data)

    def update_service(self, instance: Webhook, data: dict) -> Webhook:
        return services.update_webhook(instance, **data)


class EventCallbackViewSet(ReadOnlyResourceViewSet):
    queryset = EventCallback.objects.all()
    serializer_class = serializers.EventCallbackSerializer
    filterset_class = filters.EventCallbackFilterSet
    ordering_fields = ("id", "created_at", "response_code", "callback_url")

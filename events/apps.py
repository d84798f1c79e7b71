from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here: models (and what imports them) load only once the app registry is ready.
        from core.metrics import register_collector
        from events import metrics, receivers
        from events.models import Webhook
        from events.registry import track

        receivers.connect()
        register_collector(metrics.webhooks)

        track(
            Webhook,
            type_name="webhooks",
            exclude=("updated_at", "shared_secret", "circuit_failure_count"),
        )

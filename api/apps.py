from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "JSON:API protocol"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from api import boundaries, schema  # noqa: F401  (schema registers OpenAPI extensions)
        from api.row_counts import reinstall_lost_triggers

        post_migrate.connect(reinstall_lost_triggers, sender=self)
        boundaries.connect()

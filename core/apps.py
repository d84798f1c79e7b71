from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared infrastructure below every feature app: tenancy, row counts, jobs, signing.

    The label stays `api`: this app's tables (`api_idempotencykey`, `api_tenantrowcount`) and
    its migration history were created under that name before `core` existed."""

    name = "core"
    label = "api"
    verbose_name = "Core"

    def ready(self) -> None:
        # Imported here: models (and what imports them) load only once the app registry is ready.
        from django.db.models.signals import post_migrate

        from core import boundaries
        from core.integrity import register
        from core.integrity.counters import NAME, check_counters
        from core.jobs import metrics as job_metrics
        from core.jobs import queue
        from core.metrics import register_collector
        from core.row_counts import reinstall_lost_triggers

        post_migrate.connect(reinstall_lost_triggers, sender=self)
        boundaries.connect()
        register(NAME, check_counters)
        register_collector(job_metrics.task_queue)
        register_collector(job_metrics.leased_jobs)
        queue.connect_request_ids()

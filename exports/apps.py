from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "exports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here: models (and what imports them) load only once the app registry is ready.
        from events.registry import track
        from exports import exportables  # noqa: F401  (declares the exportable types)
        from exports.models import Export, SkillExport

        # Lease bookkeeping and progress counters change constantly; they are not history.
        noise = ("updated_at", "lease_owner", "lease_expires_at", "attempts")
        track(
            Export,
            type_name="exports",
            exclude=(*noise, "records_exported", "records_total"),
            topics=Export.STATUS_EVENTS.values(),
        )
        track(
            SkillExport,
            type_name="skill_exports",
            exclude=noise,
            topics=SkillExport.STATUS_EVENTS.values(),
        )

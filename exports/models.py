from typing import Any

from django.db import models
from django.utils import timezone

from core.jobs.leases import LeasedJob
from core.models import ListCount, TenantModel, list_index


class Export(LeasedJob, TenantModel):
    """A bulk export of one resource type to a gzipped JSON or CSV file (Commerce Layer model)."""

    list_count = ListCount()

    class Status(models.TextChoices):
        PENDING = "pending"
        IN_PROGRESS = "in_progress"
        COMPLETED = "completed"
        INTERRUPTED = "interrupted"

    class Format(models.TextChoices):
        JSON = "json"
        CSV = "csv"

    PENDING = Status.PENDING
    RUNNING = Status.IN_PROGRESS
    FAILED = Status.INTERRUPTED
    STATUS_EVENTS = {
        Status.IN_PROGRESS: "start",
        Status.COMPLETED: "completed",
        Status.INTERRUPTED: "interrupt",
    }

    resource_type = models.CharField(max_length=100)
    format = models.CharField(max_length=4, choices=Format.choices, default=Format.JSON)
    includes = models.JSONField(default=list, blank=True)
    fields = models.JSONField(default=list, blank=True)
    filters = models.JSONField(default=dict, blank=True)
    dry_data = models.BooleanField(default=False)
    # null when not given, as in Commerce Layer (the API contract), so NULL and "" differ.
    reference = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    reference_origin = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    metadata = models.JSONField(default=dict, blank=True)

    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    interrupted_at = models.DateTimeField(null=True, blank=True)
    records_count = models.PositiveBigIntegerField(null=True, blank=True)
    records_total = models.PositiveBigIntegerField(null=True, blank=True)
    records_exported = models.PositiveBigIntegerField(default=0)
    errors_log = models.JSONField(null=True, blank=True)
    attachment = models.CharField(max_length=500, blank=True, default="")
    file_expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_by = models.ForeignKey(
        "organizations.Member", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            list_index("export"),
            models.Index(fields=["organization", "status"], name="export_org_status"),
        ]

    def __str__(self) -> str:
        return f"{self.resource_type} export {self.pk} ({self.status})"

    @property
    def file_name(self) -> str:
        return f"{self.resource_type}-{self.pk}.{self.format}.gz"

    def fail_fields(self, errors: dict[str, str]) -> dict[str, Any]:
        return {
            "status": self.Status.INTERRUPTED,
            "interrupted_at": timezone.now(),
            "errors_log": errors,
        }

    RUN_TASK = "exports.tasks.run_export"
    METRICS_KIND = "exports"


class SkillExport(LeasedJob, TenantModel):
    """A zip of a skill, a plugin or a marketplace in the layout agents install from."""

    list_count = ListCount()

    class Target(models.TextChoices):
        SKILL = "skill"
        PLUGIN = "plugin"
        MARKETPLACE = "marketplace"

    class Status(models.TextChoices):
        PENDING = "pending"
        IN_PROGRESS = "in_progress"
        COMPLETED = "completed"
        FAILED = "failed"

    PENDING = Status.PENDING
    RUNNING = Status.IN_PROGRESS
    FAILED = Status.FAILED
    STATUS_EVENTS = {
        Status.IN_PROGRESS: "start",
        Status.COMPLETED: "completed",
        Status.FAILED: "failed",
    }

    # The relationship that each target needs, and nothing else.
    TARGET_RELATIONSHIPS = {
        Target.SKILL: "skill",
        Target.PLUGIN: "skill_plugin",
        Target.MARKETPLACE: "skill_marketplace",
    }

    target = models.CharField(max_length=20, choices=Target.choices)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    error = models.TextField(blank=True, default="")
    completed_at = models.DateTimeField(null=True, blank=True)
    skill = models.ForeignKey(
        "skills.Skill", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    skill_plugin = models.ForeignKey(
        "skills.SkillPlugin", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    skill_marketplace = models.ForeignKey(
        "skills.SkillMarketplace",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    file = models.ForeignKey(
        "files.File", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    file_link = models.ForeignKey(
        "files.FileLink", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        "organizations.Member", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [list_index("skill_export")]

    def __str__(self) -> str:
        return f"{self.target} export {self.pk} ({self.status})"

    @property
    def subject(self):
        return getattr(self, self.TARGET_RELATIONSHIPS[self.target])

    def fail_fields(self, errors: dict[str, str]) -> dict[str, Any]:
        return {
            "status": self.Status.FAILED,
            "completed_at": timezone.now(),
            "error": "; ".join(f"{kind}: {message}" for kind, message in errors.items()),
        }

    RUN_TASK = "exports.tasks.run_skill_export"
    METRICS_KIND = "skill_exports"

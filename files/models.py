"""Stored files (export results, skill export zips, uploads) and their signed links."""

from django.db import models

from core.models import ListCount, TenantModel, list_index


class File(TenantModel):
    list_count = ListCount()

    class Status(models.TextChoices):
        ACTIVE = "active"
        DELETED = "deleted"

    class Purpose(models.TextChoices):
        EXPORT = "export"
        SKILL_EXPORT = "skill_export"
        SKILL_COLLECTION_UPLOAD = "skill_collection_upload"

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    file_name = models.CharField(max_length=255)
    file_size = models.PositiveBigIntegerField()
    file_type = models.CharField(max_length=100)
    title = models.CharField(max_length=255, blank=True, default="")
    purpose = models.CharField(max_length=30, choices=Purpose.choices)
    sha256 = models.CharField(max_length=64)
    storage_name = models.CharField(max_length=500, editable=False)
    created_by = models.ForeignKey(
        "organizations.Member", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [list_index("file")]

    def __str__(self) -> str:
        return self.file_name


class FileLink(TenantModel):
    """A signed URL to a file; it stops working when it expires or is revoked."""

    list_count = ListCount()

    file = models.ForeignKey(File, on_delete=models.CASCADE, related_name="links")
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        "organizations.Member", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [list_index("file_link")]

    def __str__(self) -> str:
        return f"link to {self.file}"

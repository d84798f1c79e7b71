"""Building blocks shared by every model that belongs to an organization."""

import uuid

from django.db import models
from django.utils import timezone


class TenantQuerySet(models.QuerySet):
    """The one place that knows how a queryset is narrowed to an organization."""

    organization_path = "organization"

    def for_organization(self, organization) -> "TenantQuerySet":
        return self.filter(**{self.organization_path: organization.pk})


class UUIDModel(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class TenantModel(UUIDModel):
    """A model owned by one organization; every API queryset goes through `for_organization`."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True


class IdempotencyKey(models.Model):
    """The first outcome of a POST sent with an `Idempotency-Key` (see api/idempotency.py).

    Scoped by organization and mode of the API key. The row is inserted in the request's own
    transaction, so the unique constraint makes a concurrent request with the same key wait for
    it; `status_code` is set before that transaction commits (or, for a stored error, in a
    transaction of its own after the rollback), so another request never sees it empty.
    """

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    mode = models.CharField(max_length=10)
    key = models.CharField(max_length=255)
    # sha256 of the method, path, query string and the sha256 of the raw body.
    fingerprint = models.CharField(max_length=64)
    request_method = models.CharField(max_length=10)
    request_path = models.TextField()
    status_code = models.PositiveSmallIntegerField(null=True)
    response_headers = models.JSONField(default=dict)
    response_body = models.BinaryField(default=b"")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "mode", "key"], name="idempotency_key_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_method} {self.request_path} ({self.key})"

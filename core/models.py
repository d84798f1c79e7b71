"""Building blocks shared by every model that belongs to an organization, and the tenancy gate.

A *tenant* is an organization in one mode (`test` or `live`), the Stripe / Commerce Layer
model: every data row belongs to exactly one mode and an API key sees only its own mode's rows.
The organization's structure (the organization, members, teams, API keys) is account-level:
shared by both modes, so a member can hold a test and a live key.

Reads go through `for_tenant(tenant)` (the only narrowing method); rows are created with
`**tenant.owner_fields()` (from the request's key, or from the parent row / job they derive
from) and refuse to be saved without a valid mode.
"""

import uuid
from dataclasses import dataclass, field

from django.db import models
from django.utils import timezone

from core import boundaries


class Mode(models.TextChoices):
    TEST = "test"
    LIVE = "live"


@dataclass(frozen=True)
class Tenant:
    """An organization in one mode: what an API key (or a background job) may touch."""

    organization_id: uuid.UUID
    mode: str

    def owner_fields(self) -> dict:
        """The fields a new row of this tenant is created with."""
        return {"organization_id": self.organization_id, "mode": self.mode}

    def owns(self, instance: models.Model) -> bool:
        """Whether `instance` (a row of any tenant-aware model) is visible to this tenant."""
        if isinstance(instance, TenantModel):
            return instance.tenant == self
        manager = type(instance)._default_manager
        if not hasattr(manager, "for_tenant"):
            return False
        return manager.for_tenant(self).filter(pk=instance.pk).exists()


class TenantQuerySet(models.QuerySet):
    """The one place that knows how a queryset is narrowed to a tenant.

    `organization_path` and `mode_path` say where the owner is; account-level models have no
    `mode_path` (both modes see them).
    """

    organization_path = "organization"
    mode_path: str | None = "mode"

    def for_tenant(self, tenant: Tenant) -> "TenantQuerySet":
        conditions = {self.organization_path: tenant.organization_id}
        if self.mode_path is not None:
            conditions[self.mode_path] = tenant.mode
        return self.filter(**conditions)

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            _check_mode(obj)
        boundaries.check_save(objs)
        created = super().bulk_create(objs, *args, **kwargs)
        for obj in objs:
            boundaries.remember(obj)
        return created

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        boundaries.check_save(objs, fields)
        updated = super().bulk_update(objs, fields, *args, **kwargs)
        for obj in objs:
            boundaries.remember(obj, fields)
        return updated

    def update(self, **kwargs):
        boundaries.check_update(self, kwargs)
        return super().update(**kwargs)


class AccountQuerySet(TenantQuerySet):
    """Account-level rows (members, teams, keys): shared by both modes of the organization."""

    mode_path = None


def _check_mode(instance: models.Model) -> None:
    if isinstance(instance, TenantModel) and instance.mode not in Mode.values:
        # Every create must say which mode it belongs to; there is deliberately no default.
        raise ValueError(f"{type(instance).__name__} needs a mode ({', '.join(Mode.values)}).")


def list_index(name: str, *, account: bool = False) -> models.Index:
    """The index behind a tenant's lists: the gate's equality columns, then the default sort.

    Lists are ordered `-created_at, id` (api/filters.py), so this one index serves the count of
    `meta.record_count`, numbered pages and the default keyset pages without a sort.
    Account-level rows (members, teams) are shared by both modes: no `mode` column.
    """
    gate = ["organization"] if account else ["organization", "mode"]
    return models.Index(fields=[*gate, "-created_at", "id"], name=f"{name}_list")


@dataclass(frozen=True)
class ListCount:
    """Declared as a model's `list_count`: the database keeps each tenant's count of its rows.

    Triggers (core/row_counts.py, installed by migrations) maintain `TenantRowCount`, so the
    `meta.record_count` of an unfiltered list reads a few counter rows instead of counting the
    tenant's rows. `live` is the narrowing every list of the model applies (e.g. not
    soft-deleted): field name -> the boolean value a listed row has.
    """

    live: dict[str, bool] = field(default_factory=dict)


class UUIDModel(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class BoundedModel(UUIDModel):
    """A row that keeps the tenancy boundary (core/boundaries.py) on every save and `clean()`:
    its organization and mode never change, its links stay within its tenant."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        _check_mode(self)
        update_fields = kwargs.get("update_fields")
        boundaries.check_save([self], update_fields)
        super().save(*args, **kwargs)
        boundaries.remember(self, update_fields)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        boundaries.remember(instance)
        return instance

    def refresh_from_db(self, using=None, fields=None, from_queryset=None) -> None:
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        boundaries.remember(self, fields)

    def clean(self) -> None:
        super().clean()
        boundaries.check_clean(self)


class OrganizationModel(BoundedModel):
    """An account-level model owned by one organization, visible in both modes."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )

    objects = AccountQuerySet.as_manager()

    class Meta:
        abstract = True


class TenantModel(BoundedModel):
    """A data row owned by one organization in one mode; API querysets go through `for_tenant`."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    mode = models.CharField(max_length=4, choices=Mode.choices, db_index=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def tenant(self) -> Tenant:
        return Tenant(self.organization_id, self.mode)


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


class TenantRowCount(models.Model):
    """How many rows of one counted table (a model with `list_count`) a tenant has.

    Written only by that table's triggers (core/row_counts.py), read by pagination. A tenant's
    count is the sum of its slots: each write statement adds its difference to a random slot,
    so concurrent writers of one tenant rarely wait on the same counter row (a single row
    would serialize them from their insert to their commit). Account-level tables have no
    mode: their rows count under mode "".
    """

    table_name = models.CharField(max_length=63)
    # Not a foreign key: rows follow their organization out through a trigger on its table,
    # whatever order a cascade deletes in.
    organization_id = models.UUIDField()
    mode = models.CharField(max_length=4, blank=True)
    slot = models.PositiveSmallIntegerField()
    count = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["table_name", "organization_id", "mode", "slot"],
                name="tenant_row_count_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.table_name} {self.organization_id} {self.mode}: {self.count}"

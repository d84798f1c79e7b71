"""Building blocks shared by every model that belongs to an organization."""

import uuid

from django.db import models


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

"""The append-only event store, its two views (events, audit versions) and webhooks."""

import base64
import secrets

from django.db import models

from core.models import ListCount, TenantModel, TenantQuerySet, list_index


def new_shared_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class AppendOnlyModel(TenantModel):
    """Rows are written once; only their organization's deletion removes them."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise TypeError(f"{type(self).__name__} rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError(f"{type(self).__name__} rows are append-only.")


class EventStore(AppendOnlyModel):
    """One row per recorded change; never updated or deleted by the application."""

    list_count = ListCount()

    resource_type = models.CharField(max_length=64)
    resource_id = models.CharField(max_length=64)
    event = models.CharField(max_length=64, help_text="create, update, destroy or a status name")
    name = models.CharField(max_length=128, db_index=True)
    changes = models.JSONField(default=dict, blank=True)
    who = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            list_index("event_store"),
            models.Index(fields=["organization", "resource_type", "resource_id"]),
        ]

    class JSONAPIMeta:
        resource_name = "event_stores"

    def __str__(self) -> str:
        return f"{self.name} {self.resource_id}"


class Event(AppendOnlyModel):
    list_count = ListCount()
    event_store = models.OneToOneField(EventStore, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=128, db_index=True)
    resource_type = models.CharField(max_length=64)
    resource_id = models.CharField(max_length=64)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            list_index("event"),
            models.Index(fields=["organization", "resource_type", "resource_id"]),
        ]

    class JSONAPIMeta:
        resource_name = "events"

    def __str__(self) -> str:
        return f"{self.name} {self.resource_id}"


class Version(AppendOnlyModel):
    list_count = ListCount()

    class Kind(models.TextChoices):
        CREATE = "create"
        UPDATE = "update"
        DESTROY = "destroy"

    event_store = models.OneToOneField(EventStore, on_delete=models.CASCADE, related_name="+")
    resource_type = models.CharField(max_length=64)
    resource_id = models.CharField(max_length=64)
    event = models.CharField(max_length=16, choices=Kind.choices)
    changes = models.JSONField(default=dict, blank=True)
    who = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            list_index("version"),
            models.Index(fields=["organization", "resource_type", "resource_id"]),
        ]

    class JSONAPIMeta:
        resource_name = "versions"

    def __str__(self) -> str:
        return f"{self.resource_type}/{self.resource_id} {self.event}"


class Webhook(TenantModel):
    list_count = ListCount()

    class CircuitState(models.TextChoices):
        CLOSED = "closed"
        OPEN = "open"

    name = models.CharField(max_length=200, blank=True)
    topic = models.CharField(max_length=128, db_index=True)
    callback_url = models.URLField(max_length=2048)
    include_resources = models.JSONField(default=list, blank=True)
    shared_secret = models.CharField(max_length=128, editable=False, default=new_shared_secret)
    circuit_state = models.CharField(
        max_length=8, choices=CircuitState.choices, default=CircuitState.CLOSED
    )
    circuit_failure_count = models.PositiveIntegerField(default=0)
    circuit_opened_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When failures opened the circuit (probed after a cooldown).",
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [list_index("webhook")]

    class JSONAPIMeta:
        resource_name = "webhooks"

    def __str__(self) -> str:
        return self.name or f"{self.topic} -> {self.callback_url}"


class DeliveryQuerySet(TenantQuerySet):
    def pending(self) -> "DeliveryQuerySet":
        return self.filter(status=WebhookDelivery.Status.PENDING)


class WebhookDelivery(TenantModel):
    """The outbox row: created with the event, leased by the worker that attempts it."""

    class Status(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    leased_until = models.DateTimeField(null=True, blank=True)
    body = models.TextField(blank=True, help_text="The JSON sent, frozen at the first attempt.")
    delivered_at = models.DateTimeField(null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["webhook", "event"], name="delivery_once_per_event"),
        ]
        indexes = [
            list_index("webhook_delivery"),
            models.Index(fields=["status", "next_attempt_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.event} -> {self.webhook} ({self.status})"


class EventCallback(TenantModel):
    """The delivery log: one row per attempt."""

    list_count = ListCount()

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="event_callbacks")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="event_callbacks")
    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="event_callbacks"
    )
    callback_url = models.URLField(max_length=2048)
    payload = models.JSONField(null=True, blank=True)
    response_code = models.PositiveIntegerField(null=True, blank=True)
    response_message = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [list_index("event_callback")]

    class JSONAPIMeta:
        resource_name = "event_callbacks"

    def __str__(self) -> str:
        return f"{self.callback_url} {self.response_code}"

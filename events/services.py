"""Writes: recording events (the outbox), webhooks, circuit handling and delivery attempts."""

import json
import random
from datetime import timedelta
from typing import Any

from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from core import metrics
from core.jobs.leases import lease_free, take_lease
from core.jobs.queue import enqueue
from core.models import Tenant
from events.conf import events_conf
from events.context import acting_as, current_who, describe
from events.delivery import send, subject_document
from events.models import (
    Event,
    EventCallback,
    EventStore,
    Version,
    Webhook,
    WebhookDelivery,
)
from events.registry import CRUD_EVENTS, Tracking, is_topic, jsonable, tracking_for_model

# -- recording ---------------------------------------------------------------------------------


def _record(
    *,
    tenant: Tenant,
    resource_type: str,
    resource_id: str,
    event: str,
    name: str,
    changes: dict,
    who: dict | None,
) -> Event:
    # No savepoint: if recording fails, the change it describes must not commit either.
    with transaction.atomic(savepoint=False):
        store = EventStore.objects.create(
            **tenant.owner_fields(),
            resource_type=resource_type,
            resource_id=resource_id,
            event=event,
            name=name,
            changes=changes,
            who=who,
        )
        common = {
            **tenant.owner_fields(),
            "event_store": store,
            "resource_type": resource_type,
            "resource_id": resource_id,
        }
        recorded = Event.objects.create(name=name, **common)
        # A status change (`exports.completed`) is an `update` in the audit trail.
        kind = event if event in CRUD_EVENTS else Version.Kind.UPDATE
        Version.objects.create(event=kind, changes=changes, who=who, **common)
        _queue_deliveries(recorded)
    return recorded


def record_change(tracking: Tracking, instance: models.Model, event: str, changes: dict) -> Event:
    """Called by the tracked model's signals, inside the saving transaction.

    An account-level row's change is recorded once per mode (see `Tracking.tenants`); the
    first mode's event is returned.
    """
    who = current_who()
    recorded = [
        _record(
            tenant=tenant,
            resource_type=tracking.type_name,
            resource_id=str(instance.pk),
            event=event,
            name=f"{tracking.type_name}.{event}",
            changes=changes,
            who=who,
        )
        for tenant in tracking.tenants(instance)
    ]
    return recorded[0]


def record_event(
    instance: models.Model, name: str, changes: dict | None = None, who: Any = None
) -> Event:
    """Record a status change made without `save()` (e.g. `QuerySet.update()` in a worker).

    `name` is `"<type>.<event>"` or just `"<event>"`; it must be a registered topic. `changes`
    is `{attr: [old, new]}` and also becomes an audit version. Call it in the transaction of
    the change (it opens one otherwise) so that both commit or neither does.
    """
    tracking = tracking_for_model(type(instance))
    if tracking is None:
        raise ValueError(f"{type(instance).__name__} is not tracked; call track() first.")
    if "." not in name:
        name = f"{tracking.type_name}.{name}"
    if not is_topic(name) or not name.startswith(f"{tracking.type_name}."):
        raise ValueError(f"'{name}' is not a registered topic of '{tracking.type_name}'.")
    changes = {attr: [jsonable(old), jsonable(new)] for attr, (old, new) in (changes or {}).items()}
    who = describe(who) if who is not None else current_who()
    recorded = [
        _record(
            tenant=tenant,
            resource_type=tracking.type_name,
            resource_id=str(instance.pk),
            event=name.split(".", 1)[1],
            name=name,
            changes=changes,
            who=who,
        )
        for tenant in tracking.tenants(instance)
    ]
    return recorded[0]


# -- the outbox --------------------------------------------------------------------------------


def enqueue_delivery(delivery_id, run_after=None, probe: bool = False, at_once=False) -> None:
    enqueue(
        "events.tasks.deliver_webhook",
        str(delivery_id),
        probe=probe,
        run_after=run_after,
        at_once=at_once,
    )


def _enqueue_on_commit(delivery_ids: list, run_after=None) -> None:
    for delivery_id in delivery_ids:
        enqueue_delivery(delivery_id, run_after)


def _queue_deliveries(event: Event) -> None:
    # Only the event's own tenant's webhooks: a test-mode event never reaches a live webhook.
    webhooks = Webhook.objects.for_tenant(event.tenant).filter(topic=event.name)
    now = timezone.now()
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            **event.tenant.owner_fields(),
            webhook_id=webhook_id,
            event=event,
            next_attempt_at=now,
        )
        for webhook_id in webhooks.values_list("pk", flat=True)
    )
    _enqueue_on_commit([d.pk for d in deliveries])


def redeliver_event(event: Event) -> list[WebhookDelivery]:
    """Send `event` again to every webhook of its topic (admin action); returns the deliveries."""
    webhooks = Webhook.objects.for_tenant(event.tenant).filter(topic=event.name)
    return _redeliver([(webhook, event) for webhook in webhooks])


def redeliver_deliveries(deliveries) -> list[WebhookDelivery]:
    """Send each of these deliveries again (admin action): pending now, to its own webhook."""
    pairs = [(d.webhook, d.event) for d in deliveries.select_related("webhook", "event")]
    return _redeliver(pairs)


def _redeliver(pairs: list[tuple[Webhook, Event]]) -> list[WebhookDelivery]:
    now = timezone.now()
    with transaction.atomic():
        deliveries = []
        for webhook, event in pairs:
            delivery, _ = WebhookDelivery.objects.update_or_create(
                webhook=webhook,
                event=event,
                defaults={
                    **event.tenant.owner_fields(),
                    "status": WebhookDelivery.Status.PENDING,
                    "next_attempt_at": now,
                    "leased_until": None,
                    "delivered_at": None,
                },
            )
            deliveries.append(delivery)
        _enqueue_on_commit([d.pk for d in deliveries])
    return deliveries


def due_deliveries(now=None, stale_after: float = 0.0, *, probe: bool = False):
    """Pending deliveries whose time has come and that nobody holds, behind a closed circuit
    (or, with `probe`, behind an open one: the caller owns that webhook's probe)."""
    now = now or timezone.now()
    circuit = Webhook.CircuitState.OPEN if probe else Webhook.CircuitState.CLOSED
    return (
        WebhookDelivery.objects.pending()
        .filter(
            next_attempt_at__lte=now - timedelta(seconds=stale_after),
            webhook__circuit_state=circuit,
        )
        .filter(lease_free("leased_until", now))
        .order_by("next_attempt_at")
    )


def _probes(now) -> list:
    """For each circuit opened by failures longer than the cooldown ago: its oldest delivery."""
    cooldown = timedelta(seconds=float(events_conf.CIRCUIT_COOLDOWN))
    webhooks = Webhook.objects.filter(
        circuit_state=Webhook.CircuitState.OPEN, circuit_opened_at__lte=now - cooldown
    )
    probes = []
    for webhook_id in webhooks.values_list("pk", flat=True):
        delivery_id = (
            due_deliveries(now, probe=True)
            .filter(webhook_id=webhook_id)
            .values_list("pk", flat=True)
            .first()
        )
        if delivery_id is not None:
            probes.append(delivery_id)
    return probes


def sweep(*, enqueue: bool, limit: int = 1000) -> int:
    """Deliver (or, with `enqueue`, hand to the workers) what is due, and probe open circuits
    whose cooldown is over; returns the number of deliveries handled."""
    now = timezone.now()
    probes = _probes(now)
    if enqueue:
        stale_after = float(events_conf.STALE_AFTER)
        ids = list(due_deliveries(now, stale_after).values_list("pk", flat=True)[:limit])
        # Pushing them forward keeps the next sweep from queueing them again straight away.
        WebhookDelivery.objects.filter(pk__in=ids).update(next_attempt_at=now)
        for delivery_id in ids:
            enqueue_delivery(delivery_id, at_once=True)
        for delivery_id in probes:
            enqueue_delivery(delivery_id, probe=True, at_once=True)
        return len(ids) + len(probes)
    for delivery_id in probes:
        attempt_delivery(delivery_id, probe=True)
    ids = list(due_deliveries().values_list("pk", flat=True)[:limit])
    for delivery_id in ids:
        attempt_delivery(delivery_id)
    return len(ids) + len(probes)


# -- attempts ----------------------------------------------------------------------------------


def backoff_delay(attempts: int) -> float:
    """Exponential backoff with jitter: between half and all of base * 2^(attempts-1), capped."""
    base = float(events_conf.BACKOFF_BASE)
    delay = min(base * 2 ** max(attempts - 1, 0), float(events_conf.BACKOFF_MAX))
    return delay * random.uniform(0.5, 1.0)


def _claim(delivery_id, probe: bool = False) -> WebhookDelivery | None:
    now = timezone.now()
    if probe:
        # One probe per cooldown: whoever moves `circuit_opened_at` forward owns it.
        cooldown = timedelta(seconds=float(events_conf.CIRCUIT_COOLDOWN))
        webhook_id = WebhookDelivery.objects.filter(pk=delivery_id).values("webhook_id")
        owned = Webhook.objects.filter(
            pk__in=webhook_id,
            circuit_state=Webhook.CircuitState.OPEN,
            circuit_opened_at__lte=now - cooldown,
        ).update(circuit_opened_at=now)
        if not owned:
            return None
    # The lease code of exports and skill exports, on the delivery's own lease column.
    claimed = take_lease(
        due_deliveries(now, probe=probe).filter(pk=delivery_id),
        seconds=float(events_conf.LEASE_SECONDS),
        field="leased_until",
        now=now,
    )
    if not claimed:
        return None
    return WebhookDelivery.objects.select_related(
        "webhook", "event__event_store", "event__organization"
    ).get(pk=delivery_id)


def attempt_delivery(delivery_id, probe: bool = False) -> str:
    """One attempt under a lease; returns `delivered`, `failed` or `skipped`.

    A `probe` is the one attempt let through an open circuit; its success closes the circuit.
    """
    delivery = _claim(delivery_id, probe)
    if delivery is None:
        return "skipped"
    webhook = delivery.webhook
    if not delivery.body:
        # Frozen as text, so every retry sends (and signs) the very same bytes.
        document = subject_document(delivery.event, webhook.include_resources)
        delivery.body = json.dumps(document, separators=(",", ":"))
        WebhookDelivery.objects.filter(pk=delivery.pk).update(body=delivery.body)
    outcome = send(delivery)
    metrics.WEBHOOK_DELIVERIES.labels("delivered" if outcome.ok else "failed").inc()
    now = timezone.now()
    with transaction.atomic():
        EventCallback.objects.create(
            **delivery.tenant.owner_fields(),
            webhook=webhook,
            event=delivery.event,
            delivery=delivery,
            callback_url=webhook.callback_url,
            payload=json.loads(delivery.body),
            response_code=outcome.response_code,
            response_message=outcome.response_message,
        )
        deliveries = WebhookDelivery.objects.filter(pk=delivery.pk)
        if outcome.ok:
            deliveries.update(
                status=WebhookDelivery.Status.DELIVERED, delivered_at=now, leased_until=None
            )
            Webhook.objects.filter(pk=webhook.pk).update(circuit_failure_count=0)
            if probe:
                with acting_as("webhook deliveries"):
                    set_circuit_state(webhook, Webhook.CircuitState.CLOSED)
            return "delivered"
        next_attempt_at = now + timedelta(seconds=backoff_delay(delivery.attempts))
        deliveries.update(next_attempt_at=next_attempt_at, leased_until=None)
        Webhook.objects.filter(pk=webhook.pk).update(
            circuit_failure_count=F("circuit_failure_count") + 1
        )
        opened = Webhook.objects.filter(
            pk=webhook.pk,
            circuit_state=Webhook.CircuitState.CLOSED,
            circuit_failure_count__gte=int(events_conf.CIRCUIT_THRESHOLD),
        ).update(circuit_state=Webhook.CircuitState.OPEN, circuit_opened_at=now)
        if opened:
            changes = {"circuit_state": [Webhook.CircuitState.CLOSED, Webhook.CircuitState.OPEN]}
            record_event(webhook, "update", changes=changes, who="webhook deliveries")
        elif not probe:  # a failed probe leaves the circuit open until the next cooldown
            _enqueue_on_commit([delivery.pk], run_after=next_attempt_at)
    return "failed"


# -- webhooks ----------------------------------------------------------------------------------


def create_webhook(*, tenant: Tenant, **attributes) -> Webhook:
    """A webhook of one tenant: it hears that organization's events in that mode only."""
    attributes.pop("circuit_state", None)
    return Webhook.objects.create(**tenant.owner_fields(), **attributes)


@transaction.atomic
def update_webhook(webhook: Webhook, **attributes) -> Webhook:
    circuit_state = attributes.pop("circuit_state", None)
    for name, value in attributes.items():
        setattr(webhook, name, value)
    if attributes:
        webhook.save()
    if circuit_state is not None:
        set_circuit_state(webhook, circuit_state)
    return webhook


def set_circuit_state(webhook: Webhook, state: str) -> Webhook:
    """Open (pause) or close (reset) the circuit; closing sends what waited straight away."""
    previous = webhook.circuit_state
    with transaction.atomic():
        if state == Webhook.CircuitState.CLOSED:
            Webhook.objects.filter(pk=webhook.pk).update(
                circuit_state=state, circuit_failure_count=0, circuit_opened_at=None
            )
            waiting = webhook.deliveries.pending()
            ids = list(waiting.values_list("pk", flat=True))
            waiting.update(next_attempt_at=timezone.now(), leased_until=None)
            _enqueue_on_commit(ids)
        else:
            # Opened by hand: a pause, never probed (`circuit_opened_at` stays empty).
            Webhook.objects.filter(pk=webhook.pk).update(
                circuit_state=state, circuit_opened_at=None
            )
        webhook.refresh_from_db(fields=["circuit_state", "circuit_failure_count"])
        if previous != state:
            record_event(webhook, "update", changes={"circuit_state": [previous, state]})
    return webhook


def reset_circuit(webhook: Webhook) -> Webhook:
    return set_circuit_state(webhook, Webhook.CircuitState.CLOSED)

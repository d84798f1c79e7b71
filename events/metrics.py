"""What the metrics scrape reads of webhooks from the database (registered in `apps.py` with
core/metrics.py): open circuits, and the deliveries still to be made."""

from collections.abc import Iterator

from django.db.models import Min
from django.utils import timezone
from prometheus_client.core import Metric

from core.metrics import gauge
from events.models import Webhook, WebhookDelivery


def webhooks() -> Iterator[Metric]:
    circuits = gauge(
        "skillport_webhook_circuits_open",
        "Webhooks whose circuit is open (paused by hand, or by failures until a probe passes).",
        [],
    )
    circuits.add_metric([], Webhook.objects.filter(circuit_state=Webhook.CircuitState.OPEN).count())
    pending = gauge(
        "skillport_webhook_deliveries_pending",
        "Webhook deliveries not yet made (waiting, retrying, or behind an open circuit).",
        [],
    )
    waiting = WebhookDelivery.objects.pending()
    pending.add_metric([], waiting.count())
    overdue = gauge(
        "skillport_webhook_deliveries_oldest_due_seconds",
        "How long the most overdue pending delivery has been due (0 when none is).",
        [],
    )
    oldest = waiting.aggregate(oldest=Min("next_attempt_at"))["oldest"]
    seconds = (timezone.now() - oldest).total_seconds() if oldest else 0.0
    overdue.add_metric([], max(seconds, 0.0))
    yield from (circuits, pending, overdue)

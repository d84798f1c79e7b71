"""Webhook settings: `settings.SKILLPORT_WEBHOOKS` over these defaults, and the env switch."""

import os

from django.conf import settings

DEFAULTS = {
    "TIMEOUT": 10.0,  # seconds per delivery attempt
    "BACKOFF_BASE": 30.0,  # seconds before the first retry, doubled each attempt
    "BACKOFF_MAX": 6 * 3600.0,  # cap on the retry delay
    "CIRCUIT_THRESHOLD": 10,  # consecutive failures that open the circuit
    "CIRCUIT_COOLDOWN": 3600.0,  # an opened circuit is probed with one delivery after this
    "LEASE_SECONDS": 120.0,  # a worker killed mid-delivery frees the delivery after this
    "STALE_AFTER": 60.0,  # the sweep re-enqueues deliveries due for longer than this
    "PUBLIC_URL": "http://localhost:8000",  # base of the links inside payloads
    # (host, port) -> [addresses]: how callback hosts are resolved (a seam for tests).
    "RESOLVER": "events.security.system_resolver",
}


def webhook_setting(name: str):
    return getattr(settings, "SKILLPORT_WEBHOOKS", {}).get(name, DEFAULTS[name])


def allow_private_callbacks() -> bool:
    """`SKILLPORT_WEBHOOKS_ALLOW_PRIVATE=true` lets callbacks reach loopback/private networks."""
    value = os.environ.get("SKILLPORT_WEBHOOKS_ALLOW_PRIVATE", "")
    return value.strip().lower() in {"1", "true", "yes", "on"}

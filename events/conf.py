"""Webhook settings (`settings.SKILLPORT_WEBHOOKS`); see core/conf.py."""

from core.conf import AppSettings, Setting

DEFAULTS = {
    "PUBLIC_URL": Setting(
        "http://localhost:8000",
        "SKILLPORT_PUBLIC_URL",
        "base of the links inside webhook payloads and of `git_url`",
        shown="`http://localhost:8000` (`make serve`: `http://127.0.0.1:$PORT`)",
    ),
    "ALLOW_PRIVATE": Setting(
        False,
        "SKILLPORT_WEBHOOKS_ALLOW_PRIVATE",
        "`true` allows webhook callback URLs on loopback, private, link-local and other "
        "non-global addresses (local development and tests only); otherwise they are refused, "
        "host names resolving there included (see "
        "[Webhook callback URLs](../security.md#webhook-callback-urls))",
        # A setting of its own: tests that replace the SKILLPORT_WEBHOOKS dict keep it.
        setting="SKILLPORT_WEBHOOKS_ALLOW_PRIVATE",
    ),
    "TIMEOUT": Setting(
        10.0,
        "SKILLPORT_WEBHOOKS_TIMEOUT",
        "per-attempt timeout of a webhook delivery",
        unit="s",
    ),
    "BACKOFF_BASE": Setting(
        30.0, None, "delay before a delivery's first retry, doubled each attempt", unit="s"
    ),
    "BACKOFF_MAX": Setting(6 * 3600.0, None, "cap on the retry delay", unit="s"),
    "CIRCUIT_THRESHOLD": Setting(
        10,
        "SKILLPORT_WEBHOOKS_CIRCUIT_THRESHOLD",
        "consecutive failures that open a webhook's circuit",
    ),
    "CIRCUIT_COOLDOWN": Setting(
        3600.0,
        "SKILLPORT_WEBHOOKS_CIRCUIT_COOLDOWN",
        "wait after the circuit opens before a probe delivery",
        unit="s",
    ),
    "LEASE_SECONDS": Setting(
        120.0,
        "SKILLPORT_WEBHOOKS_LEASE_SECONDS",
        "how long a worker holds a webhook delivery (a worker killed mid-delivery frees it then)",
        unit="s",
    ),
    "STALE_AFTER": Setting(
        60.0,
        None,
        "the sweep re-enqueues deliveries that have been due for longer than this",
        unit="s",
    ),
    "RESOLVER": Setting(
        "events.security.system_resolver",
        None,
        "how callback hosts are resolved: a callable `(host, port) -> [addresses]` or its "
        "dotted path (a seam for tests)",
    ),
}
events_conf = AppSettings("SKILLPORT_WEBHOOKS", DEFAULTS, "Webhooks")

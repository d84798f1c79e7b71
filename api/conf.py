"""The JSON:API layer's settings (`settings.SKILLPORT`); see core/conf.py."""

from core.conf import AppSettings, Setting

DEFAULTS = {
    "MAX_JSON_DEPTH": Setting(
        64,
        "SKILLPORT_MAX_JSON_DEPTH",
        "deepest nesting of arrays/objects in a request body (`400` beyond; see "
        "[Input limits](../security.md#input-limits))",
    ),
    "MAX_URI_LENGTH": Setting(
        4096,
        "SKILLPORT_MAX_URI_LENGTH",
        "longest URI (path and query) answered; longer is a JSON:API `414`",
    ),
    "MAX_RELATIONSHIP_LINKAGE": Setting(
        20,
        "SKILLPORT_MAX_RELATIONSHIP_LINKAGE",
        "most to-many linkage entries on a resource that does not include the relation (then "
        "`meta.capped`); `meta.count` is always the full size",
    ),
    "IDEMPOTENCY_KEY_TTL_SECONDS": Setting(
        24 * 3600,
        "SKILLPORT_IDEMPOTENCY_KEY_TTL",
        "how long an `Idempotency-Key`'s first outcome is replayed (the scheduler's "
        "`idempotency_keys` job then deletes it)",
        unit="s",
    ),
    "IDEMPOTENCY_WAIT_SECONDS": Setting(
        10.0,
        "SKILLPORT_IDEMPOTENCY_WAIT",
        "PostgreSQL: how long a request waits for a concurrent one with the same "
        "`Idempotency-Key` before a `409`",
        unit="s",
    ),
    "MAX_ATOMIC_OPERATIONS": Setting(
        100,
        "SKILLPORT_MAX_ATOMIC_OPERATIONS",
        "most operations in one `POST /api/operations` request (Atomic Operations extension); "
        "more is a `413` pointing at `/atomic:operations`",
    ),
    "METRICS_TOKEN": Setting(
        "",
        "SKILLPORT_METRICS_TOKEN",
        "turns `GET /metrics` (Prometheus) on: it then answers only `Authorization: Bearer "
        "<this token>`, `401` otherwise; unset, `/metrics` is a `404` (see "
        "[Monitoring](../operations/monitoring.md#metrics))",
        shown="unset (off)",
    ),
}
api_conf = AppSettings("SKILLPORT", DEFAULTS, "JSON:API requests")

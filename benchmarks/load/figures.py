"""The figures of a `make load` run, computed from what it recorded (no locust, no Django here,
so tests check them on a recorded sample).

Requests are dicts `{"kind", "start" (epoch s), "ms", "status"}` (status 0: no response).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable

# A 5xx that starts this long after PostgreSQL came back is no longer counted as the restart's.
RESTART_GRACE_SECONDS = 2.0


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (`q` in 0..100) of `values`; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return round(ordered[rank - 1], 1)


def is_server_error(request: dict) -> bool:
    """A 5xx, or no response at all (the connection dropped)."""
    return request["status"] >= 500 or request["status"] == 0


def request_figures(requests: list[dict], seconds: float) -> dict:
    """Requests/s, p50/p95/p99 (ms) per request kind, and error counts by status."""
    by_kind: dict[str, list[dict]] = defaultdict(list)
    for request in requests:
        by_kind[request["kind"]].append(request)
    kinds = {}
    for kind, rows in sorted(by_kind.items()):
        times = [row["ms"] for row in rows]
        kinds[kind] = {
            "count": len(rows),
            "per_second": round(len(rows) / seconds, 2) if seconds else 0.0,
            "p50_ms": percentile(times, 50),
            "p95_ms": percentile(times, 95),
            "p99_ms": percentile(times, 99),
            "errors": sum(1 for row in rows if row["status"] >= 400 or row["status"] == 0),
        }
    errors = Counter(
        str(row["status"]) for row in requests if row["status"] >= 400 or row["status"] == 0
    )
    return {
        "requests": len(requests),
        "seconds": round(seconds, 1),
        "requests_per_second": round(len(requests) / seconds, 2) if seconds else 0.0,
        "errors_by_status": dict(sorted(errors.items())),
        "kinds": kinds,
    }


def in_flight(request: dict, moment: float) -> bool:
    return request["start"] <= moment <= request["start"] + request["ms"] / 1000


def server_errors_around_faults(requests: list[dict], faults: list[dict]) -> dict:
    """Sort every 5xx (or dropped connection) by what explains it.

    `faults` are `{"kind", "at"}` (a kill at one moment) or `{"kind", "at", "until"}` (an outage,
    e.g. the PostgreSQL restart). A 5xx in flight at a kill, or started during an outage (up to
    RESTART_GRACE_SECONDS after it), is explained; the rest are `beyond`: the figure whose goal
    is 0."""
    explained: Counter[str] = Counter()
    beyond = []
    errors = list(filter(is_server_error, requests))
    for request in errors:
        for fault in faults:
            until = fault.get("until")
            if (until is None and in_flight(request, fault["at"])) or (
                until is not None
                and request["start"] <= until + RESTART_GRACE_SECONDS
                and request["start"] + request["ms"] / 1000 >= fault["at"]
            ):
                explained[fault["kind"]] += 1
                break
        else:
            beyond.append(request)
    return {
        "server_errors": len(errors),
        "by_status": dict(sorted(Counter(str(request["status"]) for request in errors).items())),
        "explained_by_fault": dict(explained),
        "beyond_faults": len(beyond),
        "beyond_faults_by_kind": dict(Counter(request["kind"] for request in beyond)),
    }


def webhook_figures(emitted: Iterable[str], received: Iterable[str]) -> dict:
    """Deliveries (one `webhook-id` each) emitted vs received; duplicates share an id."""
    emitted_ids = set(emitted)
    received_list = list(received)
    received_ids = set(received_list)
    return {
        "emitted": len(emitted_ids),
        "received": len(received_ids & emitted_ids),
        "received_total": len(received_list),
        "duplicates": len(received_list) - len(received_ids),
        "lost": len(emitted_ids - received_ids),
        "unknown_received": len(received_ids - emitted_ids),
    }

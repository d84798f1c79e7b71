"""Prometheus metrics: every metric Skillport exposes, defined once, and the exposition.

Two kinds, so that nothing needs a shared process state that could be wrong:

- **events**, counted where they happen (a request answered, a job finished, a webhook attempt,
  a refusal, a git transfer, a database error) through the counters and histograms below. Under
  gunicorn and the task workers they are prometheus-client's multiprocess values: each process
  writes its own file in `PROMETHEUS_MULTIPROC_DIR` (set by `make serve`, cleaned at its start)
  and a scrape sums them all, dead processes included (counters never go back);
- **states** (queue depth and age, jobs pending or running, open circuits), read from the
  database at scrape time by the collectors registered with `register_collector`: any process
  answering the scrape sees the same truth. Feature apps register theirs in `AppConfig.ready()`
  (core never imports them).

The endpoint itself (`/metrics`, its token) is HTTP and lives in `api/metrics.py`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator

from django.conf import settings
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric

from core.errors import DATABASE_ERRORS

logger = logging.getLogger(__name__)

HTTP_REQUESTS = Counter(
    "skillport_http_requests",
    "HTTP requests answered, by method, route (URL pattern name) and status code.",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "skillport_http_request_duration_seconds",
    "Time until the response (its headers; a streamed body runs on after), by route and status.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
JOB_DURATION = Histogram(
    "skillport_job_duration_seconds",
    "Background jobs (exports, skill exports) finished, by kind and final status: from "
    "started_at to the end (the _count is the number finished).",
    ["kind", "status"],
    buckets=(0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0),
)
WEBHOOK_DELIVERIES = Counter(
    "skillport_webhook_deliveries",
    "Webhook delivery attempts, by outcome: delivered, failed (an error status, a network "
    "error or a refused address).",
    ["outcome"],
)
RATE_LIMIT_REFUSALS = Counter(
    "skillport_rate_limit_refusals",
    "Requests refused with 429 by a key's rate limit (API and git).",
)
GIT_OPERATIONS = Counter(
    "skillport_git_operations",
    "git smart HTTP exchanges: upload-pack (clone, fetch) and receive-pack (push).",
    ["service"],
)
GIT_BYTES = Counter(
    "skillport_git_bytes",
    "Bytes of git smart HTTP bodies: sent (upload-pack answers) and received (pushes).",
    ["service", "direction"],
)
DATABASE_CONNECTION_ERRORS = Counter(
    "skillport_database_errors",
    "Database unreachable or gave up (OperationalError, InterfaceError), by where it was met: "
    "request (answered 503), scheduler, metrics (a scrape's collector).",
    ["where"],
)

# Collectors read at scrape time: each a callable yielding prometheus-client metric families.
ScrapeCollector = Callable[[], Iterable[Metric]]
SCRAPE_COLLECTORS: list[ScrapeCollector] = []


def register_collector(collector: ScrapeCollector) -> ScrapeCollector:
    """Add `collector` to every scrape (idempotent, so `ready()` may run twice)."""
    if collector not in SCRAPE_COLLECTORS:
        SCRAPE_COLLECTORS.append(collector)
    return collector


def gauge(name: str, documentation: str, labels: list[str]) -> GaugeMetricFamily:
    """A gauge family for a scrape collector to fill with `add_metric(label_values, value)`."""
    return GaugeMetricFamily(name, documentation, labels=labels)


def database_error(where: str) -> None:
    DATABASE_CONNECTION_ERRORS.labels(where).inc()


class _Scrape:
    """The registered collectors; one that fails (the database is down) is left out of the
    scrape and counted, so the event counters still answer."""

    def collect(self) -> Iterator[Metric]:
        for collector in list(SCRAPE_COLLECTORS):
            try:
                yield from list(collector())
            except DATABASE_ERRORS:
                database_error("metrics")
            except Exception:
                logger.exception("Metrics collector %s failed", collector)


class _ThisProcess:
    """Without multiprocess mode (one process: runserver, tests) the default registry's
    metrics, this process's own and the runtime's."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def multiprocess_dir() -> str | None:
    return getattr(settings, "PROMETHEUS_MULTIPROC_DIR", None) or None


def exposition() -> tuple[bytes, str]:
    """The text exposition of every metric, and its content type."""
    registry = CollectorRegistry()
    # The database's states first: a collector that fails counts a database error, which the
    # event counters read next then include.
    registry.register(_Scrape())
    if multiprocess_dir():
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    return generate_latest(registry), CONTENT_TYPE_LATEST

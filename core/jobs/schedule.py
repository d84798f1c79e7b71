"""The table of periodic work, run by one supervised program: `manage.py scheduler`.

Each entry names a function by its dotted path (imported when it runs, so `core` never imports
the apps above it), what to call it with, and the setting of `core_conf` (core/conf.py: the
defaults and the environment variables) that says how many seconds apart it runs.

A new periodic job is one more row here: a function that returns its counts (a dict, or one
number named by `counts`) and is safe to run in any process, any number of times.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from django.utils.module_loading import import_string

from core.conf import core_conf


@dataclass(frozen=True)
class Entry:
    name: str
    path: str  # the dotted path of the function to call
    every: str  # the core_conf setting holding the seconds between two runs
    counts: str = "count"  # what a number returned counts, in the summary line
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    interval: float = 0.0  # seconds between two runs: `every`'s value, set by `entries()`

    def run(self) -> str:
        """Call the function once; returns its summary (`name key=value ...`)."""
        result = import_string(self.path)(**self.kwargs)
        if not isinstance(result, Mapping):
            result = {self.counts: result}
        return " ".join([self.name, *(f"{key}={value}" for key, value in result.items())])


SCHEDULE: tuple[Entry, ...] = (
    # Requeue (or fail after the last attempt) exports and skill exports whose worker stopped
    # renewing its lease: the only rescue of a job whose worker was killed.
    Entry("export_leases", "exports.tasks.recover_leases", "SWEEP_INTERVAL"),
    # Delete export files older than SKILLPORT_EXPORT_FILE_RETENTION.
    Entry(
        "export_files",
        "exports.bulk.services.cleanup_expired_files",
        "SWEEP_INTERVAL",
        "files_deleted",
    ),
    # Delete Idempotency-Key records older than SKILLPORT_IDEMPOTENCY_KEY_TTL.
    Entry("idempotency_keys", "api.idempotency.purge_expired", "SWEEP_INTERVAL", "keys_purged"),
    # Delete `git-trees/` cache entries of states no longer current.
    Entry("git_trees", "skills.git.repositories.sweep_trees", "SWEEP_INTERVAL", "trees_deleted"),
    # Hand due and stale webhook deliveries back to the workers; probe open circuits.
    Entry(
        "webhooks",
        "events.services.sweep",
        "WEBHOOK_SWEEP_INTERVAL",
        "deliveries_enqueued",
        {"enqueue": True},
    ),
)


def entries(only: list[str] | None = None) -> list[Entry]:
    """The schedule with the configured intervals, or just the entries named in `only`."""
    unknown = set(only or ()) - {entry.name for entry in SCHEDULE}
    if unknown:
        raise ValueError(f"No periodic job named {', '.join(sorted(unknown))}.")
    return [
        replace(entry, interval=float(getattr(core_conf, entry.every)))
        for entry in SCHEDULE
        if not only or entry.name in only
    ]

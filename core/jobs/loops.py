"""The loop of `manage.py scheduler`: runs the periodic jobs (core/jobs/schedule.py), each every
its interval, in passes that outlive a database restart."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Sequence
from typing import TextIO

from django.db import close_old_connections

from core import metrics
from core.errors import DATABASE_ERRORS
from core.jobs.schedule import Entry

logger = logging.getLogger(__name__)


def run_entry(entry: Entry, out: TextIO) -> bool:
    """Run `entry` once and write its summary line (with the time it took) to `out`, flushed:
    under a process manager `out` is a pipe, which would otherwise hold the lines back (and lose
    them when the process is killed). False when it failed; the error is reported, not raised,
    so one failing job never keeps the others from running."""
    started = time.monotonic()
    try:
        line = entry.run()
    except DATABASE_ERRORS as error:
        metrics.database_error("scheduler")
        print(f"{entry.name}: database unavailable: {error}", file=sys.stderr, flush=True)
        return False
    except Exception:
        logger.exception("Periodic job %s failed", entry.name)
        return False
    out.write(f"{line} ({time.monotonic() - started:.2f} s)\n")
    out.flush()
    return True


def run_once(entries: Sequence[Entry], out: TextIO) -> list[str]:
    """Run every entry once; returns the names of those that failed. The connection is left
    alone: callers may be inside a transaction."""
    return [entry.name for entry in entries if not run_entry(entry, out)]


def run_forever(
    entries: Sequence[Entry],
    out: TextIO,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Run every entry at once, then each again `interval` seconds after its last start, until
    interrupted. Each pass after the first starts like a request, dropping a kept connection
    that a database restart ended; a job that fails (the database is unreachable, say) is
    reported and tried again at its next turn instead of ending the process."""
    if not entries:
        return
    due = {entry.name: time.monotonic() for entry in entries}
    first = True
    while True:
        if not first:
            close_old_connections()
        first = False
        for entry in entries:
            started = time.monotonic()
            if due[entry.name] <= started:
                run_entry(entry, out)
                due[entry.name] = started + entry.interval
        sleep(max(min(due.values()) - time.monotonic(), 0.0))

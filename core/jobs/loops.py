"""The `--loop` of the sweepers (`sweep_exports`, `deliver_webhooks`): passes that outlive a
database restart."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

from django.db import close_old_connections

from core.errors import DATABASE_ERRORS


def sweep_passes(sweep: Callable[[], str], *, loop: bool, interval: float, out: TextIO) -> None:
    """Run `sweep` (which returns its summary line, written to `out`) once, or every `interval`
    seconds. Each line is flushed: under a process manager `out` is a pipe, which would otherwise
    hold the lines back (and lose them when the process is killed).

    In a loop, each later pass starts like a request, dropping a kept connection that a
    database restart ended, and a pass that fails because the database is unreachable is
    reported and tried again at the next one instead of ending the process. (A single pass
    leaves the connection alone: callers may be inside a transaction.)"""
    while True:
        try:
            out.write(sweep())
            out.flush()
        except DATABASE_ERRORS as error:
            if not loop:
                raise
            print(f"database unavailable, next pass in {interval} s: {error}", file=sys.stderr)
        if not loop:
            return
        time.sleep(interval)
        close_old_connections()

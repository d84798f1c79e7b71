"""A progress line for long management commands, shown only when stdout is a terminal (a cron
job's log gets the findings and the summary alone)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

REDRAW_SECONDS = 0.2


class Progress:
    """`step(label)` counts one item and redraws `<title>: <n> <label>` at most 5 times a
    second; `done()` ends the line. Silent when `stream` is not a terminal."""

    def __init__(self, title: str, stream: TextIO | None = None) -> None:
        self.title = title
        self.stream = stream or sys.stdout
        self.enabled = self.stream.isatty()
        self.count = 0
        self.drawn_at = 0.0

    def step(self, label: str = "") -> None:
        self.count += 1
        now = time.monotonic()
        if self.enabled and now - self.drawn_at >= REDRAW_SECONDS:
            self.drawn_at = now
            self.stream.write(f"\r\033[K{self.title}: {self.count} {label[-60:]}")
            self.stream.flush()

    def clear(self) -> None:
        """Erase the line, so that other output starts on a clean one."""
        if self.enabled:
            self.stream.write("\r\033[K")
            self.stream.flush()

    def done(self) -> None:
        if self.enabled and self.count:
            self.stream.write(f"\r\033[K{self.title}: {self.count} done\n")
            self.stream.flush()

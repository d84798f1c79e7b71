"""Waiting for other processes in tests. The timeout bounds liveness, not speed: a loaded CI
machine may take many times longer than a quiet one, so it is generous, and a timeout says
what was last seen instead of a bare "timed out"."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

LIVENESS_TIMEOUT = 120.0


def wait_for(
    condition: Callable[[], T],
    timeout: float = LIVENESS_TIMEOUT,
    describe: Callable[[], object] | None = None,
) -> T:
    """Poll `condition` until it returns something truthy, and return that."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    seen = f": {describe()}" if describe else ""
    raise AssertionError(f"timed out after {timeout:.0f} s{seen}")

"""`manage.py check_integrity`: a registry of checks, each app registering its own.

A check is a function `(context) -> Iterator[Finding]`, registered with `register(name, fn)` in
its app's `AppConfig.ready()` (core registers the row counters, files the stored files, skills
the blobs, version trees and git caches), so core runs them without knowing the apps. A check
walks its rows in chunks and streams blobs to hash them (memory does not grow with the data),
calls `context.step()` once per item for the progress line, and, when `context.repair` is set,
rebuilds what is derived from the truth (caches, counters) and says so on its finding. User
data (blobs, files, versions) is never changed or deleted: its findings are only reported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.core.files.storage import Storage

from core.digests import sha256_stream

CHUNK_ROWS = 2000


@dataclass(frozen=True)
class Finding:
    check: str
    subject: str  # what is wrong, by name (a storage name, a table, an id)
    problem: str
    repairable: bool = False
    repaired: bool = False

    def line(self) -> str:
        state = " (repaired)" if self.repaired else " (repairable)" if self.repairable else ""
        return f"{self.check}: {self.subject}: {self.problem}{state}"


@dataclass
class Context:
    storage: Storage
    repair: bool = False
    step: Callable[[str], None] = field(default=lambda label: None)


Check = Callable[[Context], Iterator[Finding]]
CHECKS: dict[str, Check] = {}


def register(name: str, check: Check) -> None:
    """Add a check (idempotent: an app's ready() may run more than once in tests)."""
    CHECKS[name] = check


def stored_digest(storage: Storage, name: str) -> tuple[int, str] | None:
    """Size and SHA-256 of a stored file, streamed; None when it is not in storage."""
    try:
        with storage.open(name, "rb") as handle:
            return sha256_stream(handle)
    except FileNotFoundError:
        return None


def check_stored(
    check: str, storage: Storage, name: str, size: int, sha256: str, subject: str
) -> Finding | None:
    """A finding when the stored file `name` is missing or is not `size` bytes of `sha256`."""
    found = stored_digest(storage, name)
    if found is None:
        return Finding(check, subject, f"missing from storage ({name})")
    if found[0] != size:
        return Finding(check, subject, f"{found[0]} bytes in storage, {size} recorded ({name})")
    if found[1] != sha256:
        return Finding(check, subject, f"content does not match its SHA-256 ({name})")
    return None

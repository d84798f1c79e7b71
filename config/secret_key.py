"""The install's signing key when `SECRET_KEY` is not set: random, made once, kept in the var dir.

Every process of one install (web workers, task worker, scheduler, management commands) reads the
same file, so a link signed by one is valid in all. The file is written complete under a
temporary name and then hard-linked into place: the link either succeeds (this process made the
key) or fails because another process got there first, and then that process's key is read back.
Either way every process ends up with the same key, never with a half-written one.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

FILE_NAME = "secret_key"
# Well above Django's 50-character minimum for a key without warnings.
KEY_BYTES = 48


class SecretKeyError(RuntimeError):
    """The key file cannot be created or read; set SECRET_KEY instead."""


def read_or_create(var_dir: Path) -> str:
    path = Path(var_dir) / FILE_NAME
    if not path.exists():
        _create(path)
    try:
        key = path.read_text().strip()
    except OSError as error:
        raise SecretKeyError(f"Cannot read the signing key at {path}: {error}") from error
    if not key:
        raise SecretKeyError(f"The signing key file {path} is empty; delete it or set SECRET_KEY.")
    return key


def _create(path: Path) -> None:
    temporary = path.with_name(f".{FILE_NAME}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(KEY_BYTES) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        # Atomic: fails with FileExistsError when another process was first, and then its key
        # is the one read back.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    except OSError as error:
        raise SecretKeyError(
            f"Cannot create the signing key at {path} ({error}); make SKILLPORT_VAR_DIR "
            "writable or set SECRET_KEY."
        ) from error
    finally:
        temporary.unlink(missing_ok=True)

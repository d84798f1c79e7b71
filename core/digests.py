"""Files read through their hashes in fixed-size chunks: memory stays at one chunk, whatever the
file's size (blobs, exports, backups)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

HASH_CHUNK = 1024 * 1024


def read_chunks(handle: BinaryIO) -> Iterator[bytes]:
    """What is left to read of `handle`, `HASH_CHUNK` bytes at a time."""
    while chunk := handle.read(HASH_CHUNK):
        yield chunk


def sha256_stream(handle: BinaryIO) -> tuple[int, str]:
    """Size and SHA-256 (hex) of what is left to read of `handle`."""
    digest = hashlib.sha256()
    size = 0
    for chunk in read_chunks(handle):
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


def file_sha256(path: Path) -> str:
    """SHA-256 (hex) of a local file."""
    with path.open("rb") as handle:
        return sha256_stream(handle)[1]

"""The storage part of a backup: every stored file copied into a local directory (and back),
through Django's storage API, so local disk and S3 (django-storages) are one code path.

Files are streamed in chunks and hashed while they are copied; the listing `storage.jsonl`
holds one `{"name", "size", "sha256"}` line per file, and a restore checks each file against
it before it is written back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path

from django.core.files import File
from django.core.files.storage import Storage

from core.backup.manifest import BackupError
from core.digests import file_sha256, read_chunks

DIRECTORY = "storage"
LISTING = "storage.jsonl"

Progress = Callable[[str], None]


def walk(storage: Storage, prefix: str = "") -> Iterator[str]:
    """Every file name under `prefix`, depth first (the storage's listing, one level at a
    time: memory holds one directory's names)."""
    try:
        directories, files = storage.listdir(prefix)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield f"{prefix}{name}"
    for directory in sorted(directories):
        yield from walk(storage, f"{prefix}{directory}/")


def is_empty(storage: Storage) -> bool:
    return next(walk(storage), None) is None


def copy_out(storage: Storage, directory: Path, progress: Progress) -> tuple[int, int]:
    """Copy every stored file into `directory/storage/`; the number of files and bytes."""
    root = directory / DIRECTORY
    count = size = 0
    with (directory / LISTING).open("w") as listing:
        for name in walk(storage):
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            digest = hashlib.sha256()
            length = 0
            try:
                with storage.open(name, "rb") as source, target.open("wb") as out:
                    for chunk in read_chunks(source):
                        digest.update(chunk)
                        out.write(chunk)
                        length += len(chunk)
            except FileNotFoundError:
                target.unlink(missing_ok=True)
                continue  # deleted since it was listed (a swept cache entry, a removed export)
            line = {"name": name, "size": length, "sha256": digest.hexdigest()}
            listing.write(json.dumps(line, sort_keys=True) + "\n")
            count, size = count + 1, size + length
            progress(name)
    return count, size


def entries(directory: Path) -> Iterator[dict]:
    with (directory / LISTING).open() as listing:
        for line in listing:
            yield json.loads(line)


def copy_in(storage: Storage, directory: Path, progress: Progress) -> tuple[int, int]:
    """Write every listed file back into `storage`, each checked against its listed digest."""
    root = directory / DIRECTORY
    count = size = 0
    for entry in entries(directory):
        name = entry["name"]
        source = root / name
        if not source.is_file():
            raise BackupError(f"The backup lacks the stored file {name}.")
        if file_sha256(source) != entry["sha256"] or source.stat().st_size != entry["size"]:
            raise BackupError(f"The backup's copy of {name} does not match its listed digest.")
        with source.open("rb") as handle:
            saved = storage.save(name, File(handle, name=name))
        if saved != name:
            raise BackupError(f"The storage saved {name} as {saved}; it was not empty.")
        count, size = count + 1, size + entry["size"]
        progress(name)
    return count, size

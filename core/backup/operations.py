"""`backup` and `restore` (the management commands are their command lines)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from django.core.files.storage import Storage
from django.core.management import call_command
from django.db import connections

from core.backup import database, storage
from core.backup.manifest import FORMAT_VERSION as FORMAT
from core.backup.manifest import (
    BackupError,
    Manifest,
    check_versions,
    signing_key_fingerprint,
    skillport_version,
)
from core.digests import file_sha256
from core.progress import Progress

logger = logging.getLogger(__name__)


def backup(directory: Path, *, using: str, files: Storage) -> Manifest:
    """Take a backup of the running install into `directory` (new or empty): the database
    snapshot first, then the storage (core/backup/__init__.py says why that order)."""
    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()):
        raise BackupError(f"{directory} is not empty; back up into a new or empty directory.")
    directory.mkdir(parents=True, exist_ok=True)
    vendor = database.vendor_of(connections[using])
    created_at = datetime.now(UTC).isoformat()
    database_file, counts = database.dump(using, directory)
    progress = Progress("storage")
    count, size = storage.copy_out(files, directory, progress.step)
    progress.done()
    manifest = Manifest(
        format_version=FORMAT,
        skillport_version=skillport_version(),
        database_vendor=vendor,
        database_file=database_file,
        database_sha256=file_sha256(directory / database_file),
        storage_files=count,
        storage_bytes=size,
        storage_listing_sha256=file_sha256(directory / storage.LISTING),
        created_at=created_at,
        row_counts=counts,
        signing_key_fingerprint=signing_key_fingerprint(),
    )
    manifest.write(directory)  # last: a directory without it is an unfinished backup
    return manifest


def check_target(*, using: str, files: Storage) -> None:
    """Refuse anything but a fresh install: no table in the database, no file in storage."""
    tables = database.existing_tables(connections[using])
    if tables:
        raise BackupError(
            f"The database is not empty ({len(tables)} tables, e.g. {tables[0]}); restore only "
            "into a new, empty database (do not run `migrate` before the restore)."
        )
    if not storage.is_empty(files):
        raise BackupError(
            "The file storage is not empty; restore only into an empty directory or bucket."
        )


def check_backup(directory: Path, manifest: Manifest) -> None:
    dump = directory / manifest.database_file
    if not dump.is_file():
        raise BackupError(f"The backup lacks its database snapshot {manifest.database_file}.")
    if file_sha256(dump) != manifest.database_sha256:
        raise BackupError(f"{manifest.database_file} does not match the manifest's checksum.")
    listing = directory / storage.LISTING
    if not listing.is_file() or file_sha256(listing) != manifest.storage_listing_sha256:
        raise BackupError(f"{storage.LISTING} is missing or does not match the manifest.")


def restore(directory: Path, *, using: str, files: Storage, migrate: bool = True) -> list[str]:
    """Restore the backup in `directory` into this fresh install; the warnings to show."""
    directory = Path(directory)
    manifest = Manifest.read(directory)
    check_versions(manifest, database.vendor_of(connections[using]))
    check_backup(directory, manifest)
    check_target(using=using, files=files)

    database.restore(using, directory / manifest.database_file)
    counts = database.row_counts(connections[using])
    different = sorted(
        table
        for table in manifest.row_counts.keys() | counts.keys()
        if counts.get(table) != manifest.row_counts.get(table)
    )
    if different:
        raise BackupError(
            "The restored database does not hold the rows the manifest lists "
            f"(tables {', '.join(different[:5])}); drop it and restore again."
        )
    progress = Progress("storage")
    count, _size = storage.copy_in(files, directory, progress.step)
    progress.done()
    if count != manifest.storage_files:
        raise BackupError(f"Restored {count} files; the manifest lists {manifest.storage_files}.")
    if migrate:
        # A backup of an older release: this code's migrations follow.
        call_command("migrate", database=using, interactive=False, verbosity=0)
    warnings = []
    if manifest.signing_key_fingerprint != signing_key_fingerprint():
        warnings.append(
            "This install's signing key (SECRET_KEY) is not the one the backup was taken with: "
            "download links and file links minted before the backup will not verify. Set the "
            "former key in SECRET_KEY (or SECRET_KEY_FALLBACKS) to keep them working."
        )
    return warnings

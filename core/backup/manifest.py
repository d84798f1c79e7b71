"""The manifest of a backup: what it holds and how to check it before a restore."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils.crypto import salted_hmac

FORMAT_VERSION = 1
FILE_NAME = "manifest.json"


class BackupError(Exception):
    """A backup cannot be taken or restored; the message says why."""


@dataclass
class Manifest:
    format_version: int
    skillport_version: str
    database_vendor: str
    database_file: str
    database_sha256: str
    storage_files: int
    storage_bytes: int
    storage_listing_sha256: str
    created_at: str
    # rows per table in the database snapshot
    row_counts: dict[str, int] = field(default_factory=dict)
    # which signing key the install used (an HMAC of a constant, not the key)
    signing_key_fingerprint: str = ""

    def write(self, directory: Path) -> None:
        text = json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"
        (directory / FILE_NAME).write_text(text)

    @classmethod
    def read(cls, directory: Path) -> Manifest:
        path = directory / FILE_NAME
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise BackupError(
                f"{path} is missing: {directory} is not a Skillport backup."
            ) from None
        except ValueError as error:
            raise BackupError(f"{path} is not valid JSON ({error}).") from None
        if data.get("format_version") != FORMAT_VERSION:
            raise BackupError(
                f"The backup's format version is {data.get('format_version')!r}; this Skillport "
                f"reads version {FORMAT_VERSION}."
            )
        try:
            return cls(**data)
        except TypeError as error:
            raise BackupError(f"{path} is not a manifest this Skillport wrote ({error}).") from None


def skillport_version() -> str:
    with (Path(settings.BASE_DIR) / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)["project"]["version"]


def signing_key_fingerprint() -> str:
    return salted_hmac("skillport.backup.fingerprint", "signing key").hexdigest()[:16]


def check_versions(manifest: Manifest, vendor: str) -> None:
    """Refuse a backup of another database vendor or of a newer Skillport."""
    if manifest.database_vendor != vendor:
        raise BackupError(
            f"The backup is of a {manifest.database_vendor} database and this install uses "
            f"{vendor}; restore it into an install of the same database vendor."
        )
    ours = skillport_version()
    if _version_key(manifest.skillport_version) > _version_key(ours):
        raise BackupError(
            f"The backup was taken by Skillport {manifest.skillport_version}, newer than this "
            f"install's {ours}; restore it with that version or a later one."
        )


def _version_key(version: str) -> tuple[int, ...]:
    parts: Iterable[str] = version.split("+")[0].split(".")
    return tuple(int(part) if part.isdigit() else 0 for part in parts)

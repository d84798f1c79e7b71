"""Integrity check of the stored files (exports, skill export zips, uploads): every active
file row's bytes are in storage with the recorded size and SHA-256. Only reported: a file is
user data, nothing rebuilds it."""

from __future__ import annotations

from collections.abc import Iterator

from core.integrity import CHUNK_ROWS, Context, Finding, check_stored
from files.models import File

NAME = "files"


def check_files(context: Context) -> Iterator[Finding]:
    rows = (
        File.objects.filter(status=File.Status.ACTIVE)
        .order_by()
        .values_list("pk", "storage_name", "file_size", "sha256")
    )
    for pk, name, size, sha256 in rows.iterator(chunk_size=CHUNK_ROWS):
        context.step(name)
        finding = check_stored(NAME, context.storage, name, size, sha256, f"file {pk}")
        if finding:
            yield finding

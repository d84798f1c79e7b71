"""The zip exports of a skill, a Claude Code plugin, a plugin marketplace.

The layouts themselves live in `skills.layouts` (the plugin and marketplace git repositories
share them); entries are `skills.archives.ZipSource`s (path, size, lazily opened chunks), so a
bundle never holds file contents in memory. `write_zip` is deterministic: sorted entries, fixed
timestamps and permissions, so two exports of the same content are byte-identical.
"""

import zipfile
from collections.abc import Iterable
from typing import BinaryIO

from files.compression import deflate_compressor
from skills.archives import ZipSource
from skills.bundles.layouts import (  # noqa: F401 (the bundlers, re-exported for exports' callers)
    BundleError,
    marketplace_bundle,
    plugin_bundle,
    skill_bundle,
)

FIXED_DATE = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644 << 16
# Deflate level of bundle zips: ISA-L's level 1 (see `files.compression`).
ZIP_LEVEL = 1


def write_zip(sources: Iterable[ZipSource], fileobj: BinaryIO, level: int = ZIP_LEVEL) -> int:
    """Write a deterministic archive, one entry streamed at a time; return the entry count.

    Entries are deflated by `files.compression.deflate_compressor` (ISA-L at levels 0-3, about
    eight times faster than zlib's level 6 with a similar size); the archive stays a standard
    zip that every unzip reads."""
    count = 0
    with zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for source in sorted(sources, key=lambda source: source.path):
            info = zipfile.ZipInfo(source.path, date_time=FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = FILE_MODE
            info.file_size = source.size
            with zf.open(info, "w", force_zip64=source.size > 2**31) as entry:
                # zipfile deflates with zlib only; its entry writer calls just `compress` and
                # `flush` on this object, so the faster codec slots in before the first byte.
                entry._compressor = deflate_compressor(level)
                for chunk in source.open_chunks():
                    entry.write(chunk)
            count += 1
    return count

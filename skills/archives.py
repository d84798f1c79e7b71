"""Zip in and zip out, with no database or storage knowledge.

`read_zip` turns an uploaded archive into a checked `{path: content}` tree, refusing anything
hostile before a byte is stored. `stream_zip` builds an archive chunk by chunk from lazily opened
sources, so memory does not grow with the archive (skill exports reuse it).
"""

import stat
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from zipstream import ZIP_DEFLATED, ZIP_STORED, ZipStream

from skills.validation import Limits, TreeBudget, TreeError, get_limits, normalise_path

UTF8_FLAG = 0x800
ENCRYPTED_FLAG = 0x1
CHUNK_SIZE = 256 * 1024


def _entry_name(info: zipfile.ZipInfo) -> str:
    """The entry's name as UTF-8; zipfile decodes unflagged names as cp437, so undo that."""
    if info.flag_bits & UTF8_FLAG:
        return info.filename
    raw = info.orig_filename.encode("cp437")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise TreeError(
            raw.decode("utf-8", "backslashreplace"),
            "Zip entry names must be UTF-8.",
            "invalid_path",
        ) from None


def _check_entry_type(name: str, info: zipfile.ZipInfo) -> None:
    mode = info.external_attr >> 16
    file_type = stat.S_IFMT(mode)
    if file_type == stat.S_IFLNK:
        raise TreeError(name, "Symbolic links are not allowed.", "symlink")
    if file_type not in (0, stat.S_IFREG, stat.S_IFDIR):
        raise TreeError(name, "Only regular files are allowed.", "invalid_entry")
    if info.flag_bits & ENCRYPTED_FLAG:
        raise TreeError(name, "Encrypted entries are not allowed.", "invalid_entry")


def _check_ratio(name: str, info: zipfile.ZipInfo, limits: Limits) -> None:
    if info.file_size < limits.compression_ratio_min_size:
        return
    if info.compress_size == 0 or info.file_size / info.compress_size > (
        limits.max_compression_ratio
    ):
        raise TreeError(
            name,
            f"'{name}' expands more than {limits.max_compression_ratio} times; refused as a "
            "possible zip bomb.",
            "zip_bomb",
        )


def _read_entry(archive: zipfile.ZipFile, name: str, info: zipfile.ZipInfo) -> bytes:
    """The entry's bytes, never more than its declared size (and exactly that many)."""
    try:
        with archive.open(info) as handle:
            data = handle.read(info.file_size + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, OSError) as error:
        raise TreeError(name, f"'{name}' cannot be read: {error}", "invalid_zip") from None
    if len(data) != info.file_size:
        raise TreeError(name, f"'{name}' does not hold the size it declares; refused.", "zip_bomb")
    return data


def _check_entry_count(fileobj: BinaryIO, limits: Limits) -> None:
    """Refuse a huge central directory before zipfile parses it into memory."""
    try:
        end_record = zipfile._EndRecData(fileobj)  # the documented format's end record
    except OSError:
        end_record = None
    finally:
        fileobj.seek(0)
    # Folders are entries too, hence the slack; files are counted exactly later.
    if end_record and end_record[zipfile._ECD_ENTRIES_TOTAL] > 2 * limits.max_files:
        raise TreeError(
            None, f"A version holds at most {limits.max_files} files.", "too_many_files"
        )


def read_zip(fileobj: BinaryIO, limits: Limits | None = None) -> dict[str, bytes]:
    """Check every entry from the central directory, then inflate within the declared sizes."""
    limits = limits or get_limits()
    _check_entry_count(fileobj, limits)
    try:
        archive = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
        raise TreeError(None, "The upload is not a readable zip archive.", "invalid_zip") from None
    with archive:
        budget = TreeBudget(limits)
        planned: list[tuple[str, zipfile.ZipInfo]] = []
        for info in archive.infolist():
            name = _entry_name(info)
            _check_entry_type(name, info)
            if name.endswith("/"):
                # Directories only matter through the files in them, but must be safe too.
                if name.strip("/"):
                    normalise_path(name)
                continue
            path = budget.add_path(name)
            budget.add_size(path, info.file_size)
            _check_ratio(path, info, limits)
            planned.append((path, info))
        return {path: _read_entry(archive, path, info) for path, info in planned}


@dataclass(frozen=True)
class ZipSource:
    """One file of an archive to build: its path, size and a way to read it in chunks."""

    path: str
    size: int
    open_chunks: Callable[[], Iterator[bytes]]


def file_chunks(opener: Callable[[], BinaryIO], chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """Read a file-like object lazily, opening it only when the archive reaches it."""
    with opener() as handle:
        while chunk := handle.read(chunk_size):
            yield chunk


def stream_zip(
    sources: Iterable[ZipSource], *, compress: bool = True, level: int = 6
) -> Iterator[bytes]:
    """The archive as chunks; only one source is open at a time."""
    compress = compress and level > 0
    archive = ZipStream(
        compress_type=ZIP_DEFLATED if compress else ZIP_STORED,
        compress_level=level if compress else None,
        sized=not compress,
    )
    for source in sources:
        archive.add(source.open_chunks(), source.path, size=source.size)
    yield from archive

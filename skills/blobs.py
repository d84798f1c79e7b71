"""Content-addressed file storage through Django's storage API (local disk or S3)."""

import hashlib
from collections.abc import Iterator
from functools import partial

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from skills.archives import CHUNK_SIZE, ZipSource, file_chunks

PREFIX = "skill-blobs"


def content_hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def storage_name(sha256: str) -> str:
    return f"{PREFIX}/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def save_content(sha256: str, content: bytes) -> str:
    """Write `content` under its hash unless it is already there; return the storage name."""
    return save_once(storage_name(sha256), content)


def save_once(name: str, content: bytes) -> str:
    """Write `content` under `name` (named by what it holds) unless it is already there."""
    if default_storage.exists(name):
        return name
    saved = default_storage.save(name, ContentFile(content))
    if saved != name:
        # Another writer stored the same content first; keep theirs, drop our duplicate.
        default_storage.delete(saved)
    return name


def read_content(name: str) -> bytes:
    with default_storage.open(name, "rb") as handle:
        return handle.read()


def content_chunks(name: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """The stored content in chunks, opened lazily (for streamed archives)."""
    return file_chunks(lambda: default_storage.open(name, "rb"), chunk_size)


def zip_source(path: str, storage_name: str, size: int) -> ZipSource:
    """A stored blob as an archive entry at `path`, read lazily when the archive reaches it."""
    return ZipSource(path=path, size=size, open_chunks=partial(content_chunks, storage_name))

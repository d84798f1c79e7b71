"""The pack of a git-upload-pack response, streamed object by object, with each file's pack
entry kept in storage so the next clone does not compress it again.

dulwich negotiates (wants, haves, shallow, ACK/NAK) as before; the pack it would then build in
one piece is written here instead, one object at a time, as side-band-64k pkt-lines that the
view streams: a response holds one object (and one pkt-line) in memory, whatever the pack's size.

A file's pack entry (the object header and the zlib stream of its git blob, never a delta, so it
is valid at any position of any pack) depends only on the file's content. It is derived once and
kept in storage under the git blob id (`git-objects/<id>`), sealed with its length and CRC-32 so
a torn or damaged copy is noticed and derived again. Entries are a cache: the stored blobs stay
the one copy of the truth, and deleting `git-objects/` only makes the next clone derive them
again. Trees and commits (no file content) are compressed per response.
"""

import hashlib
import struct
import zlib
from collections.abc import Iterator, Sequence

from django.core.files.storage import default_storage
from dulwich.object_format import DEFAULT_OBJECT_FORMAT
from dulwich.objects import Blob as GitBlob
from dulwich.pack import pack_object_header
from dulwich.protocol import CAPABILITY_FILTER, CAPABILITY_NO_DONE
from dulwich.server import UploadPackHandler, _ProtocolGraphWalker
from isal import isal_zlib

from skills.blobs import read_content, save_once

ENTRY_PREFIX = "git-objects"
# ISA-L's level 2: several times faster than zlib's default, a standard zlib stream any git
# inflates, and the same bytes for the same content on every run.
ENTRY_LEVEL = 2
# side-band-64k: a pkt-line is at most 65520 bytes, 4 of length and 1 of band included.
PKT_DATA = 65515
SEAL = struct.Struct(">QI")  # entry length, CRC-32 of the entry


class StreamingUploadPack(UploadPackHandler):
    """dulwich's upload-pack negotiation; the objects to send are left in `pack_objects` for
    `pack_lines` to stream, instead of a pack written in one piece."""

    pack_objects: list[bytes] | None = None

    def capabilities(self) -> list[bytes]:
        # Partial-clone filters are not applied, so not offered (git then clones everything).
        return [cap for cap in super().capabilities() if cap != CAPABILITY_FILTER]

    def handle(self) -> None:
        # dulwich's UploadPackHandler.handle, up to (not including) writing the pack.
        self._processing_have_lines = True
        graph_walker = _ProtocolGraphWalker(
            self, self.repo.object_store, self.repo.get_peeled, self.repo.refs.get_symrefs
        )
        wants: list[bytes] = []

        def wants_wrapper(refs, depth=None) -> list[bytes]:
            wants.extend(graph_walker.determine_wants(refs, depth))
            return wants

        missing = self.repo.find_missing_objects(
            wants_wrapper, graph_walker, self.progress, get_tagged=self.get_tagged
        )
        if not wants or missing is None:
            return  # the advertisement, or a stateless round that ends before the pack
        object_ids = [oid for oid, _hint in missing]
        if graph_walker.handle_done(
            not self.has_capability(CAPABILITY_NO_DONE), self._done_received
        ):
            self.pack_objects = object_ids


def entry_name(git_id: bytes) -> str:
    hex_id = git_id.decode()
    return f"{ENTRY_PREFIX}/{hex_id[:2]}/{hex_id[2:4]}/{hex_id}"


def _entry(type_num: int, chunks: Sequence[bytes]) -> bytes:
    data = b"".join(chunks)
    header = pack_object_header(type_num, None, len(data), object_format=DEFAULT_OBJECT_FORMAT)
    return bytes(header) + isal_zlib.compress(data, ENTRY_LEVEL)


def seal(data: bytes) -> bytes:
    """`data` as kept in storage: followed by its length and CRC-32."""
    return data + SEAL.pack(len(data), zlib.crc32(data))


def unseal(sealed: bytes) -> memoryview | None:
    """The data inside a stored copy, or None when the copy is short or damaged."""
    if len(sealed) < SEAL.size:
        return None
    size, crc = SEAL.unpack_from(sealed, len(sealed) - SEAL.size)
    data = memoryview(sealed)[: -SEAL.size]
    return data if size == len(data) and zlib.crc32(data) == crc else None


def blob_entry(git_id: bytes, storage_name: str) -> bytes | memoryview:
    """The pack entry of a stored file: the kept copy, else derived from the blob and kept."""
    name = entry_name(git_id)
    try:
        entry = unseal(read_content(name))
    except FileNotFoundError:
        entry = None
    else:
        if entry is None:
            default_storage.delete(name)  # torn by a crashed writer: derive it again
    if entry is None:
        entry = keep_entry(GitBlob.from_string(read_content(storage_name)))
    return entry


def keep_entry(blob: GitBlob) -> bytes:
    """Derive a file's pack entry and keep it (also called when its git id is first derived,
    so a first clone reads each file once)."""
    entry = _entry(blob.type_num, blob.as_raw_chunks())
    save_once(entry_name(blob.id), seal(entry))
    return entry


def _pkt_line(data: bytes | bytearray) -> bytes:
    return b"%04x\x01" % (len(data) + 5) + data


def pack_lines(objects, object_ids: Sequence[bytes]) -> Iterator[bytes]:
    """The pack of `object_ids` as side-band-64k pkt-lines, then the closing flush-pkt.

    `objects` is the repository's object store dict (`skills.git._LazyBlobs`): file blobs are
    sent from their kept entries, trees and commits compressed here."""
    checksum = hashlib.sha1()
    buffer = bytearray()

    def lines(data: bytes | memoryview, last: bool = False) -> Iterator[bytes]:
        # The pack's bytes go out in full pkt-lines; the last call sends what is left.
        buffer.extend(data)
        while len(buffer) >= PKT_DATA or (last and buffer):
            yield _pkt_line(buffer[:PKT_DATA])
            del buffer[:PKT_DATA]

    def add(data: bytes | memoryview) -> Iterator[bytes]:
        checksum.update(data)
        return lines(data)

    yield from add(struct.pack(">4sLL", b"PACK", 2, len(object_ids)))
    for oid in object_ids:
        if oid in objects.stored:
            yield from add(blob_entry(oid, objects.stored[oid]))
        else:
            obj = objects[oid]
            yield from add(_entry(obj.type_num, obj.as_raw_chunks()))
    yield from lines(checksum.digest(), last=True)
    yield b"0000"

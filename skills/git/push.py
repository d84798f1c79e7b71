"""Publish with `git push`: the receive side of git's smart HTTP protocol for skill collections.

A push to `main` (or to the branch of an existing release label) creates ONE new version from
the pushed tip's tree through `services.create_version`, so it is validated, stored, audited
and announced (events, webhooks) exactly like a JSON or zip upload. Everything else is refused
per ref with git's `ng <ref> <reason>`, the reason also sent on side-band channel 2 so git prints
it as `remote:` lines: tags (Skillport makes `v<N>` itself), deletes, new branches,
non-fast-forward updates, a second version in the same push.

The pack is checked before dulwich inflates it (object count, each object's declared size, a
delta's output size, the total) so a small request cannot expand without bound in memory; the
tree is then read file by file through the upload limits (`validation.check_tree`), and nothing
is stored unless the whole tree passes.

The pushed commit is kept with the version (its raw object: author, committer, dates, time
zones, message and signature, byte for byte; and the file modes), so the version's commit IS the
pushed commit, same id, and the next push is a fast-forward like on any git host. That holds when
the pushed commit's only parent is the latest version's commit (the history stays linear, one
commit per version); otherwise (a push to a label branch behind `main`, a merge commit) Skillport
derives its own commit for the version as for an API upload, and says so: `git pull --rebase`.
"""

import io
import stat
import zlib
from collections.abc import Iterator

from django.db import transaction
from django.db.models import Max
from dulwich.errors import ApplyDeltaError, ChecksumMismatch, GitProtocolError
from dulwich.object_store import MaxTreeDepthExceeded, MemoryObjectStore
from dulwich.objects import Commit, ObjectFormatException
from dulwich.pack import UnresolvedDeltas
from dulwich.protocol import (
    CAPABILITY_DELETE_REFS,
    CAPABILITY_OFS_DELTA,
    CAPABILITY_QUIET,
    CAPABILITY_REPORT_STATUS,
    CAPABILITY_SIDE_BAND_64K,
    SIDE_BAND_CHANNEL_PROGRESS,
    ZERO_SHA,
    ReceivableProtocol,
    capability_object_format,
)
from dulwich.repo import MemoryRepo
from dulwich.server import Backend, ReceivePackHandler

from skills import services
from skills.conf import skills_conf
from skills.git.objects import MAIN, make_tree
from skills.models import SkillCollection, SkillCollectionVersion
from skills.validation import Limits, TreeError, get_limits, normalise_path

SERVICE = "git-receive-pack"
TAGS = b"refs/tags/"
HEADS = b"refs/heads/"
# Pack object types (git's pack format).
OFS_DELTA, REF_DELTA = 6, 7
READ_CHUNK = 64 * 1024
EXECUTABLE_MODE = 0o100755


class BadPushRequest(Exception):
    """The request is not git's receive-pack protocol (a 400, not a refusal)."""


class Refused(Exception):
    """A ref update Skillport will not make; the message is what git shows."""


def max_push_body() -> int:
    """Largest git-receive-pack request body (ref updates and the pack) read, in bytes."""
    return int(skills_conf.GIT_MAX_PUSH_SIZE)


# -- bounding the pack before it is inflated ---------------------------------------------------


def _varint(data: bytes, index: int) -> tuple[int, int]:
    """A delta header size (little-endian base-128)."""
    value = shift = 0
    while True:
        if index >= len(data):
            raise Refused("The pack holds a truncated delta.")
        byte = data[index]
        index += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, index


def _base_offset(pack: bytes, index: int) -> tuple[int, int]:
    """An OFS_DELTA's distance back to its base (git's offset encoding), and where it ends."""
    if index >= len(pack):
        raise Refused("The pack is truncated.")
    byte = pack[index]
    offset = byte & 0x7F
    while byte & 0x80:
        index += 1
        if index >= len(pack) or offset > len(pack):
            raise Refused("The pack is truncated.")
        byte = pack[index]
        offset = ((offset + 1) << 7) | (byte & 0x7F)
    return offset, index + 1


def _delta_target_size(delta: bytes) -> int:
    """The size a delta declares for its result, after checking its instructions produce
    exactly that many bytes (so applying it cannot grow past the declared size)."""
    _, index = _varint(delta, 0)
    target, index = _varint(delta, index)
    produced = 0
    while index < len(delta):
        op = delta[index]
        index += 1
        if op & 0x80:  # copy from the base: offset bytes (bits 0-3), then size bytes (4-6)
            index += bin(op & 0x0F).count("1")
            size = 0
            for byte in range(3):
                if op & (0x10 << byte):
                    if index >= len(delta):
                        raise Refused("The pack holds a truncated delta.")
                    size |= delta[index] << (8 * byte)
                    index += 1
            produced += size or 0x10000
        elif op:  # insert the next `op` bytes
            index += op
            produced += op
        else:
            raise Refused("The pack holds a malformed delta.")
    if produced != target or index != len(delta):
        raise Refused("The pack holds a malformed delta.")
    return target


def _inflate(pack: bytes, start: int, declared: int, keep: bool) -> tuple[bytes, int]:
    """Inflate one object's zlib stream from `start`, never past its declared size; return the
    data (only when `keep`) and where the next object starts."""
    inflater = zlib.decompressobj()
    kept, produced, position = [], 0, start
    try:
        while not inflater.eof:
            if position >= len(pack):
                raise Refused("The pack is truncated.")
            chunk = pack[position : position + READ_CHUNK]
            position += len(chunk)
            data = inflater.decompress(chunk, declared - produced + 1)
            while True:
                produced += len(data)
                if produced > declared:
                    raise Refused("A pack object is larger than it declares.")
                if keep:
                    kept.append(data)
                if not inflater.unconsumed_tail:
                    break
                data = inflater.decompress(inflater.unconsumed_tail, declared - produced + 1)
    except zlib.error as error:
        raise Refused(f"The pack is corrupt: {error}") from None
    if produced != declared:
        raise Refused("A pack object is smaller than it declares.")
    return b"".join(kept), position - len(inflater.unused_data)


def check_pack(pack: bytes, limits: Limits) -> None:
    """Refuse a pack whose objects would inflate past what one push may hold in memory: at most
    4 x MAX_FILES objects, inflating to at most 2 x MAX_VERSION_SIZE together. (A file over
    MAX_FILE_SIZE is refused later by the tree check, with the upload's message and path.)"""
    if len(pack) < 32 or pack[:4] != b"PACK":
        raise Refused("The request holds no git pack.")
    count = int.from_bytes(pack[8:12], "big")
    if count > 4 * limits.max_files:
        raise Refused(f"A push holds at most {4 * limits.max_files} objects.")
    total, position, starts = 0, 12, set()
    for _ in range(count):
        if position >= len(pack):
            raise Refused("The pack is truncated.")
        start = position
        starts.add(start)
        byte = pack[position]
        kind, size, shift = (byte >> 4) & 7, byte & 0x0F, 4
        position += 1
        while byte & 0x80:
            if position >= len(pack):
                raise Refused("The pack is truncated.")
            byte = pack[position]
            size |= (byte & 0x7F) << shift
            shift += 7
            position += 1
        if kind == OFS_DELTA:
            offset, position = _base_offset(pack, position)
            # The base is an earlier object of this pack (dulwich would fail on an assertion).
            if start - offset not in starts or offset == 0:
                raise Refused("The pack holds a delta whose base is not an object of the pack.")
        elif kind == REF_DELTA:
            position += 20
        is_delta = kind in (OFS_DELTA, REF_DELTA)
        if total + size > 2 * limits.max_version_size:
            raise Refused(f"A push inflates to at most {2 * limits.max_version_size} bytes.")
        data, position = _inflate(pack, position, size, keep=is_delta)
        total += _delta_target_size(data) if is_delta else size
        if total > 2 * limits.max_version_size:
            raise Refused(f"A push inflates to at most {2 * limits.max_version_size} bytes.")
    # dulwich reads the header's count of objects and takes the next 20 bytes as the checksum,
    # so objects past the count would pass unread: the pack must end right after them.
    if len(pack) - position < 20:
        raise Refused("The pack is truncated.")
    if len(pack) - position > 20:
        raise Refused("The pack holds more data than its header's object count.")


# -- the handler -------------------------------------------------------------------------------


class _OneRepoBackend(Backend):
    def __init__(self, repo: MemoryRepo):
        self.repo = repo

    def open_repository(self, path):
        return self.repo


class PushHandler(ReceivePackHandler):
    """dulwich's receive-pack (advertisement, commands, report-status, side-band) with the ref
    updates replaced by version creation."""

    def __init__(self, repo, proto, *, collection: SkillCollection, actor, advertise: bool):
        super().__init__(
            _OneRepoBackend(repo), ["/"], proto, stateless_rpc=True, advertise_refs=advertise
        )
        self.collection = collection
        self.tenant = collection.tenant
        self.actor = actor
        self.created: SkillCollectionVersion | None = None

    def capabilities(self):
        # No `atomic` (each ref is decided alone) and no push options.
        return [
            CAPABILITY_REPORT_STATUS,
            CAPABILITY_DELETE_REFS,  # so a delete reaches us and is refused with a reason
            CAPABILITY_QUIET,
            CAPABILITY_OFS_DELTA,
            CAPABILITY_SIDE_BAND_64K,
            capability_object_format(self.repo.object_format.name),
        ]

    def _say(self, text: str) -> None:
        """A line git prints as `remote: <text>`."""
        if self.has_capability(CAPABILITY_SIDE_BAND_64K):
            for line in text.splitlines():
                self.proto.write_sideband(SIDE_BAND_CHANNEL_PROGRESS, line.encode() + b"\n")

    def _read_pack(self) -> bytes:
        chunks = []
        while chunk := self.proto.recv(READ_CHUNK):
            chunks.append(chunk)
        return b"".join(chunks)

    def _apply_pack(self, refs) -> Iterator[tuple[bytes, bytes]]:
        if any(new != ZERO_SHA for _, new, _ in refs):
            try:
                pack = self._read_pack()
                check_pack(pack, get_limits())
                self._unpack(pack)
            except Refused as error:
                yield from self._unpack_failed(str(error), refs)
                return
        yield (b"unpack", b"ok")
        for old, new, ref in refs:
            try:
                self._update(old, new, ref)
            except Refused as error:
                self._say(f"error: {error}")
                yield (ref, str(error).replace("\n", " ").encode())
            else:
                version = self.created
                created = (
                    f"Skillport: created version {version.number} (tag v{version.number}) of "
                    f"'{self.collection.name}'."
                )
                if version.git_commit:
                    self._say(f"{created} Its commit is the one you pushed.")
                else:
                    self._say(
                        f"{created}\nSkillport makes its own commit for it (same tree; your "
                        "commit is not on the latest version): run `git pull --rebase` before "
                        "your next push."
                    )
                yield (ref, b"ok")

    def _unpack(self, pack: bytes) -> None:
        """Add the pack's objects to the request's in-memory repository, or raise Refused."""
        try:
            self.repo.object_store.add_thin_pack(io.BytesIO(pack).read, None)
        except UnresolvedDeltas as error:
            # A thin pack's delta bases must be objects the repository has (or the pack holds);
            # two deltas naming each other end here too.
            missing = ", ".join(sha.decode() for sha in error.shas[:3])
            raise Refused(
                f"The pack holds deltas whose base object is missing: {missing}"
            ) from None
        except (
            ChecksumMismatch,
            ApplyDeltaError,
            ObjectFormatException,
            KeyError,
            ValueError,
            AssertionError,
            zlib.error,
        ) as error:
            raise Refused(f"The pack is corrupt: {error or type(error).__name__}") from None

    def _unpack_failed(self, reason: str, refs) -> Iterator[tuple[bytes, bytes]]:
        """What git's own receive-pack answers when the pack is refused: `unpack <reason>`,
        then every ref `ng <ref> unpacker error` (git prints `[remote rejected] (unpacker
        error)` for each)."""
        reason = reason.replace("\n", " ")
        self._say(f"error: {reason}")
        yield (b"unpack", reason.encode())
        for _old, _new, ref in refs:
            yield (ref, b"unpacker error")

    def _update(self, old: bytes, new: bytes, ref: bytes) -> None:
        """Create the version `ref`'s update asks for, or raise Refused."""
        label = self._label_of(ref)
        if new == ZERO_SHA:
            raise Refused("Deleting a branch is refused: versions are immutable.")
        current = self.repo.refs.as_dict().get(ref, ZERO_SHA)
        if old != current:
            raise Refused("non-fast-forward: the branch has moved; fetch first (git pull).")
        commit = self._commit(new)
        if old != ZERO_SHA and not self._descends(new, old):
            raise Refused("non-fast-forward: the pushed commit does not contain the branch.")
        if self.created is not None:
            raise Refused("One push creates one version: push this branch on its own.")
        message = commit.message.decode("utf-8", "replace").strip()
        if "\0" in message:  # as for any text attribute of the API (PostgreSQL refuses NUL)
            raise Refused("The commit message may not contain NUL characters.")
        kept, modes = self._kept(commit)
        try:
            with transaction.atomic():
                # Another push (or upload) may have moved the branch since the refs were read.
                SkillCollection.objects.for_tenant(self.tenant).select_for_update().filter(
                    pk=self.collection.pk
                ).get()
                if self._branch_version(label) != self._version_at(current):
                    raise Refused("non-fast-forward: the branch has moved; fetch first.")
                self.created = services.create_version(
                    self.collection,
                    actor=self.actor,
                    files=self._files(commit.tree),
                    commit_message=message,
                    release_label=label,
                    git_commit=kept,
                    file_modes=modes,
                )
        except TreeError as error:
            raise Refused(f"{error.path}: {error.detail}" if error.path else error.detail) from None

    def _kept(self, commit: Commit) -> tuple[bytes | None, dict[str, str]]:
        """The pushed commit's raw object when the version's derived commit would be exactly it
        (its one parent is the latest version's commit, and the tree Skillport derives from the
        stored files equals the pushed tree), and the file modes other than 100644."""
        try:
            entries = [
                (normalise_path(entry.path.decode("utf-8")), entry.sha, entry.mode)
                for entry in self.repo.object_store.iter_tree_contents(commit.tree)
            ]
        except (
            TreeError,
            UnicodeDecodeError,
            KeyError,
            AttributeError,
            ObjectFormatException,
            MaxTreeDepthExceeded,
        ):
            return None, {}  # `_files` refuses this tree with its reason
        # Executables keep their bit; any other odd regular mode is stored as 100644.
        modes = {path: f"{mode:o}" for path, _, mode in entries if mode == EXECUTABLE_MODE}
        latest = self.repo.refs.as_dict().get(MAIN)
        if commit.parents != ([latest] if latest else []):
            return None, modes
        derived = make_tree(MemoryObjectStore(), [(p.encode(), s, m) for p, s, m in entries])
        return (commit.as_raw_string() if derived == commit.tree else None), modes

    def _version_at(self, sha: bytes) -> int | None:
        """The version number a commit of the advertised repository stands for (tag v<N>)."""
        for name, target in self.repo.refs.as_dict(TAGS.rstrip(b"/")).items():
            if target == sha and name[:1] == b"v" and name[1:].isdigit():
                return int(name[1:])
        return None

    def _branch_version(self, label: str | None) -> int | None:
        """The version number `main` (label None) or the label's branch is at, now."""
        versions = SkillCollectionVersion.objects.for_tenant(self.tenant).filter(
            skill_collection=self.collection
        )
        if label is None:
            return versions.aggregate(number=Max("number"))["number"]
        return versions.filter(release_label=label).values_list("number", flat=True).first()

    def _label_of(self, ref: bytes) -> str | None:
        """None for `main`, the label for an existing label branch; anything else is refused."""
        if ref == MAIN:
            return None
        if ref.startswith(TAGS):
            raise Refused("Tags are Skillport's (v<N> per version): push a branch, not a tag.")
        if ref.startswith(HEADS) and ref in self.repo.refs.as_dict():
            return ref[len(HEADS) :].decode()
        raise Refused(
            "Only main and the branches of existing release labels take pushes; "
            "new branches are not created."
        )

    def _commit(self, sha: bytes) -> Commit:
        try:
            commit = self.repo.object_store[sha]
        except KeyError:
            raise Refused("The pushed commit is missing from the pack.") from None
        if not isinstance(commit, Commit):
            raise Refused("Only commits can be pushed to a branch.")
        return commit

    def _descends(self, new: bytes, old: bytes) -> bool:
        """Whether `old` is an ancestor of (or is) `new`; walks only what the store holds."""
        store, seen, pending = self.repo.object_store, set(), [new]
        while pending:
            sha = pending.pop()
            if sha == old:
                return True
            if sha in seen or sha not in store:
                continue
            seen.add(sha)
            if isinstance(store[sha], Commit):
                pending.extend(store[sha].parents)
        return False

    def _files(self, tree: bytes) -> Iterator[tuple[str, bytes]]:
        """(path, content) of every file of the tree, read lazily so the upload limits stop
        the walk (check_tree counts each file before the next is read)."""
        store = self.repo.object_store
        try:
            for entry in store.iter_tree_contents(tree):
                try:
                    path = entry.path.decode("utf-8")
                except UnicodeDecodeError:
                    raise TreeError(
                        entry.path.decode("utf-8", "backslashreplace"),
                        "File paths must be UTF-8.",
                        "invalid_path",
                    ) from None
                if stat.S_ISLNK(entry.mode):
                    raise TreeError(path, "Symbolic links are not allowed.", "symlink")
                if not stat.S_ISREG(entry.mode):
                    raise TreeError(path, "Only regular files are allowed.", "invalid_entry")
                yield path, store[entry.sha].as_raw_string()
        except KeyError as error:
            raise Refused(f"The pack misses an object of the pushed tree: {error}") from None
        except (AttributeError, ObjectFormatException, MaxTreeDepthExceeded):
            # A "tree" that is another kind of object, or nests beyond dulwich's cap.
            raise Refused("The pushed tree is malformed.") from None


def receive(repo: MemoryRepo, collection: SkillCollection, actor, body: bytes | None) -> bytes:
    """The advertisement (body None) or the answer to a push, as git's pkt-lines."""
    output = io.BytesIO()
    proto = ReceivableProtocol(io.BytesIO(body or b"").read, output.write)
    handler = PushHandler(repo, proto, collection=collection, actor=actor, advertise=body is None)
    if body is None:
        proto.write_pkt_line(f"# service={SERVICE}\n".encode())
        proto.write_pkt_line(None)
    try:
        handler.handle()
    except (GitProtocolError, ValueError, AssertionError) as error:
        raise BadPushRequest(str(error) or type(error).__name__) from error
    return output.getvalue()

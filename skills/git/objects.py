"""The git objects every repository is made of, and the `git-trees/` cache of derived ones.

Everything that goes into an object comes from the data (no "now", no randomness), so the same
data gives the same commit ids on every request and on every install that holds them. Git
objects are derived from the stored file blobs, which stay the one copy of the truth: a blob's
git id is computed once and kept in `GitBlobId`; the trees and commits (small: no file content)
are derived once per state and kept in storage (`git-trees/`, swept of states no longer current
by `skills.git.repositories.sweep_trees`), and a file's content is read only when a pack first
sends it (skills/git/pack.py keeps its pack entry).
"""

import json
import struct

from django.core.files.storage import default_storage
from dulwich.index import commit_tree
from dulwich.objects import Blob as GitBlob
from dulwich.objects import Commit, ShaFile

from events.conf import events_conf
from skills.blobs import read_content, save_once
from skills.conf import skills_conf
from skills.git.pack import keep_entry, seal, unseal
from skills.models import (
    GitBlobId,
    SkillCollection,
    SkillCollectionVersion,
    SkillMarketplace,
    SkillPlugin,
)

MAIN = b"refs/heads/main"
FILE_MODE = 0o100644
# Who a commit is by when its version has no creator left (deleted member, no email).
FALLBACK_NAME = "Skillport"
FALLBACK_EMAIL = "noreply@skillport.invalid"
TREES_PREFIX = "git-trees"
OBJECT_HEADER = struct.Struct(">B40sQ")  # a kept tree or commit: type, hex id, length


def git_path(target: SkillCollection | SkillPlugin | SkillMarketplace) -> str:
    """The repository's path on this server (urls: `git/<resource type>/<id>.git`)."""
    return f"/git/{target.JSONAPIMeta.resource_name}/{target.pk}.git"


def git_url(target: SkillCollection | SkillPlugin | SkillMarketplace) -> str:
    """The absolute clone URL, on the same public base as every other outside link."""
    return events_conf.PUBLIC_URL.rstrip("/") + git_path(target)


def identity(name: str, email: str) -> bytes:
    """A git author line `Name <email>` (Skillport's name when `name` is empty)."""
    # Angle brackets and newlines would break the header line.
    clean = {ord(c): None for c in "<>\n\r"}
    return f"{name.translate(clean).strip() or FALLBACK_NAME} <{email.translate(clean)}>".encode()


def version_identity(version: SkillCollectionVersion) -> bytes:
    member = version.created_by
    email = (member.email if member else "") or version.user_email or FALLBACK_EMAIL
    return identity(member.name if member else "", email)


def version_message(version: SkillCollectionVersion) -> bytes:
    # An empty message is legal in git objects but unfriendly in `git log`.
    text = version.commit_message.strip() or f"Version {version.number}"
    return (text + "\n").encode()


class LazyBlobs(dict):
    """The object store's objects: trees and commits in memory, file blobs read from storage
    only when a pack needs them and not kept (memory holds one blob at a time)."""

    def __init__(self) -> None:
        super().__init__()
        self.stored: dict[bytes, str] = {}  # git blob id -> storage name

    def __contains__(self, sha) -> bool:
        return dict.__contains__(self, sha) or sha in self.stored

    def __missing__(self, sha) -> GitBlob:
        return GitBlob.from_string(read_content(self.stored[sha]))


def git_blob_ids(files: list[tuple[str, str, str]]) -> dict[str, bytes]:
    """sha256 -> git blob id for every stored blob of `files`, derived (and cached) when new."""
    sha256s = {sha256 for _, sha256, _ in files}
    known = {
        blob_id: git_id.encode()
        for blob_id, git_id in GitBlobId.objects.filter(blob_id__in=sha256s).values_list(
            "blob_id", "git_id"
        )
    }
    derived = []
    for _, sha256, name in files:
        if sha256 not in known:
            blob = GitBlob.from_string(read_content(name))
            known[sha256] = blob.id
            keep_entry(blob)  # the pack that follows will send it: no second read
            derived.append(GitBlobId(blob_id=sha256, git_id=known[sha256].decode()))
    # Another request may derive the same ids at the same time; the values are equal.
    GitBlobId.objects.bulk_create(derived, ignore_conflicts=True)
    return known


class AddOnce:
    """The store, adding only objects it lacks: successive commits share most subtrees, and
    dulwich's memory store copies every object it is given."""

    def __init__(self, store) -> None:
        self.store = store

    def add_object(self, obj: ShaFile) -> None:
        if obj.id not in self.store:
            self.store.add_object(obj)


def make_tree(store, entries: list) -> bytes:
    """Add the tree of `entries` (path, blob id, mode) and its subtrees; return its id."""
    return commit_tree(AddOnce(store), entries)


def file_mode(version: SkillCollectionVersion, path: str) -> int:
    """The git mode of a version's file: 100644 unless a push said otherwise (100755)."""
    mode = version.file_modes.get(path)
    return int(mode, 8) if mode else FILE_MODE


def kept_commit(
    version: SkillCollectionVersion, tree: bytes, parent: bytes | None
) -> Commit | None:
    """The commit pushed for `version`, when it has one and it still sits on the derived history
    (same tree, parent = the previous version's commit); None otherwise."""
    if not version.git_commit:
        return None
    commit = ShaFile.from_raw_string(Commit.type_num, bytes(version.git_commit))
    if commit.tree != tree or commit.parents != ([parent] if parent else []):
        return None
    return commit


def make_commit(
    store, entries: list, parent: bytes | None, author: bytes, when: int, message: bytes
) -> bytes:
    """Add the tree of `entries` (path, blob id, mode) and its commit; return the commit id."""
    commit = Commit()
    commit.tree = make_tree(store, entries)
    commit.parents = [parent] if parent else []
    commit.author = commit.committer = author
    commit.author_time = commit.commit_time = when
    commit.author_timezone = commit.commit_timezone = 0
    commit.message = message
    store.add_object(commit)
    return commit.id


def save_derived(
    name: str, objects: LazyBlobs, commits: list[bytes], refs: dict[bytes, bytes] | None = None
) -> None:
    """Keep the trees and commits (and which stored file each blob is, and `refs` when the
    refs are derived too) for the next request."""
    header = json.dumps(
        {
            "commits": [commit.decode() for commit in commits],
            "refs": {ref.decode(): sha.decode() for ref, sha in (refs or {}).items()},
            "blobs": {git_id.decode(): stored for git_id, stored in objects.stored.items()},
        }
    ).encode()
    parts = [struct.pack(">Q", len(header)), header]
    for sha, obj in dict.items(objects):
        raw = obj.as_raw_string()
        parts += [OBJECT_HEADER.pack(obj.type_num, sha, len(raw)), raw]
    save_once(name, seal(b"".join(parts)))


def load_derived(name: str, objects: LazyBlobs) -> tuple[list[bytes], dict[bytes, bytes]] | None:
    """The commits and refs `save_derived` kept under `name`, its objects into `objects`."""
    try:
        data = unseal(read_content(name))
    except FileNotFoundError:
        return None
    if data is None:
        default_storage.delete(name)  # torn by a crashed writer: derive it again
        return None
    (size,) = struct.unpack_from(">Q", data)
    header = json.loads(bytes(data[8 : 8 + size]))
    objects.stored.update((git_id.encode(), stored) for git_id, stored in header["blobs"].items())
    offset = 8 + size
    while offset < len(data):
        type_num, sha, length = OBJECT_HEADER.unpack_from(data, offset)
        offset += OBJECT_HEADER.size
        raw = bytes(data[offset : offset + length])
        dict.__setitem__(objects, sha, ShaFile.from_raw_string(type_num, raw, sha=sha))
        offset += length
    refs = {ref.encode(): sha.encode() for ref, sha in header.get("refs", {}).items()}
    return [commit.encode() for commit in header["commits"]], refs


def max_request_body() -> int:
    """Largest upload-pack request (wants and haves) read, after gunzip."""
    return int(skills_conf.GIT_MAX_REQUEST_SIZE)

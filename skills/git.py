"""A skill collection as a read-only git repository, derived from its stored versions.

One commit per version (oldest first, linear history), a `v<N>` tag per version, a branch per
release label, `main` at the latest version and HEAD -> main. Everything that goes into an
object comes from the data (no "now", no randomness), so the same versions give the same commit
ids on every request and on every install that holds them.

Git objects are derived from the stored file blobs, which stay the one copy of the truth: a
blob's git id is computed once and kept in `GitBlobId`; the trees and commits (small: no file
content) are derived once per state of the versions and kept in storage (`git-trees/`, swept
of states no longer current by `sweep_trees`), and a file's content is read only when a pack
first sends it (skills/git_pack.py keeps its pack entry).
"""

import hashlib
import json
import struct
import uuid
from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone
from dulwich.index import commit_tree
from dulwich.object_store import MemoryObjectStore
from dulwich.objects import Blob as GitBlob
from dulwich.objects import Commit, ShaFile
from dulwich.refs import check_ref_format
from dulwich.repo import MemoryRepo

from api.models import Tenant
from skills.blobs import read_content, save_once
from skills.git_pack import keep_entry, seal, unseal
from skills.models import (
    GitBlobId,
    SkillCollection,
    SkillCollectionVersion,
    SkillMarketplace,
    SkillPlugin,
    VersionFile,
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
    from events.conf import webhook_setting

    return webhook_setting("PUBLIC_URL").rstrip("/") + git_path(target)


def identity(name: str, email: str) -> bytes:
    """A git author line `Name <email>` (Skillport's name when `name` is empty)."""
    # Angle brackets and newlines would break the header line.
    clean = {ord(c): None for c in "<>\n\r"}
    return f"{name.translate(clean).strip() or FALLBACK_NAME} <{email.translate(clean)}>".encode()


def _identity(version: SkillCollectionVersion) -> bytes:
    member = version.created_by
    email = (member.email if member else "") or version.user_email or FALLBACK_EMAIL
    return identity(member.name if member else "", email)


def _message(version: SkillCollectionVersion) -> bytes:
    # An empty message is legal in git objects but unfriendly in `git log`.
    text = version.commit_message.strip() or f"Version {version.number}"
    return (text + "\n").encode()


class _LazyBlobs(dict):
    """The object store's objects: trees and commits in memory, file blobs read from storage
    only when a pack needs them and not kept (memory holds one blob at a time)."""

    def __init__(self) -> None:
        super().__init__()
        self.stored: dict[bytes, str] = {}  # git blob id -> storage name

    def __contains__(self, sha) -> bool:
        return dict.__contains__(self, sha) or sha in self.stored

    def __missing__(self, sha) -> GitBlob:
        return GitBlob.from_string(read_content(self.stored[sha]))


def _git_blob_ids(files: list[tuple[str, str, str]]) -> dict[str, bytes]:
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


class _AddOnce:
    """The store, adding only objects it lacks: successive commits share most subtrees, and
    dulwich's memory store copies every object it is given."""

    def __init__(self, store) -> None:
        self.store = store

    def add_object(self, obj: ShaFile) -> None:
        if obj.id not in self.store:
            self.store.add_object(obj)


def make_commit(
    store, entries: list, parent: bytes | None, author: bytes, when: int, message: bytes
) -> bytes:
    """Add the tree of `entries` (path, blob id, mode) and its commit; return the commit id."""
    commit = Commit()
    commit.tree = commit_tree(_AddOnce(store), entries)
    commit.parents = [parent] if parent else []
    commit.author = commit.committer = author
    commit.author_time = commit.commit_time = when
    commit.author_timezone = commit.commit_timezone = 0
    commit.message = message
    store.add_object(commit)
    return commit.id


def _state_key(versions: list[SkillCollectionVersion]) -> str:
    """A digest of everything the trees and commits hold: a version's files never change, so
    its id stands for them; the rest is what goes into its commit."""
    digest = hashlib.sha256(b"skillport-git-trees-1\n")
    for version in versions:
        fields = [str(version.pk), int(version.created_at.timestamp())]
        fields += [_identity(version).decode(), _message(version).decode()]
        digest.update(json.dumps(fields).encode() + b"\n")
    return digest.hexdigest()


def _trees_name(collection: SkillCollection, versions: list[SkillCollectionVersion]) -> str:
    # The collection's id leads the name, so the sweep tells whose state an entry is from one
    # listing, without deriving the state of every collection.
    return f"{TREES_PREFIX}/{collection.pk}.{_state_key(versions)}"


def _versions(collection: SkillCollection, tenant: Tenant) -> list[SkillCollectionVersion]:
    return list(
        SkillCollectionVersion.objects.for_tenant(tenant)
        .filter(skill_collection=collection)
        .select_related("created_by")
        .order_by("number")
    )


def _derive(collection, tenant, versions, store: MemoryObjectStore) -> list[bytes]:
    """Trees and commits of `versions` into `store`; the commit id of each version."""
    files = list(
        VersionFile.objects.for_tenant(tenant)
        .filter(version__skill_collection=collection)
        .order_by("path")
        .values_list("version_id", "path", "blob__sha256", "blob__storage_name")
    )
    files_by_version: dict = defaultdict(list)
    for version_id, path, sha256, name in files:
        files_by_version[version_id].append((path, sha256, name))
    git_ids = _git_blob_ids([entry for entries in files_by_version.values() for entry in entries])

    objects = store._data
    commits: list[bytes] = []
    for version in versions:
        entries = []
        for path, sha256, name in files_by_version[version.pk]:
            objects.stored[git_ids[sha256]] = name
            entries.append((path.encode(), git_ids[sha256], FILE_MODE))
        when = int(version.created_at.timestamp())
        parent = commits[-1] if commits else None
        commits.append(
            make_commit(store, entries, parent, _identity(version), when, _message(version))
        )
    return commits


def _save_derived(
    name: str, objects: _LazyBlobs, commits: list[bytes], refs: dict[bytes, bytes] | None = None
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


def _load_derived(name: str, objects: _LazyBlobs) -> tuple[list[bytes], dict[bytes, bytes]] | None:
    """The commits and refs `_save_derived` kept under `name`, its objects into `objects`."""
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


def build_repo(
    collection: SkillCollection | SkillPlugin | SkillMarketplace, tenant: Tenant
) -> MemoryRepo:
    """The collection's repository, built from its versions and their stored blobs (a plugin
    or marketplace: skills/git_bundles.py).

    Its trees and commits are derived once per state of the collection's versions and kept in
    storage (`git-trees/<collection id>.<digest>`, a cache like the pack entries: the versions
    and blobs stay the truth), so the next request reads them back instead of listing every
    file again."""
    if not isinstance(collection, SkillCollection):
        from skills import git_bundles  # it builds on this module

        return git_bundles.build_repo(collection, tenant)
    versions = _versions(collection, tenant)
    repo = MemoryRepo()
    objects = _LazyBlobs()
    repo.object_store._data = objects  # dulwich's MemoryObjectStore keeps its objects here
    name = _trees_name(collection, versions)
    derived = _load_derived(name, objects) if versions else ([], {})
    if derived is None:
        commits = _derive(collection, tenant, versions, repo.object_store)
        _save_derived(name, objects, commits)
    else:
        commits = derived[0]
    refs: dict[bytes, bytes] = {}
    for version, commit in zip(versions, commits, strict=True):
        refs[f"refs/tags/v{version.number}".encode()] = commit
        if version.release_label:
            branch = f"refs/heads/{version.release_label}".encode()
            # `main` is always the latest version; a label git cannot name is not a branch.
            if branch != MAIN and check_ref_format(branch):
                refs[branch] = commit
    if commits:
        refs[MAIN] = commits[-1]
    for ref, sha in refs.items():
        repo.refs[ref] = sha
    repo.refs.set_symbolic_ref(b"HEAD", MAIN)
    return repo


def max_request_body() -> int:
    """Largest upload-pack request (wants and haves) read, after gunzip."""
    return int(getattr(settings, "SKILLPORT_SKILLS", {}).get("GIT_MAX_REQUEST_SIZE", 10 * 2**20))


def trees_retention() -> timedelta:
    """How long a `git-trees/` entry that is no longer current is kept before it is swept."""
    return timedelta(seconds=settings.SKILLPORT_SKILLS["GIT_TREES_RETENTION"])


def _owner_id(entry: str) -> uuid.UUID | None:
    """The collection, plugin or marketplace an entry is named after (`<id>.<digest>`)."""
    try:
        return uuid.UUID(entry.partition(".")[0])
    except ValueError:
        return None  # not this layout's (e.g. a `<digest>` of before ids were in the name)


def _newest(names: list[str]) -> str:
    return max(names, key=lambda name: default_storage.get_modified_time(f"{TREES_PREFIX}/{name}"))


def sweep_trees(now: datetime | None = None) -> int:
    """Delete the `git-trees/` entries no request asks for any more, once older than
    `trees_retention()`: every entry of a collection that is deleted (or soft-deleted), of a
    plugin or marketplace that is deleted, and of an owner with several, every state but the
    current one (older versions' states, an author's former name). An owner with one entry
    keeps it without deriving its state, so a pass costs one listing and a few queries when
    nothing is stale. Run by `sweep_exports`.

    Deleting is safe while a clone reads: an entry is a cache, and a request that finds it gone
    (or torn) derives it again from the versions and blobs, which stay the truth. The retention
    keeps a state just superseded for the requests still serving it."""
    try:
        entries = default_storage.listdir(TREES_PREFIX)[1]
    except FileNotFoundError:
        return 0
    by_owner: dict[uuid.UUID | None, list[str]] = defaultdict(list)
    for entry in entries:
        by_owner[_owner_id(entry)].append(entry)
    owners = [pk for pk in by_owner if pk is not None]
    # Across tenants: storage upkeep, like the sweep of expired export files.
    alive = {
        collection.pk: collection
        for collection in SkillCollection.objects.alive().filter(pk__in=owners)
    }
    bundles = {
        *SkillPlugin.objects.filter(pk__in=owners).values_list("pk", flat=True),
        *SkillMarketplace.objects.filter(pk__in=owners).values_list("pk", flat=True),
    }
    stale: list[str] = []
    for pk, names in by_owner.items():
        if pk in bundles:
            if len(names) > 1:
                # Naming a bundle's current state takes a replay of its history; the newest
                # entry stands for it (a wrong guess costs one derivation, never a wrong answer).
                newest = _newest(names)
                stale += [name for name in names if name != newest]
            continue
        collection = alive.get(pk)
        if collection is None:
            stale += names
        elif len(names) > 1:
            current = _trees_name(collection, _versions(collection, collection.tenant))
            stale += [name for name in names if f"{TREES_PREFIX}/{name}" != current]
    cutoff = (now or timezone.now()) - trees_retention()
    deleted = 0
    for name in stale:
        path = f"{TREES_PREFIX}/{name}"
        try:
            if default_storage.get_modified_time(path) >= cutoff:
                continue
            default_storage.delete(path)
        except FileNotFoundError:
            continue  # swept by a concurrent pass
        deleted += 1
    return deleted

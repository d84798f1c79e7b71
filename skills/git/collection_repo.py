"""A skill collection as a read-only git repository, derived from its stored versions.

One commit per version (oldest first, linear history), a `v<N>` tag per version, a branch per
release label, `main` at the latest version and HEAD -> main. Everything that goes into an
object comes from the data (no "now", no randomness), so the same versions give the same commit
ids on every request and on every install that holds them.

Git objects are derived from the stored file blobs, which stay the one copy of the truth: a
blob's git id is computed once and kept in `GitBlobId`; the trees and commits (small: no file
content) are derived once per state of the versions and kept in storage (`git-trees/`, swept
of states no longer current by `sweep_trees`), and a file's content is read only when a pack
first sends it (skills/git/pack.py keeps its pack entry).
"""

import hashlib
import json
from collections import defaultdict

from dulwich.object_store import MemoryObjectStore
from dulwich.refs import check_ref_format
from dulwich.repo import MemoryRepo

from core.models import Tenant
from skills.git.objects import (
    MAIN,
    TREES_PREFIX,
    LazyBlobs,
    file_mode,
    git_blob_ids,
    kept_commit,
    load_derived,
    make_commit,
    make_tree,
    save_derived,
    version_identity,
    version_message,
)
from skills.models import (
    SkillCollection,
    SkillCollectionVersion,
    VersionFile,
)


def _state_key(versions: list[SkillCollectionVersion]) -> str:
    """A digest of everything the trees and commits hold: a version's files never change, so
    its id stands for them; the rest is what goes into its commit."""
    digest = hashlib.sha256(b"skillport-git-trees-2\n")
    for version in versions:
        fields = [str(version.pk), int(version.created_at.timestamp())]
        fields += [version_identity(version).decode(), version_message(version).decode()]
        pushed = bytes(version.git_commit) if version.git_commit else b""
        fields += [hashlib.sha256(pushed).hexdigest(), version.file_modes]
        digest.update(json.dumps(fields, sort_keys=True).encode() + b"\n")
    return digest.hexdigest()


def trees_name(collection: SkillCollection, versions: list[SkillCollectionVersion]) -> str:
    # The collection's id leads the name, so the sweep tells whose state an entry is from one
    # listing, without deriving the state of every collection.
    return f"{TREES_PREFIX}/{collection.pk}.{_state_key(versions)}"


def collection_versions(
    collection: SkillCollection, tenant: Tenant
) -> list[SkillCollectionVersion]:
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
    git_ids = git_blob_ids([entry for entries in files_by_version.values() for entry in entries])

    objects = store._data
    commits: list[bytes] = []
    for version in versions:
        entries = []
        for path, sha256, name in files_by_version[version.pk]:
            objects.stored[git_ids[sha256]] = name
            entries.append((path.encode(), git_ids[sha256], file_mode(version, path)))
        parent = commits[-1] if commits else None
        pushed = kept_commit(version, make_tree(store, entries), parent)
        if pushed is not None:
            store.add_object(pushed)
            commits.append(pushed.id)
            continue
        when = int(version.created_at.timestamp())
        commits.append(
            make_commit(
                store, entries, parent, version_identity(version), when, version_message(version)
            )
        )
    return commits


def build_repo(collection: SkillCollection, tenant: Tenant) -> MemoryRepo:
    """The collection's repository, built from its versions and their stored blobs.

    Its trees and commits are derived once per state of the collection's versions and kept in
    storage (`git-trees/<collection id>.<digest>`, a cache like the pack entries: the versions
    and blobs stay the truth), so the next request reads them back instead of listing every
    file again."""
    versions = collection_versions(collection, tenant)
    pinned = getattr(collection, "_pinned_version", None)
    if pinned is not None:
        # A share link pinned to a version serves the history up to it, nothing later.
        versions = [version for version in versions if version.number <= pinned.number]
    repo = MemoryRepo()
    objects = LazyBlobs()
    repo.object_store._data = objects  # dulwich's MemoryObjectStore keeps its objects here
    name = trees_name(collection, versions)
    derived = load_derived(name, objects) if versions else ([], {})
    if derived is None:
        commits = _derive(collection, tenant, versions, repo.object_store)
        save_derived(name, objects, commits)
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

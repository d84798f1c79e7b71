"""Integrity checks of the registry (registered in skills/apps.py):

- `blobs`: every content blob is in storage with its recorded size and SHA-256 (user data:
  reported, never changed);
- `version_trees`: every version's file rows are complete: the paths, count, total size and
  digest recorded on the version agree with its files (user data: reported);
- `git_blob_ids`: each kept git blob id is the git id of its blob's content (`--repair` sets it);
- `git_objects`: each kept pack entry (`git-objects/`) is whole and holds the blob its name
  says (`--repair` derives it again from the blob, or removes an entry no blob has);
- `git_trees`: each kept tree state (`git-trees/`) is whole and names the files by their
  current git ids (`--repair` removes it; the next request derives it again, and a current
  collection state is derived at once).
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterator
from itertools import groupby

from django.core.files.storage import Storage
from dulwich.objects import Blob as GitBlob

from core.backup.storage import walk
from core.digests import read_chunks
from core.integrity import CHUNK_ROWS, Context, Finding, check_stored, register
from skills.git.collection_repo import collection_versions, trees_name
from skills.git.objects import TREES_PREFIX, LazyBlobs, load_derived
from skills.git.pack import ENTRY_PREFIX, keep_entry, unseal
from skills.git.repositories import build_repo
from skills.models import Blob, GitBlobId, SkillCollection, SkillCollectionVersion, VersionFile
from skills.services import tree_digest

GIT_BLOB = 3  # the pack type number of a blob


def check_blobs(context: Context) -> Iterator[Finding]:
    rows = Blob.objects.order_by().values_list("sha256", "storage_name", "size")
    for sha256, name, size in rows.iterator(chunk_size=CHUNK_ROWS):
        context.step(name)
        finding = check_stored("blobs", context.storage, name, size, sha256, f"blob {sha256}")
        if finding:
            yield finding


def _version_files() -> Iterator[tuple[object, list[tuple[str, str, int]]]]:
    """(version id, its files) for every version that has files, in version id order."""
    rows = (
        VersionFile.objects.order_by("version_id", "path")
        .values_list("version_id", "path", "blob_id", "blob__size")
        .iterator(chunk_size=CHUNK_ROWS)
    )
    for version_id, files in groupby(rows, key=lambda row: row[0]):
        yield version_id, [(path, sha256, size) for _, path, sha256, size in files]


def _tree_problems(version, files: list[tuple[str, str, int]]) -> list[str]:
    _pk, paths, count, total, digest = version
    problems = []
    if sorted(paths) != [path for path, _, _ in files]:
        missing = sorted(set(paths) - {path for path, _, _ in files})
        problems.append(f"{len(missing)} of its {len(paths)} paths have no file row")
    if count != len(files):
        problems.append(f"{len(files)} file rows, {count} recorded")
    if total != sum(size for _, _, size in files):
        problems.append(f"files add up to {sum(s for _, _, s in files)} bytes, {total} recorded")
    if digest != tree_digest((path, sha256) for path, sha256, _ in files):
        problems.append("its files do not match its digest")
    return problems


def check_version_trees(context: Context) -> Iterator[Finding]:
    versions = (
        SkillCollectionVersion.objects.order_by("pk")
        .values_list("pk", "file_paths", "file_count", "total_size", "digest")
        .iterator(chunk_size=CHUNK_ROWS)
    )
    files = _version_files()
    pending = next(files, None)
    for version in versions:
        context.step(str(version[0]))
        # Both streams are in version id order; a version's files are those of equal id.
        while pending is not None and str(pending[0]) < str(version[0]):
            pending = next(files, None)
        mine = pending[1] if pending is not None and pending[0] == version[0] else []
        for problem in _tree_problems(version, mine):
            yield Finding("version_trees", f"version {version[0]}", problem)


def git_blob_id(storage: Storage, name: str, sha256: str) -> str | None:
    """The git id of a stored blob, streamed; None when it is missing or is not the content
    its SHA-256 names (a damaged blob is the `blobs` check's finding, and no git id is derived
    from it)."""
    digest = hashlib.sha256()
    try:
        git = hashlib.sha1(b"blob %d\0" % storage.size(name))  # git names objects by SHA-1
        with storage.open(name, "rb") as handle:
            for chunk in read_chunks(handle):
                digest.update(chunk)
                git.update(chunk)
    except FileNotFoundError:
        return None
    return git.hexdigest() if digest.hexdigest() == sha256 else None


def check_git_blob_ids(context: Context) -> Iterator[Finding]:
    rows = GitBlobId.objects.order_by().values_list("blob_id", "git_id", "blob__storage_name")
    for sha256, git_id, name in rows.iterator(chunk_size=CHUNK_ROWS):
        context.step(name)
        actual = git_blob_id(context.storage, name, sha256)
        if actual is None or actual == git_id:
            continue
        if context.repair:
            GitBlobId.objects.filter(blob_id=sha256).update(git_id=actual)
        yield Finding(
            "git_blob_ids",
            f"blob {sha256}",
            f"kept git id {git_id}, its content's is {actual}",
            repairable=True,
            repaired=context.repair,
        )


def _entry_problem(data: bytes, git_id: str) -> str | None:
    """Why the kept pack entry `data` is not the blob `git_id` (None when it is)."""
    entry = unseal(data)
    if entry is None:
        return "torn or damaged (length or CRC-32 does not match)"
    entry = bytes(entry)
    byte = entry[0]
    kind, size, shift, offset = (byte >> 4) & 7, byte & 15, 4, 0
    while byte & 0x80:
        offset += 1
        byte = entry[offset]
        size |= (byte & 0x7F) << shift
        shift += 7
    try:
        content = zlib.decompress(entry[offset + 1 :])
    except zlib.error:
        return "its compressed data is damaged"
    actual = hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()
    if kind != GIT_BLOB or size != len(content) or actual != git_id:
        return f"holds another object ({actual})"
    return None


def check_git_objects(context: Context) -> Iterator[Finding]:
    for name in walk(context.storage, f"{ENTRY_PREFIX}/"):
        context.step(name)
        git_id = name.rsplit("/", 1)[-1]
        try:
            with context.storage.open(name, "rb") as handle:
                problem = _entry_problem(handle.read(), git_id)
        except FileNotFoundError:
            continue  # removed since it was listed
        if problem is None:
            continue
        if context.repair:
            context.storage.delete(name)
            _derive_entry(context.storage, git_id)
        yield Finding("git_objects", name, problem, repairable=True, repaired=context.repair)


def _derive_entry(storage: Storage, git_id: str) -> None:
    """Keep the pack entry of `git_id` again, from its blob when that blob is whole."""
    kept = GitBlobId.objects.filter(git_id=git_id).select_related("blob").first()
    if kept is None:
        return  # no blob has this id (any more): the entry was an orphan
    try:
        with storage.open(kept.blob.storage_name, "rb") as handle:
            content = handle.read()
    except FileNotFoundError:
        return
    if hashlib.sha256(content).hexdigest() == kept.blob.sha256:
        keep_entry(GitBlob.from_string(content))


def _trees_problem(storage: Storage, name: str) -> str | None:
    with storage.open(name, "rb") as handle:
        if unseal(handle.read()) is None:
            return "torn or damaged (length or CRC-32 does not match)"
    objects = LazyBlobs()
    try:
        load_derived(name, objects)
    except (ValueError, KeyError, IndexError, TypeError):
        return "its contents cannot be read"
    # Each file blob it names must be the blob whose git id is kept now.
    named = {
        stored.rsplit("/", 1)[-1]: git_id.decode() for git_id, stored in objects.stored.items()
    }
    kept = dict(GitBlobId.objects.filter(blob_id__in=named).values_list("blob_id", "git_id"))
    stale = [sha256 for sha256, git_id in named.items() if kept.get(sha256, git_id) != git_id]
    if stale:
        return f"stale: names {len(stale)} files by git ids they no longer have"
    return None


def check_git_trees(context: Context) -> Iterator[Finding]:
    for name in walk(context.storage, f"{TREES_PREFIX}/"):
        context.step(name)
        try:
            problem = _trees_problem(context.storage, name)
        except FileNotFoundError:
            continue  # swept since it was listed
        if problem is None:
            continue
        if context.repair:
            if context.storage.exists(name):
                context.storage.delete(name)
            _derive_current(name)
        yield Finding("git_trees", name, problem, repairable=True, repaired=context.repair)


def _derive_current(name: str) -> None:
    """Derive the kept state `name` again when it is its collection's current one."""
    owner = name.removeprefix(f"{TREES_PREFIX}/").partition(".")[0]
    collection = SkillCollection.objects.alive().filter(pk=owner).first() if owner else None
    if collection is None:
        return
    if trees_name(collection, collection_versions(collection, collection.tenant)) == name:
        build_repo(collection, collection.tenant)


def register_checks() -> None:
    register("blobs", check_blobs)
    register("version_trees", check_version_trees)
    register("git_blob_ids", check_git_blob_ids)
    register("git_objects", check_git_objects)
    register("git_trees", check_git_trees)

"""A skill collection as a read-only git repository, derived from its stored versions.

One commit per version (oldest first, linear history), a `v<N>` tag per version, a branch per
release label, `main` at the latest version and HEAD -> main. Everything that goes into an
object comes from the data (no "now", no randomness), so the same versions give the same commit
ids on every request and on every install that holds them.

Git objects are derived from the stored file blobs, which stay the one copy of the truth: a
blob's git id is computed once and kept in `GitBlobId`; per request the trees and commits are
rebuilt in memory (small: no file content) and a file's content is read from storage only when
the pack being sent holds it. Limits: the pack of one response is built in memory (at most the
content it sends, compressed); trees and commits are recomputed on every request.
"""

from collections import defaultdict

from django.conf import settings
from dulwich.index import commit_tree
from dulwich.objects import Blob as GitBlob
from dulwich.objects import Commit
from dulwich.refs import check_ref_format
from dulwich.repo import MemoryRepo

from api.models import Tenant
from skills.blobs import read_content
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


def git_path(target: SkillCollection | SkillPlugin | SkillMarketplace) -> str:
    """The repository's path on this server (urls: `git/<resource type>/<id>.git`)."""
    return f"/git/{target.JSONAPIMeta.resource_name}/{target.pk}.git"


def git_url(target: SkillCollection | SkillPlugin | SkillMarketplace) -> str:
    """The absolute clone URL, on the same public base as every other outside link."""
    from events.conf import webhook_setting

    return webhook_setting("PUBLIC_URL").rstrip("/") + git_path(target)


def _identity(version: SkillCollectionVersion) -> bytes:
    member = version.created_by
    name = (member.name if member else "") or FALLBACK_NAME
    email = (member.email if member else "") or version.user_email or FALLBACK_EMAIL
    # Angle brackets and newlines would break the header line.
    clean = {ord(c): None for c in "<>\n\r"}
    return f"{name.translate(clean).strip() or FALLBACK_NAME} <{email.translate(clean)}>".encode()


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
            known[sha256] = GitBlob.from_string(read_content(name)).id
            derived.append(GitBlobId(blob_id=sha256, git_id=known[sha256].decode()))
    # Another request may derive the same ids at the same time; the values are equal.
    GitBlobId.objects.bulk_create(derived, ignore_conflicts=True)
    return known


def make_commit(
    store, entries: list, parent: bytes | None, author: bytes, when: int, message: bytes
) -> bytes:
    """Add the tree of `entries` (path, blob id, mode) and its commit; return the commit id."""
    commit = Commit()
    commit.tree = commit_tree(store, entries)
    commit.parents = [parent] if parent else []
    commit.author = commit.committer = author
    commit.author_time = commit.commit_time = when
    commit.author_timezone = commit.commit_timezone = 0
    commit.message = message
    store.add_object(commit)
    return commit.id


def build_repo(
    collection: SkillCollection | SkillPlugin | SkillMarketplace, tenant: Tenant
) -> MemoryRepo:
    """The collection's repository, built from its versions and their stored blobs (a plugin
    or marketplace: skills/git_bundles.py)."""
    if not isinstance(collection, SkillCollection):
        from skills import git_bundles  # it builds on this module

        return git_bundles.build_repo(collection, tenant)
    versions = list(
        SkillCollectionVersion.objects.for_tenant(tenant)
        .filter(skill_collection=collection)
        .select_related("created_by")
        .order_by("number")
    )
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

    repo = MemoryRepo()
    store = repo.object_store
    objects = _LazyBlobs()
    store._data = objects  # dulwich's MemoryObjectStore keeps its objects in this dict
    parent: bytes | None = None
    refs: dict[bytes, bytes] = {}
    for version in versions:
        entries = []
        for path, sha256, name in files_by_version[version.pk]:
            objects.stored[git_ids[sha256]] = name
            entries.append((path.encode(), git_ids[sha256], FILE_MODE))
        when = int(version.created_at.timestamp())
        parent = make_commit(store, entries, parent, _identity(version), when, _message(version))
        refs[f"refs/tags/v{version.number}".encode()] = parent
        if version.release_label:
            branch = f"refs/heads/{version.release_label}".encode()
            # `main` is always the latest version; a label git cannot name is not a branch.
            if branch != MAIN and check_ref_format(branch):
                refs[branch] = parent
    if parent is not None:
        refs[MAIN] = parent
    for name, sha in refs.items():
        repo.refs[name] = sha
    repo.refs.set_symbolic_ref(b"HEAD", MAIN)
    return repo


def max_request_body() -> int:
    """Largest upload-pack request (wants and haves) read, after gunzip."""
    return int(getattr(settings, "SKILLPORT_SKILLS", {}).get("GIT_MAX_REQUEST_SIZE", 10 * 2**20))

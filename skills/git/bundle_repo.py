"""Plugins and marketplaces as read-only git repositories, laid out exactly like their zip
exports (skills/bundles/layouts.py).

The history is derived at read time from data that has a history of its own
(skills/bundles/history.py): the linked skills' versions and the audit versions of the plugin or
marketplace (and of a marketplace's plugins). One commit per change point whose content differs
from the previous commit's, oldest first, each the parent of the next (a linear,
fast-forwardable `main`); tree = the layout as of then; date = the change point's time;
author and committer = who made the change (a skill version's creator, an audit version's
member, staff user or system actor), Skillport when unknown; message = `<name> <served
version>`, or `Layout: <what changed>` for the commit by Skillport that moves an existing
history to a new layout (skills/bundles/layouts.py `LAYOUTS`; tags stay where they were).
When the replay does not explain the current rows (a change that was not audited), a last
commit of the current content is added, dated at the newest change it is made of. Nothing
depends on the request, the clock or when the repository was read before, so the same data
gives the same commit ids on every regeneration and on any install holding it. Plugin
repositories carry a `<name>--v<version>` tag per commit (Claude Code's `plugin tag` convention).
The derived trees, commits and refs are a cache in storage (`git-trees/`, keyed by a digest of
the history's inputs, `BundleHistory.key`), as a collection's are.
"""

from dulwich.objects import Blob as GitBlob
from dulwich.refs import check_ref_format
from dulwich.repo import MemoryRepo

from core.models import Tenant
from skills.bundles.history import BundleHistory, Snapshot
from skills.git.objects import (
    FALLBACK_EMAIL,
    FALLBACK_NAME,
    FILE_MODE,
    MAIN,
    TREES_PREFIX,
    LazyBlobs,
    git_blob_ids,
    identity,
    load_derived,
    make_commit,
    save_derived,
    version_identity,
)
from skills.models import SkillCollectionVersion, SkillMarketplace, SkillPlugin

SKILLPORT = identity(FALLBACK_NAME, FALLBACK_EMAIL)


def author(snapshot: Snapshot) -> bytes:
    """Who made the change: a skill version's creator, an audit version's actor, else
    Skillport."""
    by = snapshot.by
    if isinstance(by, SkillCollectionVersion):
        return version_identity(by)
    if not by:
        return SKILLPORT
    name = by.get("name") or by.get("username") or ""
    email = (by.get("email") if by.get("type") == "members" else "") or FALLBACK_EMAIL
    return identity(name, email)


def _derive(history: BundleHistory, objects: LazyBlobs, store) -> dict[bytes, bytes]:
    """The commits of `history` into `store`; its refs (`main` and a plugin's tags)."""
    git_ids = git_blob_ids(history.stored_blobs())
    parent: bytes | None = None
    refs: dict[bytes, bytes] = {}
    for snapshot in history.snapshots():
        entries = []
        for entry in snapshot.entries:
            if entry.data is not None:
                blob = GitBlob.from_string(entry.data)
                store.add_object(blob)
                entries.append((entry.path.encode(), blob.id, FILE_MODE))
            else:
                objects.stored[git_ids[entry.sha256]] = entry.storage_name
                entries.append((entry.path.encode(), git_ids[entry.sha256], FILE_MODE))
        when = int(snapshot.at.timestamp())
        message = f"{snapshot.message or f'{snapshot.name} {snapshot.version}'}\n".encode()
        parent = make_commit(store, entries, parent, author(snapshot), when, message)
        tag = f"refs/tags/{snapshot.name}--v{snapshot.version}".encode()
        # A layout change keeps the served version: its tag stays on the commit it named.
        if history.is_plugin and not snapshot.message and check_ref_format(tag):
            refs[tag] = parent
    if parent is not None:
        refs[MAIN] = parent
    return refs


def build_repo(target: SkillPlugin | SkillMarketplace, tenant: Tenant) -> MemoryRepo:
    """The plugin's or marketplace's repository: one commit per distinct state of its history.

    Its trees, commits and refs are derived once per state of what the history is made of and
    kept in storage (`git-trees/<id>.<digest>`, the cache collections use, swept like theirs),
    so the next request reads them back instead of listing the files and replaying the history
    again."""
    history = BundleHistory(target, tenant)
    repo = MemoryRepo()
    objects = LazyBlobs()
    repo.object_store._data = (
        objects  # as skills/git/collection_repo.py: file blobs are read when a pack sends them
    )
    name = f"{TREES_PREFIX}/{target.pk}.{history.key()}"
    derived = load_derived(name, objects)
    if derived is None:
        refs = _derive(history, objects, repo.object_store)
        save_derived(name, objects, [], refs)
    else:
        refs = derived[1]
    for ref, sha in refs.items():
        repo.refs[ref] = sha
    repo.refs.set_symbolic_ref(b"HEAD", MAIN)
    return repo

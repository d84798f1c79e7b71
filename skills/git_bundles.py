"""Plugins and marketplaces as read-only git repositories, laid out exactly like their zip
exports (skills/layouts.py).

A plugin's or marketplace's content is derived from data that keeps no history of its own (its
manifest fields, its skills' latest versions), so the history is recorded: whenever the
repository is read and its content differs from the last recorded state, one
`GitBundleCommit` row is appended (content unchanged: nothing is added). The commits are
rebuilt from those rows on every request: parent = the previous row's commit (a linear,
fast-forwardable `main`), author and committer = Skillport, date = the newest change the state
is made of (the target's and its plugins' `updated_at`, its skills' version times; never older
than the parent), message = `<name> <served version>`. Nothing depends on the request or the
clock, so the same rows give the same commit ids on every regeneration. Plugin repositories
carry a `<name>--v<version>` tag per commit (Claude Code's `plugin tag` convention).
"""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Max
from dulwich.objects import Blob as GitBlob
from dulwich.refs import check_ref_format
from dulwich.repo import MemoryRepo

from api.models import Tenant
from skills import layouts
from skills.git import (
    FALLBACK_EMAIL,
    FALLBACK_NAME,
    FILE_MODE,
    MAIN,
    _git_blob_ids,
    _LazyBlobs,
    make_commit,
)
from skills.models import (
    Blob,
    GitBundleCommit,
    SkillCollectionVersion,
    SkillMarketplace,
    SkillPlugin,
)

AUTHOR = f"{FALLBACK_NAME} <{FALLBACK_EMAIL}>".encode()


def _target_field(target: SkillPlugin | SkillMarketplace) -> str:
    return "skill_plugin" if isinstance(target, SkillPlugin) else "skill_marketplace"


def _content_time(target: SkillPlugin | SkillMarketplace, plugins: list[SkillPlugin]) -> datetime:
    """The newest change the content is made of (a deterministic commit date)."""
    version_ids = {skill.skill_collection_version_id for p in plugins for skill in p.skills.all()}
    newest = SkillCollectionVersion.objects.filter(pk__in=version_ids).aggregate(
        newest=Max("created_at")
    )["newest"]
    return max(
        [target.updated_at, *(plugin.updated_at for plugin in plugins)]
        + ([newest] if newest else [])
    )


def current_state(
    target: SkillPlugin | SkillMarketplace,
) -> tuple[str, list[layouts.LayoutEntry], datetime]:
    """The served version, the layout's entries and the content's date."""
    if isinstance(target, SkillPlugin):
        version, entries = layouts.plugin_layout(target)
        plugins = [target]
    else:
        plugins = layouts.marketplace_plugins(target)
        entries = layouts.marketplace_bundle(target, plugins)
        version = target.version
    return version, entries, _content_time(target, plugins)


def record_history(target: SkillPlugin | SkillMarketplace, tenant: Tenant) -> list[GitBundleCommit]:
    """The recorded states, oldest first, with the current content appended when it changed."""
    field = _target_field(target)

    def recorded() -> list[GitBundleCommit]:
        return list(
            GitBundleCommit.objects.for_tenant(tenant).filter(**{field: target}).order_by("number")
        )

    rows = recorded()
    version, entries, content_time = current_state(target)
    digest = layouts.content_digest({}, entries)
    if rows and rows[-1].digest == digest:
        return rows
    row = GitBundleCommit(
        **tenant.owner_fields(),
        **{field: target},
        number=rows[-1].number + 1 if rows else 1,
        digest=digest,
        version=version,
        name=target.name,
        committed_at=max([content_time] + ([rows[-1].committed_at] if rows else [])),
        files=[
            [entry.path, None, entry.data.decode()]
            if entry.data is not None
            else [entry.path, entry.sha256, None]
            for entry in sorted(entries, key=lambda entry: entry.path)
        ],
    )
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        # Another request recorded the next state first: serve what is recorded now.
        return recorded()
    return [*rows, row]


def build_repo(target: SkillPlugin | SkillMarketplace, tenant: Tenant) -> MemoryRepo:
    """The plugin's or marketplace's repository: one commit per recorded state."""
    rows = record_history(target, tenant)
    sha256s = {sha256 for row in rows for _, sha256, _ in row.files if sha256}
    names = dict(Blob.objects.filter(sha256__in=sha256s).values_list("sha256", "storage_name"))
    git_ids = _git_blob_ids([("", sha256, name) for sha256, name in names.items()])

    repo = MemoryRepo()
    store = repo.object_store
    objects = _LazyBlobs()
    store._data = objects  # as skills/git.py: file blobs are read only when a pack sends them
    parent: bytes | None = None
    refs: dict[bytes, bytes] = {}
    for row in rows:
        entries = []
        for path, sha256, text in row.files:
            if text is not None:
                blob = GitBlob.from_string(text.encode())
                store.add_object(blob)
                entries.append((path.encode(), blob.id, FILE_MODE))
            else:
                objects.stored[git_ids[sha256]] = names[sha256]
                entries.append((path.encode(), git_ids[sha256], FILE_MODE))
        when = int(row.committed_at.timestamp())
        message = f"{row.name} {row.version}\n".encode()
        parent = make_commit(store, entries, parent, AUTHOR, when, message)
        tag = f"refs/tags/{row.name}--v{row.version}".encode()
        if isinstance(target, SkillPlugin) and check_ref_format(tag):
            refs[tag] = parent
    if parent is not None:
        refs[MAIN] = parent
    for name, sha in refs.items():
        repo.refs[name] = sha
    repo.refs.set_symbolic_ref(b"HEAD", MAIN)
    return repo

"""Every repository this server serves (a collection's, a plugin's, a marketplace's), and the
sweep of their `git-trees/` cache entries."""

import uuid
from collections import defaultdict
from datetime import datetime, timedelta

from django.core.files.storage import default_storage
from django.utils import timezone
from dulwich.repo import MemoryRepo

from core.models import Tenant
from skills.conf import skills_conf
from skills.git import bundle_repo, collection_repo
from skills.git.collection_repo import collection_versions, trees_name
from skills.git.objects import TREES_PREFIX
from skills.models import (
    SkillCollection,
    SkillMarketplace,
    SkillPlugin,
)


def build_repo(
    collection: SkillCollection | SkillPlugin | SkillMarketplace, tenant: Tenant
) -> MemoryRepo:
    """The repository of a collection (skills/git/collection_repo.py), a plugin or a marketplace
    (skills/git/bundle_repo.py)."""
    if isinstance(collection, SkillCollection):
        return collection_repo.build_repo(collection, tenant)
    return bundle_repo.build_repo(collection, tenant)


def trees_retention() -> timedelta:
    """How long a `git-trees/` entry that is no longer current is kept before it is swept."""
    return timedelta(seconds=skills_conf.GIT_TREES_RETENTION)


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
    nothing is stale. Run by the scheduler (core/jobs/schedule.py).

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
            current = trees_name(collection, collection_versions(collection, collection.tenant))
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

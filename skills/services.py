"""Every write to the skills registry goes through here (exports and events hook in later)."""

import dataclasses
import hashlib
from collections.abc import Iterable, Mapping
from typing import Any, BinaryIO

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from core.models import Tenant
from skills import blobs
from skills.archives import ZipSource, read_zip
from skills.models import (
    Blob,
    Skill,
    SkillCollection,
    SkillCollectionVersion,
    SkillMarketplace,
    SkillPlugin,
    VersionFile,
)
from skills.validation import SkillManifest, check_tree, index_skills

UNSET: Any = object()


# -- collections -------------------------------------------------------------------------------


def create_collection(
    *,
    tenant: Tenant,
    actor,
    name: str,
    root_path: str,
    provider: str = "generic",
    folder_id: int | None = None,
) -> SkillCollection:
    return SkillCollection.objects.create(
        **tenant.owner_fields(),
        name=name,
        root_path=root_path,
        provider=provider,
        folder_id=folder_id,
        created_by=actor,
        updated_by=actor,
    )


def update_collection(collection: SkillCollection, *, actor, **changes: Any) -> SkillCollection:
    for attribute, value in changes.items():
        setattr(collection, attribute, value)
    collection.updated_by = actor
    collection.save()
    return collection


def delete_collection(collection: SkillCollection, *, actor) -> SkillCollection:
    """Soft delete: the collection and its versions stay, hidden from lists."""
    return update_collection(collection, actor=actor, is_deleted=True, deleted_at=timezone.now())


# -- versions ----------------------------------------------------------------------------------


def tree_digest(files: Iterable[tuple[str, str]]) -> str:
    """A version's identity: the hash of its sorted (path, content hash) pairs."""
    digest = hashlib.sha256()
    for path, sha256 in sorted(files):
        digest.update(f"{path}\0{sha256}\n".encode())
    return digest.hexdigest()


def _store_blobs(tree: Mapping[str, bytes]) -> dict[str, Blob]:
    """Write each distinct content once; return path -> Blob."""
    hashes = {path: blobs.content_hash(content) for path, content in tree.items()}
    known = Blob.objects.in_bulk(set(hashes.values()))
    new: dict[str, Blob] = {}
    for path, sha256 in hashes.items():
        if sha256 not in known and sha256 not in new:
            name = blobs.save_content(sha256, tree[path])
            new[sha256] = Blob(sha256=sha256, size=len(tree[path]), storage_name=name)
    # A concurrent upload of the same content may have inserted some rows meanwhile.
    Blob.objects.bulk_create(new.values(), ignore_conflicts=True, batch_size=1000)
    known.update(new)
    return {path: known[sha256] for path, sha256 in hashes.items()}


def _index_skills(version: SkillCollectionVersion, manifests) -> None:
    collection = version.skill_collection
    known = {skill.path: skill for skill in Skill.objects.filter(skill_collection=collection)}
    # Every attribute a SKILL.md gives its skill row.
    fields = [field.name for field in dataclasses.fields(SkillManifest) if field.name != "path"]
    new, changed = [], []
    for manifest in manifests:
        skill = known.get(manifest.path)
        if skill is None:
            skill = Skill(
                **version.tenant.owner_fields(),
                skill_collection=collection,
                path=manifest.path,
            )
            new.append(skill)
        else:
            skill.updated_at = timezone.now()
            changed.append(skill)
        for name in fields:
            setattr(skill, name, getattr(manifest, name))
        skill.skill_collection_version = version
    Skill.objects.bulk_create(new)
    Skill.objects.bulk_update(changed, [*fields, "skill_collection_version", "updated_at"])
    Skill.versions.through.objects.bulk_create(
        [
            Skill.versions.through(skill_id=skill.pk, skillcollectionversion_id=version.pk)
            for skill in new + changed
        ]
    )


def create_version(
    collection: SkillCollection,
    *,
    actor,
    files: Mapping[str, bytes] | Iterable[tuple[str, bytes]],
    commit_message: str = "",
    release_label: str | None = None,
    git_commit: bytes | None = None,
    file_modes: Mapping[str, str] | None = None,
) -> SkillCollectionVersion:
    """Validate the tree (raises TreeError), store its blobs, record the version, index skills.

    `git_commit` and `file_modes` come from a `git push` (skills/git/push.py): the pushed commit
    object and the git modes other than 100644, kept so the version's commit is the pushed one.
    """
    entries = files.items() if isinstance(files, Mapping) else files
    tree = check_tree(entries)
    return _create_checked_version(
        collection,
        actor,
        tree,
        commit_message,
        release_label,
        git_commit=git_commit,
        file_modes=dict(file_modes or {}),
    )


def create_version_from_zip(
    collection: SkillCollection,
    *,
    actor,
    fileobj: BinaryIO,
    commit_message: str = "",
    release_label: str | None = None,
) -> SkillCollectionVersion:
    tree = read_zip(fileobj)
    return _create_checked_version(collection, actor, tree, commit_message, release_label)


def _create_checked_version(
    collection, actor, tree, commit_message, release_label, *, git_commit=None, file_modes=None
):
    manifests = index_skills(tree, collection.root_path)
    stored = _store_blobs(tree)
    paths = sorted(tree)
    with transaction.atomic():
        collection = SkillCollection.objects.select_for_update().get(pk=collection.pk)
        number = (collection.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        if release_label:
            collection.versions.filter(release_label=release_label).update(release_label=None)
        version = SkillCollectionVersion.objects.create(
            **collection.tenant.owner_fields(),
            skill_collection=collection,
            number=number,
            root_path_at_version=collection.root_path,
            provider=collection.provider,
            commit_message=commit_message or "",
            release_label=release_label or None,
            created_by=actor,
            user_email=getattr(actor, "email", "") or "",
            file_paths=paths,
            file_count=len(paths),
            total_size=sum(len(content) for content in tree.values()),
            digest=tree_digest((path, stored[path].sha256) for path in paths),
            git_commit=git_commit,
            file_modes=file_modes or {},
        )
        VersionFile.objects.bulk_create(
            [VersionFile(version=version, path=path, blob=stored[path]) for path in paths],
            batch_size=1000,
        )
        _index_skills(version, manifests)
        SkillCollection.objects.filter(pk=collection.pk).update(
            updated_at=timezone.now(), updated_by=actor
        )
    return version


def update_version(
    version: SkillCollectionVersion, *, release_label: Any = UNSET, archived: Any = UNSET
) -> SkillCollectionVersion:
    """Only the label and the archived flag of a version ever change; a label moves."""
    with transaction.atomic():
        if release_label is not UNSET:
            if release_label:
                SkillCollectionVersion.objects.filter(
                    skill_collection_id=version.skill_collection_id, release_label=release_label
                ).exclude(pk=version.pk).update(release_label=None)
            version.release_label = release_label or None
        if archived is not UNSET:
            version.archived = bool(archived)
        version.save()
    return version


def archive_versions(versions: Iterable[SkillCollectionVersion]) -> int:
    return SkillCollectionVersion.objects.filter(
        pk__in=[version.pk for version in versions]
    ).update(archived=True, updated_at=timezone.now())


# -- reading versions --------------------------------------------------------------------------


def version_files(version: SkillCollectionVersion) -> list[VersionFile]:
    return list(version.files.select_related("blob").order_by("path"))


def version_contents(version: SkillCollectionVersion) -> dict[str, bytes]:
    """Every file of a version, in memory (JSON answers; archives stream instead)."""
    return {
        item.path: blobs.read_content(item.blob.storage_name) for item in version_files(version)
    }


def version_zip_sources(version: SkillCollectionVersion) -> list[ZipSource]:
    """What `archives.stream_zip` needs to stream a version without loading its content."""
    rows = version.files.order_by("path").values_list("path", "blob__storage_name", "blob__size")
    return [blobs.zip_source(path, name, size) for path, name, size in rows]


# -- plugins and marketplaces ------------------------------------------------------------------


def _save_with_relations(instance, relations: Mapping[str, Iterable], actor=None):
    with transaction.atomic():
        if instance._state.adding and actor is not None:
            instance.created_by = actor
        instance.save()
        for name, related in relations.items():
            getattr(instance, name).set(related)
    return instance


def create_plugin(*, tenant: Tenant, actor, skills: Iterable[Skill] = (), **attributes):
    plugin = SkillPlugin(**tenant.owner_fields(), **attributes)
    return _save_with_relations(plugin, {"skills": skills}, actor)


def update_plugin(plugin: SkillPlugin, *, skills: Any = UNSET, **attributes) -> SkillPlugin:
    for name, value in attributes.items():
        setattr(plugin, name, value)
    return _save_with_relations(plugin, {} if skills is UNSET else {"skills": skills})


def create_marketplace(
    *, tenant: Tenant, actor, skill_plugins: Iterable[SkillPlugin] = (), **attrs
):
    marketplace = SkillMarketplace(**tenant.owner_fields(), **attrs)
    return _save_with_relations(marketplace, {"skill_plugins": skill_plugins}, actor)


def update_marketplace(
    marketplace: SkillMarketplace, *, skill_plugins: Any = UNSET, **attributes
) -> SkillMarketplace:
    for name, value in attributes.items():
        setattr(marketplace, name, value)
    relations = {} if skill_plugins is UNSET else {"skill_plugins": skill_plugins}
    return _save_with_relations(marketplace, relations)
